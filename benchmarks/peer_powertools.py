"""The peer: a hand-tuned AWS Lambda Powertools app serving `GET /v1/blog/posts`.

An `APIGatewayRestResolver` with `enable_validation=True` validates the query; `peer_work` does
what the project does, by hand, the cursor secret's read at import included. The benchmark
copies this file into the peer's package.
"""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from jose.exceptions import JOSEError
from peer_work import Denied, Unauthorized, list_page, principal_groups

app = APIGatewayRestResolver(enable_validation=True)


@app.get("/v1/blog/posts")
def list_posts(
    status: Annotated[Literal["published", "draft", "all"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response[str]:
    """One page of posts, newest first; drafts and `all` are the owner's."""
    groups = principal_groups(app.current_event.headers.get("Authorization"))
    body, etag = list_page(status, limit, groups)
    return Response(200, "application/json", body, headers={"ETag": etag})


@app.exception_handler(Denied)
def _denied(_error: Denied) -> Response[str]:
    return Response(403, "application/problem+json", '{"status":403}')


@app.exception_handler([JOSEError, Unauthorized])
def _unauthorized(_error: Exception) -> Response[str]:
    return Response(401, "application/problem+json", '{"status":401}')


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point."""
    return app.resolve(event, context)

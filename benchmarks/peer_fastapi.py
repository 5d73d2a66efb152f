"""The framework floor: FastAPI through Mangum, doing what the Powertools peer does.

One route, its query validated by FastAPI, `peer_work` doing the work: no middleware, no
dependencies, no problem documents. It shows what FastAPI + Mangum cost by themselves, against
which the project's own layers (edge middleware, auth and service dependencies, the query
model, exact JSON) can be weighed.
"""

from typing import Annotated, Literal

from fastapi import FastAPI, Header, Query, Response
from jose.exceptions import JOSEError
from mangum import Mangum
from peer_work import Denied, Unauthorized, list_page, principal_groups

app = FastAPI()


@app.get("/v1/blog/posts")
async def list_posts(
    status: Annotated[Literal["published", "draft", "all"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """One page of posts, newest first; drafts and `all` are the owner's."""
    try:
        body, etag = list_page(status, limit, principal_groups(authorization))
    except Denied:
        return Response('{"status":403}', 403, media_type="application/problem+json")
    except (JOSEError, Unauthorized):
        return Response('{"status":401}', 401, media_type="application/problem+json")
    return Response(body, 200, headers={"ETag": etag}, media_type="application/json")


handler = Mangum(app, lifespan="off")

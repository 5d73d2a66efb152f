"""The peer: a hand-tuned AWS Lambda Powertools app that does what `GET /v1/blog/posts` does.

It answers the same request with the same calls and a byte-identical body and ETag: the list's
query parameters validated (`enable_validation=True`), a bearer token verified as the project
verifies it (python-jose, RS256, the pool's JWKS fetched once, issuer, client id, `token_use`,
expiry, owner group), the same DynamoDB Query, the same summary fields and the same weak ETag.
The benchmark copies this file into the peer's package; it is not part of the service.
"""

import hashlib
import json
import os
import urllib.request
from decimal import Decimal
from typing import Annotated, Any, Literal

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from botocore.config import Config
from jose import jwt
from jose.exceptions import JOSEError

REGION = os.environ["COGNITO_REGION"]
POOL = os.environ["COGNITO_USER_POOL_ID"]
CLIENT_ID = os.environ["COGNITO_CLIENT_ID"]
TABLE = os.environ["DYNAMODB_TABLE_NAME"]
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL") or f"https://cognito-idp.{REGION}.amazonaws.com"
JWKS_URL = f"{ENDPOINT.rstrip('/')}/{POOL}/.well-known/jwks.json"
SUMMARY = (
    "id", "slug", "status", "publishedAt", "createdAt", "updatedAt", "version", "views",
    "title", "summary", "category", "tags", "coverImageUrl", "readingTimeMinutes",
)  # fmt: skip

app = APIGatewayRestResolver(enable_validation=True)
dynamodb = boto3.client(
    "dynamodb",
    region_name=REGION,
    config=Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2,
                  read_timeout=5, tcp_keepalive=True),
)  # fmt: skip
_keys: dict[str, Any] = {}


class Denied(Exception):
    """A request the caller may not make."""


def _principal_groups(authorization: str | None) -> list[str] | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Denied
    header = jwt.get_unverified_header(token)
    if header.get("alg") != "RS256":
        raise Denied
    if not _keys:
        with urllib.request.urlopen(JWKS_URL, timeout=3) as answer:
            _keys.update({k["kid"]: k for k in json.load(answer)["keys"] if k["kty"] == "RSA"})
    key = _keys.get(header.get("kid"))
    if key is None:
        raise Denied
    claims = jwt.decode(
        token, key, algorithms=["RS256"], issuer=ISSUER,
        options={"verify_aud": False, "verify_at_hash": False, "require_exp": True,
                 "require_iat": True, "require_sub": True},
    )  # fmt: skip
    use = claims.get("token_use")
    if use == "id":
        ok = claims.get("aud") == CLIENT_ID and "client_id" not in claims
    else:
        ok = use == "access" and claims.get("client_id") == CLIENT_ID and "aud" not in claims
    if not ok:
        raise Denied
    return list(claims.get("cognito:groups") or [])


def _plain(value: Any) -> Any:
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return raw
    if kind == "N":
        number = Decimal(raw)
        return int(number) if number == number.to_integral_value() else number
    if kind == "L":
        return [_plain(v) for v in raw]
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    return {k: _plain(v) for k, v in raw.items()}


@app.get("/v1/blog/posts")
def list_posts(
    status: Annotated[Literal["published", "draft", "all"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response[str]:
    """One page of posts, newest first; drafts and `all` are the owner's."""
    groups = _principal_groups(app.current_event.headers.get("Authorization"))
    status = status or "published"
    if status != "published" and (groups is None or "owner" not in groups):
        raise Denied
    partition, index = (
        ("CONTENT#blog", "GSI2") if status == "all" else (f"CONTENT#blog#{status}", "GSI1")
    )
    answer = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": f"{index}PK"},
        ExpressionAttributeValues={":pk": {"S": partition}},
        ScanIndexForward=False,
        IndexName=index,
        Limit=limit + 1,
    )
    items = [{k: _plain(v) for k, v in raw.items()} for raw in answer["Items"]][:limit]
    page = {"items": [{k: i.get(k) for k in SUMMARY} for i in items], "nextCursor": None}
    body = json.dumps(page, ensure_ascii=False, separators=(",", ":"), default=str)
    etag = 'W/"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    return Response(200, "application/json", body, headers={"ETag": etag})


@app.exception_handler(Denied)
def _denied(_error: Denied) -> Response[str]:
    return Response(403, "application/problem+json", '{"status":403}')


@app.exception_handler(JOSEError)
def _unauthorized(_error: JOSEError) -> Response[str]:
    return Response(401, "application/problem+json", '{"status":401}')


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point."""
    return app.resolve(event, context)

"""What both peers do for `GET /v1/blog/posts`, hand-written: the work, without a framework.

The same calls as the project (python-jose's RS256 verification against the pool's JWKS,
fetched once; one DynamoDB Query) and the same answer (the summary fields in the project's
order, compact JSON, the weak ETag of the body). The benchmark checks the bytes in every round.
"""

import hashlib
import json
import os
import urllib.request
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config
from jose import jwt

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
CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)

dynamodb = boto3.client("dynamodb", region_name=REGION, config=CONFIG)
_keys: dict[str, Any] = {}


class Denied(Exception):
    """A request the caller may not make."""


def principal_groups(authorization: str | None) -> list[str] | None:
    """The verified caller's groups; None when anonymous; `Denied` for any defect."""
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
        token,
        key,
        algorithms=["RS256"],
        issuer=ISSUER,
        options={
            "verify_aud": False,
            "verify_at_hash": False,
            "require_exp": True,
            "require_iat": True,
            "require_sub": True,
        },
    )
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
    if kind in ("BOOL", "NULL"):
        return raw if kind == "BOOL" else None
    return {k: _plain(v) for k, v in raw.items()}


def list_page(status: str | None, limit: int, groups: list[str] | None) -> tuple[str, str]:
    """One page of posts, newest first, as (body, ETag); drafts and `all` are the owner's."""
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
    return body, 'W/"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'

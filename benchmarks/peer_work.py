"""What both peers do for `GET /v1/blog/posts`, hand-written: the work, without a framework.

The same calls as the project (the cursor secret read from Secrets Manager once, at import;
python-jose's RS256 verification against the pool's JWKS, fetched once; for a token, the
strongly consistent BatchGetItem of its session's and its user's revocation records; one
DynamoDB Query) and the same answer (the summary fields in the project's order, compact JSON,
the weak ETag of the body). The benchmark checks the bytes in every round.
"""

import hashlib
import json
import os
import time
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


def _secret(arn: str) -> str:
    """The secret's string, read as the project reads it: one call, by a client closed after.

    A plain boto3 client on the default session: Powertools' `parameters.get_secret` would
    import its five providers and build a second boto3 session for the one call.
    """
    client = boto3.client("secretsmanager", region_name=arn.split(":")[3], config=CONFIG)
    try:
        value: str = client.get_secret_value(SecretId=arn)["SecretString"]
    finally:
        client.close()
    return value


CURSOR_SECRET = _secret(os.environ["CURSOR_SECRET_ARN"])  # paid for, as the project pays
dynamodb = boto3.client("dynamodb", region_name=REGION, config=CONFIG)
_keys: dict[str, Any] = {}


class Denied(Exception):
    """A request the caller may not make."""


class Unauthorized(Exception):
    """A token that is refused though it verifies: its session has ended."""


def principal_groups(authorization: str | None) -> list[str] | None:
    """The verified caller's groups; None when anonymous; `Denied` for any defect,
    `Unauthorized` for an ended session."""
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
    _ensure_active(claims)
    return list(claims.get("cognito:groups") or [])


def _ensure_active(claims: dict[str, Any]) -> None:
    """`Unauthorized` when the token's session was ended, or its user's sessions were."""
    signed_in = claims.get("auth_time", claims["iat"])
    if not isinstance(signed_in, int | float) or isinstance(signed_in, bool):
        raise Unauthorized
    wanted = [{"PK": {"S": f"REVOKED#USER#{claims['sub']}"}, "SK": {"S": "REVOKED"}}]
    session = claims.get("origin_jti")
    if isinstance(session, str) and session:
        wanted.append({"PK": {"S": f"REVOKED#SESSION#{session}"}, "SK": {"S": "REVOKED"}})
    request: Any = {TABLE: {"Keys": wanted, "ConsistentRead": True}}
    found: list[dict[str, Any]] = []
    while request:
        answer = dynamodb.batch_get_item(RequestItems=request)
        found += answer.get("Responses", {}).get(TABLE, [])
        request = answer.get("UnprocessedKeys")
        if request:
            time.sleep(0.05)
    for item in found:
        ended_before = item.get("endedBefore")
        if item["PK"]["S"].startswith("REVOKED#SESSION#") or (
            ended_before is not None and int(signed_in) < int(ended_before["N"])
        ):
            raise Unauthorized


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

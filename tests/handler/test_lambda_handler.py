"""The Lambda entry point: API Gateway REST (payload v1) proxy events from `events/`, via Mangum.

Each event is what API Gateway hands the function behind the `prod` stage: `path` without the
stage, `requestContext.path` with it, and for the authorizer-guarded routes the authorizer's
claims. The app still verifies the bearer token itself, so `{{ID_TOKEN}}` is replaced with a
fresh token of a fixture user before the event is sent.
"""

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwt
from mangum.types import LambdaCognitoIdentity, LambdaMobileClientContext

from portfolio_api.main import build_handler
from tests.conftest import ORIGIN, PASSWORD, SignedInUser

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
TOKEN_PLACEHOLDER = "{{ID_TOKEN}}"


@dataclass
class FakeLambdaContext:
    """What the Lambda runtime passes as `context`, as far as anything here reads it."""

    function_name: str = "portfolio-api-ApiFunction-1A2B3C4D5E6F"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:portfolio-api-ApiFunction-1A2B3C4D5E6F"
    )
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/portfolio-api-ApiFunction-1A2B3C4D5E6F"
    log_stream_name: str = "2026/11/21/[$LATEST]0123456789abcdef0123456789abcdef"
    identity: LambdaCognitoIdentity | None = None
    client_context: LambdaMobileClientContext | None = None

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class LambdaResponse:
    """The proxy response, with the headers merged and the body decoded."""

    raw: dict[str, Any]

    @property
    def status(self) -> int:
        status: int = self.raw["statusCode"]
        return status

    @property
    def headers(self) -> dict[str, str]:
        merged = {k.lower(): v for k, v in (self.raw.get("headers") or {}).items()}
        for name, values in (self.raw.get("multiValueHeaders") or {}).items():
            merged[name.lower()] = ", ".join(values)
        return merged

    @property
    def text(self) -> str:
        body: str = self.raw.get("body") or ""
        if self.raw.get("isBase64Encoded"):
            return base64.b64decode(body).decode()
        return body

    def json(self) -> Any:
        return json.loads(self.text)


def load_event(name: str, token: str | None = None) -> dict[str, Any]:
    text = (EVENTS_DIR / name).read_text(encoding="utf-8")
    if TOKEN_PLACEHOLDER in text:
        assert token is not None, f"{name} needs a token"
        text = text.replace(TOKEN_PLACEHOLDER, token)
    event: dict[str, Any] = json.loads(text)
    return event


def set_header(event: dict[str, Any], name: str, value: str | None) -> None:
    """Change (or with None, remove) a request header in both of the event's header maps."""
    for key in [k for k in event["headers"] if k.lower() == name.lower()]:
        del event["headers"][key]
    for key in [k for k in event["multiValueHeaders"] if k.lower() == name.lower()]:
        del event["multiValueHeaders"][key]
    if value is not None:
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]


def set_json_body(event: dict[str, Any], body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    event["body"] = base64.b64encode(raw).decode() if event["isBase64Encoded"] else raw.decode()
    set_header(event, "Content-Length", str(len(raw)))


Invoke = Callable[[dict[str, Any]], LambdaResponse]


@pytest.fixture
def invoke(app: FastAPI) -> Invoke:
    """The Lambda handler over the test app, called with a fresh context per event."""
    handler = build_handler(app)

    def call(event: dict[str, Any]) -> LambdaResponse:
        return LambdaResponse(handler(event, FakeLambdaContext()))

    return call


def request_id(event: dict[str, Any]) -> str:
    rid: str = event["requestContext"]["requestId"]
    return rid


def header_set(value: str) -> set[str]:
    """A comma-separated header value as a set of lower-case names."""
    return {item.strip().lower() for item in value.split(",")}


def assert_problem(response: LambdaResponse, event: dict[str, Any], status: int, code: str) -> None:
    assert response.status == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["requestId"] == request_id(event) == response.headers["x-request-id"]


# --- the events, one by one ---------------------------------------------------------------------


def test_health_through_the_stage(invoke: Invoke) -> None:
    event = load_event("public-get-health.json")
    response = invoke(event)
    assert response.status == 200
    assert response.raw["isBase64Encoded"] is False
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "version": "0.1.0", "environment": "test"}
    assert response.headers["x-request-id"] == request_id(event)


def test_docs_under_the_stage_load_the_spec_from_the_stage(invoke: Invoke) -> None:
    event = load_event("stage-prefixed-docs.json")
    assert event["requestContext"]["path"] == "/prod/docs"
    assert event["path"] == "/docs"
    response = invoke(event)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "url: '/prod/openapi.json'" in response.text
    assert "'/openapi.json'" not in response.text
    assert response.headers["x-request-id"] == request_id(event)


def test_openapi_under_the_stage_names_the_stage_as_server(invoke: Invoke) -> None:
    event = load_event("stage-prefixed-openapi.json")
    response = invoke(event)
    assert response.status == 200
    spec = response.json()
    assert {"url": "/prod"} in spec["servers"]
    assert "/health" in spec["paths"]
    assert "/v1/users/me" in spec["paths"]
    assert not any(path.startswith("/prod") for path in spec["paths"])
    assert response.headers["x-request-id"] == request_id(event)


def test_openapi_without_a_stage_prefix_has_no_stage_server(invoke: Invoke) -> None:
    """A custom domain without the stage in its URLs: requestContext.path equals path."""
    event = load_event("stage-prefixed-openapi.json")
    event["requestContext"]["path"] = event["path"]
    response = invoke(event)
    assert response.status == 200
    assert not any(s["url"].startswith("/prod") for s in response.json().get("servers", []))


def test_get_me_follows_the_token_not_the_authorizer_claims(
    invoke: Invoke, member: SignedInUser
) -> None:
    event = load_event("user-get-me.json", member.id_token)
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["sub"] != member.sub  # the fixture claims name someone else
    response = invoke(event)
    assert response.status == 200, response.text
    body = response.json()
    assert body["userId"] == member.sub
    assert body["email"] == member.email
    assert body["isOwner"] is False
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert response.headers["x-request-id"] == request_id(event)
    assert response.headers["access-control-allow-origin"] == ORIGIN
    exposed = header_set(response.headers["access-control-expose-headers"])
    assert {"etag", "x-request-id", "location", "retry-after"} <= exposed


def test_owner_logout_is_204_and_revokes_refresh_tokens(
    invoke: Invoke, client: TestClient, owner: SignedInUser
) -> None:
    event = load_event("owner-post-logout.json", owner.id_token)
    assert event["requestContext"]["authorizer"]["claims"]["cognito:groups"] == "owner"
    response = invoke(event)
    assert response.status == 204, response.text
    assert response.text == ""
    assert response.headers["x-request-id"] == request_id(event)
    refreshed = client.post("/v1/auth/refresh", json={"refreshToken": owner.refresh_token})
    assert refreshed.status_code == 401


def test_login_with_a_base64_body(invoke: Invoke, client: TestClient, member: SignedInUser) -> None:
    event = load_event("public-post-login-base64.json")
    assert event["isBase64Encoded"] is True
    assert json.loads(base64.b64decode(event["body"])) == {
        "email": member.email,
        "password": member.password,
    }
    response = invoke(event)
    assert response.status == 200, response.text
    tokens = response.json()
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] > 0
    assert jwt.get_unverified_claims(tokens["idToken"])["sub"] == member.sub
    assert response.headers["x-request-id"] == request_id(event)
    me = client.get("/v1/users/me", headers={"Authorization": f"Bearer {tokens['idToken']}"})
    assert me.status_code == 200
    assert me.json()["userId"] == member.sub


def test_login_with_a_wrong_password_in_a_base64_body(invoke: Invoke, member: SignedInUser) -> None:
    event = load_event("public-post-login-base64.json")
    set_json_body(event, {"email": member.email, "password": PASSWORD + "x"})
    assert_problem(invoke(event), event, 401, "invalid_credentials")


def test_malformed_base64_json_body_is_400(invoke: Invoke) -> None:
    event = load_event("public-post-login-base64.json")
    event["body"] = base64.b64encode(b'{"email": "member@example.com", ').decode()
    assert_problem(invoke(event), event, 400, "validation_error")


def test_cors_preflight(invoke: Invoke) -> None:
    event = load_event("cors-preflight.json")
    response = invoke(event)
    assert response.status == 200, response.text
    headers = response.headers
    assert headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in headers["access-control-allow-methods"]
    allowed = header_set(headers["access-control-allow-headers"])
    assert {"authorization", "content-type", "if-match"} <= allowed
    assert headers["access-control-max-age"] == "600"
    assert headers["x-request-id"] == request_id(event)


def test_cors_preflight_from_another_origin_is_refused(invoke: Invoke) -> None:
    event = load_event("cors-preflight.json")
    set_header(event, "Origin", "https://evil.example")
    response = invoke(event)
    assert response.status == 400
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["x-request-id"] == request_id(event)


# --- defence in depth: the authorizer's claims are never trusted --------------------------------


def _forged_owner_token(user: SignedInUser) -> str:
    """The user's real ID token with its payload swapped for one claiming the owner group."""
    header, _, signature = user.id_token.split(".")
    claims = jwt.get_unverified_claims(user.id_token) | {"cognito:groups": ["owner"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("name", ["user-get-me.json", "owner-post-logout.json"])
def test_forged_token_is_401_despite_authorizer_claims(
    invoke: Invoke, client: TestClient, member: SignedInUser, name: str
) -> None:
    event = load_event(name, _forged_owner_token(member))
    assert event["requestContext"]["authorizer"]["claims"]["token_use"] == "id"
    response = invoke(event)
    assert_problem(response, event, 401, "unauthorized")
    # Nothing happened on the member's behalf: their refresh token still works.
    refreshed = client.post("/v1/auth/refresh", json={"refreshToken": member.refresh_token})
    assert refreshed.status_code == 200


@pytest.mark.parametrize("name", ["user-get-me.json", "owner-post-logout.json"])
def test_authorizer_claims_without_a_token_are_401(invoke: Invoke, name: str) -> None:
    event = load_event(name, "unused")
    set_header(event, "Authorization", None)
    assert_problem(invoke(event), event, 401, "unauthorized")


def test_problem_bodies_reach_api_gateway_as_text(invoke: Invoke) -> None:
    """API Gateway (REST, no binary media types in template.yaml) passes a base64 body through
    undecoded, so a problem+json answer flagged `isBase64Encoded` reaches the client as base64."""
    event = load_event("user-get-me.json", "not-a-token")
    response = invoke(event)
    assert response.status == 401
    assert response.raw["isBase64Encoded"] is False, response.raw["body"]
    assert json.loads(response.raw["body"])["code"] == "unauthorized"


# --- every event in events/ is exercised --------------------------------------------------------

EXPECTED_STATUS = {
    "cors-preflight.json": 200,
    "owner-post-logout.json": 204,
    "public-get-health.json": 200,
    "public-post-login-base64.json": 200,
    "stage-prefixed-docs.json": 200,
    "stage-prefixed-openapi.json": 200,
    "user-get-me.json": 200,
}
EVENT_FILES = sorted(EVENTS_DIR.glob("*.json"))


def test_every_event_file_has_an_expected_status() -> None:
    assert EVENT_FILES, f"no events in {EVENTS_DIR}"
    assert {path.name for path in EVENT_FILES} == set(EXPECTED_STATUS)


@pytest.mark.parametrize("path", EVENT_FILES, ids=[p.name for p in EVENT_FILES])
def test_every_event_runs_through_the_handler(
    invoke: Invoke, member: SignedInUser, owner: SignedInUser, path: Path
) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))  # valid JSON, before any substitution
    assert "version" not in raw  # REST (payload v1), which Mangum tells apart by this
    context = raw["requestContext"]
    assert context["stage"] == "prod"
    assert context["path"] == f"/prod{raw['path']}"
    assert context["requestId"]
    assert context["identity"]["sourceIp"]
    assert raw["httpMethod"] == context["httpMethod"]
    assert {k.lower() for k in raw["headers"]} == {k.lower() for k in raw["multiValueHeaders"]}
    user = owner if path.name.startswith("owner-") else member
    event = load_event(path.name, user.id_token)
    response = invoke(event)
    assert response.status < 500, response.text
    assert response.status == EXPECTED_STATUS.get(path.name), response.text
    assert response.headers["x-request-id"] == context["requestId"]

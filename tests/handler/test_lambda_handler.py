"""The Lambda entry point: API Gateway REST (payload v1) proxy events from `events/`, via Mangum.

Each event is what API Gateway hands the function behind the `prod` stage: `path` without the
stage, `requestContext.path` with it, and for the authorizer-guarded routes the authorizer's
claims. The app still verifies the bearer token itself, so `{{ID_TOKEN}}` is replaced with a
fresh token of a fixture user before the event is sent.

The file names say the route kind: `public-*` (no token), `optional-auth-*` (a public route
called with a member's token; no authorizer at the gateway, so no claims), `user-*` and `owner-*`
(behind the Cognito authorizer; sent with a member's or the owner's token), `stage-prefixed-*`
and `cors-preflight`.
"""

import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from mangum.types import LambdaCognitoIdentity, LambdaMobileClientContext

from portfolio_api.content.collections import BLOG_POSTS
from tests.conftest import ORIGIN, PASSWORD, SignedInUser
from tests.factories import titled
from tests.infra.test_template import template

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
TOKEN_PLACEHOLDER = "{{ID_TOKEN}}"
EVENT_FILES = sorted(EVENTS_DIR.glob("*.json"))


def _has_claims(path: Path) -> bool:
    context = json.loads(path.read_text(encoding="utf-8"))["requestContext"]
    return "claims" in (context.get("authorizer") or {})


AUTHORIZED_EVENTS = [path.name for path in EVENT_FILES if _has_claims(path)]
"""The events of routes behind the Cognito authorizer: they carry its claims."""
OWNER_EVENTS = [name for name in AUTHORIZED_EVENTS if name.startswith("owner-")]
"""The events sent with the owner's token (whose claims name the `owner` group)."""
OWNER_ONLY_ROUTE_EVENTS = ["owner-post-blog-post.json", "owner-post-product-stock.json"]
"""Those of routes that only the owner may call (logout is a *user* route the owner calls)."""


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
        return 28_000  # template.yaml's Timeout


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


def test_owner_logout_is_204_and_ends_the_session(
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
    # The gateway's authorizer would still let the token through (it cannot know of the
    # logout); the function refuses it, on a user route and a public one alike.
    for name in ("user-get-me.json", "optional-auth-get-blog-posts.json"):
        after = load_event(name, owner.id_token)
        assert_problem(invoke(after), after, 401, "unauthorized")


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
    assert_problem(response, event, 403, "forbidden")
    assert response.json()["errors"][0]["field"] == "Origin"
    assert not [name for name in response.headers if name.startswith("access-control-allow")]


# --- optional auth: a public route read with a member's token ----------------------------------


def _publish_post(client: TestClient, owner: SignedInUser, title: str) -> dict[str, Any]:
    created = client.post(
        "/v1/blog/posts",
        json=titled(BLOG_POSTS, title, status="published"),
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    post: dict[str, Any] = created.json()
    return post


def set_query(event: dict[str, Any], **params: str) -> None:
    """Replace the query string in both of the event's maps, as API Gateway fills them."""
    event["queryStringParameters"] = dict(params) or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()} or None


def test_blog_list_with_a_members_token(
    invoke: Invoke, client: TestClient, owner: SignedInUser, member: SignedInUser
) -> None:
    post = _publish_post(client, owner, "Lambda cold starts")
    event = load_event("optional-auth-get-blog-posts.json", member.id_token)
    assert "authorizer" not in event["requestContext"]  # no authorizer on a public route
    assert event["queryStringParameters"] == {"limit": "10"}
    response = invoke(event)
    assert response.status == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"items", "nextCursor"}
    assert [item["id"] for item in body["items"]] == [post["id"]]
    assert body["items"][0]["status"] == "published"
    assert body["nextCursor"] is None
    assert response.headers["x-request-id"] == request_id(event)
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_blog_list_query_string_reaches_the_app(
    invoke: Invoke, client: TestClient, owner: SignedInUser, member: SignedInUser
) -> None:
    for title in ("First post", "Second post"):
        _publish_post(client, owner, title)
    event = load_event("optional-auth-get-blog-posts.json", member.id_token)
    set_query(event, limit="1")
    body = invoke(event).json()
    assert len(body["items"]) == 1
    assert body["nextCursor"]


def test_blog_list_drafts_are_403_for_the_member_whose_token_was_read(
    invoke: Invoke, member: SignedInUser
) -> None:
    """403, not 401: the optional token was verified and names a member, not the owner."""
    event = load_event("optional-auth-get-blog-posts.json", member.id_token)
    set_query(event, status="draft")
    assert_problem(invoke(event), event, 403, "forbidden")


def test_the_owners_combined_filter_on_drafts_through_the_handler(
    invoke: Invoke, client: TestClient, owner: SignedInUser
) -> None:
    """`status=draft&category=…&tag=…` from the owner's admin screen, paged with its cursor."""
    wanted: list[str] = []
    for n in range(3):
        body = titled(BLOG_POSTS, f"Draft {n}", category="News", tags=["aws"] if n else ["go"])
        created = client.post("/v1/blog/posts", json=body, headers=owner.headers)
        assert created.status_code == 201, created.text
        if n:
            wanted.insert(0, created.json()["id"])
    event = load_event("optional-auth-get-blog-posts.json", owner.id_token)
    set_query(event, status="draft", category="news", tag="AWS", limit="1")
    first = invoke(event)
    assert first.status == 200, first.text
    set_query(
        event,
        status="draft",
        category="news",
        tag="AWS",
        limit="1",
        cursor=first.json()["nextCursor"],
    )
    second = invoke(event).json()
    assert [first.json()["items"][0]["id"], second["items"][0]["id"]] == wanted
    assert second["nextCursor"] is None
    set_header(event, "Authorization", None)  # drafts stay the owner's
    assert_problem(invoke(event), event, 401, "unauthorized")


def test_blog_list_with_an_invalid_token_is_401_and_without_one_200(invoke: Invoke) -> None:
    event = load_event("optional-auth-get-blog-posts.json", "not-a-token")
    assert_problem(invoke(event), event, 401, "unauthorized")
    set_header(event, "Authorization", None)
    response = invoke(event)
    assert response.status == 200, response.text
    assert response.json() == {"items": [], "nextCursor": None}


# --- user routes: a member's tasks ----------------------------------------------------------------


def test_member_creates_a_task_and_finds_it_in_their_list(
    invoke: Invoke, member: SignedInUser
) -> None:
    create = load_event("user-post-task.json", member.id_token)
    sent = json.loads(create["body"])
    created = invoke(create)
    assert created.status == 201, created.text
    task = created.json()
    assert {key: task[key] for key in sent} == sent
    assert task["status"] == "pending"
    assert task["completedAt"] is None
    assert task["version"] == 1
    assert created.headers["location"] == f"/prod/v1/tasks/{task['id']}"
    assert created.headers["etag"] == '"1"'
    assert created.headers["x-request-id"] == request_id(create)
    assert created.headers["access-control-allow-origin"] == ORIGIN

    listing = load_event("user-get-tasks.json", member.id_token)
    assert listing["queryStringParameters"] == {"status": "pending"}
    listed = invoke(listing)
    assert listed.status == 200, listed.text
    page = listed.json()
    assert page == {"items": [task], "nextCursor": None}
    assert listed.headers["x-request-id"] == request_id(listing)
    assert listed.headers["access-control-allow-origin"] == ORIGIN


def test_retried_task_event_creates_one_task(invoke: Invoke, member: SignedInUser) -> None:
    """The event carries an Idempotency-Key: a Lambda or client retry replays the first answer."""
    event = load_event("user-post-task.json", member.id_token)
    first = invoke(event)
    again = invoke(load_event("user-post-task.json", member.id_token))
    assert first.status == again.status == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    listed = invoke(load_event("user-get-tasks.json", member.id_token)).json()
    assert [item["id"] for item in listed["items"]] == [first.json()["id"]]


def test_tasks_follow_the_token_not_the_authorizer_claims(
    invoke: Invoke, make_user: Callable[..., SignedInUser], member: SignedInUser
) -> None:
    """Another user's token on an event whose claims name the member: the token decides."""
    assert invoke(load_event("user-post-task.json", member.id_token)).status == 201
    other = make_user("other@example.com")
    listed = invoke(load_event("user-get-tasks.json", other.id_token))
    assert listed.status == 200, listed.text
    assert listed.json() == {"items": [], "nextCursor": None}


# --- owner routes ---------------------------------------------------------------------------------


def test_owner_publishes_a_post(invoke: Invoke, client: TestClient, owner: SignedInUser) -> None:
    event = load_event("owner-post-blog-post.json", owner.id_token)
    assert event["requestContext"]["authorizer"]["claims"]["cognito:groups"] == "owner"
    sent = json.loads(event["body"])
    response = invoke(event)
    assert response.status == 201, response.text
    post = response.json()
    assert post["title"] == sent["title"]
    assert post["slug"] == "deploying-fastapi-on-lambda-with-sam"
    assert post["status"] == "published"
    assert post["publishedAt"]
    assert post["tags"] == sent["tags"]
    assert post["readingTimeMinutes"] == 1
    assert post["views"] == 0
    assert response.headers["location"] == f"/prod/v1/blog/posts/{post['id']}"
    assert response.headers["etag"] == f'"{post["version"]}"'
    assert response.headers["x-request-id"] == request_id(event)
    assert response.headers["access-control-allow-origin"] == ORIGIN
    # The post exists: public readers find it by slug and in the list.
    fetched = client.get(f"/v1/blog/posts/{post['slug']}")
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["id"] == post["id"]
    listed = client.get("/v1/blog/posts").json()
    assert [item["id"] for item in listed["items"]] == [post["id"]]


def test_owner_post_retried_creates_one_post(
    invoke: Invoke, client: TestClient, owner: SignedInUser
) -> None:
    first = invoke(load_event("owner-post-blog-post.json", owner.id_token))
    again = invoke(load_event("owner-post-blog-post.json", owner.id_token))
    assert first.status == again.status == 201
    assert again.json()["id"] == first.json()["id"]
    assert len(client.get("/v1/blog/posts").json()["items"]) == 1


def _create_product(client: TestClient, owner: SignedInUser) -> dict[str, Any]:
    created = client.post(
        "/v1/products",
        json={
            "id": "PROD001",
            "name": "Serverless mug",
            "category": "merch",
            "price": 12.5,
            "stock": 10,
        },
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    product: dict[str, Any] = created.json()
    return product


def test_owner_adjusts_stock(invoke: Invoke, client: TestClient, owner: SignedInUser) -> None:
    before = _create_product(client, owner)
    event = load_event("owner-post-product-stock.json", owner.id_token)
    assert event["pathParameters"] == {"productId": before["id"]}
    assert json.loads(event["body"]) == {"delta": -2}
    response = invoke(event)
    assert response.status == 200, response.text
    product = response.json()
    assert product["id"] == "PROD001"
    assert product["stock"] == 8
    assert product["version"] == before["version"] + 1
    assert response.headers["etag"] == f'"{product["version"]}"'
    assert response.headers["x-request-id"] == request_id(event)
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert client.get("/v1/products/PROD001").json()["stock"] == 8


def test_stock_below_zero_is_409_and_changes_nothing(
    invoke: Invoke, client: TestClient, owner: SignedInUser
) -> None:
    _create_product(client, owner)
    event = load_event("owner-post-product-stock.json", owner.id_token)
    set_json_body(event, {"delta": -11})
    assert_problem(invoke(event), event, 409, "insufficient_stock")
    assert client.get("/v1/products/PROD001").json()["stock"] == 10


def test_every_owner_event_is_classified() -> None:
    """A new `owner-*` event must be added to OWNER_ONLY_ROUTE_EVENTS or declared a user route."""
    assert set(OWNER_EVENTS) - set(OWNER_ONLY_ROUTE_EVENTS) == {"owner-post-logout.json"}


@pytest.mark.parametrize("name", OWNER_ONLY_ROUTE_EVENTS)
def test_a_members_token_on_an_owner_event_is_403(
    invoke: Invoke, client: TestClient, owner: SignedInUser, member: SignedInUser, name: str
) -> None:
    """The claims say `cognito:groups: owner`; the member's verified token decides."""
    _create_product(client, owner)
    event = load_event(name, member.id_token)
    assert event["requestContext"]["authorizer"]["claims"]["cognito:groups"] == "owner"
    assert_problem(invoke(event), event, 403, "forbidden")
    assert client.get("/v1/blog/posts").json()["items"] == []
    assert client.get("/v1/products/PROD001").json()["stock"] == 10


# --- analytics: a browser's visit -------------------------------------------------------------


def test_visit_is_counted_once_per_visitor(invoke: Invoke, client: TestClient) -> None:
    event = load_event("public-post-visitors-track.json")
    assert event["headers"]["User-Agent"].startswith("Mozilla/5.0")
    assert "Authorization" not in event["headers"]
    response = invoke(event)
    assert response.status == 200, response.text
    assert response.json() == {"counted": True}
    assert response.headers["x-request-id"] == request_id(event)
    assert response.headers["access-control-allow-origin"] == ORIGIN
    # The same browser again: not counted twice in a day.
    assert invoke(load_event("public-post-visitors-track.json")).json() == {"counted": False}
    assert client.get("/v1/visitors/count").json() == {"total": 1, "today": 1}


def test_visitor_is_told_apart_by_source_ip_not_forwarded_for(
    invoke: Invoke, client: TestClient
) -> None:
    """With no trusted proxy hops, `X-Forwarded-For` (which any client can write) is ignored and
    API Gateway's `requestContext.identity.sourceIp` identifies the visitor."""
    assert invoke(load_event("public-post-visitors-track.json")).json() == {"counted": True}
    spoofed = load_event("public-post-visitors-track.json")
    set_header(spoofed, "X-Forwarded-For", "198.51.100.7, 130.176.1.12")
    assert invoke(spoofed).json() == {"counted": False}
    other = load_event("public-post-visitors-track.json")
    other["requestContext"]["identity"]["sourceIp"] = "198.51.100.7"
    assert invoke(other).json() == {"counted": True}
    assert client.get("/v1/visitors/count").json() == {"total": 2, "today": 2}


def test_visit_from_a_crawler_is_not_counted(invoke: Invoke, client: TestClient) -> None:
    event = load_event("public-post-visitors-track.json")
    set_header(event, "User-Agent", "Mozilla/5.0 (compatible; bingbot/2.0)")
    event["requestContext"]["identity"]["userAgent"] = "Mozilla/5.0 (compatible; bingbot/2.0)"
    assert invoke(event).json() == {"counted": False}
    assert client.get("/v1/visitors/count").json() == {"total": 0, "today": 0}


# --- defence in depth: the authorizer's claims are never trusted --------------------------------


def _forged_owner_token(user: SignedInUser) -> str:
    """The user's real ID token with its payload swapped for one claiming the owner group."""
    header, _, signature = user.id_token.split(".")
    claims = jwt.get_unverified_claims(user.id_token) | {"cognito:groups": ["owner"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("name", AUTHORIZED_EVENTS)
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


@pytest.mark.parametrize("name", AUTHORIZED_EVENTS)
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
    "optional-auth-get-blog-posts.json": 200,
    "owner-post-blog-post.json": 201,
    "owner-post-logout.json": 204,
    "owner-post-product-stock.json": 200,
    "public-get-health.json": 200,
    "public-post-login-base64.json": 200,
    "public-post-visitors-track.json": 200,
    "stage-prefixed-docs.json": 200,
    "stage-prefixed-openapi.json": 200,
    "user-get-me.json": 200,
    "user-get-tasks.json": 200,
    "user-post-task.json": 201,
}
PREPARE: dict[str, Callable[[TestClient, SignedInUser], object]] = {
    "owner-post-product-stock.json": _create_product,
}
"""What must exist before an event can succeed (called with the test client and the owner)."""
EXPECTED_KEYS = {
    "optional-auth-get-blog-posts.json": {"items", "nextCursor"},
    "owner-post-blog-post.json": {"id", "slug", "status", "title", "version", "views"},
    "owner-post-product-stock.json": {"id", "name", "price", "stock", "version", "views"},
    "public-get-health.json": {"status", "version", "environment"},
    "public-post-login-base64.json": {"idToken", "accessToken", "refreshToken", "expiresIn"},
    "public-post-visitors-track.json": {"counted"},
    "stage-prefixed-openapi.json": {"openapi", "info", "paths", "servers"},
    "user-get-me.json": {"userId", "email", "groups", "isOwner", "version"},
    "user-get-tasks.json": {"items", "nextCursor"},
    "user-post-task.json": {"id", "title", "status", "priority", "completedAt", "version"},
}
"""Keys each JSON answer must have (events answered with no body or HTML are not listed)."""
ROUTE_KINDS = {
    "public": lambda e: e["name"].startswith("public-") and not e["claims"],
    "optional auth": lambda e: e["name"].startswith("optional-auth-") and e["token"],
    "user": lambda e: e["name"].startswith("user-") and e["claims"],
    "owner": lambda e: e["name"].startswith("owner-") and e["groups"] == "owner",
    "stage-prefixed path": lambda e: e["name"].startswith("stage-prefixed-"),
    "base64 body": lambda e: e["base64"],
    "CORS preflight": lambda e: e["method"] == "OPTIONS",
    "analytics track": lambda e: e["path"] == "/v1/visitors/track",
}


def _summary(path: Path) -> dict[str, Any]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    claims = (raw["requestContext"].get("authorizer") or {}).get("claims")
    return {
        "name": path.name,
        "method": raw["httpMethod"],
        "path": raw["path"],
        "claims": claims,
        "groups": (claims or {}).get("cognito:groups"),
        "token": TOKEN_PLACEHOLDER in json.dumps(raw["headers"]),
        "base64": raw["isBase64Encoded"],
    }


def test_every_event_file_has_an_expected_status() -> None:
    assert EVENT_FILES, f"no events in {EVENTS_DIR}"
    assert {path.name for path in EVENT_FILES} == set(EXPECTED_STATUS)


def test_the_events_cover_every_route_kind() -> None:
    summaries = [_summary(path) for path in EVENT_FILES]
    for kind, matches in ROUTE_KINDS.items():
        assert [s["name"] for s in summaries if matches(s)], f"no event for a {kind} route"
    for summary in summaries:
        name = summary["name"]
        # Claims only where the gateway's authorizer runs, i.e. on user and owner routes.
        assert bool(summary["claims"]) == name.startswith(("user-", "owner-")), name
        if summary["claims"]:
            assert summary["token"], f"{name}: the authorizer only passes requests with a token"


def test_request_ids_are_unique() -> None:
    ids = [json.loads(p.read_text())["requestContext"]["requestId"] for p in EVENT_FILES]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("name", AUTHORIZED_EVENTS)
def test_authorizer_claims_are_shaped_as_api_gateway_sends_them(name: str) -> None:
    """A REST API's Cognito authorizer hands the ID token's claims over as strings: numbers,
    booleans and the group list included (one group is just its name), dates spelled out."""
    claims = json.loads((EVENTS_DIR / name).read_text())["requestContext"]["authorizer"]["claims"]
    assert all(isinstance(value, str) for value in claims.values()), claims
    assert claims["token_use"] == "id"
    assert claims["email_verified"] in {"true", "false"}
    assert claims["auth_time"].isdigit()
    assert claims["iss"].startswith("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_")
    assert claims["sub"] == claims["cognito:username"]
    for instant in ("iat", "exp"):
        datetime.strptime(claims[instant], "%a %b %d %H:%M:%S UTC %Y")  # e.g. Sat Nov 21 ...
    if name.startswith("owner-"):
        assert claims["cognito:groups"] == "owner"
    else:
        assert "cognito:groups" not in claims  # Cognito leaves it out for a user in no group


@pytest.mark.parametrize("path", EVENT_FILES, ids=[p.name for p in EVENT_FILES])
def test_event_is_shaped_as_api_gateway_sends_it(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))  # valid JSON, before any substitution
    assert "version" not in raw  # REST (payload v1), which Mangum tells apart by this
    context = raw["requestContext"]
    assert context["stage"] == "prod"
    assert context["path"] == f"/prod{raw['path']}"
    assert context["requestId"]
    assert context["identity"]["sourceIp"]
    assert raw["httpMethod"] == context["httpMethod"]
    assert raw["resource"] == context["resourcePath"]
    headers, multi = raw["headers"], raw["multiValueHeaders"]
    assert {k.lower() for k in headers} == {k.lower() for k in multi}
    assert all(multi[k] == [v] for k, v in headers.items()), "the two header maps disagree"
    assert context["identity"]["userAgent"] == headers["User-Agent"]
    query, multi_query = raw["queryStringParameters"], raw["multiValueQueryStringParameters"]
    assert (query is None) == (multi_query is None)
    assert all(multi_query[k] == [v] for k, v in (query or {}).items())
    # The resource template and the path parameters agree with the path.
    resource = raw["resource"]
    if resource == "/{proxy+}":
        assert raw["pathParameters"] == {"proxy": raw["path"].removeprefix("/")}
    else:
        params = raw["pathParameters"] or {}
        filled = resource
        for key, value in params.items():
            filled = filled.replace(f"{{{key}}}", value)
        assert filled == raw["path"], (resource, params)
    if raw["body"] is None:
        assert "Content-Length" not in headers
    else:
        body = base64.b64decode(raw["body"]) if raw["isBase64Encoded"] else raw["body"].encode()
        assert headers["Content-Length"] == str(len(body))
        json.loads(body)


def _gateway_paths() -> dict[str, Any]:
    """The OpenAPI paths of the template's REST API (its DefinitionBody)."""
    apis = [
        found["Properties"]["DefinitionBody"]
        for found in template()["Resources"].values()
        if found["Type"] == "AWS::Serverless::Api" and "DefinitionBody" in found["Properties"]
    ]
    assert len(apis) == 1, "expected one API with a DefinitionBody in template.yaml"
    paths: dict[str, Any] = apis[0]["paths"]
    return paths


@pytest.mark.parametrize("path", EVENT_FILES, ids=[p.name for p in EVENT_FILES])
def test_event_matches_a_route_of_the_template(path: Path) -> None:
    """`resource` is a path of the deployed API with the event's method, and the event carries
    authorizer claims exactly when that method is behind the Cognito authorizer."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    paths = _gateway_paths()
    assert raw["resource"] in paths, f"{raw['resource']} is not a path in template.yaml"
    methods = paths[raw["resource"]]
    method = raw["httpMethod"].lower()
    assert method in methods, f"template.yaml has no {raw['httpMethod']} {raw['resource']}"
    secured = bool(methods[method].get("security"))
    assert secured == _has_claims(path), (
        f"{path.name}: the gateway {'does' if secured else 'does not'} run the authorizer here"
    )


@pytest.mark.parametrize("path", EVENT_FILES, ids=[p.name for p in EVENT_FILES])
def test_every_event_runs_through_the_handler(
    invoke: Invoke, client: TestClient, member: SignedInUser, owner: SignedInUser, path: Path
) -> None:
    prepare = PREPARE.get(path.name)
    if prepare is not None:
        prepare(client, owner)
    user = owner if path.name.startswith("owner-") else member
    event = load_event(path.name, user.id_token)
    response = invoke(event)
    assert response.status < 500, response.text
    assert response.status == EXPECTED_STATUS[path.name], response.text
    assert response.headers["x-request-id"] == request_id(event)
    assert response.raw["isBase64Encoded"] is False
    if "Origin" in event["headers"]:
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert "origin" in header_set(response.headers.get("vary", ""))
    if path.name in EXPECTED_KEYS:
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        missing = EXPECTED_KEYS[path.name] - set(body)
        assert not missing, f"{path.name}: {sorted(missing)} missing from {body}"


# --- caching headers, as through the gateway --------------------------------------------------


@pytest.mark.parametrize(
    ("event_name", "with_token", "expected"),
    [
        ("optional-auth-get-blog-posts.json", False, "public, max-age=60"),
        ("optional-auth-get-blog-posts.json", True, "private, no-store"),
        ("user-get-me.json", True, "private, no-store"),
        ("public-post-visitors-track.json", False, "no-store"),
    ],
)
def test_the_same_headers_through_the_lambda_handler(
    invoke: Invoke, member: SignedInUser, event_name: str, with_token: bool, expected: str
) -> None:
    event = load_event(event_name, member.id_token)
    if not with_token:
        set_header(event, "Authorization", None)
    response = invoke(event)
    assert response.status < 500, response.raw
    assert response.headers["cache-control"] == expected
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers


# --- the entry module -----------------------------------------------------------------------


def _import_bare(module: str) -> subprocess.CompletedProcess[str]:
    """Import `module` in a fresh interpreter whose environment holds nothing but PATH."""
    return subprocess.run(
        [sys.executable, "-I", "-c", f"import {module}"],
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_only_the_entry_module_needs_the_environment() -> None:
    """Tools and tests import the app factory bare; the Lambda entry point reads its settings at
    import, as the init does, and without them fails there, naming what is missing."""
    factory = _import_bare("portfolio_api.main")
    assert factory.returncode == 0, factory.stderr
    entry = _import_bare("portfolio_api.lambda_handler")
    assert entry.returncode != 0
    assert "DYNAMODB_TABLE_NAME is missing" in entry.stderr, entry.stderr

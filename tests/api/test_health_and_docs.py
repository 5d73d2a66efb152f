"""Health, the OpenAPI document, docs pages, and the HTTP conventions every route shares."""

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import NoMatchFound

from portfolio_api.api.deferred import DeferredRouters
from portfolio_api.local.stack import LocalStack
from portfolio_api.main import create_app
from tests.conftest import ORIGIN, make_settings


def test_health_reports_version_and_environment(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0", "environment": "test"}
    assert response.headers["x-request-id"]


def test_health_ignores_credentials(client: TestClient) -> None:
    response = client.get("/health", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 200


def test_openapi_lists_health_and_auth_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/health" in paths
    assert "/v1/auth/login" in paths
    assert "patch" in paths["/v1/users/me"]


def test_docs_pages_load_the_spec(client: TestClient) -> None:
    assert "/openapi.json" in client.get("/docs").text
    assert "/openapi.json" in client.get("/redoc").text


def test_unknown_route_is_a_problem_404(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["requestId"] == response.headers["x-request-id"]
    assert set(body) >= {"type", "title", "status", "detail", "code", "requestId"}


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.delete("/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"] == "application/problem+json"


def test_body_over_one_mebibyte_is_413_before_auth(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/logout",
        content=b"{" + b" " * (1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks():  # no Content-Length: the limit must hold while reading
        for _ in range(17):
            yield b" " * 65536

    response = client.post(
        "/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_malformed_json_is_a_validation_error(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_unknown_fields_are_rejected(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/login", json={"email": "a@example.com", "password": "x", "remember": True}
    )
    assert response.status_code == 400
    assert {"field": "remember", "message": "unknown field"} in response.json()["errors"]


def test_cors_headers_on_errors_and_preflight(client: TestClient) -> None:
    error = client.get("/v1/users/me", headers={"Origin": ORIGIN})
    assert error.status_code == 401
    assert error.headers["access-control-allow-origin"] == ORIGIN
    exposed = error.headers["access-control-expose-headers"].lower()
    for header in ("etag", "location", "x-request-id", "retry-after"):
        assert header in exposed

    preflight = client.options(
        "/v1/users/me",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,if-match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["x-request-id"]


def test_foreign_origin_gets_no_cors_grant(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_unexpected_exception_is_a_bare_500(client: TestClient, monkeypatch) -> None:
    from portfolio_api.services.users import UserService

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals: arn:aws:dynamodb:...")

    monkeypatch.setattr(UserService, "get_me", explode)
    from portfolio_api.core.security import Principal, TokenVerifier

    monkeypatch.setattr(
        TokenVerifier,
        "verify",
        lambda *_: Principal("sub", "a@example.com", (), "id", False),
    )
    response = client.get("/v1/users/me", headers={"Authorization": "Bearer x", "Origin": ORIGIN})
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert "secret" not in response.text and "arn:" not in response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert body["requestId"] == response.headers["x-request-id"]


def test_any_origin_policy_grants_every_origin_and_echoes_none(stack: LocalStack) -> None:
    client = TestClient(create_app(make_settings(stack, cors_allow_origins=("*",))))
    simple = client.get("/health", headers={"Origin": "https://anywhere.example"})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    assert simple.headers["vary"] == "Origin"
    preflight = client.options(
        "/v1/blog/posts",
        headers={"Origin": "https://anywhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.text == "OK"
    refused = client.options(
        "/v1/blog/posts",
        headers={
            "Origin": "https://anywhere.example",
            "Access-Control-Request-Method": "TRACE",
            "Access-Control-Request-Headers": "x-secret",
        },
    )
    assert refused.status_code == 403
    assert [e["field"] for e in refused.json()["errors"]] == [
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
    ]
    assert refused.headers["x-request-id"]


GRANTS = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-private-network",
    "access-control-max-age",
    "access-control-expose-headers",
)


@pytest.mark.parametrize(
    ("asked", "field", "reason"),
    [
        ({"Origin": "https://evil.example"}, "Origin", "https://evil.example is not allowed"),
        ({"Access-Control-Request-Method": "TRACE"}, "Access-Control-Request-Method", "TRACE"),
        (
            {"Access-Control-Request-Headers": "content-type, X-Secret"},
            "Access-Control-Request-Headers",
            "not allowed: X-Secret",
        ),
        (
            {"Access-Control-Request-Private-Network": "true"},
            "Access-Control-Request-Private-Network",
            "not granted",
        ),
    ],
)
def test_a_refused_preflight_is_a_problem_that_grants_nothing(
    client: TestClient, asked: dict[str, str], field: str, reason: str
) -> None:
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST", **asked}
    refused = client.options("/v1/blog/posts", headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["code"] == "forbidden"
    assert body["requestId"] == refused.headers["x-request-id"]
    assert [e["field"] for e in body["errors"]] == [field]
    assert reason in body["errors"][0]["message"] and reason in body["detail"]
    assert not [name for name in GRANTS if name in refused.headers]
    assert "Origin" in refused.headers["vary"]
    assert refused.headers["cache-control"] == "no-store"
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_a_response_without_origin_still_varies_on_it(client: TestClient) -> None:
    """Caches must not hand a granted answer to another origin, nor an ungranted one to ours."""
    assert client.get("/health").headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in client.get("/health").headers


def test_account_routes_load_with_their_first_request(app: FastAPI, client: TestClient) -> None:
    def paths() -> set[str]:
        return {getattr(route, "path", "") for route in iter_route_contexts(app.routes)}

    assert "/v1/tasks" not in paths()
    assert any(isinstance(route, DeferredRouters) for route in app.routes)
    with pytest.raises(NoMatchFound):  # the placeholder answers name look-ups as routes do
        app.url_path_for("no-such-route")
    first = client.get("/v1/tasks")  # the first request under the prefix loads the routers
    assert first.status_code == 401
    assert first.json()["code"] == "unauthorized"
    assert {"/v1/tasks", "/v1/auth/login", "/v1/users/me"} <= paths()
    assert not any(isinstance(route, DeferredRouters) for route in app.routes)
    assert client.get("/v1/tasks/nothing/here/at/all").status_code == 404
    assert client.put("/v1/tasks").status_code == 405


def test_the_document_lists_deferred_routes_before_any_request(app: FastAPI) -> None:
    document = app.openapi()
    assert {"/v1/tasks", "/v1/auth/login", "/v1/users/me"} <= set(document["paths"])
    assert [tag["name"] for tag in document["tags"]][:4] == ["health", "auth", "users", "tasks"]
    assert app.url_path_for("get_health") == "/health"

"""Answers a cache cannot misuse, on every route: `private, no-store` whenever a token was sent,
a short public max-age (varying on `Authorization`) for anonymous reads that succeeded,
`no-store` for the rest; `nosniff` everywhere; no server or framework banner.
"""

import re
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from portfolio_api.api.deferred import load_deferred_routes
from portfolio_api.local.stack import LocalStack
from portfolio_api.main import create_app
from tests.conftest import ORIGIN, SignedInUser, make_settings

BANNERS = ("server", "x-powered-by", "x-aspnet-version")
PARAMETER = re.compile(r"\{[^}]+\}")


def operations(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every method and path the app serves, each path parameter filled with a plain value."""
    load_deferred_routes(app.router)
    for route in iter_route_contexts(app.routes):
        if route.methods:
            for method in sorted(route.methods - {"HEAD"}):
                yield method, PARAMETER.sub("unknown-1", route.path)


def send(client: TestClient, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, path, json=body, headers={"Origin": ORIGIN, **headers})


def assert_no_banner_and_nosniff(response: httpx.Response, where: str) -> None:
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert not [name for name in BANNERS if name in response.headers], where


def vary(response: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("vary", "").split(",") if v.strip()}


def test_every_route_answers_with_safe_caching_headers(
    client: TestClient, app: FastAPI, member: SignedInUser
) -> None:
    seen = {"public": 0, "no-store": 0, "private": 0}
    for method, path in operations(app):
        where = f"{method} {path}"
        # Anonymous: a read that succeeded may be cached by anyone, briefly; nothing else is
        anonymous = send(client, method, path, {})
        assert_no_banner_and_nosniff(anonymous, where)
        cache_control = anonymous.headers["cache-control"]
        if method == "GET" and anonymous.status_code in (200, 301, 304) and path != "/health":
            assert cache_control == "public, max-age=60", where
            assert {"authorization", "origin"} <= vary(anonymous), where
            seen["public"] += 1
        else:
            assert cache_control == "no-store", (where, anonymous.status_code)
            seen["no-store"] += 1
        # With a token, valid or not, whatever the answer: kept by nobody
        for token in (member.id_token, "not-a-token"):
            signed = send(client, method, path, {"Authorization": f"Bearer {token}"})
            assert_no_banner_and_nosniff(signed, where)
            assert signed.headers["cache-control"] == "private, no-store", (
                where,
                signed.status_code,
            )
            seen["private"] += 1
    # Every kind was met: public lists, docs and the document, refused or failed anonymous
    # calls, and every route with a token
    assert seen["public"] >= 10 and seen["no-store"] >= 30, seen


def test_health_is_never_cached(client: TestClient) -> None:
    assert client.get("/health").headers["cache-control"] == "no-store"


def test_the_public_max_age_is_configurable(stack: LocalStack) -> None:
    client = TestClient(create_app(make_settings(stack, public_max_age=300)))
    assert client.get("/v1/blog/posts").headers["cache-control"] == "public, max-age=300"
    client = TestClient(create_app(make_settings(stack, public_max_age=0)))
    # 0: a cache may keep the answer but must ask again (a 304 while the ETag holds)
    listed = client.get("/v1/blog/posts")
    assert listed.headers["cache-control"] == "no-cache"
    again = client.get("/v1/blog/posts", headers={"If-None-Match": listed.headers["etag"]})
    assert (again.status_code, again.headers["cache-control"]) == (304, "no-cache")

"""Business metrics through the Lambda handler: API Gateway events in, CloudWatch embedded-metric-
format lines out (one flush per invocation), with the names and dimensions
`observability/names.py` declares and nothing personal in them; and the access line each request
writes (route template, status, latency, cold start, problem code).
"""

import json
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS
from portfolio_api.core.middleware import mark_cold_start
from portfolio_api.core.settings import Settings
from portfolio_api.local.stack import LocalStack
from portfolio_api.main import create_app
from portfolio_api.observability.names import DIMENSIONS, NAMESPACE, Metric
from tests.conftest import PASSWORD, SignedInUser, make_settings
from tests.factories import content_payload
from tests.handler.test_lambda_handler import Invoke, load_event, set_header, set_json_body

IP = "203.0.113.42"  # the events' sourceIp and X-Forwarded-For


@pytest.fixture
def settings(stack: LocalStack) -> Settings:
    """As on Lambda: EMF lines (the template sets METRICS_FORMAT=emf), access lines logged."""
    return make_settings(stack, metrics_format="emf", log_level="INFO")


def printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every JSON line written to stdout since the last call."""
    lines = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def emf_lines(written: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in written if "_aws" in line]


def metrics_of(line: dict[str, Any]) -> dict[str, Any]:
    """An EMF line as {metric: (value, {dimension: value})}, checked against its directives."""
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    (dimension_names,) = directive["Dimensions"]
    dimensions = {name: line[name] for name in dimension_names}
    found = {}
    for definition in directive["Metrics"]:
        assert definition["Unit"] == "Count"
        metric = Metric(definition["Name"])
        assert tuple(dimension_names) == DIMENSIONS[metric], metric
        value = line[metric.value]  # EMF takes a number or a list of them
        found[metric.value] = (sum(value) if isinstance(value, list) else value, dimensions)
    return found


def track(invoke: Invoke, user_agent: str) -> list[dict[str, Any]]:
    event = load_event("public-post-visitors-track.json")
    set_header(event, "User-Agent", user_agent)
    response = invoke(event)
    assert response.status == 200, response.text
    return [response.json()]


def view(invoke: Invoke, post_id: str) -> None:
    event = load_event("public-post-visitors-track.json")
    event["path"] = event["resource"] = "/v1/analytics/views"
    event["requestContext"]["path"] = "/prod/v1/analytics/views"
    event["requestContext"]["resourcePath"] = "/v1/analytics/views"
    set_json_body(event, {"contentType": "blog", "contentId": post_id})
    response = invoke(event)
    assert (response.status, response.json()) == (200, {"counted": True}), response.text


def log_in(invoke: Invoke, email: str, password: str) -> int:
    event = load_event("public-post-login-base64.json")
    event["isBase64Encoded"] = False
    set_json_body(event, {"email": email, "password": password})
    return invoke(event).status


def test_each_invocation_flushes_its_counts_once_with_no_personal_data(
    capsys: pytest.CaptureFixture[str],  # first: it captures what the user fixtures write
    invoke: Invoke,
    client: TestClient,
    owner: SignedInUser,
    member: SignedInUser,
) -> None:
    # Given a published post (its sign-ups and logins were counted too, through HTTP)
    post = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, status="published"),
        headers=owner.headers,
    ).json()
    before = [metrics_of(line) for line in emf_lines(printed(capsys))]
    test = {"Stack": "local", "Environment": "test"}  # STACK_NAME's default, ENVIRONMENT
    assert {"SignUps": (1, test)} in before
    assert {"LoginsSucceeded": (1, test)} in before

    # When a browser visits and views it, a bot visits, and a member fails, then succeeds, to
    # log in: each its own invocation
    outcomes: list[list[dict[str, Any]]] = []
    browser = load_event("public-post-visitors-track.json")["headers"]["User-Agent"]
    for step in (
        lambda: track(invoke, browser),
        lambda: view(invoke, post["id"]),
        lambda: track(invoke, "Mozilla/5.0 (compatible; Googlebot/2.1)"),
        lambda: track(invoke, browser),  # counted already today
        lambda: log_in(invoke, member.email, "Wrong-Horse-9!"),
        lambda: log_in(invoke, member.email, PASSWORD),
    ):
        step()
        outcomes.append(emf_lines(printed(capsys)))

    # Then each wrote exactly one EMF line, with the declared names, values and dimensions
    assert [len(lines) for lines in outcomes] == [1, 1, 1, 1, 1, 1]
    assert [metrics_of(lines[0]) for lines in outcomes] == [
        {"VisitsCounted": (1, test)},
        {"ContentViewsCounted": (1, test)},
        {"VisitsNotCounted": (1, {**test, "Reason": "bot"})},
        {"VisitsNotCounted": (1, {**test, "Reason": "repeat"})},
        {"LoginsFailed": (1, test)},
        {"LoginsSucceeded": (1, test)},
    ]
    # and no e-mail address, IP address or user agent anywhere in them
    for lines in outcomes:
        text = json.dumps(lines)
        assert "@" not in text and IP not in text and "Mozilla" not in text


def test_a_read_counts_nothing_and_writes_no_metric_line(
    capsys: pytest.CaptureFixture[str], invoke: Invoke
) -> None:
    printed(capsys)
    response = invoke(load_event("optional-auth-get-blog-posts.json", token="x.y.z"))
    assert response.status == 401  # a bad token: refused, and nothing to count
    assert invoke(load_event("public-get-health.json")).status == 200
    assert emf_lines(printed(capsys)) == []


def test_the_access_line_names_route_status_latency_cold_start_and_problem_code(
    caplog: pytest.LogCaptureFixture, invoke: Invoke
) -> None:
    caplog.set_level(logging.INFO, logger="portfolio_api.http")
    mark_cold_start()  # as after a restore, or in a new process
    missing = load_event("public-get-health.json")
    missing["path"] = missing["resource"] = "/v1/blog/posts/no-such-post"
    missing["requestContext"]["path"] = "/prod/v1/blog/posts/no-such-post"
    assert invoke(missing).status == 404
    assert invoke(load_event("public-get-health.json")).status == 200
    put = load_event("public-get-health.json")
    put["httpMethod"] = put["requestContext"]["httpMethod"] = "PUT"
    assert invoke(put).status == 405
    assert log_in(invoke, "nobody@example.com", "Wrong-Horse-9!") == 401  # a deferred router
    access = [vars(r) for r in caplog.records if r.getMessage() == "request"]
    assert [
        {k: line[k] for k in ("method", "route", "path", "status", "coldStart", "code")}
        for line in access
    ] == [
        {
            "method": "GET",
            "route": "/v1/blog/posts/{id}",
            "path": "/prod/v1/blog/posts/no-such-post",
            "status": 404,
            "coldStart": True,
            "code": "not_found",
        },
        {
            "method": "GET",
            "route": "/health",
            "path": "/prod/health",
            "status": 200,
            "coldStart": False,
            "code": None,
        },
        {
            "method": "PUT",
            "route": "/health",
            "path": "/prod/health",
            "status": 405,
            "coldStart": False,
            "code": "not_found",
        },
        {
            "method": "POST",
            "route": "/v1/auth/login",
            "path": "/prod/v1/auth/login",
            "status": 401,
            "coldStart": False,
            "code": "invalid_credentials",
        },
    ]
    assert all(isinstance(line["durationMs"], float) for line in access)


def test_locally_the_counts_are_one_readable_log_line(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    app: FastAPI = create_app(make_settings(stack, log_level="INFO"))  # metrics_format "log"
    with TestClient(app) as client:
        printed(capsys)
        answer = client.post(
            "/v1/visitors/track",
            json={"path": "/"},
            headers={"User-Agent": "curl/8.5.0"},
        )
        assert answer.json() == {"counted": False}
    written = printed(capsys)
    assert emf_lines(written) == []
    (line,) = [line for line in written if line.get("message") == "metrics"]
    assert line["metrics"] == {"VisitsNotCounted[bot]": 1}

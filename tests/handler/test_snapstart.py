"""SnapStart: the hooks the module registers, and an app that still answers after them.

The runtime's `snapshot_restore_py` exists only on Lambda. Here a stand-in records what is
registered; the hooks then run as the runtime runs them (before-snapshot, then after-restore)
over the test app and moto, and the handler must answer as before, over new connections.
"""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_api import snapstart
from portfolio_api.analytics import bots
from portfolio_api.api.deferred import DeferredRouters
from portfolio_api.content.collections import ALL_COLLECTIONS, BLOG_POSTS
from portfolio_api.core.settings import Settings
from portfolio_api.db.client import dynamodb_client
from portfolio_api.main import build_handler
from tests.conftest import SignedInUser
from tests.factories import titled
from tests.handler.test_lambda_handler import FakeLambdaContext, load_event

EMF_WRITER = "aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch"

ROOT = Path(__file__).resolve().parents[2]

# Imports the handler module as Lambda does, with a stand-in of the runtime's hook module, and
# prints what it registered.
REGISTRATION_PROBE = """
import json, sys, types
registered = {"before": [], "after": []}
runtime = types.ModuleType("snapshot_restore_py")
def recorder(kind):
    def register(func, *args, **kwargs):
        name = func.__module__ + "." + func.__name__
        registered[kind].append([name, [type(a).__name__ for a in args]])
        return func
    return register
runtime.register_before_snapshot = recorder("before")
runtime.register_after_restore = recorder("after")
sys.modules["snapshot_restore_py"] = runtime
import portfolio_api.lambda_handler
print(json.dumps(registered))
"""


def _import_handler_module(with_runtime: bool) -> dict[str, Any]:
    script = REGISTRATION_PROBE
    if not with_runtime:
        script = script.replace('sys.modules["snapshot_restore_py"] = runtime', "")
    environment = {
        **os.environ,
        "DYNAMODB_TABLE_NAME": "portfolio-probe",
        "COGNITO_USER_POOL_ID": "us-east-1_Probe1234",
        "COGNITO_CLIENT_ID": "probeclient",
        "ENVIRONMENT": "test",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    registered: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return registered


def test_the_handler_module_registers_both_hooks_on_lambda() -> None:
    registered = _import_handler_module(with_runtime=True)
    assert registered == {
        "before": [["portfolio_api.snapstart.prime", ["FastAPI", "Mangum"]]],
        "after": [["portfolio_api.snapstart.refresh", ["FastAPI"]]],
    }


def test_nothing_is_registered_off_lambda() -> None:
    assert _import_handler_module(with_runtime=False) == {"before": [], "after": []}


def _pooled_connections(settings: Settings) -> list[Any]:
    """The DynamoDB client's idle connections, as urllib3 pools them (botocore's internals)."""
    session = dynamodb_client(settings.region)._endpoint.http_session  # type: ignore[attr-defined]
    # urllib3's pool container refuses plain iteration; its keys() is the supported way.
    pools = [session._manager.pools[key] for key in session._manager.pools.keys()]  # noqa: SIM118
    return [connection for pool in pools for connection in pool.pool.queue if connection]


def _table_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = dynamodb.scan(TableName=table)["Items"]  # test-side check only
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def test_hooks_leave_an_app_that_answers_over_new_connections(
    app: FastAPI,
    client: TestClient,
    owner: SignedInUser,
    settings: Settings,
    dynamodb: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = client.post(
        "/v1/blog/posts",
        json=titled(BLOG_POSTS, "Before the snapshot", status="published"),
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    handler = build_handler(app)
    # A public list read with the owner's token: the token is verified on every call.
    event = load_event("optional-auth-get-blog-posts.json", owner.id_token)
    before = handler(event, FakeLambdaContext())
    assert before["statusCode"] == 200
    frozen = _pooled_connections(settings)
    assert frozen, "a request leaves a connection in the pool"
    table_before = _table_items(dynamodb, settings.dynamodb_table_name)

    bots._matchers.cache_clear()  # as in a new process: nothing compiled or imported yet
    sys.modules.pop(EMF_WRITER, None)
    statuses = snapstart.prime(app, handler)

    # Each list served against the canned answer, then one for real; nothing written, every
    # route loaded, the token keys fetched.
    assert statuses == [200] * (len(ALL_COLLECTIONS) + 1)
    assert _table_items(dynamodb, settings.dynamodb_table_name) == table_before
    assert not any(isinstance(route, DeferredRouters) for route in app.router.routes)
    assert app.state.container.token_verifier._keys  # the pool's JWKS, cached
    assert bots._matchers.cache_info().currsize == 1  # the bot data set, compiled
    assert EMF_WRITER in sys.modules  # the EMF writer, imported

    snapstart.refresh(app)
    caplog.set_level(logging.INFO, logger="portfolio_api.http")

    assert _pooled_connections(settings) == []
    assert all(connection.sock is None for connection in frozen)  # closed, not reused
    after = handler(event, FakeLambdaContext())
    assert after["statusCode"] == 200
    assert json.loads(after["body"]) == json.loads(before["body"])  # the table, not the canned page
    assert [post["title"] for post in json.loads(after["body"])["items"]] == ["Before the snapshot"]
    handler(event, FakeLambdaContext())
    # The first request after the restore is logged as a cold start, the next as warm
    access = [vars(r) for r in caplog.records if r.getMessage() == "request"]
    assert [line["coldStart"] for line in access] == [True, False]
    reopened = _pooled_connections(settings)
    assert reopened
    assert not {id(connection) for connection in reopened} & {id(c) for c in frozen}


def test_restore_forgets_the_day_and_the_key_timers(app: FastAPI, client: TestClient) -> None:
    assert client.post("/v1/visitors/track", json={"path": "/"}).status_code == 200
    container = app.state.container
    assert container.analytics_service._salts  # today's salt, held in memory
    container.token_verifier._fetched_at = 123.0
    container.token_verifier._retry_after = 456.0

    snapstart.refresh(app)

    assert container.analytics_service._salts == {}
    assert container.token_verifier._fetched_at is None
    assert container.token_verifier._retry_after is None

"""A write that collides with another transaction is retried, then a 503; racing edits of one
version have one winner.

DynamoDB cancels a transaction that meets an item inside another one (`TransactionConflict`: a
stock adjustment while a view's transaction holds the product, say); moto, whose writes are
serialised, never does, so the client is wrapped here. Edits that race with one `If-Match`
across app processes: one wins, every other is a 412.
"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS
from portfolio_api.repositories.base import TRANSACTION_ATTEMPTS
from tests.conftest import SignedInUser
from tests.factories import content_payload
from tests.harness import AppProcesses, race


class RejectingClient:
    """The real client, but its next `times` calls of `operation` raise what `error` makes."""

    def __init__(
        self, real: Any, operation: str, error: Callable[[dict[str, Any]], Exception], times: int
    ) -> None:
        self._real = real
        self._operation = operation
        self._error = error
        self.times = times
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        if name != self._operation:
            return getattr(self._real, name)

        def call(**kwargs: Any) -> Any:
            self.calls += 1
            if self.times > 0:
                self.times -= 1
                raise self._error(kwargs)
            return getattr(self._real, name)(**kwargs)

        return call


def cancelled_for(reason: str) -> Callable[[dict[str, Any]], ClientError]:
    """A TransactWriteItems cancelled with `reason` for each of its actions."""

    def error(request: dict[str, Any]) -> ClientError:
        reasons = [{"Code": reason} for _ in request["TransactItems"]]
        body = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return ClientError({"Error": body, "CancellationReasons": reasons}, "TransactWriteItems")

    return error


PRODUCT = {"id": "MUG", "name": "Mug", "category": "Merch", "price": 5, "stock": 4}


@pytest.fixture
def product(client: TestClient, owner: SignedInUser) -> dict[str, Any]:
    response = client.post("/v1/products", json=PRODUCT, headers=owner.headers)
    assert response.status_code == 201
    return dict(response.json())


def conflicting(app: FastAPI, monkeypatch: pytest.MonkeyPatch, conflicts: int) -> RejectingClient:
    repository = app.state.container.product_service._repository
    wrapped = RejectingClient(
        repository._client, "transact_write_items", cancelled_for("TransactionConflict"), conflicts
    )
    monkeypatch.setattr(repository, "_client", wrapped)
    return wrapped


@pytest.mark.parametrize(
    ("path", "method", "body", "changed"),
    [
        ("/v1/products/MUG/stock", "post", {"delta": -1}, {"stock": 3}),
        ("/v1/products/MUG", "patch", {"description": "Blue"}, {"description": "Blue"}),
    ],
)
def test_a_write_that_conflicts_once_goes_through(
    app: FastAPI,
    client: TestClient,
    owner: SignedInUser,
    monkeypatch: pytest.MonkeyPatch,
    product: dict[str, Any],
    path: str,
    method: str,
    body: dict[str, Any],
    changed: dict[str, Any],
) -> None:
    wrapped = conflicting(app, monkeypatch, conflicts=1)
    response = client.request(method, path, json=body, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert wrapped.calls == 2
    stored = client.get("/v1/products/MUG").json()
    assert {k: stored[k] for k in changed} == changed
    assert stored["version"] == product["version"] + 1  # applied once, not twice


def test_a_write_that_keeps_conflicting_is_503_and_changes_nothing(
    app: FastAPI,
    client: TestClient,
    owner: SignedInUser,
    monkeypatch: pytest.MonkeyPatch,
    product: dict[str, Any],
) -> None:
    monkeypatch.setattr("portfolio_api.repositories.base.time.sleep", lambda _: None)
    wrapped = conflicting(app, monkeypatch, conflicts=1000)
    response = client.post("/v1/products/MUG/stock", json={"delta": -1}, headers=owner.headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "service_unavailable"
    assert "Transaction" not in response.text  # no AWS message leaks
    assert wrapped.calls == TRANSACTION_ATTEMPTS
    stored = client.get("/v1/products/MUG").json()
    assert (stored["stock"], stored["version"]) == (4, product["version"])


def cancelling(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, reason: str, times: int
) -> RejectingClient:
    repository = app.state.container.task_service._repository
    wrapped = RejectingClient(
        repository._client, "transact_write_items", cancelled_for(reason), times
    )
    monkeypatch.setattr(repository, "_client", wrapped)
    return wrapped


@pytest.mark.parametrize("reason", ["TransactionConflict", "ThrottlingError"])
def test_a_task_create_that_collides_once_is_created_once(
    app: FastAPI,
    client: TestClient,
    member: SignedInUser,
    monkeypatch: pytest.MonkeyPatch,
    reason: str,
) -> None:
    wrapped = cancelling(app, monkeypatch, reason, times=1)
    created = client.post("/v1/tasks", json={"title": "t"}, headers=member.headers)
    assert created.status_code == 201, created.text
    assert wrapped.calls == 2
    listed = client.get("/v1/tasks", headers=member.headers).json()["items"]
    assert [task["id"] for task in listed] == [created.json()["id"]]


@pytest.mark.parametrize(
    ("reason", "status", "code"),
    [
        ("TransactionConflict", 503, "service_unavailable"),
        ("ValidationError", 400, "validation_error"),
    ],
)
def test_a_task_create_that_keeps_failing_is_a_clear_4xx_or_503(
    app: FastAPI,
    client: TestClient,
    member: SignedInUser,
    monkeypatch: pytest.MonkeyPatch,
    reason: str,
    status: int,
    code: str,
) -> None:
    monkeypatch.setattr("portfolio_api.repositories.base.time.sleep", lambda _: None)
    cancelling(app, monkeypatch, reason, times=100)
    response = client.post("/v1/tasks", json={"title": "t"}, headers=member.headers)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    monkeypatch.undo()
    assert client.get("/v1/tasks", headers=member.headers).json()["items"] == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/products", PRODUCT, "description"),
        (BLOG_POSTS.path, content_payload(BLOG_POSTS), "summary"),
    ],
    ids=["product", "blog-post"],
)
def test_racing_edits_of_one_version_have_one_winner_and_412s(
    client: TestClient,
    owner: SignedInUser,
    app_processes: AppProcesses,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    """Nine edits, each sure the item is at version 1, at once over three processes."""
    created = client.post(path, json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    url = f"{path}/{created.json()['id']}"
    version_one = {**owner.headers, "If-Match": created.headers["etag"]}

    def edit(process: httpx.Client, n: int) -> tuple[int, str | None]:
        response = process.patch(url, json={field: f"Edit {n}"}, headers=version_one)
        return response.status_code, response.json().get("code")

    results = race(app_processes, 9, edit)
    assert sorted(results, key=str) == [(200, None)] + [(412, "precondition_failed")] * 8
    stored = client.get(url, headers=owner.headers).json()
    assert (stored[field], stored["version"]) == (f"Edit {results.index((200, None))}", 2)

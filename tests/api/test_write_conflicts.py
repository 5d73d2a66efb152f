"""A single-item write that meets an item inside a running transaction is retried, then a 503.

DynamoDB rejects such a write with `TransactionConflictException` (a stock adjustment while a
view's transaction holds the product, say); moto never does, so the client is wrapped here.
"""

from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_api.repositories.base import WRITE_CONFLICT_ATTEMPTS
from tests.conftest import SignedInUser


class ConflictingClient:
    """The real client, but its next `conflicts` UpdateItems are rejected as in a transaction."""

    def __init__(self, real: Any, conflicts: int) -> None:
        self._real = real
        self.conflicts = conflicts
        self.updates = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def update_item(self, **kwargs: Any) -> Any:
        self.updates += 1
        if self.conflicts > 0:
            self.conflicts -= 1
            error = {"Code": "TransactionConflictException", "Message": "Transaction is ongoing"}
            raise ClientError({"Error": error}, "UpdateItem")
        return self._real.update_item(**kwargs)


@pytest.fixture
def product(client: TestClient, owner: SignedInUser) -> dict[str, Any]:
    body = {"id": "MUG", "name": "Mug", "category": "Merch", "price": 5, "stock": 4}
    response = client.post("/v1/products", json=body, headers=owner.headers)
    assert response.status_code == 201
    return dict(response.json())


def conflicting(app: FastAPI, monkeypatch: pytest.MonkeyPatch, conflicts: int) -> ConflictingClient:
    repository = app.state.container.product_service._repository
    wrapped = ConflictingClient(repository._client, conflicts)
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
    assert wrapped.updates == 2
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
    wrapped = conflicting(app, monkeypatch, conflicts=1000)
    response = client.post("/v1/products/MUG/stock", json={"delta": -1}, headers=owner.headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "service_unavailable"
    assert "Transaction" not in response.text  # no AWS message leaks
    assert wrapped.updates == WRITE_CONFLICT_ATTEMPTS
    stored = client.get("/v1/products/MUG").json()
    assert (stored["stock"], stored["version"]) == (4, product["version"])


class CancellingClient:
    """The real client, but its next TransactWriteItems are cancelled for `reason`."""

    def __init__(self, real: Any, reason: str, times: int) -> None:
        self._real = real
        self.reason = reason
        self.times = times
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.times > 0:
            self.times -= 1
            reasons = [{"Code": self.reason} for _ in kwargs["TransactItems"]]
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            raise ClientError(
                {"Error": error, "CancellationReasons": reasons}, "TransactWriteItems"
            )
        return self._real.transact_write_items(**kwargs)


def cancelling(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, reason: str, times: int
) -> CancellingClient:
    repository = app.state.container.task_service._repository
    wrapped = CancellingClient(repository._client, reason, times)
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

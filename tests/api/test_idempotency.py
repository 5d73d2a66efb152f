"""Idempotency records: replay, reuse, concurrency, expiry, and register."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS
from portfolio_api.core.errors import Conflict
from portfolio_api.core.settings import Settings
from portfolio_api.db.client import dynamodb_client
from portfolio_api.local.stack import LocalStack
from portfolio_api.repositories.idempotency import IdempotencyRepository
from portfolio_api.services.idempotency import (
    IdempotencyKeyReused,
    IdempotencyService,
    StoredResponse,
)
from tests.conftest import PASSWORD, SignedInUser
from tests.factories import content_payload
from tests.harness import AppProcesses, race


@pytest.fixture
def clock() -> list[datetime]:
    return [datetime(2026, 11, 21, 10, 0, tzinfo=UTC)]


@pytest.fixture
def service(settings: Settings, clock: list[datetime]) -> IdempotencyService:
    repository = IdempotencyRepository(
        dynamodb_client(settings.region), settings.dynamodb_table_name
    )
    return IdempotencyService(repository, lambda: clock[0], b"k" * 32)


def counting(body: dict[str, Any]) -> tuple[Callable[[], StoredResponse], list[int]]:
    runs: list[int] = []

    def produce() -> StoredResponse:
        runs.append(1)
        return StoredResponse(201, {**body, "run": len(runs)}, {"Location": "/x"})

    return produce, runs


def test_same_key_and_body_replays(service: IdempotencyService) -> None:
    produce, runs = counting({"a": 1})
    first = service.run(scope="u|POST|/x", key="k1", body={"a": 1}, produce=produce)
    second = service.run(scope="u|POST|/x", key="k1", body={"a": 1}, produce=produce)
    assert first == second and len(runs) == 1


def test_body_key_order_does_not_matter(service: IdempotencyService) -> None:
    produce, runs = counting({})
    service.run(scope="s", key="k", body={"a": 1, "b": 2}, produce=produce)
    service.run(scope="s", key="k", body={"b": 2, "a": 1}, produce=produce)
    assert len(runs) == 1


def test_different_body_is_reused_key(service: IdempotencyService) -> None:
    produce, _ = counting({})
    service.run(scope="s", key="k", body={"a": 1}, produce=produce)
    with pytest.raises(IdempotencyKeyReused):
        service.run(scope="s", key="k", body={"a": 2}, produce=produce)


def test_scopes_are_separate(service: IdempotencyService) -> None:
    produce, runs = counting({})
    service.run(scope="alice|POST|/x", key="k", body={}, produce=produce)
    service.run(scope="bob|POST|/x", key="k", body={}, produce=produce)
    service.run(scope="alice|POST|/y", key="k", body={}, produce=produce)
    assert len(runs) == 3


def test_a_retry_while_the_first_runs_is_a_conflict(service: IdempotencyService) -> None:
    seen: list[Exception] = []

    def produce() -> StoredResponse:
        try:  # the retry arrives while this attempt is still running
            service.run(scope="s", key="k", body={}, produce=produce)
        except Conflict as conflict:
            seen.append(conflict)
        return StoredResponse(201, {}, {})

    service.run(scope="s", key="k", body={}, produce=produce)
    assert len(seen) == 1 and seen[0].status == 409


def created_once(results: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """The one resource behind `results`: each a 201 of it, or a 409 while it was being made."""
    created = [body for status, body in results if status == 201]
    assert created, results
    assert all(body == created[0] for body in created), f"two resources for one key: {created}"
    assert sorted({(status, body.get("code")) for status, body in results if status != 201}) in (
        [],
        [(409, "conflict")],
    ), results
    return created[0]


def test_one_key_sent_to_three_processes_at_once_makes_one_post(
    client: TestClient, owner: SignedInUser, app_processes: AppProcesses
) -> None:
    """Twelve sends of one create (a client retrying, say) reach three processes at once."""
    headers = {**owner.headers, "Idempotency-Key": "race-post"}
    body = content_payload(BLOG_POSTS)

    def create(process: httpx.Client, _: int) -> tuple[int, dict[str, Any]]:
        response = process.post(BLOG_POSTS.path, json=body, headers=headers)
        return response.status_code, response.json()

    post = created_once(race(app_processes, 12, create))
    listed = client.get(BLOG_POSTS.path, params={"status": "all"}, headers=owner.headers).json()
    assert [item["id"] for item in listed["items"]] == [post["id"]]
    replay = client.post(BLOG_POSTS.path, json=body, headers=headers)
    assert replay.status_code == 201 and replay.json() == post


def test_one_key_sent_to_three_processes_at_once_registers_one_user(
    client: TestClient, cognito: Any, stack: LocalStack, app_processes: AppProcesses
) -> None:
    body = {"email": "race@example.com", "password": PASSWORD, "name": "Race"}
    headers = {"Idempotency-Key": "race-signup"}

    def register(process: httpx.Client, _: int) -> tuple[int, dict[str, Any]]:
        response = process.post("/v1/auth/register", json=body, headers=headers)
        return response.status_code, response.json()

    user = created_once(race(app_processes, 12, register))
    assert len(cognito.list_users(UserPoolId=stack.user_pool_id)["Users"]) == 1
    replay = client.post("/v1/auth/register", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json() == user


def test_an_abandoned_attempt_frees_the_key_after_its_lock(
    service: IdempotencyService, settings: Settings, clock: list[datetime]
) -> None:
    repository = IdempotencyRepository(
        dynamodb_client(settings.region), settings.dynamodb_table_name
    )
    now = int(clock[0].timestamp())
    digest, body_hash = service._digest("s\x00k"), service._digest("{}")
    held = repository.claim(
        digest, body_hash, attempt="died", now=now, expires_at=now + 100, locked_until=now + 60
    )
    assert held is None  # an attempt claimed the key, then died without finishing
    produce, runs = counting({})
    with pytest.raises(Conflict):
        service.run(scope="s", key="k", body={}, produce=produce)
    clock[0] += timedelta(seconds=61)
    service.run(scope="s", key="k", body={}, produce=produce)
    assert len(runs) == 1


def test_records_expire_after_a_day(service: IdempotencyService, clock: list[datetime]) -> None:
    produce, runs = counting({})
    service.run(scope="s", key="k", body={}, produce=produce)
    clock[0] += timedelta(hours=23)
    service.run(scope="s", key="k", body={}, produce=produce)
    assert len(runs) == 1
    clock[0] += timedelta(hours=2)  # past the TTL even before DynamoDB sweeps it
    service.run(scope="s", key="k", body={}, produce=produce)
    assert len(runs) == 2


def test_a_failed_attempt_releases_the_key(service: IdempotencyService) -> None:
    def fail() -> StoredResponse:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        service.run(scope="s", key="k", body={}, produce=fail)
    produce, runs = counting({})
    service.run(scope="s", key="k", body={}, produce=produce)
    assert len(runs) == 1


def test_register_is_idempotent(client: TestClient) -> None:
    body = {"email": "idem@example.com", "password": PASSWORD, "name": "Idem"}
    headers = {"Idempotency-Key": "signup-1"}
    first = client.post("/v1/auth/register", json=body, headers=headers)
    second = client.post("/v1/auth/register", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    without_key = client.post("/v1/auth/register", json=body)
    assert without_key.status_code == 409 and without_key.json()["code"] == "email_taken"


def test_stored_fingerprint_does_not_reveal_the_body(client: TestClient, dynamodb: Any) -> None:
    client.post(
        "/v1/auth/register",
        json={"email": "fp@example.com", "password": PASSWORD, "name": "Fp"},
        headers={"Idempotency-Key": "fp"},
    )
    items = dynamodb.scan(TableName="portfolio-test")["Items"]  # test inspection only
    record = next(i for i in items if i["PK"]["S"].startswith("IDEMPOTENCY#"))
    assert PASSWORD not in str(record)
    assert int(record["expiresAt"]["N"]) > 0

"""`GET /v1/users/me/export`: the caller's profile and every one of their tasks, in one answer.

The export reads the tasks list's pages one after another (key-conditioned Queries of the
caller's partition, never a Scan), so a member with more tasks than the largest page still gets
each of them exactly once, newest first, as `GET /v1/tasks/{taskId}` serves it. The `client`
fixture checks every answer against the route's documented schema.
"""

import math
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.core.pagination import MAX_LIMIT
from portfolio_api.core.settings import Settings
from portfolio_api.db.client import dynamodb_client
from tests.conftest import SignedInUser

EXPORT = "/v1/users/me/export"
MANY = MAX_LIMIT + 30
"""More tasks than the largest page of the tasks list: the export must read past one page."""


def create_tasks(client: TestClient, user: SignedInUser, count: int, label: str) -> list[str]:
    """`count` tasks of varied fields, in creation order; their ids."""
    ids = []
    for n in range(count):
        body: dict[str, Any] = {
            "title": f"{label} {n}",
            "priority": ("low", "medium", "high")[n % 3],
            "status": "completed" if n % 4 == 0 else "pending",
            "tags": [f"t{n % 5}"],
        }
        if n % 2:
            body |= {"description": f"Task number {n}", "dueDate": "2027-01-01T09:00:00Z"}
        if n % 7 == 0:
            body["category"] = "Chores"
        created = client.post("/v1/tasks", json=body, headers=user.headers)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


def export_of(client: TestClient, user: SignedInUser) -> dict[str, Any]:
    response = client.get(EXPORT, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    body: dict[str, Any] = response.json()
    assert set(body) == {"profile", "tasks"}
    return body


@pytest.fixture
def queries(settings: Settings) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every Query the app sends (botocore's event hooks, as
    `dynamodb_calls` counts them), to show each page is a key-conditioned read."""
    seen: list[dict[str, Any]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "Query":
            seen.append(dict(params))

    events = dynamodb_client(settings.region).meta.events
    events.register("before-parameter-build.dynamodb", record, unique_id="test-export-queries")
    yield seen
    events.unregister("before-parameter-build.dynamodb", unique_id="test-export-queries")


def test_a_member_with_more_than_a_page_of_tasks_gets_every_one_exactly_once(
    client: TestClient,
    member: SignedInUser,
    make_user: Callable[..., SignedInUser],
    dynamodb_calls: Counter[str],
    queries: list[dict[str, Any]],
) -> None:
    # Given a member with more tasks than the largest page, one of them since changed,
    # and another user with tasks of their own
    ids = create_tasks(client, member, MANY, "Mine")
    changed = client.patch(
        f"/v1/tasks/{ids[5]}", json={"status": "completed"}, headers=member.headers
    )
    assert changed.status_code == 200
    other = make_user("other@example.com")
    others = create_tasks(client, other, 3, "Theirs")
    # When the member exports their data
    dynamodb_calls.clear()
    queries.clear()
    body = export_of(client, member)
    calls, export_queries = Counter(dynamodb_calls), list(queries)
    # Then every task is there once, newest first, as the task's own route serves it
    exported = [task["id"] for task in body["tasks"]]
    assert len(exported) == len(set(exported)) == MANY
    assert exported == ids[::-1]  # ids are time-ordered: newest first, the list's default
    assert not set(others) & set(exported)
    for task in body["tasks"]:
        single = client.get(f"/v1/tasks/{task['id']}", headers=member.headers)
        assert single.status_code == 200
        assert task == single.json()
    assert body["profile"] == client.get("/v1/users/me", headers=member.headers).json()
    # and it was read as the list's pages: one GetItem for the profile and a key-conditioned
    # Query per page of the caller's partition, each after the last one's key; never a Scan
    pages = math.ceil(MANY / MAX_LIMIT)
    assert calls == Counter({"SessionCheck": 1, "GetItem": 1, "Query": pages})
    assert len(export_queries) == pages
    for page, query in enumerate(export_queries):
        assert "IndexName" not in query and "FilterExpression" not in query
        assert query["KeyConditionExpression"] == "#pk = :pk AND begins_with(#sk, :sk)"
        assert query["ExpressionAttributeValues"][":sk"] == {"S": "TASK#"}
        assert query["ExpressionAttributeValues"][":pk"] == {"S": f"USER#{member.sub}"}
        assert query["ScanIndexForward"] is False
        assert ("ExclusiveStartKey" in query) == (page > 0)
    # And the other user's export holds exactly their own tasks
    assert [task["id"] for task in export_of(client, other)["tasks"]] == others[::-1]


def test_the_export_keeps_the_list_order(client: TestClient, member: SignedInUser) -> None:
    # Given a member with a few tasks
    create_tasks(client, member, 5, "Mine")
    # When they export, and when they list their tasks
    exported = export_of(client, member)["tasks"]
    listed = client.get("/v1/tasks", headers=member.headers).json()
    # Then both answer the same tasks in the same order
    assert listed["nextCursor"] is None
    assert exported == listed["items"]


def test_a_member_without_tasks_exports_an_empty_list(
    client: TestClient, member: SignedInUser
) -> None:
    body = export_of(client, member)
    assert body["tasks"] == []
    profile = client.get("/v1/users/me", headers=member.headers).json()
    assert body["profile"] == profile
    assert body["profile"]["userId"] == member.sub
    assert body["profile"]["email"] == member.email


def test_the_export_is_no_versioned_resource(client: TestClient, member: SignedInUser) -> None:
    response = client.get(EXPORT, headers=member.headers)
    assert response.status_code == 200
    assert "etag" not in response.headers  # nothing to send back in If-Match


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
def test_the_export_needs_a_signed_in_user(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get(EXPORT, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"
    assert response.headers["cache-control"] in ("no-store", "private, no-store")

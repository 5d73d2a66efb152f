"""`/v1/tasks` through HTTP: ownership, filters, completedAt, concurrency, validation."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SignedInUser


def make(client: TestClient, user: SignedInUser, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/tasks", json={"title": "Write tests", **fields}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def ids(client: TestClient, user: SignedInUser, **params: Any) -> list[str]:
    response = client.get("/v1/tasks", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()["items"]]


def test_create_and_read_with_defaults(client: TestClient, member: SignedInUser) -> None:
    response = client.post("/v1/tasks", json={"title": "Ship it"}, headers=member.headers)
    assert response.status_code == 201
    task = response.json()
    assert task["status"] == "pending" and task["priority"] == "medium"
    assert task["completedAt"] is None and task["dueDate"] is None and task["tags"] == []
    assert task["version"] == 1 and response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/v1/tasks/{task['id']}"
    fetched = client.get(f"/v1/tasks/{task['id']}", headers=member.headers)
    assert fetched.json() == task and fetched.headers["etag"] == '"1"'


def test_two_members_task_lists_never_mix(
    client: TestClient, make_user: Callable[..., SignedInUser]
) -> None:
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    a = make(client, alice, title="Alice's")
    b = make(client, bob, title="Bob's")
    assert ids(client, alice) == [a["id"]]
    assert ids(client, bob) == [b["id"]]
    for method in ("get", "patch", "delete"):
        kwargs: dict[str, Any] = {"json": {"title": "mine now"}} if method == "patch" else {}
        response = client.request(method, f"/v1/tasks/{a['id']}", headers=bob.headers, **kwargs)
        assert response.status_code == 404, method
    assert client.get(f"/v1/tasks/{a['id']}", headers=alice.headers).json()["title"] == "Alice's"


def test_anonymous_users_cannot_touch_tasks(client: TestClient, member: SignedInUser) -> None:
    task = make(client, member)
    for method, path in (
        ("post", "/v1/tasks"),
        ("get", "/v1/tasks"),
        ("get", f"/v1/tasks/{task['id']}"),
        ("patch", f"/v1/tasks/{task['id']}"),
        ("delete", f"/v1/tasks/{task['id']}"),
    ):
        kwargs: dict[str, Any] = {"json": {"title": "x"}} if method in ("post", "patch") else {}
        assert client.request(method, path, **kwargs).status_code == 401, (method, path)


def test_newest_first_and_each_filter(client: TestClient, member: SignedInUser) -> None:
    low = make(client, member, priority="low", dueDate="2026-12-01T09:00:00Z")
    done = make(client, member, status="completed", priority="high")
    high = make(client, member, priority="high", dueDate="2026-11-25T09:00:00+01:00")
    assert ids(client, member) == [high["id"], done["id"], low["id"]]
    assert ids(client, member, status="completed") == [done["id"]]
    assert ids(client, member, status="pending") == [high["id"], low["id"]]
    assert ids(client, member, priority="high") == [high["id"], done["id"]]
    assert ids(client, member, priority="medium") == []
    assert ids(client, member, dueBefore="2026-12-01T09:00:00Z") == [high["id"]]  # strict
    assert ids(client, member, dueBefore="2026-12-01T09:00:01Z") == [low["id"], high["id"]]
    assert high["dueDate"] == "2026-11-25T08:00:00Z"


def test_filters_combine(client: TestClient, member: SignedInUser) -> None:
    pending_high = make(client, member, priority="high", dueDate="2026-11-20T09:00:00Z")
    done_high = make(
        client, member, status="completed", priority="high", dueDate="2026-11-21T09:00:00Z"
    )
    pending_low = make(client, member, priority="low", dueDate="2026-11-22T09:00:00Z")
    late_high = make(client, member, priority="high", dueDate="2026-12-24T09:00:00Z")
    assert ids(client, member, status="pending", priority="high") == [
        late_high["id"],
        pending_high["id"],
    ]
    assert ids(client, member, status="completed", priority="low") == []
    assert ids(client, member, priority="high", dueBefore="2026-12-01T00:00:00Z") == [
        done_high["id"],
        pending_high["id"],
    ]
    assert ids(
        client, member, status="pending", priority="low", dueBefore="2026-12-01T00:00:00Z"
    ) == [pending_low["id"]]


def test_a_combined_filter_fills_its_pages(client: TestClient, member: SignedInUser) -> None:
    wanted = []
    for n in range(9):
        task = make(client, member, priority="high" if n % 3 == 0 else "low")
        if n % 3 == 0:
            wanted.append(task["id"])
    seen, cursor, pages = [], None, []
    while True:
        params = {"status": "pending", "priority": "high", "limit": 2}
        response = client.get(
            "/v1/tasks",
            params=params | ({"cursor": cursor} if cursor else {}),
            headers=member.headers,
        ).json()
        pages.append(len(response["items"]))
        seen += [task["id"] for task in response["items"]]
        cursor = response["nextCursor"]
        if not cursor:
            break
    assert seen == wanted[::-1]
    assert pages == [2, 1]


def test_filters_follow_changes(client: TestClient, member: SignedInUser) -> None:
    task = make(client, member, priority="low", dueDate="2026-12-01T00:00:00Z")
    url = f"/v1/tasks/{task['id']}"
    client.patch(url, json={"priority": "high", "dueDate": None}, headers=member.headers)
    assert ids(client, member, priority="low") == []
    assert ids(client, member, priority="high") == [task["id"]]
    assert ids(client, member, dueBefore="2027-01-01T00:00:00Z") == []


def test_completed_at_is_set_and_cleared(client: TestClient, member: SignedInUser) -> None:
    created_done = make(client, member, status="completed")
    assert created_done["completedAt"] == created_done["createdAt"]
    task = make(client, member)
    url = f"/v1/tasks/{task['id']}"
    done = client.patch(url, json={"status": "completed"}, headers=member.headers).json()
    assert done["completedAt"] and done["version"] == 2
    again = client.patch(
        url, json={"status": "completed", "title": "Renamed"}, headers=member.headers
    )
    assert again.json()["completedAt"] == done["completedAt"]
    reopened = client.patch(url, json={"status": "pending"}, headers=member.headers).json()
    assert reopened["completedAt"] is None
    assert ids(client, member, status="completed") == [created_done["id"]]


def test_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, member: SignedInUser
) -> None:
    task = make(client, member)
    url = f"/v1/tasks/{task['id']}"
    client.patch(url, json={"title": "Second"}, headers=member.headers)
    stale = {**member.headers, "If-Match": '"1"'}
    assert client.patch(url, json={"title": "Third"}, headers=stale).status_code == 412
    assert client.delete(url, headers=stale).status_code == 412
    assert client.get(url, headers=member.headers).json()["title"] == "Second"
    fresh = {**member.headers, "If-Match": '"2"'}
    assert client.delete(url, headers=fresh).status_code == 204
    assert client.get(url, headers=member.headers).status_code == 404
    assert client.delete(url, headers=member.headers).status_code == 404


def test_pagination_walks_every_task_once(client: TestClient, member: SignedInUser) -> None:
    made = [make(client, member, title=f"Task {n}")["id"] for n in range(12)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/tasks", params=params, headers=member.headers).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


def test_a_cursor_from_another_user_is_400(
    client: TestClient, make_user: Callable[..., SignedInUser]
) -> None:
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    for n in range(3):
        make(client, alice, title=f"A{n}")
    cursor = client.get("/v1/tasks", params={"limit": 1}, headers=alice.headers).json()[
        "nextCursor"
    ]
    stolen = client.get("/v1/tasks", params={"cursor": cursor}, headers=bob.headers)
    assert stolen.status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "x", "description": "d" * 1001}, "description"),
        ({"title": "x", "status": "doing"}, "status"),
        ({"title": "x", "priority": "urgent"}, "priority"),
        ({"title": "x", "dueDate": "2026-12-01T09:00:00"}, "dueDate"),
        ({"title": "x", "dueDate": "tomorrow"}, "dueDate"),
        ({"title": "x", "category": "c" * 51}, "category"),
        ({"title": "x", "tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({"title": "x", "completedAt": "2026-12-01T09:00:00Z"}, "completedAt"),
        ({"title": "x", "due_date": "2026-12-01T09:00:00Z"}, "due_date"),
        ({"title": "x", "dueDate": "9999-12-31T23:59:59-01:00"}, "dueDate"),
        ({"title": "x", "dueDate": "0001-01-01T00:00:00+01:00"}, "dueDate"),
        ({"title": "x", "dueDate": "0999-01-01T00:00:00Z"}, "dueDate"),
        ({"title": "x", "dueDate": 1700000000}, "dueDate"),
        ({"title": "x", "dueDate": "1700000000"}, "dueDate"),
    ],
)
def test_validation(
    client: TestClient, member: SignedInUser, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/tasks", json=body, headers=member.headers)
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}
    assert ids(client, member) == []


@pytest.mark.parametrize("bound", ["1700000000", "2026-12-01", "soon"])
def test_due_before_must_be_an_instant(
    client: TestClient, member: SignedInUser, bound: str
) -> None:
    response = client.get("/v1/tasks", params={"dueBefore": bound}, headers=member.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "dueBefore"


def test_title_cannot_be_nulled(client: TestClient, member: SignedInUser) -> None:
    task = make(client, member)
    response = client.patch(f"/v1/tasks/{task['id']}", json={"title": None}, headers=member.headers)
    assert response.status_code == 400


def test_idempotent_create(client: TestClient, member: SignedInUser) -> None:
    headers = {**member.headers, "Idempotency-Key": "task-1"}
    first = client.post("/v1/tasks", json={"title": "Once"}, headers=headers)
    second = client.post("/v1/tasks", json={"title": "Once"}, headers=headers)
    assert first.json() == second.json()
    assert len(ids(client, member)) == 1


def test_due_before_stays_strict_with_fractions(client: TestClient, member: SignedInUser) -> None:
    task = make(client, member, dueDate="2026-12-15T17:00:00Z")
    assert ids(client, member, dueBefore="2026-12-15T17:00:00.5Z") == [task["id"]]
    assert ids(client, member, dueBefore="2026-12-15T17:00:00Z") == []
    bad = client.get(
        "/v1/tasks", params={"dueBefore": "9999-12-31T23:59:59-01:00"}, headers=member.headers
    )
    assert bad.status_code == 400

"""Each read endpoint makes one DynamoDB call (a key lookup or one Query), never a Scan.

A request with a token adds one BatchGetItem, its session check (services/sessions.py), counted
apart. The stated exceptions: a facet-filtered content list adds one BatchGetItem of its page's view
counters (and the first page of a list filtered on several facets one more, of the facet
counters that pick the rarest value), and the owner's analytics summary takes a fixed number of
Queries.
"""

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.content.collections import ALL_COLLECTIONS, BLOG_POSTS
from portfolio_api.content.spec import ContentSpec, Facet
from tests.conftest import SignedInUser
from tests.factories import content_payload


def read_calls(
    client: TestClient, calls: Counter[str], path: str, **kwargs: object
) -> Counter[str]:
    calls.clear()
    response = client.get(path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, (path, response.text)
    # A request with a token adds the one read of its session's revocation records.
    with_token = "Authorization" in (kwargs.get("headers") or {})  # type: ignore[operator]
    assert calls.pop("SessionCheck", 0) == (1 if with_token else 0), path
    return Counter(calls)


@pytest.mark.parametrize("spec", ALL_COLLECTIONS, ids=lambda s: s.name)
def test_content_reads_make_one_call(
    client: TestClient, owner: SignedInUser, dynamodb_calls: Counter[str], spec: ContentSpec
) -> None:
    for n in range(3):
        body = content_payload(spec, status="published", slug=f"post-{n}")
        assert client.post(spec.path, json=body, headers=owner.headers).status_code == 201
    item = client.get(spec.path).json()["items"][0]
    owner_only = {"headers": owner.headers}
    reads = {
        "list": (spec.path, {"params": {"limit": 2}}),
        "list page 2": (
            spec.path,
            {
                "params": {
                    "limit": 2,
                    "cursor": client.get(spec.path, params={"limit": 2}).json()["nextCursor"],
                }
            },
        ),
        "drafts": (spec.path, {"params": {"status": "draft"}, **owner_only}),
        "all": (spec.path, {"params": {"status": "all"}, **owner_only}),
        "by id": (f"{spec.path}/{item['id']}", {}),
        "by slug": (f"{spec.path}/{item['slug']}", {}),
        "by id as owner": (f"{spec.path}/{item['id']}", owner_only),
    }
    for name, (path, kwargs) in reads.items():
        calls = read_calls(client, dynamodb_calls, path, **kwargs)
        assert sum(calls.values()) == 1, (name, calls)
        assert set(calls) <= {"GetItem", "Query"}, (name, calls)
    if spec.facets:  # a collection may have no filters
        check_filtered_reads(client, owner, dynamodb_calls, spec, item)


def check_filtered_reads(
    client: TestClient,
    owner: SignedInUser,
    dynamodb_calls: Counter[str],
    spec: ContentSpec,
    item: dict[str, Any],
) -> None:
    """A filtered list adds one BatchGetItem of its page's view counts, none for an empty page."""

    def value_of(facet: Facet) -> str:
        value = item[facet.attribute] if facet.query_type is not bool else "true"
        return str(value[0] if isinstance(value, list) else value).lower()

    facet = spec.facets[0]
    every_filter = {f.param: value_of(f) for f in spec.facets}
    combined = {"limit": 1, **every_filter}
    owner_only = {"headers": owner.headers}
    filtered = {
        "filter": (spec.path, {"params": {facet.param: value_of(facet)}}),
        "filter, all": (
            spec.path,
            {"params": {"status": "all", facet.param: value_of(facet)}, **owner_only},
        ),
        "filters combined, page 2": (
            spec.path,
            {
                "params": {
                    **combined,
                    "cursor": client.get(spec.path, params=combined).json()["nextCursor"],
                }
            },
        ),
    }
    for name, (path, kwargs) in filtered.items():  # the page's fresh view counts: 1 BatchGetItem
        calls = read_calls(client, dynamodb_calls, path, **kwargs)
        assert calls == Counter({"Query": 1, "BatchGetItem": 1}), (name, calls)
    for status in ("draft", "all"):  # a draft is listed under every facet of its status
        draft = client.post(
            spec.path, json=content_payload(spec, slug=f"draft-{status}"), headers=owner.headers
        )
        assert draft.status_code == 201
        params = {"status": status, facet.param: value_of(facet)}
        calls = read_calls(client, dynamodb_calls, spec.path, params=params, **owner_only)
        assert calls == Counter({"Query": 1, "BatchGetItem": 1}), (status, calls)
    first = read_calls(client, dynamodb_calls, spec.path, params=combined)
    if len(spec.facets) > 1:  # the facet counters pick the rarest value: one more BatchGetItem
        assert first == Counter({"Query": 1, "BatchGetItem": 2}), first
    empty = {"params": {facet.param: "no-such-value" if facet.query_type is str else "false"}}
    calls = read_calls(client, dynamodb_calls, spec.path, **empty)
    assert calls == Counter({"Query": 1}), calls  # an empty page reads no counters


def test_category_counts_make_one_call(
    client: TestClient, owner: SignedInUser, dynamodb_calls: Counter[str]
) -> None:
    client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS, status="published"), headers=owner.headers
    )
    assert read_calls(client, dynamodb_calls, "/v1/blog/categories") == Counter({"Query": 1})


def test_profile_read_makes_one_call(
    client: TestClient, member: SignedInUser, dynamodb_calls: Counter[str]
) -> None:
    assert read_calls(client, dynamodb_calls, "/v1/users/me", headers=member.headers) == Counter(
        {"GetItem": 1}
    )


def test_no_scan_anywhere(
    client: TestClient, owner: SignedInUser, member: SignedInUser, dynamodb_calls: Counter[str]
) -> None:
    """A whole session of writes and reads over every collection never issues a Scan."""
    dynamodb_calls.clear()
    for spec in ALL_COLLECTIONS:
        created = client.post(spec.path, json=content_payload(spec), headers=owner.headers).json()
        url = f"{spec.path}/{created['id']}"
        client.post(f"{url}/publish", headers=owner.headers)
        client.patch(url, json={"slug": "renamed"}, headers=owner.headers)
        client.get(f"{spec.path}/{created['slug']}", follow_redirects=False)
        client.get(spec.path)
        client.delete(url, headers=owner.headers)
    client.get("/v1/blog/categories")
    client.get("/v1/users/me", headers=member.headers)
    task = client.post("/v1/tasks", json={"title": "t"}, headers=member.headers).json()
    client.patch(f"/v1/tasks/{task['id']}", json={"status": "completed"}, headers=member.headers)
    client.get("/v1/tasks", params={"status": "completed"}, headers=member.headers)
    client.delete(f"/v1/tasks/{task['id']}", headers=member.headers)
    product = {"id": "S1", "name": "Mug", "category": "Merch", "price": 5, "stock": 2}
    client.post("/v1/products", json=product, headers=owner.headers)
    client.patch("/v1/products/S1", json={"active": False}, headers=owner.headers)
    client.post("/v1/products/S1/stock", json={"delta": -1}, headers=owner.headers)
    client.get("/v1/products", params={"category": "merch"})
    client.delete("/v1/products/S1", headers=owner.headers)
    assert dynamodb_calls["Scan"] == 0
    assert sum(dynamodb_calls.values()) > 20


def test_task_reads_make_one_call(
    client: TestClient, member: SignedInUser, dynamodb_calls: Counter[str]
) -> None:
    for n in range(3):
        body = {"title": f"T{n}", "priority": "high", "dueDate": "2026-12-01T00:00:00Z"}
        assert client.post("/v1/tasks", json=body, headers=member.headers).status_code == 201
    for n in range(45):  # newer tasks the combined filter below passes over
        body = {"title": f"L{n}", "priority": "low"}
        assert client.post("/v1/tasks", json=body, headers=member.headers).status_code == 201
    task = client.get("/v1/tasks", headers=member.headers).json()["items"][0]
    reads = [
        ("/v1/tasks", {"limit": 2}),
        ("/v1/tasks", {"status": "pending"}),
        ("/v1/tasks", {"priority": "high"}),
        ("/v1/tasks", {"dueBefore": "2027-01-01T00:00:00Z"}),
        ("/v1/tasks", {"status": "pending", "priority": "high"}),
        (f"/v1/tasks/{task['id']}", {}),
    ]
    for path, params in reads:
        calls = read_calls(client, dynamodb_calls, path, params=params, headers=member.headers)
        assert sum(calls.values()) == 1 and set(calls) <= {"GetItem", "Query"}, (path, calls)


def test_product_reads_make_one_call(
    client: TestClient, owner: SignedInUser, dynamodb_calls: Counter[str]
) -> None:
    for n in range(3):
        body = {"id": f"P{n}", "name": "Mug", "category": "Merch", "price": 5, "stock": 1}
        assert client.post("/v1/products", json=body, headers=owner.headers).status_code == 201
    reads = [
        ("/v1/products", {"limit": 2}, {}),
        ("/v1/products", {"category": "merch"}, {}),
        ("/v1/products", {"includeInactive": "true"}, owner.headers),
        ("/v1/products", {"includeInactive": "true", "category": "merch"}, owner.headers),
        ("/v1/products/P1", {}, {}),
    ]
    for path, params, headers in reads:
        calls = read_calls(client, dynamodb_calls, path, params=params, headers=headers)
        assert sum(calls.values()) == 1 and set(calls) <= {"GetItem", "Query"}, (path, calls)


def test_analytics_make_one_call_each(
    client: TestClient, owner: SignedInUser, dynamodb_calls: Counter[str]
) -> None:
    post = client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS, status="published"), headers=owner.headers
    ).json()
    agent = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
    client.post("/v1/visitors/track", json={"path": "/warm"}, headers=agent)  # the day's salt
    writes = [
        ("/v1/visitors/track", {"path": "/"}, {"User-Agent": agent["User-Agent"] + " second"}),
        ("/v1/analytics/views", {"contentType": "blog", "contentId": post["id"]}, agent),
    ]
    for path, body, headers in writes:
        dynamodb_calls.clear()
        assert client.post(path, json=body, headers=headers).json() == {"counted": True}
        assert dict(dynamodb_calls) == {"TransactWriteItems": 1}, path
    reads = [
        ("/v1/visitors/count", {}),
        ("/v1/visitors/trends", {"period": "daily", "from": "2026-01-01", "to": "2026-12-31"}),
        ("/v1/visitors/trends", {"period": "monthly", "from": "2022-01-01", "to": "2026-12-31"}),
        ("/v1/analytics/views/total", {}),
        (f"/v1/analytics/views/blog/{post['id']}", {}),
        ("/v1/analytics/top", {"limit": 5}),
        ("/v1/analytics/top", {"contentType": "blog"}),
    ]
    for path, params in reads:
        calls = read_calls(client, dynamodb_calls, path, params=params)
        assert sum(calls.values()) == 1, (path, calls)
        assert set(calls) <= {"GetItem", "Query", "BatchGetItem"}, (path, calls)
    summary = read_calls(client, dynamodb_calls, "/v1/analytics/summary", headers=owner.headers)
    assert summary == Counter({"Query": 17, "BatchGetItem": 1})

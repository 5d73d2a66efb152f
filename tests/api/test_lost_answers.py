"""A write whose answer is lost is applied exactly once and answered as a success.

The fault is injected where it happens: botocore sends the write to the stand-in, which applies
it, and then the answer never arrives (a read timeout). botocore sends the same request again,
as it does against DynamoDB; the transaction's `ClientRequestToken` makes the stand-in, like
DynamoDB, answer the resend with the first outcome instead of applying it twice.
"""

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ReadTimeoutError
from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS
from portfolio_api.core.settings import Settings
from portfolio_api.db.client import dynamodb_client
from portfolio_api.repositories.idempotency import IdempotencyRepository
from tests.conftest import BROWSER, SignedInUser
from tests.factories import content_payload

BROWSER_HEADERS = {"User-Agent": BROWSER}


@dataclass
class LostAnswers:
    """Loses the answer of the next `armed` writes, after the stand-in has applied them."""

    armed: int = 0
    passed_first: int = 0  # writes to let through before losing answers
    lost: int = 0
    tokens: list[str] = field(default_factory=list)

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> None:
        body = request.body if isinstance(request.body, bytes) else b""
        self.tokens.append(json.loads(body or b"{}").get("ClientRequestToken", ""))
        if self.armed <= 0 or self.passed_first > 0:
            self.passed_first -= 1
            return  # botocore sends it itself
        self.armed -= 1
        delivered = urllib.request.Request(
            request.url, data=body, headers=dict(request.headers), method=request.method
        )
        with urllib.request.urlopen(delivered, timeout=5) as answer:
            answer.read()  # applied; the answer is dropped on the way back
        self.lost += 1
        raise ReadTimeoutError(endpoint_url=request.url)


@pytest.fixture
def lost_answers(settings: Settings) -> Iterator[LostAnswers]:
    """Arm it just before the request under test: `lost_answers.armed = 1`."""
    fault = LostAnswers()
    events = dynamodb_client(settings.region).meta.events
    event = "before-send.dynamodb.TransactWriteItems"
    events.register_first(event, fault, unique_id="test-lost-answers")
    yield fault
    events.unregister(event, unique_id="test-lost-answers")


def assert_resent_once(fault: LostAnswers) -> None:
    """The answer was lost once and the resend carried the first attempt's token."""
    assert fault.lost == 1
    assert len(fault.tokens) == 2 and fault.tokens[0] == fault.tokens[1] != ""


def test_creating_a_post(
    client: TestClient, owner: SignedInUser, lost_answers: LostAnswers
) -> None:
    lost_answers.armed = 1
    body = content_payload(BLOG_POSTS, status="published", category="Lost")
    response = client.post(BLOG_POSTS.path, json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    assert_resent_once(lost_answers)
    listed = client.get(BLOG_POSTS.path).json()["items"]
    assert [item["id"] for item in listed] == [response.json()["id"]]
    assert client.get("/v1/blog/categories").json()["items"] == [{"name": "Lost", "count": 1}]


def test_creating_a_product(
    client: TestClient, owner: SignedInUser, lost_answers: LostAnswers
) -> None:
    lost_answers.armed = 1
    body = {"id": "LOST1", "name": "Mug", "category": "Merch", "price": 19.99, "stock": 10}
    response = client.post("/v1/products", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    assert_resent_once(lost_answers)
    assert [p["id"] for p in client.get("/v1/products").json()["items"]] == ["LOST1"]


def test_patch_with_if_match(
    client: TestClient, owner: SignedInUser, lost_answers: LostAnswers
) -> None:
    created = client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS), headers=owner.headers
    ).json()
    lost_answers.tokens.clear()
    lost_answers.armed = 1
    response = client.patch(
        f"{BLOG_POSTS.path}/{created['id']}",
        json={"summary": "Once"},
        headers={**owner.headers, "If-Match": f'"{created["version"]}"'},
    )
    assert response.status_code == 200, response.text
    assert_resent_once(lost_answers)
    stored = client.get(f"{BLOG_POSTS.path}/{created['id']}", headers=owner.headers).json()
    assert (stored["summary"], stored["version"]) == ("Once", created["version"] + 1)


def test_a_stock_delta(client: TestClient, owner: SignedInUser, lost_answers: LostAnswers) -> None:
    body = {"id": "LOST2", "name": "Mug", "category": "Merch", "price": 5, "stock": 10}
    assert client.post("/v1/products", json=body, headers=owner.headers).status_code == 201
    lost_answers.tokens.clear()
    lost_answers.armed = 1
    response = client.post("/v1/products/LOST2/stock", json={"delta": -3}, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert_resent_once(lost_answers)
    assert response.json()["stock"] == 7  # not 4: applied once
    assert client.get("/v1/products/LOST2").json()["stock"] == 7


def test_counting_a_view(
    client: TestClient, owner: SignedInUser, lost_answers: LostAnswers
) -> None:
    post = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, status="published"),
        headers=owner.headers,
    ).json()
    client.post(
        "/v1/visitors/track", json={"path": "/warm"}, headers=BROWSER_HEADERS
    )  # the day's salt
    lost_answers.tokens.clear()
    lost_answers.armed = 1
    counted = client.post(
        "/v1/analytics/views",
        json={"contentType": "blog", "contentId": post["id"]},
        headers=BROWSER_HEADERS,
    )
    assert counted.json() == {"counted": True}
    assert_resent_once(lost_answers)
    assert client.get(f"/v1/analytics/views/blog/{post['id']}").json()["views"] == 1
    assert client.get("/v1/analytics/views/total").json()["total"] == 1


def test_counting_a_visit(client: TestClient, lost_answers: LostAnswers) -> None:
    client.post(
        "/v1/visitors/track", json={"path": "/warm"}, headers=BROWSER_HEADERS
    )  # the day's salt
    before = client.get("/v1/visitors/count").json()
    lost_answers.tokens.clear()
    lost_answers.armed = 1
    other = {"User-Agent": BROWSER + " other"}
    assert client.post("/v1/visitors/track", json={"path": "/"}, headers=other).json() == {
        "counted": True
    }
    assert_resent_once(lost_answers)
    after = client.get("/v1/visitors/count").json()
    assert after["total"] == before["total"] + 1


def test_a_create_never_answered_keeps_its_key_held_and_exists_once(
    client: TestClient, owner: SignedInUser, lost_answers: LostAnswers
) -> None:
    """Every answer of the create lost: a 503 that says it may have been applied; the key, whose
    claim went through, stays held."""
    lost_answers.armed, lost_answers.passed_first = 100, 1
    headers = {**owner.headers, "Idempotency-Key": "never-answered"}
    body = content_payload(BLOG_POSTS, status="published")
    response = client.post(BLOG_POSTS.path, json=body, headers=headers)
    assert response.status_code == 503, response.text
    assert "may have been applied" in response.json()["detail"]
    assert int(response.headers["Retry-After"]) >= 1
    _claim, *create = lost_answers.tokens
    assert len(create) > 2 and len(set(create)) == 1  # resent, only ever under its first token
    lost_answers.armed = 0
    assert len(client.get(BLOG_POSTS.path).json()["items"]) == 1  # it did land, once
    again = client.post(BLOG_POSTS.path, json=body, headers=headers)
    assert again.status_code == 409  # held: a retry never makes a second post
    assert len(client.get(BLOG_POSTS.path).json()["items"]) == 1


def test_a_stock_delta_never_answered_is_applied_once(
    client: TestClient, owner: SignedInUser, lost_answers: LostAnswers
) -> None:
    body = {"id": "LOST3", "name": "Mug", "category": "Merch", "price": 5, "stock": 10}
    assert client.post("/v1/products", json=body, headers=owner.headers).status_code == 201
    lost_answers.armed = 100
    response = client.post("/v1/products/LOST3/stock", json={"delta": -3}, headers=owner.headers)
    assert response.status_code == 503 and "may have been applied" in response.json()["detail"]
    lost_answers.armed = 0
    assert client.get("/v1/products/LOST3").json()["stock"] == 7


def test_a_repeat_view_of_a_withdrawn_post_is_a_404(
    client: TestClient, owner: SignedInUser
) -> None:
    """Both conditions fail (counted today, and no longer published): the 404 wins."""
    post = client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS, status="published"), headers=owner.headers
    ).json()
    body = {"contentType": "blog", "contentId": post["id"]}
    assert client.post("/v1/analytics/views", json=body, headers=BROWSER_HEADERS).json() == {
        "counted": True
    }
    client.post(f"{BLOG_POSTS.path}/{post['id']}/unpublish", headers=owner.headers)
    repeat = client.post("/v1/analytics/views", json=body, headers=BROWSER_HEADERS)
    assert repeat.status_code == 404, repeat.text


def test_releasing_a_key_never_removes_a_later_claim(settings: Settings) -> None:
    """A release resent after a later request claimed the key leaves that claim alone."""
    repository = IdempotencyRepository(
        dynamodb_client(settings.region), settings.dynamodb_table_name
    )
    now = 1_800_000_000
    claim = {"now": now, "expires_at": now + 100, "locked_until": now + 60}
    assert repository.claim("d1", "h", attempt="first", **claim) is None
    repository.release("d1", "first")
    assert repository.claim("d1", "h", attempt="second", **claim) is None
    repository.release("d1", "first")  # the first release, resent late
    held = repository.claim("d1", "h", attempt="third", **claim)
    assert held is not None and held["attempt"] == "second"


def test_a_task_edit_and_delete(
    client: TestClient, member: SignedInUser, lost_answers: LostAnswers
) -> None:
    task = client.post("/v1/tasks", json={"title": "t"}, headers=member.headers).json()
    url = f"/v1/tasks/{task['id']}"
    lost_answers.tokens.clear()
    lost_answers.armed = 1
    edited = client.patch(
        url,
        json={"status": "completed"},
        headers={**member.headers, "If-Match": f'"{task["version"]}"'},
    )
    assert edited.status_code == 200, edited.text
    assert_resent_once(lost_answers)
    assert client.get(url, headers=member.headers).json()["version"] == task["version"] + 1
    lost_answers.tokens.clear()
    lost_answers.lost = 0
    lost_answers.armed = 1
    assert client.delete(url, headers=member.headers).status_code == 204  # not a 404
    assert_resent_once(lost_answers)
    assert client.get(url, headers=member.headers).status_code == 404


def test_a_profile_update(
    client: TestClient, member: SignedInUser, lost_answers: LostAnswers
) -> None:
    me = client.get("/v1/users/me", headers=member.headers).json()
    lost_answers.tokens.clear()
    lost_answers.armed = 1
    response = client.patch(
        "/v1/users/me",
        json={"bio": "Once"},
        headers={**member.headers, "If-Match": f'"{me["version"]}"'},
    )
    assert response.status_code == 200, response.text
    assert_resent_once(lost_answers)
    assert (response.json()["bio"], response.json()["version"]) == ("Once", me["version"] + 1)


def test_a_keyed_create_whose_claim_answer_is_lost(
    client: TestClient, owner: SignedInUser, lost_answers: LostAnswers
) -> None:
    lost_answers.armed = 1  # the first transaction is the Idempotency-Key's claim
    headers = {**owner.headers, "Idempotency-Key": "claim-lost"}
    body = content_payload(BLOG_POSTS, status="published")
    created = client.post(BLOG_POSTS.path, json=body, headers=headers)
    assert created.status_code == 201, created.text  # not "still being processed"
    assert lost_answers.lost == 1 and lost_answers.tokens[0] == lost_answers.tokens[1]
    replay = client.post(BLOG_POSTS.path, json=body, headers=headers)
    assert replay.status_code == 201 and replay.json()["id"] == created.json()["id"]
    assert len(client.get(BLOG_POSTS.path).json()["items"]) == 1

"""Edges of the content mechanism found in review: sizes, slugs (raced too), nulls, counters,
replays."""

import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS, PROJECTS
from portfolio_api.content.slugs import candidates, slugify
from portfolio_api.core.errors import ValidationFailed
from portfolio_api.db import keys
from portfolio_api.local.stack import LocalStack
from portfolio_api.repositories.content import WriteRaced
from portfolio_api.repositories.idempotency import IdempotencyRepository
from tests.conftest import SignedInUser
from tests.factories import content_payload
from tests.harness import AppProcesses, race


def test_an_item_too_large_to_store_is_400_and_writes_nothing(
    client: TestClient, owner: SignedInUser
) -> None:
    body = content_payload(BLOG_POSTS, content="中" * 200_000, slug="big")
    response = client.post(BLOG_POSTS.path, json=body, headers=owner.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "content"
    listed = client.get(BLOG_POSTS.path, params={"status": "all"}, headers=owner.headers)
    assert listed.json()["items"] == []
    assert (
        client.post(
            BLOG_POSTS.path, json=content_payload(BLOG_POSTS, slug="big"), headers=owner.headers
        ).status_code
        == 201
    )


def test_lists_leave_out_long_markdown_but_the_item_has_it(
    client: TestClient, owner: SignedInUser
) -> None:
    for spec, field in ((BLOG_POSTS, "content"), (PROJECTS, "description")):
        made = client.post(
            spec.path, json=content_payload(spec, status="published"), headers=owner.headers
        ).json()
        listed = client.get(spec.path).json()["items"][0]
        assert field not in listed and field in made
        assert {k for k in made if k != field} == set(listed)
    listed_post = client.get(BLOG_POSTS.path).json()["items"][0]
    assert listed_post["readingTimeMinutes"] == 3


def test_a_derived_slug_never_takes_over_a_shared_link(
    client: TestClient, owner: SignedInUser
) -> None:
    first = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, title="Shared Link", status="published"),
        headers=owner.headers,
    ).json()
    client.patch(
        f"{BLOG_POSTS.path}/{first['id']}", json={"slug": "renamed"}, headers=owner.headers
    )
    second = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, title="Shared Link"),
        headers=owner.headers,
    ).json()
    assert second["slug"] == "shared-link-2"
    moved = client.get(f"{BLOG_POSTS.path}/shared-link", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"].endswith("/renamed")


def test_racing_creates_of_one_title_each_get_their_own_slug(
    client: TestClient, owner: SignedInUser, app_processes: AppProcesses
) -> None:
    """Nine posts titled alike, created at once over three processes: nine slugs, none shared."""
    body = content_payload(BLOG_POSTS, title="Race Day", status="published")

    def create(process: httpx.Client, _: int) -> tuple[int, str]:
        response = process.post(BLOG_POSTS.path, json=body, headers=owner.headers)
        return response.status_code, response.json().get("slug", response.text)

    results = race(app_processes, 9, create)
    assert sorted(results) == sorted((201, slug) for slug in candidates("race-day", 9))
    for _, slug in results:  # and each slug leads to its own post
        assert client.get(f"{BLOG_POSTS.path}/{slug}").json()["slug"] == slug


def test_racing_renames_to_one_slug_have_one_winner(
    client: TestClient, owner: SignedInUser, app_processes: AppProcesses
) -> None:
    posts = [
        client.post(
            BLOG_POSTS.path,
            json=content_payload(BLOG_POSTS, title=f"Post {n}"),
            headers=owner.headers,
        ).json()
        for n in range(9)
    ]

    def rename(process: httpx.Client, n: int) -> tuple[int, str | None]:
        url = f"{BLOG_POSTS.path}/{posts[n]['id']}"
        response = process.patch(url, json={"slug": "the-one"}, headers=owner.headers)
        return response.status_code, response.json().get("code")

    results = race(app_processes, 9, rename)
    assert sorted(results, key=str) == [(200, None)] + [(409, "slug_taken")] * 8
    winner = posts[results.index((200, None))]
    assert (
        client.get(f"{BLOG_POSTS.path}/the-one", headers=owner.headers).json()["id"] == winner["id"]
    )


@pytest.mark.parametrize(
    ("spec", "field"), [(PROJECTS, "featured"), (BLOG_POSTS, "tags"), (BLOG_POSTS, "status")]
)
def test_fields_with_defaults_cannot_be_nulled(
    client: TestClient, owner: SignedInUser, spec: Any, field: str
) -> None:
    made = client.post(spec.path, json=content_payload(spec), headers=owner.headers).json()
    response = client.patch(f"{spec.path}/{made['id']}", json={field: None}, headers=owner.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "message": "may not be null"}]


@pytest.mark.parametrize("slug", ["-", "---", "a" * 101, "UPPER", "spa ce", "ünï"])
def test_bad_slugs_are_400(client: TestClient, owner: SignedInUser, slug: str) -> None:
    response = client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS, slug=slug), headers=owner.headers
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "slug"


def test_transliteration_spells_out_letters() -> None:
    assert slugify("Straße Œuvre Ærø łódź", "post") == "strasse-oeuvre-aero-lodz"


def test_counter_names_keep_the_first_spelling(client: TestClient, owner: SignedInUser) -> None:
    first = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, category="AWS", status="published"),
        headers=owner.headers,
    ).json()
    second = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, category="aws", status="published"),
        headers=owner.headers,
    ).json()
    assert client.get("/v1/blog/categories").json()["items"] == [{"name": "AWS", "count": 2}]
    client.delete(f"{BLOG_POSTS.path}/{second['id']}", headers=owner.headers)
    assert client.get("/v1/blog/categories").json()["items"] == [{"name": "AWS", "count": 1}]
    assert first["category"] == "AWS"


def test_create_retries_a_transaction_conflict(
    app: FastAPI, client: TestClient, owner: SignedInUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = app.state.container.content_service._repository
    real_save = repository.save
    failures = [WriteRaced(), WriteRaced()]

    def flaky_save(*args: Any, **kwargs: Any) -> None:
        if failures:
            raise failures.pop()
        real_save(*args, **kwargs)

    monkeypatch.setattr(repository, "save", flaky_save)
    response = client.post(BLOG_POSTS.path, json=content_payload(BLOG_POSTS), headers=owner.headers)
    assert response.status_code == 201 and response.json()["slug"] == "hello-world"


def test_large_non_ascii_replays_exactly(client: TestClient, owner: SignedInUser) -> None:
    headers = {**owner.headers, "Idempotency-Key": "big-unicode"}
    body = content_payload(BLOG_POSTS, content="ж" * 70_000)
    first = client.post(BLOG_POSTS.path, json=body, headers=headers)
    second = client.post(BLOG_POSTS.path, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()


def test_an_answer_that_cannot_be_stored_holds_the_key(
    client: TestClient, owner: SignedInUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ValidationFailed("too large")

    monkeypatch.setattr(IdempotencyRepository, "complete", refuse)
    headers = {**owner.headers, "Idempotency-Key": "unstorable"}
    body = content_payload(BLOG_POSTS)
    assert client.post(BLOG_POSTS.path, json=body, headers=headers).status_code == 201
    retry = client.post(BLOG_POSTS.path, json=body, headers=headers)
    assert retry.status_code == 409  # never a second post
    listed = client.get(BLOG_POSTS.path, params={"status": "all"}, headers=owner.headers)
    assert len(listed.json()["items"]) == 1


def test_an_edit_that_loses_to_another_edit_is_412_with_if_match(
    app: FastAPI, client: TestClient, owner: SignedInUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS), headers=owner.headers
    ).json()
    url = f"{BLOG_POSTS.path}/{created['id']}"
    service = app.state.container.content_service
    repository = service._repository
    real_get = repository.get
    raced: list[int] = []

    def get_then_edit(spec: Any, item_id: str, *, consistent: bool = False) -> Any:
        item = real_get(spec, item_id, consistent=consistent)
        if consistent and not raced:  # another edit commits between this read and its write
            raced.append(1)
            other = spec.update_model.model_validate({"summary": "The other edit"})
            service.update(spec, item_id, other, None)
        return item

    monkeypatch.setattr(repository, "get", get_then_edit)
    response = client.patch(
        url, json={"summary": "Mine"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert response.status_code == 412
    stored = client.get(url, headers=owner.headers).json()
    assert (stored["summary"], stored["version"]) == ("The other edit", 2)


def test_an_item_stored_before_a_field_existed_reads_as_the_document_promises(
    client: TestClient, owner: SignedInUser, dynamodb: Any, stack: LocalStack
) -> None:
    # Given a post stored without `tags` and `coverImageUrl`, as one written before they existed
    created = client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS, status="published"), headers=owner.headers
    ).json()
    _remove_from_stored_post(dynamodb, stack, created["id"], "tags, coverImageUrl")
    # When it is read
    read = client.get(f"{BLOG_POSTS.path}/{created['id']}")
    # Then the list field is an empty list, not null, and the optional one null, as documented
    assert read.status_code == 200
    assert read.json()["tags"] == []
    assert read.json()["coverImageUrl"] is None


def test_an_item_that_breaks_its_read_model_is_served_logged_and_can_be_deleted(
    app: FastAPI,
    owner: SignedInUser,
    dynamodb: Any,
    stack: LocalStack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a published post whose stored item lost a field the document requires (by hand,
    # or by an older release); a plain client, since this answer breaks the schema on purpose
    plain = TestClient(app, raise_server_exceptions=False)
    created = plain.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS, status="published"), headers=owner.headers
    ).json()
    _remove_from_stored_post(dynamodb, stack, created["id"], "readingTimeMinutes")
    # When it is read alone and in its list, then both answer; the item as stored, logged (the
    # list reads the post's list entry, which still holds the field)
    with caplog.at_level(logging.ERROR, logger="portfolio_api.read_models"):
        one = plain.get(f"{BLOG_POSTS.path}/{created['id']}")
        listed = plain.get(BLOG_POSTS.path)
    assert one.status_code == 200 and one.json()["readingTimeMinutes"] is None
    assert listed.status_code == 200 and [i["id"] for i in listed.json()["items"]] == [
        created["id"]
    ]
    logged = [r for r in caplog.records if r.name == "portfolio_api.read_models"]
    assert [r.itemId for r in logged] == [created["id"]]  # type: ignore[attr-defined]
    # And the owner can delete it: 204, and it is gone
    deleted = plain.delete(f"{BLOG_POSTS.path}/{created['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert plain.get(f"{BLOG_POSTS.path}/{created['id']}", headers=owner.headers).status_code == 404


def _remove_from_stored_post(dynamodb: Any, stack: LocalStack, post_id: str, names: str) -> None:
    """Take attributes off a stored post behind the API's back, as an older release or a hand
    edit would have left it."""
    key = {name: {"S": value} for name, value in keys.content_item("blog", post_id).items()}
    dynamodb.update_item(TableName=stack.table_name, Key=key, UpdateExpression=f"REMOVE {names}")

"""Publishable content through HTTP, for every collection (parametrised over ALL_COLLECTIONS)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.content.spec import ContentSpec
from tests.conftest import SignedInUser
from tests.factories import EDITABLE_TEXT, content_payload, titled

pytestmark = pytest.mark.parametrize("spec", ALL_COLLECTIONS, ids=lambda s: s.name)


def create(client: TestClient, spec: ContentSpec, owner: SignedInUser, **fields: Any) -> Any:
    response = client.post(spec.path, json=content_payload(spec, **fields), headers=owner.headers)
    assert response.status_code == 201, response.text
    return response


def test_lifecycle_draft_publish_edit_unpublish_delete(
    client: TestClient, spec: ContentSpec, owner: SignedInUser, member: SignedInUser
) -> None:
    # Given a draft
    created = create(client, spec, owner)
    item = created.json()
    assert item["status"] == "draft" and item["publishedAt"] is None
    assert item["version"] == 1 and item["views"] == 0
    assert created.headers["location"] == f"{spec.path}/{item['id']}"
    assert created.headers["etag"] == '"1"'
    url = f"{spec.path}/{item['id']}"
    # Then only the owner sees it
    assert client.get(url).status_code == 404
    assert client.get(url, headers=member.headers).status_code == 404
    assert client.get(url, headers=owner.headers).json()["id"] == item["id"]
    assert client.get(spec.path).json()["items"] == []
    # When published
    published = client.post(f"{url}/publish", headers=owner.headers)
    assert published.status_code == 200
    body = published.json()
    assert body["status"] == "published" and body["publishedAt"] and body["version"] == 2
    first_published_at = body["publishedAt"]
    # Then everyone sees it, by id and by slug, and in the list
    assert client.get(url).json()["status"] == "published"
    assert client.get(f"{spec.path}/{item['slug']}").json()["id"] == item["id"]
    assert [i["id"] for i in client.get(spec.path).json()["items"]] == [item["id"]]
    # Publishing again changes nothing
    again = client.post(f"{url}/publish", headers=owner.headers).json()
    assert again["version"] == 2
    # An edit bumps the version and keeps publishedAt
    patched = client.patch(url, json={EDITABLE_TEXT[spec.name]: "Changed."}, headers=owner.headers)
    assert patched.status_code == 200
    assert patched.json()[EDITABLE_TEXT[spec.name]] == "Changed." and patched.json()["version"] == 3
    assert patched.headers["etag"] == '"3"'
    # Unpublish hides it again but keeps publishedAt
    draft = client.post(f"{url}/unpublish", headers=owner.headers).json()
    assert draft["status"] == "draft" and draft["publishedAt"] == first_published_at
    assert client.get(url).status_code == 404
    republished = client.post(f"{url}/publish", headers=owner.headers).json()
    assert republished["publishedAt"] == first_published_at
    # Delete
    assert client.delete(url, headers=owner.headers).status_code == 204
    assert client.get(url, headers=owner.headers).status_code == 404
    assert client.get(f"{spec.path}/{item['slug']}", headers=owner.headers).status_code == 404
    assert client.get(spec.path).json()["items"] == []
    assert client.delete(url, headers=owner.headers).status_code == 404


def test_created_published_when_asked(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    item = create(client, spec, owner, status="published").json()
    assert item["status"] == "published" and item["publishedAt"].endswith("Z")
    assert client.get(f"{spec.path}/{item['id']}").status_code == 200


def test_writes_need_the_owner(
    client: TestClient, spec: ContentSpec, owner: SignedInUser, member: SignedInUser
) -> None:
    item = create(client, spec, owner).json()
    url = f"{spec.path}/{item['id']}"
    attempts = [
        ("post", spec.path, content_payload(spec)),
        ("patch", url, {EDITABLE_TEXT[spec.name]: "x"}),
        ("delete", url, None),
        ("post", f"{url}/publish", None),
        ("post", f"{url}/unpublish", None),
    ]
    for method, path, body in attempts:
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        anonymous = client.request(method, path, **kwargs)
        assert anonymous.status_code == 401, (method, path)
        as_member = client.request(method, path, headers=member.headers, **kwargs)
        assert as_member.status_code == 403, (method, path)
        assert as_member.json()["code"] == "forbidden"
    assert client.get(url, headers=owner.headers).json()["version"] == 1


def test_draft_lists_are_the_owners(
    client: TestClient, spec: ContentSpec, owner: SignedInUser, member: SignedInUser
) -> None:
    draft = create(client, spec, owner).json()
    published = create(client, spec, owner, status="published", slug="live-one").json()
    for status in ("draft", "all"):
        assert client.get(spec.path, params={"status": status}).status_code == 401
        member_list = client.get(spec.path, params={"status": status}, headers=member.headers)
        assert member_list.status_code == 403
    drafts = client.get(spec.path, params={"status": "draft"}, headers=owner.headers).json()
    assert [i["id"] for i in drafts["items"]] == [draft["id"]]
    everything = client.get(spec.path, params={"status": "all"}, headers=owner.headers).json()
    assert [i["id"] for i in everything["items"]] == [published["id"], draft["id"]]
    owner_default = client.get(spec.path, headers=owner.headers).json()
    assert [i["id"] for i in owner_default["items"]] == [published["id"]]
    explicit = client.get(spec.path, params={"status": "published"}).json()
    assert [i["id"] for i in explicit["items"]] == [published["id"]]


@pytest.mark.slow  # walks every page of a large list
def test_pagination_walks_every_item_once_in_order(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    ids = [
        create(client, spec, owner, status="published", slug=f"item-{n}").json()["id"]
        for n in range(25)
    ]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = client.get(spec.path, params=params).json()
        pages += 1
        assert len(page["items"]) == (10 if page["nextCursor"] else 5)
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 25
    published = [client.get(f"{spec.path}/{i}").json()["publishedAt"] for i in seen]
    assert published == sorted(published, reverse=True)


def test_tampered_and_foreign_cursors_are_400(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    for n in range(3):
        create(client, spec, owner, status="published", slug=f"c-{n}")
    cursor = client.get(spec.path, params={"limit": 1}).json()["nextCursor"]
    payload, mac = cursor.split(".")
    flipped = ("A" if payload[0] != "A" else "B") + payload[1:]
    for bad in (f"{flipped}.{mac}", "garbage", "a.b.c", f"{payload}.", "!!!.???"):
        response = client.get(spec.path, params={"cursor": bad})
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "cursor"
    drafts_cursor = client.get(
        spec.path, params={"status": "all", "limit": 1}, headers=owner.headers
    ).json()["nextCursor"]
    foreign = client.get(spec.path, params={"cursor": drafts_cursor})
    assert foreign.status_code == 400


def test_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    item = create(client, spec, owner).json()
    url = f"{spec.path}/{item['id']}"
    assert (
        client.patch(url, json={EDITABLE_TEXT[spec.name]: "one"}, headers=owner.headers).status_code
        == 200
    )
    stale = {**owner.headers, "If-Match": '"1"'}
    response = client.patch(url, json={EDITABLE_TEXT[spec.name]: "two"}, headers=stale)
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert client.delete(url, headers=stale).status_code == 412
    current = client.get(url, headers=owner.headers)
    assert current.json()[EDITABLE_TEXT[spec.name]] == "one" and current.json()["version"] == 2
    fresh = {**owner.headers, "If-Match": current.headers["etag"]}
    assert (
        client.patch(url, json={EDITABLE_TEXT[spec.name]: "three"}, headers=fresh).status_code
        == 200
    )


def test_retried_create_with_idempotency_key_creates_one_item(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    headers = {**owner.headers, "Idempotency-Key": "create-1"}
    body = content_payload(spec, status="published")
    first = client.post(spec.path, json=body, headers=headers)
    second = client.post(spec.path, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    assert len(client.get(spec.path).json()["items"]) == 1
    reused = client.post(spec.path, json={**body, "slug": "other"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    other_key = client.post(
        spec.path, json=body, headers={**owner.headers, "Idempotency-Key": "create-2"}
    )
    assert other_key.status_code == 201 and other_key.json()["id"] != first.json()["id"]


def test_idempotency_key_over_255_chars_is_400(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    headers = {**owner.headers, "Idempotency-Key": "k" * 256}
    response = client.post(spec.path, json=content_payload(spec), headers=headers)
    assert response.status_code == 400
    assert (
        client.get(spec.path, params={"status": "all"}, headers=owner.headers).json()["items"] == []
    )


def test_failed_create_releases_the_idempotency_key(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    create(client, spec, owner, slug="taken")
    headers = {**owner.headers, "Idempotency-Key": "retry-me"}
    clash = client.post(spec.path, json=content_payload(spec, slug="taken"), headers=headers)
    assert clash.status_code == 409 and clash.json()["code"] == "slug_taken"
    client.delete(f"{spec.path}/taken", headers=owner.headers)  # a slug is not an id: 404
    retry = client.post(spec.path, json=content_payload(spec, slug="taken"), headers=headers)
    assert retry.status_code == 409  # ran again (not a stored answer), still taken


def test_slugs_are_derived_unique_and_explicit_ones_conflict(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    first = client.post(spec.path, json=titled(spec, "Héllo Wörld!"), headers=owner.headers)
    second = client.post(spec.path, json=titled(spec, "Hello World"), headers=owner.headers)
    third = client.post(spec.path, json=titled(spec, "hello world"), headers=owner.headers)
    assert [r.json()["slug"] for r in (first, second, third)] == [
        "hello-world",
        "hello-world-2",
        "hello-world-3",
    ]
    taken = client.post(
        spec.path, json=content_payload(spec, slug="hello-world"), headers=owner.headers
    )
    assert taken.status_code == 409 and taken.json()["code"] == "slug_taken"
    rename = client.patch(
        f"{spec.path}/{third.json()['id']}", json={"slug": "hello-world"}, headers=owner.headers
    )
    assert rename.status_code == 409 and rename.json()["code"] == "slug_taken"
    bad = client.post(
        spec.path, json=content_payload(spec, slug="Not A Slug"), headers=owner.headers
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "slug"


def test_renamed_slug_redirects_until_claimed(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    item = create(client, spec, owner, status="published", slug="old-name").json()
    renamed = client.patch(
        f"{spec.path}/{item['id']}", json={"slug": "new-name"}, headers=owner.headers
    )
    assert renamed.json()["slug"] == "new-name"
    moved = client.get(f"{spec.path}/old-name", follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{spec.path}/new-name"
    assert client.get(f"{spec.path}/new-name").json()["id"] == item["id"]
    # renamed again: the first slug follows to the newest
    client.patch(f"{spec.path}/{item['id']}", json={"slug": "newest"}, headers=owner.headers)
    assert client.get(f"{spec.path}/old-name", follow_redirects=False).headers["location"] == (
        f"{spec.path}/newest"
    )
    # another item claims the old slug: it now answers with that item
    other = create(client, spec, owner, status="published", slug="old-name").json()
    assert client.get(f"{spec.path}/old-name").json()["id"] == other["id"]


def test_if_none_match_gives_304(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    item = create(client, spec, owner, status="published").json()
    url = f"{spec.path}/{item['id']}"
    etag = client.get(url).headers["etag"]
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.headers["etag"] == etag
    assert not_modified.content == b""
    assert client.get(url, headers={"If-None-Match": '"99"'}).status_code == 200


def test_unknown_fields_and_server_fields_are_rejected(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    for extra in (
        {"views": 5},
        {"version": 2},
        {"id": "x"},
        {"publishedAt": "2026-01-01T00:00:00Z"},
        {"bogus": 1},
    ):
        response = client.post(
            spec.path, json=content_payload(spec, **extra), headers=owner.headers
        )
        assert response.status_code == 400, extra
        assert response.json()["errors"][0]["message"] == "unknown field"


def test_unknown_query_parameter_is_400(client: TestClient, spec: ContentSpec) -> None:
    response = client.get(spec.path, params={"colour": "blue"})
    assert response.status_code == 400


@pytest.mark.parametrize("limit", [0, 101, "ten"])
def test_limit_out_of_range_is_400(client: TestClient, spec: ContentSpec, limit: Any) -> None:
    response = client.get(spec.path, params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


def test_patch_null_clears_optional_and_refuses_required(
    client: TestClient, spec: ContentSpec, owner: SignedInUser
) -> None:
    item = create(client, spec, owner).json()
    url = f"{spec.path}/{item['id']}"
    required = next(
        (info.alias or name)
        for name, info in spec.create_model.model_fields.items()
        if info.is_required()
    )
    for never_null in (required, "slug"):  # a slug is optional on create only (derived)
        refused = client.patch(url, json={never_null: None}, headers=owner.headers)
        assert refused.status_code == 400
        assert refused.json()["errors"] == [{"field": never_null, "message": "may not be null"}]
    # an optional field the factory's payload fills, which PATCH may clear
    optional = next(
        (info.alias or name)
        for name, info in spec.create_model.model_fields.items()
        if not info.is_required()
        and info.default is None
        and (info.alias or name) != "slug"
        and item.get(info.alias or name)
    )
    assert item[optional]
    cleared = client.patch(url, json={optional: None}, headers=owner.headers)
    assert cleared.status_code == 200 and cleared.json()[optional] is None


def test_unknown_id_is_404(client: TestClient, spec: ContentSpec, owner: SignedInUser) -> None:
    for method, suffix in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/publish")):
        kwargs: dict[str, Any] = (
            {"json": {EDITABLE_TEXT[spec.name]: "x"}} if method == "patch" else {}
        )
        response = client.request(
            method, f"{spec.path}/01NOSUCHID{suffix}", headers=owner.headers, **kwargs
        )
        assert response.status_code == 404, (method, suffix)

"""Filters of each collection and the blog's category counts."""

from typing import Any

from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS, CERTIFICATIONS, PROJECTS
from tests.conftest import SignedInUser
from tests.factories import content_payload


def publish(client: TestClient, path: str, owner: SignedInUser, body: dict[str, Any]) -> str:
    response = client.post(path, json={**body, "status": "published"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def ids(client: TestClient, path: str, **params: Any) -> list[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_blog_filters_by_category_and_tag(client: TestClient, owner: SignedInUser) -> None:
    path = BLOG_POSTS.path
    a = publish(
        client, path, owner, content_payload(BLOG_POSTS, category="AWS", tags=["lambda", "Python"])
    )
    b = publish(
        client, path, owner, content_payload(BLOG_POSTS, category="Python", tags=["python"])
    )
    client.post(
        path,
        json=content_payload(BLOG_POSTS, category="AWS", tags=["lambda"]),
        headers=owner.headers,
    )
    assert ids(client, path, category="AWS") == [a]
    assert ids(client, path, category="aws") == [a]  # case-insensitive
    assert ids(client, path, tag="python") == [b, a]
    assert ids(client, path, tag="LAMBDA") == [a]
    assert ids(client, path, tag="missing") == []
    assert ids(client, path, category="AWS", tag="python") == [a]  # filters combine
    assert ids(client, path, category="Python", tag="lambda") == []


def test_filters_follow_edits_unpublish_and_delete(client: TestClient, owner: SignedInUser) -> None:
    path = BLOG_POSTS.path
    post = publish(
        client, path, owner, content_payload(BLOG_POSTS, category="AWS", tags=["a", "b"])
    )
    client.patch(
        f"{path}/{post}", json={"category": "Ops", "tags": ["b", "c"]}, headers=owner.headers
    )
    assert ids(client, path, category="AWS") == []
    assert ids(client, path, category="Ops") == [post]
    assert ids(client, path, tag="a") == []
    assert ids(client, path, tag="c") == [post]
    listed = client.get(path, params={"tag": "c"}).json()["items"][0]
    assert listed["category"] == "Ops" and listed["version"] == 2
    client.post(f"{path}/{post}/unpublish", headers=owner.headers)
    assert ids(client, path, tag="b") == []
    client.post(f"{path}/{post}/publish", headers=owner.headers)
    assert ids(client, path, tag="b") == [post]
    client.delete(f"{path}/{post}", headers=owner.headers)
    assert ids(client, path, tag="b") == [] and ids(client, path, category="Ops") == []


def test_project_filters_by_featured_and_tech(client: TestClient, owner: SignedInUser) -> None:
    path = PROJECTS.path
    star = publish(
        client, path, owner, content_payload(PROJECTS, featured=True, techStack=["Python", "AWS"])
    )
    plain = publish(
        client, path, owner, content_payload(PROJECTS, featured=False, techStack=["Go"])
    )
    assert ids(client, path, featured="true") == [star]
    assert ids(client, path, featured="false") == [plain]
    assert ids(client, path, tech="python") == [star]
    assert ids(client, path, tech="GO") == [plain]
    assert client.get(path, params={"featured": "maybe"}).status_code == 400


def test_certification_filters_by_type_and_issuer(client: TestClient, owner: SignedInUser) -> None:
    path = CERTIFICATIONS.path
    aws = publish(client, path, owner, content_payload(CERTIFICATIONS, type="aws", issuer="Amazon"))
    sec = publish(
        client, path, owner, content_payload(CERTIFICATIONS, type="security", issuer="ISC2")
    )
    assert ids(client, path, type="aws") == [aws]
    assert ids(client, path, type="security") == [sec]
    assert ids(client, path, issuer="isc2") == [sec]


def test_category_counts_follow_publish_state(client: TestClient, owner: SignedInUser) -> None:
    path = BLOG_POSTS.path
    first = publish(client, path, owner, content_payload(BLOG_POSTS, category="AWS"))
    publish(client, path, owner, content_payload(BLOG_POSTS, category="AWS"))
    publish(client, path, owner, content_payload(BLOG_POSTS, category="Python"))
    client.post(path, json=content_payload(BLOG_POSTS, category="Drafts"), headers=owner.headers)
    counts = client.get("/v1/blog/categories").json()["items"]
    assert counts == [{"name": "AWS", "count": 2}, {"name": "Python", "count": 1}]
    client.post(f"{path}/{first}/unpublish", headers=owner.headers)
    assert client.get("/v1/blog/categories").json()["items"] == [
        {"name": "AWS", "count": 1},
        {"name": "Python", "count": 1},
    ]
    client.delete(f"{path}/{first}", headers=owner.headers)  # a draft: no count to drop
    assert client.get("/v1/blog/categories").json()["items"][0] == {"name": "AWS", "count": 1}


def test_derived_fields(client: TestClient, owner: SignedInUser) -> None:
    post = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, content="word " * 401),
        headers=owner.headers,
    ).json()
    assert post["readingTimeMinutes"] == 3
    assert post["tags"] == ["aws", "python"]
    short = client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS, content="tiny"), headers=owner.headers
    ).json()
    assert short["readingTimeMinutes"] == 1
    expired = client.post(
        CERTIFICATIONS.path,
        json=content_payload(CERTIFICATIONS, issueDate="2020-01-01", expiryDate="2021-01-01"),
        headers=owner.headers,
    ).json()
    assert expired["expired"] is True
    open_ended = client.post(
        CERTIFICATIONS.path,
        json=content_payload(CERTIFICATIONS, expiryDate=None),
        headers=owner.headers,
    ).json()
    assert open_ended["expired"] is False


def test_validation_names_fields(client: TestClient, owner: SignedInUser) -> None:
    bad_post = client.post(
        BLOG_POSTS.path,
        json=content_payload(
            BLOG_POSTS, tags=["ok", "x" * 31], coverImageUrl="http://insecure.example/a.png"
        ),
        headers=owner.headers,
    )
    assert bad_post.status_code == 400
    assert {e["field"] for e in bad_post.json()["errors"]} == {"tags[1]", "coverImageUrl"}
    too_many = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, tags=[f"t{n}" for n in range(11)]),
        headers=owner.headers,
    )
    assert too_many.status_code == 400
    dupes = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, tags=["A", "a"] * 6),
        headers=owner.headers,
    )
    assert dupes.status_code == 201 and dupes.json()["tags"] == ["a"]
    bad_dates = client.post(
        PROJECTS.path,
        json=content_payload(PROJECTS, startDate="2026-05-01", endDate="2026-04-01"),
        headers=owner.headers,
    )
    assert bad_dates.status_code == 400
    assert bad_dates.json()["errors"] == [
        {"field": "endDate", "message": "must not be before startDate"}
    ]
    project = client.post(
        PROJECTS.path, json=content_payload(PROJECTS), headers=owner.headers
    ).json()
    later_bad = client.patch(
        f"{PROJECTS.path}/{project['id']}", json={"startDate": "2027-01-01"}, headers=owner.headers
    )
    assert later_bad.status_code == 400
    bad_expiry = client.post(
        CERTIFICATIONS.path,
        json=content_payload(CERTIFICATIONS, issueDate="2026-01-02", expiryDate="2026-01-01"),
        headers=owner.headers,
    )
    assert bad_expiry.status_code == 400
    assert bad_expiry.json()["errors"][0]["field"] == "expiryDate"
    missing = client.post(CERTIFICATIONS.path, json={"name": "x"}, headers=owner.headers)
    assert {e["field"] for e in missing.json()["errors"]} == {"issuer", "type", "issueDate"}
    not_a_date = client.post(
        CERTIFICATIONS.path,
        json=content_payload(CERTIFICATIONS, issueDate="yesterday"),
        headers=owner.headers,
    )
    assert not_a_date.status_code == 400 and not_a_date.json()["errors"][0]["field"] == "issueDate"


def test_public_lists_revalidate_with_304(client: TestClient, owner: SignedInUser) -> None:
    publish(client, BLOG_POSTS.path, owner, content_payload(BLOG_POSTS))
    for path in (BLOG_POSTS.path, "/v1/blog/categories"):
        first = client.get(path)
        etag = first.headers["etag"]
        assert etag.startswith('W/"')
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
    listed = client.get(BLOG_POSTS.path).headers["etag"]
    publish(client, BLOG_POSTS.path, owner, content_payload(BLOG_POSTS))
    changed = client.get(BLOG_POSTS.path, headers={"If-None-Match": listed})
    assert changed.status_code == 200

"""The operator's commands against the stack: `create-owner`; `delete-user`, after which a
deleted user leaves no reachable tasks behind; and `reindex`, after which content stored by the
last release is in every list."""

import io
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.cli import main
from portfolio_api.content.collections import BLOG_POSTS
from portfolio_api.core.settings import Settings
from portfolio_api.db.client import dynamodb_client
from portfolio_api.local.stack import LocalStack
from portfolio_api.repositories.content import ContentRepository, WriteRaced
from tests.conftest import SignedInUser
from tests.factories import content_payload


@pytest.fixture
def operator_env(monkeypatch: pytest.MonkeyPatch, stack: LocalStack) -> None:
    """Exactly what README's deployment walk-through exports: no service secret among it."""
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", stack.table_name)
    monkeypatch.setenv("COGNITO_USER_POOL_ID", stack.user_pool_id)
    monkeypatch.delenv("COGNITO_CLIENT_ID", raising=False)  # the app client is the app's only
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.delenv("CURSOR_SECRET", raising=False)
    monkeypatch.delenv("COGNITO_REGION", raising=False)


@pytest.mark.usefixtures("operator_env")
def test_create_owner_with_the_readme_settings_makes_a_working_owner(
    client: TestClient, cognito: Any, stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "Owner-Password-42!"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(password + "\n"))
        assert main(["create-owner", "Boss@Example.com", "--password-stdin"]) == 0
    assert "owner boss@example.com" in capsys.readouterr().out.lower()
    login = client.post("/v1/auth/login", json={"email": "boss@example.com", "password": password})
    assert login.status_code == 200, login.text
    me = client.get(
        "/v1/users/me", headers={"Authorization": f"Bearer {login.json()['idToken']}"}
    ).json()
    assert me["isOwner"] is True and me["name"] == "Owner"
    assert main(["create-owner", "boss@example.com"]) == 0  # again: promoted, not duplicated
    users = cognito.list_users(UserPoolId=stack.user_pool_id)["Users"]
    assert len(users) == 1


def partition(dynamodb: Any, stack: LocalStack, sub: str) -> list[str]:
    """The sort keys stored under a user's partition, read straight from the table."""
    response = dynamodb.query(
        TableName=stack.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"USER#{sub}"}},
    )
    return sorted(item["SK"]["S"] for item in response["Items"])


def add_task(client: TestClient, user: SignedInUser, title: str) -> dict[str, Any]:
    response = client.post("/v1/tasks", json={"title": title}, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.usefixtures("operator_env")
def test_a_deleted_user_leaves_no_reachable_tasks(
    client: TestClient,
    member: SignedInUser,
    make_user: Callable[..., SignedInUser],
    dynamodb: Any,
    stack: LocalStack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a member with a profile and two tasks, and a bystander with one of their own
    secret = add_task(client, member, "secret plan")
    add_task(client, member, "second")
    bystander = make_user("bystander@example.com")
    kept = add_task(client, bystander, "not touched")
    assert len(partition(dynamodb, stack, member.sub)) == 3

    # When the operator deletes the member
    assert main(["delete-user", member.email]) == 0
    assert f"user {member.sub} deleted from the pool and purged: 3 items removed" in (
        capsys.readouterr().out
    )

    # Then only the closed-account marker is left of them
    assert partition(dynamodb, stack, member.sub) == ["CLOSED"]
    # and their token, still unexpired, is refused everywhere: it reads and writes nothing
    for path in ("/v1/tasks", f"/v1/tasks/{secret['id']}", "/v1/users/me", "/v1/blog/posts"):
        gone = client.get(path, headers=member.headers)
        assert (gone.status_code, gone.json()["code"]) == (401, "unauthorized"), path
    refused = client.post("/v1/tasks", json={"title": "again"}, headers=member.headers)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    assert client.get("/v1/users/me", headers=member.headers).status_code == 401
    assert (
        client.patch("/v1/users/me", json={"bio": "back"}, headers=member.headers).status_code
        == 401
    )
    assert partition(dynamodb, stack, member.sub) == ["CLOSED"]
    # nor can they sign in or refresh
    login = client.post("/v1/auth/login", json={"email": member.email, "password": member.password})
    assert login.status_code == 401
    refresh = client.post("/v1/auth/refresh", json={"refreshToken": member.refresh_token})
    assert refresh.status_code == 401
    # and someone signing up again with the same e-mail starts empty
    again = make_user(member.email)
    assert again.sub != member.sub
    assert client.get("/v1/tasks", headers=again.headers).json()["items"] == []
    # while the bystander keeps everything
    listed = client.get("/v1/tasks", headers=bystander.headers).json()["items"]
    assert [task["id"] for task in listed] == [kept["id"]]


@pytest.mark.usefixtures("operator_env")
def test_data_of_a_user_the_pool_no_longer_has_is_purged_by_sub(
    client: TestClient, member: SignedInUser, cognito: Any, dynamodb: Any, stack: LocalStack
) -> None:
    for n in range(3):
        add_task(client, member, f"task {n}")
    cognito.admin_delete_user(UserPoolId=stack.user_pool_id, Username=member.email)
    assert main(["delete-user", member.email]) == 1
    assert len(partition(dynamodb, stack, member.sub)) == 4
    assert main(["delete-user", "--sub", member.sub]) == 0
    assert partition(dynamodb, stack, member.sub) == ["CLOSED"]
    assert main(["delete-user", "--sub", member.sub]) == 0  # idempotent


@pytest.mark.slow  # more than a page of items, written and purged
@pytest.mark.usefixtures("operator_env")
def test_the_purge_goes_past_one_page(
    client: TestClient, member: SignedInUser, dynamodb: Any, stack: LocalStack
) -> None:
    for n in range(130):
        add_task(client, member, f"task {n}")
    assert main(["delete-user", member.email]) == 0
    assert partition(dynamodb, stack, member.sub) == ["CLOSED"]


@pytest.mark.usefixtures("operator_env")
def test_an_interrupted_deletion_is_finished_by_running_it_again(
    client: TestClient,
    member: SignedInUser,
    cognito: Any,
    dynamodb: Any,
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_task(client, member, "still here")

    def outage(self: Any, sub: str) -> int:
        raise ConnectionError("the table is unreachable")

    with monkeypatch.context() as patch:
        patch.setattr("portfolio_api.repositories.users.UserRepository.purge", outage)
        with pytest.raises(ConnectionError):
            main(["delete-user", member.email])
    # The user is still in the pool, so the same command finishes the job
    cognito.admin_get_user(UserPoolId=stack.user_pool_id, Username=member.email)
    assert main(["delete-user", member.email]) == 0
    assert partition(dynamodb, stack, member.sub) == ["CLOSED"]


def as_layout_1(dynamodb: Any, stack: LocalStack) -> None:
    """Rewrite the table's content as the release before list layout 2 left it.

    Facet entries existed only for published items, in GSI1, without `facetKeys`; only the
    blog's published category was counted; nothing carried `listLayout`.
    """
    table = stack.table_name
    items = dynamodb.scan(TableName=table)["Items"]  # a test's look at the whole table
    for item in items:
        key = {"PK": item["PK"], "SK": item["SK"]}
        pk, sk = item["PK"]["S"], item["SK"]["S"]
        if pk.startswith("COUNTS#"):
            if pk == "COUNTS#blog#category":
                dynamodb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE drafts")
            else:
                dynamodb.delete_item(TableName=table, Key=key)
        elif pk.startswith("CONTENT#") and "listLayout" in item:
            if sk.startswith("LIST#facet#") and item["status"]["S"] == "draft":
                dynamodb.delete_item(TableName=table, Key=key)
                continue
            removed = "listLayout"
            if sk.startswith("LIST#facet#"):
                removed += ", GSI2PK, GSI2SK, facetKeys"
            dynamodb.update_item(TableName=table, Key=key, UpdateExpression=f"REMOVE {removed}")


QUERIES = [{"category": "news"}, {"tag": "aws"}, {"tag": "go"}, {"category": "ops", "tag": "aws"}]


def incomplete_lists(client: TestClient, owner: SignedInUser) -> list[str]:
    """The filtered blog lists that differ from their unfiltered list, filtered by hand."""
    wrong = []
    for status in ("published", "draft", "all"):
        unfiltered = client.get(
            "/v1/blog/posts", params={"status": status, "limit": 100}, headers=owner.headers
        ).json()["items"]
        for query in QUERIES:
            params = {"status": status, "limit": 100, **query}
            response = client.get("/v1/blog/posts", params=params, headers=owner.headers)
            assert response.status_code == 200, response.text
            expected = [
                item["id"]
                for item in unfiltered
                if item["category"].lower() == query.get("category", item["category"].lower())
                and query.get("tag", "any") in [*item["tags"], "any"]
            ]
            if [item["id"] for item in response.json()["items"]] != expected:
                wrong.append(f"{status} {query}")
    return wrong


def sizes_match_lists(client: TestClient, owner: SignedInUser, settings: Settings) -> bool:
    """Whether every facet counter holds the number of items its list shows."""
    published = client.get("/v1/blog/posts", params={"limit": 100}).json()["items"]
    by_category = Counter(item["category"] for item in published)
    categories = sorted(by_category.items(), key=lambda e: (-e[1], e[0].lower()))
    shown = client.get("/v1/blog/categories").json()["items"]
    if shown != [{"name": name, "count": count} for name, count in categories]:
        return False
    repository = ContentRepository(dynamodb_client(settings.region), settings.dynamodb_table_name)
    for status in ("published", "draft"):
        for facet, value in (("category", "news"), ("category", "ops"), ("tag", "aws")):
            listed = client.get(
                "/v1/blog/posts",
                params={"status": status, "limit": 100, facet: value},
                headers=owner.headers,
            ).json()["items"]
            size = repository.facet_sizes(BLOG_POSTS, status, {facet: value})[facet]
            if size != len(listed):
                return False
    return True


@pytest.mark.usefixtures("operator_env")
def test_reindex_brings_content_of_the_last_release_up_to_date(
    client: TestClient,
    owner: SignedInUser,
    dynamodb: Any,
    stack: LocalStack,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = "/v1/blog/posts"
    made = []
    for n, (category, tags, status) in enumerate(
        [
            ("News", ["aws"], "published"),
            ("News", ["aws", "go"], "draft"),
            ("Ops", ["aws"], "draft"),
            ("News", [], "published"),
            ("Ops", ["go"], "published"),
        ]
    ):
        body = content_payload(BLOG_POSTS, slug=f"p{n}", category=category, tags=tags)
        response = client.post(path, json={**body, "status": status}, headers=owner.headers)
        assert response.status_code == 201
        made.append(response.json())
    assert incomplete_lists(client, owner) == [] and sizes_match_lists(client, owner, settings)
    categories = client.get("/v1/blog/categories").json()

    as_layout_1(dynamodb, stack)
    stale = incomplete_lists(client, owner)
    assert stale  # drafts and combined filters miss the old items
    old_release = [f"published {q}" for q in QUERIES if len(q) == 1]
    assert not set(old_release) & set(stale)  # what the old release served still works
    assert client.get("/v1/blog/categories").json() == categories
    # Writes before the reindex bring their items up to date, counts included.
    changes = [
        ("patch", made[2], {"tags": ["aws", "go"]}),  # a draft retagged
        ("patch", made[3], {"category": "Ops"}),  # a published post recategorised
        ("post", made[0], "unpublish"),
        ("delete", made[4], None),
    ]
    for verb, item, change in changes:
        url = f"{path}/{item['id']}"
        if verb == "patch":
            response = client.patch(url, json=change, headers=owner.headers)
        elif verb == "post":
            response = client.post(f"{url}/{change}", headers=owner.headers)
        else:
            response = client.delete(url, headers=owner.headers)
        assert response.status_code in (200, 204), response.text
    assert client.get("/v1/blog/categories").json() == {"items": [{"name": "Ops", "count": 1}]}

    assert main(["reindex"]) == 0
    assert "blog: 1 items brought up to the current list layout" in capsys.readouterr().out
    assert incomplete_lists(client, owner) == []
    assert sizes_match_lists(client, owner, settings)
    assert main(["reindex"]) == 0  # again: nothing left to do
    assert "blog: 0 items" in capsys.readouterr().out


@pytest.mark.usefixtures("operator_env")
def test_reindex_reports_an_item_that_stays_busy_and_rewrites_the_rest(
    client: TestClient,
    owner: SignedInUser,
    dynamodb: Any,
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = []
    for n in range(3):
        body = content_payload(BLOG_POSTS, slug=f"b{n}", status="draft")
        ids.append(client.post("/v1/blog/posts", json=body, headers=owner.headers).json()["id"])
    as_layout_1(dynamodb, stack)
    save = ContentRepository.save

    def busy_for_one(self: ContentRepository, spec: Any, old: Any, new: Any, **kw: Any) -> None:
        if old is not None and old["id"] == ids[1]:
            raise WriteRaced  # a view counted at every attempt
        save(self, spec, old, new, **kw)

    monkeypatch.setattr(ContentRepository, "save", busy_for_one)
    monkeypatch.setattr("portfolio_api.services.content_layout.BACKOFF_SECONDS", 0)
    assert main(["reindex"]) == 1
    out = capsys.readouterr().out
    assert "blog: 2 items brought up" in out and f"run again for: {ids[1]}" in out
    monkeypatch.setattr(ContentRepository, "save", save)
    assert main(["reindex"]) == 0
    assert "blog: 1 items brought up" in capsys.readouterr().out

"""`/v1/users/me`: read, update, ETag and If-Match, owner flag."""

from typing import Any

from fastapi.testclient import TestClient

from portfolio_api.local.stack import LocalStack
from tests.conftest import SignedInUser


def test_me_returns_the_profile_with_etag(client: TestClient, member: SignedInUser) -> None:
    response = client.get("/v1/users/me", headers=member.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "userId", "email", "name", "bio", "avatarUrl", "groups", "isOwner",
        "createdAt", "updatedAt", "version",
    }  # fmt: skip
    assert body["userId"] == member.sub
    assert body["email"] == member.email
    assert body["isOwner"] is False
    assert body["groups"] == []
    assert body["createdAt"].endswith("Z")
    assert response.headers["etag"] == f'"{body["version"]}"'


def test_owner_is_flagged(client: TestClient, owner: SignedInUser) -> None:
    body = client.get("/v1/users/me", headers=owner.headers).json()
    assert body["isOwner"] is True
    assert body["groups"] == ["owner"]


def test_me_needs_a_token(client: TestClient) -> None:
    response = client.get("/v1/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_patch_me_updates_fields_and_version(client: TestClient, member: SignedInUser) -> None:
    before = client.get("/v1/users/me", headers=member.headers).json()
    response = client.patch(
        "/v1/users/me",
        json={"name": "Ada", "bio": "Engineer", "avatarUrl": "https://cdn.example/a.png"},
        headers=member.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["bio"], body["avatarUrl"]) == (
        "Ada",
        "Engineer",
        "https://cdn.example/a.png",
    )
    assert body["version"] == before["version"] + 1
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert client.get("/v1/users/me", headers=member.headers).json() == body


def test_patch_me_null_clears_optional_fields(client: TestClient, member: SignedInUser) -> None:
    client.patch("/v1/users/me", json={"bio": "x"}, headers=member.headers)
    body = client.patch("/v1/users/me", json={"bio": None}, headers=member.headers).json()
    assert body["bio"] is None


def test_patch_me_with_current_if_match(client: TestClient, member: SignedInUser) -> None:
    etag = client.get("/v1/users/me", headers=member.headers).headers["etag"]
    response = client.patch(
        "/v1/users/me", json={"bio": "fresh"}, headers={**member.headers, "If-Match": etag}
    )
    assert response.status_code == 200


def test_patch_me_with_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, member: SignedInUser
) -> None:
    etag = client.get("/v1/users/me", headers=member.headers).headers["etag"]
    client.patch("/v1/users/me", json={"bio": "first"}, headers=member.headers)
    stale = client.patch(
        "/v1/users/me", json={"bio": "second"}, headers={**member.headers, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert client.get("/v1/users/me", headers=member.headers).json()["bio"] == "first"


def test_patch_me_with_garbage_if_match_is_412(client: TestClient, member: SignedInUser) -> None:
    response = client.patch(
        "/v1/users/me", json={"bio": "x"}, headers={**member.headers, "If-Match": "nonsense"}
    )
    assert response.status_code == 412


def test_patch_me_validation(client: TestClient, member: SignedInUser) -> None:
    response = client.patch(
        "/v1/users/me",
        json={"bio": "x" * 501, "avatarUrl": "http://insecure.example/a.png", "name": None},
        headers=member.headers,
    )
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"bio", "avatarUrl"}


def test_patch_me_name_cannot_be_null(client: TestClient, member: SignedInUser) -> None:
    response = client.patch("/v1/users/me", json={"name": None}, headers=member.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "name", "message": "may not be null"}]


def test_patch_me_rejects_server_fields(client: TestClient, member: SignedInUser) -> None:
    response = client.patch("/v1/users/me", json={"version": 9}, headers=member.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "version"


def test_user_made_outside_the_api_gets_a_profile_on_first_sight(
    client: TestClient, cognito: Any, stack: LocalStack
) -> None:
    cognito.admin_create_user(
        UserPoolId=stack.user_pool_id, Username="console@example.com", MessageAction="SUPPRESS"
    )
    cognito.admin_set_user_password(
        UserPoolId=stack.user_pool_id, Username="console@example.com",
        Password="Console-Made-1!", Permanent=True,
    )  # fmt: skip
    tokens = client.post(
        "/v1/auth/login", json={"email": "console@example.com", "password": "Console-Made-1!"}
    ).json()
    headers = {"Authorization": f"Bearer {tokens['idToken']}"}
    first = client.get("/v1/users/me", headers=headers)
    assert first.status_code == 200
    assert first.json()["email"] == "console@example.com"
    assert first.json()["version"] == 1
    assert client.get("/v1/users/me", headers=headers).json() == first.json()


def test_concurrent_first_reads_agree_on_one_profile(
    client: TestClient, member: SignedInUser, monkeypatch: Any
) -> None:
    # Given a first GET /me that found no profile, while another request created it meanwhile
    stored = client.get("/v1/users/me", headers=member.headers).json()
    repository = client.app.state.container.user_service._users  # type: ignore[attr-defined]
    monkeypatch.setattr(repository, "get_profile", lambda _sub: None)
    # When it creates one, the condition fails: the stored profile wins, no 500
    response = client.get("/v1/users/me", headers=member.headers)
    assert response.status_code == 200, response.text
    assert response.json() == stored

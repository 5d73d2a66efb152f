"""Every `/v1/auth` route through HTTP: success and error paths, and the register rollback."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.core.errors import ServiceUnavailable
from portfolio_api.local.stack import LocalStack
from portfolio_api.main import create_app
from portfolio_api.repositories.users import UserRepository
from tests.conftest import PASSWORD, SignedInUser, make_settings

NEW_PASSWORD = "Brand-New-Secret-7?"


def register(client: TestClient, email: str = "new@example.com", **overrides: Any) -> Any:
    body = {"email": email, "password": PASSWORD, "name": "New Person", **overrides}
    return client.post("/v1/auth/register", json=body)


def login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def cognito_user_exists(cognito: Any, stack: LocalStack, email: str) -> bool:
    try:
        cognito.admin_get_user(UserPoolId=stack.user_pool_id, Username=email)
    except cognito.exceptions.UserNotFoundException:
        return False
    return True


# register


def test_register_creates_user_and_profile(client: TestClient, dynamodb: Any) -> None:
    response = register(client, "Ada@Example.com")
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["name"] == "New Person"
    assert body["confirmed"] is False
    item = dynamodb.get_item(
        TableName="portfolio-test",
        Key={"PK": {"S": f"USER#{body['userId']}"}, "SK": {"S": "PROFILE"}},
    )["Item"]
    assert item["email"]["S"] == "ada@example.com"
    assert item["entity"]["S"] == "UserProfile"


def test_register_twice_is_email_taken(client: TestClient) -> None:
    assert register(client).status_code == 201
    again = register(client)
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    "password", ["short-1A!", "alllowercase-123!", "NoDigitsHere-!!", "NoSymbols12345"]
)
def test_register_with_weak_password_is_invalid_password(client: TestClient, password: str) -> None:
    response = register(client, password=password)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"email": "not-an-email"}, "email"), ({"name": ""}, "name"), ({"password": ""}, "password")],
)
def test_register_validates_fields(
    client: TestClient, overrides: dict[str, str], field: str
) -> None:
    response = register(client, **overrides)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_register_when_signup_is_off_is_403(stack: LocalStack, cognito: Any) -> None:
    closed = TestClient(create_app(make_settings(stack, allow_signup=False)))
    response = register(closed)
    assert response.status_code == 403
    assert response.json()["code"] == "signup_disabled"
    assert not cognito_user_exists(cognito, stack, "new@example.com")


def test_register_rolls_back_the_cognito_user_when_the_profile_write_fails(
    client: TestClient, cognito: Any, stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the profile write fails (DynamoDB throttled past its retries)
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise ServiceUnavailable("throttled")

    monkeypatch.setattr(UserRepository, "create_profile", fail)
    # When someone registers
    response = register(client)
    # Then the request fails and no half-registered user remains in Cognito
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert not cognito_user_exists(cognito, stack, "new@example.com")
    # And the same e-mail can register once the table is healthy again
    monkeypatch.undo()
    assert register(client).status_code == 201


def test_register_rollback_also_covers_unexpected_errors(
    client: TestClient, cognito: Any, stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(UserRepository, "create_profile", crash)
    response = register(client)
    assert response.status_code == 500
    assert "boom" not in response.text
    assert not cognito_user_exists(cognito, stack, "new@example.com")


# confirm and resend-code


def test_confirm_then_login(client: TestClient) -> None:
    register(client)
    assert login(client, "new@example.com").json()["code"] == "user_not_confirmed"
    confirmed = client.post("/v1/auth/confirm", json={"email": "new@example.com", "code": "123456"})
    assert confirmed.status_code == 204
    assert login(client, "new@example.com").status_code == 200


def test_login_before_confirming_is_403(client: TestClient) -> None:
    register(client)
    response = login(client, "new@example.com")
    assert response.status_code == 403
    assert response.json()["code"] == "user_not_confirmed"


def test_confirm_for_unknown_email_is_invalid_code(client: TestClient) -> None:
    response = client.post("/v1/auth/confirm", json={"email": "ghost@example.com", "code": "1"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"


@pytest.mark.parametrize("email", ["new@example.com", "ghost@example.com"])
def test_resend_code_is_204_known_or_not(client: TestClient, email: str) -> None:
    register(client)
    response = client.post("/v1/auth/resend-code", json={"email": email})
    assert response.status_code == 204
    assert response.content == b""


def test_resend_code_for_confirmed_user_is_204(client: TestClient, member: SignedInUser) -> None:
    response = client.post("/v1/auth/resend-code", json={"email": member.email})
    assert response.status_code == 204


# login and challenge


def test_login_returns_tokens(client: TestClient, member: SignedInUser) -> None:
    body = login(client, member.email).json()
    assert set(body) == {"idToken", "accessToken", "refreshToken", "expiresIn", "tokenType"}
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] > 0


def test_wrong_password_and_unknown_user_answer_alike(
    client: TestClient, member: SignedInUser
) -> None:
    wrong = login(client, member.email, "Wrong-Password-1!")
    unknown = login(client, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "requestId"}  # noqa: E731
    assert strip(wrong.json()) == strip(unknown.json())
    assert wrong.json()["code"] == "invalid_credentials"


def _invited_user(cognito: Any, stack: LocalStack, email: str = "invited@example.com") -> str:
    cognito.admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username=email,
        TemporaryPassword="Temporary-Pass-1!",
        MessageAction="SUPPRESS",
    )
    return email


def test_new_password_challenge_round_trip(
    client: TestClient, cognito: Any, stack: LocalStack
) -> None:
    email = _invited_user(cognito, stack)
    first = login(client, email, "Temporary-Pass-1!")
    assert first.status_code == 200
    challenge = first.json()
    assert challenge["challenge"] == "NEW_PASSWORD_REQUIRED"
    answered = client.post(
        "/v1/auth/challenge",
        json={
            "email": email,
            "challenge": "NEW_PASSWORD_REQUIRED",
            "session": challenge["session"],
            "newPassword": NEW_PASSWORD,
        },
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["idToken"]
    assert login(client, email, NEW_PASSWORD).json()["idToken"]


def test_challenge_with_weak_new_password_is_invalid_password(
    client: TestClient, cognito: Any, stack: LocalStack
) -> None:
    email = _invited_user(cognito, stack)
    session = login(client, email, "Temporary-Pass-1!").json()["session"]
    response = client.post(
        "/v1/auth/challenge",
        json={
            "email": email,
            "challenge": "NEW_PASSWORD_REQUIRED",
            "session": session,
            "newPassword": "weak",
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"


def test_challenge_with_unknown_session_is_401(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/challenge",
        json={
            "email": "someone@example.com",
            "challenge": "NEW_PASSWORD_REQUIRED",
            "session": "forged-session",
            "newPassword": NEW_PASSWORD,
        },
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_challenge_without_its_answer_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/challenge",
        json={"email": "a@example.com", "challenge": "SOFTWARE_TOKEN_MFA", "session": "s"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "code"


# refresh and logout


def test_refresh_gives_new_tokens(client: TestClient, member: SignedInUser) -> None:
    response = client.post("/v1/auth/refresh", json={"refreshToken": member.refresh_token})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"idToken", "accessToken", "expiresIn", "tokenType"}
    me = client.get("/v1/users/me", headers={"Authorization": f"Bearer {body['idToken']}"})
    assert me.status_code == 200


@pytest.mark.parametrize("token", ["not-a-refresh-token", "x" * 2000, "eyJhbGciOi.J9.e30"])
def test_refresh_with_a_bad_token_is_401(
    client: TestClient, member: SignedInUser, token: str
) -> None:
    response = client.post("/v1/auth/refresh", json={"refreshToken": token})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_logout_revokes_every_refresh_token(client: TestClient, member: SignedInUser) -> None:
    second_device = login(client, member.email).json()["refreshToken"]
    response = client.post(
        "/v1/auth/logout", json={"refreshToken": member.refresh_token}, headers=member.headers
    )
    assert response.status_code == 204
    for token in (member.refresh_token, second_device):
        refreshed = client.post("/v1/auth/refresh", json={"refreshToken": token})
        assert refreshed.status_code == 401


def test_logout_without_body_works(client: TestClient, member: SignedInUser) -> None:
    assert client.post("/v1/auth/logout", headers=member.headers).status_code == 204
    refreshed = client.post("/v1/auth/refresh", json={"refreshToken": member.refresh_token})
    assert refreshed.status_code == 401


def test_logout_needs_a_user(client: TestClient) -> None:
    response = client.post("/v1/auth/logout", json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


# forgot, reset and change password


@pytest.mark.parametrize("email", ["member@example.com", "ghost@example.com"])
def test_forgot_password_is_204_known_or_not(
    client: TestClient, member: SignedInUser, email: str
) -> None:
    assert client.post("/v1/auth/forgot-password", json={"email": email}).status_code == 204


def test_reset_password_sets_the_new_password(client: TestClient, member: SignedInUser) -> None:
    client.post("/v1/auth/forgot-password", json={"email": member.email})
    response = client.post(
        "/v1/auth/reset-password",
        json={"email": member.email, "code": "123456", "newPassword": NEW_PASSWORD},
    )
    assert response.status_code == 204
    assert login(client, member.email, NEW_PASSWORD).status_code == 200
    assert login(client, member.email).status_code == 401


def test_reset_password_with_expired_code(client: TestClient, member: SignedInUser) -> None:
    response = client.post(
        "/v1/auth/reset-password",
        # the stand-in treats a code of its own form that is not the one it sent as expired
        json={
            "email": member.email,
            "code": "moto-confirmation-code:0",
            "newPassword": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "code_expired"


def test_reset_password_for_unknown_user_is_invalid_code(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/reset-password",
        json={"email": "ghost@example.com", "code": "123456", "newPassword": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"


@pytest.mark.parametrize("token_kind", ["id_token", "access_token"])
def test_change_password(client: TestClient, member: SignedInUser, token_kind: str) -> None:
    headers = {"Authorization": f"Bearer {getattr(member, token_kind)}"}
    response = client.post(
        "/v1/auth/change-password",
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 204, response.text
    assert login(client, member.email, NEW_PASSWORD).status_code == 200
    assert login(client, member.email).status_code == 401


@pytest.mark.parametrize("token_kind", ["id_token", "access_token"])
def test_change_password_with_wrong_current_is_401(
    client: TestClient, member: SignedInUser, token_kind: str
) -> None:
    response = client.post(
        "/v1/auth/change-password",
        json={"currentPassword": "Not-The-Password-1!", "newPassword": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {getattr(member, token_kind)}"},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert login(client, member.email).status_code == 200


def test_change_password_to_a_weak_one_is_invalid_password(
    client: TestClient, member: SignedInUser
) -> None:
    response = client.post(
        "/v1/auth/change-password",
        json={"currentPassword": PASSWORD, "newPassword": "weak"},
        headers=member.headers,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"


def test_change_password_needs_a_user(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/change-password", json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    )
    assert response.status_code == 401


def test_the_same_user_fixture_factory_makes_distinct_users(
    make_user: Callable[..., SignedInUser],
) -> None:
    first, second = make_user("one@example.com"), make_user("two@example.com")
    assert first.sub != second.sub

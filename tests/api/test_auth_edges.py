"""Edges of the auth routes: Cognito errors moto never raises, token rules, wire strictness."""

from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, SignedInUser

NEW_PASSWORD = "Brand-New-Secret-7?"
RESET = {"email": "a@example.com", "code": "1", "newPassword": NEW_PASSWORD}


def cognito_fails(app: FastAPI, monkeypatch: pytest.MonkeyPatch, operation: str, code: str) -> None:
    """Make one Cognito operation of the app's client fail as real Cognito would."""
    client = app.state.container.auth_service._cognito

    def fail(**_kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": "from Cognito"}}, operation)

    monkeypatch.setattr(client, operation, fail)


@pytest.mark.parametrize(
    ("path", "body", "operation", "cognito_code", "status", "code"),
    [
        ("/v1/auth/confirm", {"email": "a@example.com", "code": "1"}, "confirm_sign_up",
         "CodeMismatchException", 400, "invalid_code"),
        ("/v1/auth/confirm", {"email": "a@example.com", "code": "1 2"}, "confirm_sign_up",
         "InvalidParameterException", 400, "invalid_code"),
        ("/v1/auth/confirm", {"email": "a@example.com", "code": "1"}, "confirm_sign_up",
         "ExpiredCodeException", 400, "code_expired"),
        ("/v1/auth/confirm", {"email": "a@example.com", "code": "1"}, "confirm_sign_up",
         "AliasExistsException", 409, "email_taken"),
        ("/v1/auth/reset-password", {"email": "a@example.com", "code": "1", "newPassword": "x"},
         "confirm_forgot_password", "InvalidPasswordException", 400, "invalid_password"),
        ("/v1/auth/reset-password", {"email": "a@example.com", "code": "1", "newPassword": "x"},
         "confirm_forgot_password", "CodeMismatchException", 400, "invalid_code"),
        ("/v1/auth/reset-password", RESET, "confirm_forgot_password",
         "PasswordHistoryPolicyViolationException", 400, "invalid_password"),
        ("/v1/auth/reset-password", RESET, "confirm_forgot_password",
         "UserNotConfirmedException", 400, "invalid_code"),
        ("/v1/auth/login", {"email": "a@example.com", "password": "x"}, "initiate_auth",
         "PasswordResetRequiredException", 403, "forbidden"),
        ("/v1/auth/login", {"email": "a@example.com", "password": "x"}, "initiate_auth",
         "TooManyRequestsException", 429, "rate_limited"),
        ("/v1/auth/login", {"email": "a@example.com", "password": "x"}, "initiate_auth",
         "InternalErrorException", 503, "service_unavailable"),
        ("/v1/auth/login", {"email": "a@example.com", "password": "x"}, "initiate_auth",
         "SomethingNewException", 500, "internal_error"),
        ("/v1/auth/refresh", {"refreshToken": "r"}, "initiate_auth",
         "PasswordResetRequiredException", 401, "unauthorized"),
        ("/v1/auth/register", {"email": "a@example.com", "password": PASSWORD, "name": "A"},
         "sign_up", "LimitExceededException", 429, "rate_limited"),
        # delivery trouble must not reveal that an e-mail is registered
        ("/v1/auth/resend-code", {"email": "a@example.com"}, "resend_confirmation_code",
         "CodeDeliveryFailureException", 204, None),
        ("/v1/auth/resend-code", {"email": "a@example.com"}, "resend_confirmation_code",
         "NotAuthorizedException", 204, None),
        ("/v1/auth/forgot-password", {"email": "a@example.com"}, "forgot_password",
         "CodeDeliveryFailureException", 204, None),
    ],
)  # fmt: skip
def test_cognito_errors_map_to_the_contract(
    app: FastAPI,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    body: dict[str, str],
    operation: str,
    cognito_code: str,
    status: int,
    code: str | None,
) -> None:
    cognito_fails(app, monkeypatch, operation, cognito_code)
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code
        assert "from Cognito" not in response.text
    if status == 429:
        assert response.headers["retry-after"]


def test_the_auth_routes_that_need_no_user_ignore_the_authorization_header(
    client: TestClient, member: SignedInUser
) -> None:
    # Given a session that has ended, whose token the client still sends, and a junk token
    assert client.post("/v1/auth/logout", headers=member.headers).status_code == 204
    for stale in (member.headers, {"Authorization": "Bearer junk"}):
        # Then signing in again works as if no header were sent
        login = client.post(
            "/v1/auth/login", json={"email": member.email, "password": PASSWORD}, headers=stale
        )
        assert login.status_code == 200, login.text
        refreshed = client.post(
            "/v1/auth/refresh", json={"refreshToken": login.json()["refreshToken"]}, headers=stale
        )
        assert refreshed.status_code == 200, refreshed.text
        # and every other route that needs no user answers as it would anonymously
        email = {"email": member.email}
        for path, body, status in (
            ("/v1/auth/register", {**email, "password": PASSWORD, "name": "Again"}, 409),
            ("/v1/auth/confirm", {**email, "code": "123456"}, 204),
            ("/v1/auth/resend-code", email, 204),
            ("/v1/auth/forgot-password", email, 204),
            ("/v1/auth/reset-password", {**email, "code": "1", "newPassword": PASSWORD}, 204),
            (
                "/v1/auth/challenge",
                {**email, "challenge": "SMS_MFA", "session": "s", "code": "1"},
                401,
            ),
        ):
            answer = client.post(path, json=body, headers=stale)
            assert answer.status_code == status, (path, answer.text)
            assert answer.status_code != 401 or answer.json()["code"] != "unauthorized", path


def test_logout_with_an_access_token_revokes_refresh_tokens(
    client: TestClient, member: SignedInUser
) -> None:
    response = client.post(
        "/v1/auth/logout", headers={"Authorization": f"Bearer {member.access_token}"}
    )
    assert response.status_code == 204
    refreshed = client.post("/v1/auth/refresh", json={"refreshToken": member.refresh_token})
    assert refreshed.status_code == 401


def test_wrong_current_password_says_so(client: TestClient, member: SignedInUser) -> None:
    response = client.post(
        "/v1/auth/change-password",
        json={"currentPassword": "Not-It-At-All-1!", "newPassword": NEW_PASSWORD},
        headers=member.headers,
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "The current password is wrong."


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/auth/refresh", {"refresh_token": "x"}),
        ("/v1/auth/change-password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    ],
)
def test_snake_case_keys_are_unknown_fields(
    client: TestClient, member: SignedInUser, path: str, body: dict[str, str]
) -> None:
    response = client.post(path, json=body, headers=member.headers)
    assert response.status_code == 400
    assert "unknown field" in {e["message"] for e in response.json()["errors"]}


def test_snake_case_profile_field_is_unknown(client: TestClient, member: SignedInUser) -> None:
    response = client.patch(
        "/v1/users/me", json={"avatar_url": "https://a.example/x.png"}, headers=member.headers
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "avatar_url", "message": "unknown field"}]


def test_malformed_json_names_the_body(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/login",
        content=b'{"email": "a@b.co",',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"body"}


@pytest.mark.parametrize("if_match", ['"²"', '"' + "9" * 4400 + '"', '"' + "9" * 39 + '"', "W/"])
def test_odd_if_match_values_are_412_never_500(
    client: TestClient, member: SignedInUser, if_match: str
) -> None:
    response = client.patch(
        "/v1/users/me",
        json={"bio": "x"},
        headers={**member.headers, "If-Match": if_match.encode("latin-1")},  # type: ignore[dict-item]
    )
    assert response.status_code == 412


def test_empty_patch_still_honours_if_match(client: TestClient, member: SignedInUser) -> None:
    stale = client.patch("/v1/users/me", json={}, headers={**member.headers, "If-Match": '"999"'})
    assert stale.status_code == 412
    current = client.patch("/v1/users/me", json={}, headers={**member.headers, "If-Match": '"1"'})
    assert current.status_code == 200


@pytest.mark.parametrize(
    "avatar", ["https://a.example:99999/x.png", "https://:443/x.png", "ftp://a.example/x"]
)
def test_bad_avatar_urls_are_400(client: TestClient, member: SignedInUser, avatar: str) -> None:
    response = client.patch("/v1/users/me", json={"avatarUrl": avatar}, headers=member.headers)
    assert response.status_code == 400


def test_email_longer_than_cognito_allows_is_400(client: TestClient) -> None:
    email = "a" * 120 + "@example.com"
    response = client.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "A"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "email"

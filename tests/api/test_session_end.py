"""A session that ends is refused at once: its ID and access tokens, still unexpired and validly
signed, get a 401 on user, owner and optional-auth public routes alike.

Three ways end sessions: logout (that session), a password change and the deletion of the user
(every session of the user). The revocation records are checked on every request that carries
a token (services/sessions.py).
"""

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.core.clock import system_clock
from portfolio_api.core.errors import ServiceUnavailable
from portfolio_api.core.settings import Settings
from portfolio_api.db import keys
from portfolio_api.db.client import dynamodb_client
from portfolio_api.local.stack import LocalStack
from portfolio_api.repositories.revocations import RevocationRepository
from portfolio_api.repositories.users import UserRepository
from portfolio_api.services.sessions import SessionGuard
from portfolio_api.services.user_removal import delete_user
from tests.conftest import OWNER_GROUP, PASSWORD, SignedInUser, bearer

NEW_PASSWORD = "Battery-Staple-7?"

# One route of each kind a token can reach.
ROUTES = {
    "user": "/v1/users/me",
    "owner": "/v1/analytics/summary",
    "public, optional auth": "/v1/blog/posts",
}


def answers(client: TestClient, token: str) -> dict[str, tuple[int, str | None]]:
    """Each route's status and problem code for this token."""
    found = {}
    for kind, path in ROUTES.items():
        response = client.get(path, headers=bearer(token))
        code = response.json().get("code") if response.status_code >= 400 else None
        found[kind] = (response.status_code, code)
    return found


ALL_OK = dict.fromkeys(ROUTES, (200, None))
ALL_REFUSED = dict.fromkeys(ROUTES, (401, "unauthorized"))


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    tokens = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert tokens.status_code == 200, tokens.text
    body: dict[str, Any] = tokens.json()
    return body


def next_second() -> None:
    """Wait into the next whole second: tokens state their sign-in time in whole seconds."""
    time.sleep(1.05 - time.time() % 1)


def end_by_logout(client: TestClient, user: SignedInUser, **_: Any) -> None:
    assert client.post("/v1/auth/logout", headers=user.headers).status_code == 204


def end_by_password_change(client: TestClient, user: SignedInUser, **_: Any) -> None:
    changed = client.post(
        "/v1/auth/change-password",
        json={"currentPassword": user.password, "newPassword": NEW_PASSWORD},
        headers=user.headers,
    )
    assert changed.status_code == 204, changed.text


def end_by_deletion(
    client: TestClient, user: SignedInUser, *, cognito: Any, settings: Settings
) -> None:
    del client
    dynamodb, table = dynamodb_client(settings.region), settings.dynamodb_table_name
    delete_user(
        cognito,
        UserRepository(dynamodb, table),
        SessionGuard(RevocationRepository(dynamodb, table), system_clock),
        user_pool_id=settings.cognito_user_pool_id,
        clock=system_clock,
        email=user.email,
    )


ENDINGS: dict[str, Callable[..., None]] = {
    "logout": end_by_logout,
    "password change": end_by_password_change,
    "user deletion": end_by_deletion,
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_an_ended_sessions_tokens_are_refused_everywhere(
    client: TestClient, owner: SignedInUser, cognito: Any, settings: Settings, ending: str
) -> None:
    # Given the owner's session, whose ID and access tokens both reach every kind of route
    assert answers(client, owner.id_token) == ALL_OK
    assert answers(client, owner.access_token) == ALL_OK

    # When the session ends
    ENDINGS[ending](client, owner, cognito=cognito, settings=settings)

    # Then neither token reaches anything, though both are unexpired and validly signed
    assert answers(client, owner.id_token) == ALL_REFUSED
    assert answers(client, owner.access_token) == ALL_REFUSED
    # and the session cannot be renewed either
    renewed = client.post("/v1/auth/refresh", json={"refreshToken": owner.refresh_token})
    assert renewed.status_code == 401


def test_logout_ends_that_session_only(
    client: TestClient, make_user: Callable[..., SignedInUser]
) -> None:
    # Given an owner signed in on two devices
    laptop = make_user("owner@example.com", groups=(OWNER_GROUP,))
    phone = sign_in(client, laptop.email)

    # When the laptop logs out, with its access token
    assert client.post("/v1/auth/logout", headers=bearer(laptop.access_token)).status_code == 204

    # Then the laptop's ID token is refused too, while the phone's tokens still serve
    assert answers(client, laptop.id_token) == ALL_REFUSED
    assert answers(client, phone["idToken"]) == ALL_OK
    # and the phone logs out in turn, though Cognito has signed its access token out already
    assert client.post("/v1/auth/logout", headers=bearer(phone["accessToken"])).status_code == 204
    assert answers(client, phone["idToken"]) == ALL_REFUSED


def test_a_password_change_ends_every_session_and_the_new_password_signs_in_at_once(
    client: TestClient, make_user: Callable[..., SignedInUser]
) -> None:
    # Given an owner signed in on two devices, the phone a second before the change
    phone = make_user("owner@example.com", groups=(OWNER_GROUP,))
    next_second()
    laptop = sign_in(client, phone.email)

    # When the password is changed from the laptop
    changed = client.post(
        "/v1/auth/change-password",
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        headers=bearer(laptop["idToken"]),
    )
    assert changed.status_code == 204, changed.text

    # Then both devices' sessions have ended
    assert answers(client, phone.id_token) == ALL_REFUSED
    assert answers(client, laptop["accessToken"]) == ALL_REFUSED
    # while signing in again with the new password works straight away, in the same second
    again = sign_in(client, phone.email, NEW_PASSWORD)
    assert answers(client, again["idToken"]) == ALL_OK


def test_a_password_change_that_failed_after_the_change_is_finished_by_its_retry(
    client: TestClient,
    make_user: Callable[..., SignedInUser],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an owner on two devices, and a table that refuses the first write of revocations
    phone = make_user("owner@example.com", groups=(OWNER_GROUP,))
    next_second()
    laptop = sign_in(client, phone.email)
    write = RevocationRepository.end
    attempts: list[str] = []

    def unavailable_once(self: RevocationRepository, **record: Any) -> None:
        attempts.append("sent")
        if len(attempts) == 1:
            raise ServiceUnavailable("The database is unavailable.")
        write(self, **record)

    monkeypatch.setattr(RevocationRepository, "end", unavailable_once)
    change = {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}

    # When the change is made, but its sessions could not be ended
    first = client.post("/v1/auth/change-password", json=change, headers=bearer(laptop["idToken"]))
    assert first.status_code == 503, first.text
    assert answers(client, phone.id_token) == ALL_OK  # not yet ended

    # Then the client's retry, though the current password it sends is now the old one,
    # finishes the work: every session ends
    again = client.post("/v1/auth/change-password", json=change, headers=bearer(laptop["idToken"]))
    assert again.status_code == 204, again.text
    assert answers(client, phone.id_token) == ALL_REFUSED
    assert answers(client, laptop["idToken"]) == ALL_REFUSED
    renewed = client.post("/v1/auth/refresh", json={"refreshToken": phone.refresh_token})
    assert renewed.status_code == 401
    # while a wrong current password with a wrong new one is refused as ever
    wrong = {"currentPassword": "Wrong-Pass-1!", "newPassword": "Other-Pass-2?"}
    fresh = sign_in(client, phone.email, NEW_PASSWORD)
    refused = client.post("/v1/auth/change-password", json=wrong, headers=bearer(fresh["idToken"]))
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_credentials")
    assert answers(client, fresh["idToken"]) == ALL_OK


def test_revocation_records_expire_and_the_cut_off_never_moves_back(
    settings: Settings, dynamodb: Any, stack: LocalStack
) -> None:
    revocations = RevocationRepository(dynamodb_client(settings.region), stack.table_name)
    # Given a user whose sessions ended before second 2000
    revocations.end(session_id=None, sub="u1", before=2000, revoked_at="t1", expires_at=9000)

    # When a resent or late end names an earlier cut-off, with a session to revoke
    revocations.end(session_id="s1", sub="u1", before=1000, revoked_at="t2", expires_at=8000)

    # Then the later cut-off stands and the session is revoked all the same
    found = revocations.revocation("s1", "u1")
    assert (found.session_revoked, found.sessions_ended_before) == (True, 2000)
    # and each record carries its own TTL (the cut-off's unchanged by the earlier one)
    expiries = {}
    for key in (keys.revoked_session("s1"), keys.ended_sessions("u1")):
        wire_key = {name: {"S": value} for name, value in key.items()}
        item = dynamodb.get_item(TableName=stack.table_name, Key=wire_key)["Item"]
        expiries[item[keys.ENTITY]["S"]] = int(item[keys.TTL_ATTRIBUTE]["N"])
    assert expiries == {"RevokedSession": 8000, "EndedSessions": 9000}
    # and an end resent exactly (the same cut-off) fails nothing and moves nothing
    revocations.end(session_id="s1", sub="u1", before=2000, revoked_at="t1", expires_at=9000)
    found = revocations.revocation("s1", "u1")
    assert (found.session_revoked, found.sessions_ended_before) == (True, 2000)
    # and a session nobody ended meets nothing
    other = revocations.revocation("s2", "u2")
    assert (other.session_revoked, other.sessions_ended_before) == (False, None)

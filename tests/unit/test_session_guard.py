"""The session guard's arithmetic, against a fixed clock and a recording repository: which
sign-in seconds each way of ending sessions refuses, and how long its records last."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portfolio_api.core.security import Principal
from portfolio_api.repositories.revocations import Revocation
from portfolio_api.services.sessions import SessionGuard, SessionRevoked

NOW = datetime(2026, 12, 2, 10, 0, 0, 500_000, tzinfo=UTC)
SECOND = int(NOW.timestamp())  # the whole second the change happens in
DAY = int(timedelta(days=1).total_seconds())


class Recorder:
    """A revocation repository that keeps what is written and answers from it."""

    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []
        self.revoked: set[str] = set()
        self.cut_off: dict[str, int] = {}

    def end(self, **record: Any) -> None:
        self.written.append(record)
        if record["session_id"]:
            self.revoked.add(record["session_id"])
        if record["sub"]:
            self.cut_off[record["sub"]] = max(self.cut_off.get(record["sub"], 0), record["before"])

    def revocation(self, session_id: str | None, sub: str) -> Revocation:
        return Revocation(session_id in self.revoked, self.cut_off.get(sub))


def principal(signed_in: int, session: str | None = "s1") -> Principal:
    return Principal(
        sub="u1",
        email="u1@example.com",
        groups=(),
        token_use="id",
        is_owner=False,
        session_id=session,
        authenticated_at=signed_in,
    )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def guard(recorder: Recorder) -> SessionGuard:
    return SessionGuard(recorder, lambda: NOW)  # type: ignore[arg-type]


def alive(guard: SessionGuard, token: Principal) -> bool:
    try:
        guard.ensure_active(token)
    except SessionRevoked:
        return False
    return True


def test_a_password_change_ends_the_sessions_begun_before_its_second(
    guard: SessionGuard, recorder: Recorder
) -> None:
    caller = principal(SECOND, session="caller")
    guard.end_every_session(caller)
    # Sessions of earlier seconds have ended; the caller's own too, though begun this second
    assert not alive(guard, principal(SECOND - 1, session="other"))
    assert not alive(guard, caller)
    # while another session of this second, and the next sign-in, are not refused
    assert alive(guard, principal(SECOND, session="other"))
    assert alive(guard, principal(SECOND + 1, session="new"))
    (record,) = recorder.written
    assert record["expires_at"] == SECOND + 1 + DAY  # past every token it can refuse


def test_logout_ends_its_session_only(guard: SessionGuard) -> None:
    guard.end_session(principal(SECOND - 100, session="mine"))
    assert not alive(guard, principal(SECOND - 100, session="mine"))
    assert alive(guard, principal(SECOND - 100, session="theirs"))


def test_logout_without_a_session_id_ends_every_session_to_its_own(guard: SessionGuard) -> None:
    # A token that names no session, signed in this very second
    guard.end_session(principal(SECOND, session=None))
    assert not alive(guard, principal(SECOND, session=None))
    assert alive(guard, principal(SECOND + 1, session=None))


def test_a_deleted_user_has_no_session_for_a_day_whatever_the_clock(
    guard: SessionGuard, recorder: Recorder
) -> None:
    guard.end_account("u1")
    # Tokens signed in before, during and after the deletion (a slow clock, a late sign-in)
    for signed_in in (SECOND - 100, SECOND, SECOND + 600, SECOND + DAY - 1):
        assert not alive(guard, principal(signed_in, session=None)), signed_in
    (record,) = recorder.written
    assert record["before"] == SECOND + DAY
    assert record["expires_at"] >= record["before"] + DAY

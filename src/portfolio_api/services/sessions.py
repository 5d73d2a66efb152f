"""Sessions that end when the user says so: logout, a password change, a deleted account.

A Cognito ID or access token verifies by its signature until it expires, whatever happens to
its session. So every request that carries a token also reads two small records (one
BatchGetItem): its session's mark, keyed by the token's `origin_jti` (shared by the ID, access
and refreshed tokens of one sign-in), and its user's cut-off, before which every session of the
user has ended. Both expire by TTL once no token they could refuse is still alive.
"""

import math
from datetime import timedelta

from portfolio_api.core.clock import Clock, iso_z
from portfolio_api.core.errors import Unauthorized
from portfolio_api.core.security import Principal
from portfolio_api.repositories.revocations import RevocationRepository

# Cognito issues ID and access tokens valid for at most one day (this pool's: 60 minutes), and
# none of an ended session is issued after its end: its refresh tokens are revoked with it.
TOKEN_LIFETIME_LIMIT = timedelta(days=1)


class SessionRevoked(Unauthorized):
    """The token belongs to a session that has been signed out or ended."""

    def __init__(self) -> None:
        super().__init__("This session has ended; sign in again.")


class SessionGuard:
    """Refuses the tokens of ended sessions, and ends sessions."""

    def __init__(self, revocations: RevocationRepository, clock: Clock) -> None:
        self._revocations = revocations
        self._clock = clock

    def ensure_active(self, principal: Principal) -> None:
        """Nothing when the token's session is alive; `SessionRevoked` (401) otherwise."""
        found = self._revocations.revocation(principal.session_id, principal.sub)
        ended_before = found.sessions_ended_before
        if found.session_revoked or (
            ended_before is not None and principal.authenticated_at < ended_before
        ):
            raise SessionRevoked()

    def end_session(self, principal: Principal) -> None:
        """Logout: this sign-in's tokens are refused from now on.

        A token without `origin_jti` (from a client without token revocation) names no
        session, so every session of its user ends instead, its own sign-in's second included.
        """
        if principal.session_id is None:
            before = max(self._this_second(), principal.authenticated_at + 1)
            self._end(session_id=None, sub=principal.sub, before=before)
        else:
            self._end(session_id=principal.session_id, sub=None, before=0)

    def end_every_session(self, current: Principal) -> None:
        """A password change: every session the caller's user began before now has ended,
        and the caller's own session with them.

        The cut-off is the current whole second, since tokens state their sign-in time in
        whole seconds: a session begun earlier in this very second (other than the caller's)
        outlives it, and one begun right after the change, in the same second, is not refused.
        """
        self._end(session_id=current.session_id, sub=current.sub, before=self._this_second())

    def end_account(self, sub: str) -> None:
        """A deleted user: every token of `sub` for a day after the deletion, whatever its
        sign-in time or the operator's clock (a deleted `sub` never signs in again)."""
        lifetime = int(TOKEN_LIFETIME_LIMIT.total_seconds())
        self._end(
            session_id=None, sub=sub, before=self._this_second() + lifetime, lasting=2 * lifetime
        )

    def _this_second(self) -> int:
        return math.floor(self._clock().timestamp())

    def _end(
        self,
        *,
        session_id: str | None,
        sub: str | None,
        before: int,
        lasting: int = int(TOKEN_LIFETIME_LIMIT.total_seconds()),
    ) -> None:
        """Write the records, kept `lasting` seconds: past every token they can refuse."""
        now = self._clock()
        self._revocations.end(
            session_id=session_id,
            sub=sub,
            before=before,
            revoked_at=iso_z(now),
            expires_at=math.ceil(now.timestamp()) + lasting,
        )

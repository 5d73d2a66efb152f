"""Ended sessions: one mark per signed-out session, one cut-off per user, both expiring by TTL.

Cognito revokes refresh tokens, but an ID or access token it has issued stays valid by its
signature until it expires; these records are how the API refuses it sooner.
"""

from dataclasses import dataclass

from portfolio_api.db import keys
from portfolio_api.db.entities import ENDED_SESSIONS, REVOKED_SESSION
from portfolio_api.repositories.base import Action, Repository, action


@dataclass(frozen=True, slots=True)
class Revocation:
    """What stands against one token: its session's mark, and its user's cut-off (seconds)."""

    session_revoked: bool
    sessions_ended_before: int | None


class RevocationRepository(Repository):
    """Reads the two records a token can meet, and writes them."""

    def revocation(self, session_id: str | None, sub: str) -> Revocation:
        """Both records in one strongly consistent BatchGetItem: a logout answered by one
        container is seen by the next request in any other."""
        wanted = {"user": keys.ended_sessions(sub)}
        if session_id:
            wanted["session"] = keys.revoked_session(session_id)
        found = self._get_by_name(wanted, consistent=True)
        cut_off = found.get("user", {}).get("endedBefore")
        return Revocation(
            session_revoked="session" in found,
            sessions_ended_before=int(cut_off) if cut_off is not None else None,
        )

    def end(
        self,
        *,
        session_id: str | None,
        sub: str | None,
        before: int,
        revoked_at: str,
        expires_at: int,
    ) -> None:
        """Mark a session revoked and/or move a user's cut-off to `before`, in one transaction.

        Safe to resend: the mark is a plain Put, and the cut-off only ever moves later; when a
        later one already stands, the mark is written alone.
        """
        mark = [self._mark(session_id, revoked_at, expires_at)] if session_id else []
        cut_off = [self._cut_off(sub, before, revoked_at, expires_at)] if sub else []
        try:
            self._write_transaction([*mark, *cut_off])
        except _LaterCutOff:
            if mark:
                self._write_transaction(mark)

    @staticmethod
    def _mark(session_id: str, revoked_at: str, expires_at: int) -> Action:
        item = {
            **keys.revoked_session(session_id),
            **REVOKED_SESSION.stamp,
            "revokedAt": revoked_at,
            **REVOKED_SESSION.expiring(expires_at),
        }
        return action({"Put": {"Item": item}})

    @staticmethod
    def _cut_off(sub: str, before: int, revoked_at: str, expires_at: int) -> Action:
        update = {
            "Key": keys.ended_sessions(sub),
            "UpdateExpression": (
                "SET #entity = :entity, endedBefore = :before, endedAt = :at, #expires = :expires"
            ),
            # Invariant: the cut-off never moves earlier (nor its expiry with it).
            "ConditionExpression": "attribute_not_exists(endedBefore) OR endedBefore < :before",
            "ExpressionAttributeNames": {
                "#entity": keys.ENTITY,
                "#expires": ENDED_SESSIONS.ttl_attribute,
            },
            "ExpressionAttributeValues": {
                ":entity": ENDED_SESSIONS.tag,
                ":before": before,
                ":at": revoked_at,
                ":expires": expires_at,
            },
        }
        return action({"Update": update}, failure=lambda _stored: _LaterCutOff())


class _LaterCutOff(Exception):
    """The user's cut-off is already at or after the one being written."""

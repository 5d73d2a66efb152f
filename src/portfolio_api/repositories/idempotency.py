"""Idempotency records: the first response to a keyed create, kept 24 hours through TTL."""

import contextlib
from typing import Any

from portfolio_api.db import keys
from portfolio_api.db.entities import IDEMPOTENCY_RECORD
from portfolio_api.repositories.base import ConditionFailed, Item, Repository, action

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


class IdempotencyRepository(Repository):
    """Claims, completes and releases records keyed by a digest of caller, route and key."""

    def claim(
        self,
        digest: str,
        request_hash: str,
        *,
        attempt: str,
        now: int,
        expires_at: int,
        locked_until: int,
    ) -> Item | None:
        """Claim the key for this request; None when claimed, else the record that holds it."""
        record = {
            **keys.idempotency_record(digest),
            **IDEMPOTENCY_RECORD.stamp,
            "status": IN_PROGRESS,
            "requestHash": request_hash,
            "attempt": attempt,
            **IDEMPOTENCY_RECORD.expiring(expires_at),
            "lockedUntil": locked_until,
        }
        put = {
            "Put": {
                "Item": record,
                # Invariant: one request owns a key at a time. A record past its TTL (not yet
                # swept) or an attempt that died mid-way (its lock lapsed) no longer holds it.
                "ConditionExpression": (
                    "attribute_not_exists(PK) OR #expires < :now"
                    " OR (#status = :in_progress AND lockedUntil < :now)"
                ),
                "ExpressionAttributeNames": {
                    "#expires": IDEMPOTENCY_RECORD.ttl_attribute,
                    "#status": "status",
                },
                "ExpressionAttributeValues": {":now": now, ":in_progress": IN_PROGRESS},
            }
        }
        try:
            # A transaction even alone: a PutItem resent after its answer was lost would find
            # its own claim and answer "still running"; the token answers the first outcome.
            self._write_transaction([action(put)])
        except ConditionFailed as held:
            return held.old_item or {}
        return None

    def complete(self, digest: str, response: dict[str, Any]) -> None:
        """Store the response to replay."""
        self._update(
            keys.idempotency_record(digest),
            update="SET #status = :completed, #response = :response REMOVE lockedUntil",
            names={"#status": "status", "#response": "response"},
            values={":completed": COMPLETED, ":response": response},
        )

    def hold(self, digest: str, *, until: int) -> None:
        """Keep an in-progress record locked until `until` (its answer could not be stored)."""
        self._update(
            keys.idempotency_record(digest),
            update="SET lockedUntil = :until",
            values={":until": until},
        )

    def release(self, digest: str, attempt: str) -> None:
        """Forget an attempt that failed, so a retry runs again.

        Only while the record is still this attempt's: a delete resent after its answer was
        lost must not remove a claim another request made meanwhile.
        """
        # A failed condition: already gone, or claimed anew by a later request.
        with contextlib.suppress(ConditionFailed):
            self._delete(
                keys.idempotency_record(digest),
                condition="attempt = :attempt",
                values={":attempt": attempt},
            )

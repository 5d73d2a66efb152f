"""Idempotent creates: a retry with the same key and body answers the first response again.

A key is scoped to the caller and the route. The request is fingerprinted with an HMAC of its
canonical JSON (keyed by the service secret, so a stored fingerprint of a body that holds a
password reveals nothing). While the first attempt runs, a retry gets a 409; an attempt that
fails releases the key so the client may try again; a different body under a used key is a 422.
"""

import hashlib
import hmac
import json
import logging
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portfolio_api.core.clock import Clock
from portfolio_api.core.errors import ApiError, Conflict, OutcomeUnknown
from portfolio_api.core.exact_json import dumps_exact
from portfolio_api.observability.metrics import count
from portfolio_api.observability.names import Metric
from portfolio_api.repositories.idempotency import COMPLETED, IdempotencyRepository

logger = logging.getLogger("portfolio_api.idempotency")

RETENTION_SECONDS = 24 * 60 * 60
LOCK_SECONDS = 60


class IdempotencyKeyReused(ApiError):
    status, code, title = 422, "idempotency_key_reused", "Idempotency key reused"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """What a create answered: enough to answer it again."""

    status: int
    body: Any
    headers: dict[str, str]


class IdempotencyService:
    """Runs a create at most once per (caller, route, key, body)."""

    def __init__(self, repository: IdempotencyRepository, clock: Clock, secret: bytes) -> None:
        self._repository = repository
        self._clock = clock
        self._secret = secret

    def run(
        self, *, scope: str, key: str, body: Any, produce: Callable[[], StoredResponse]
    ) -> StoredResponse:
        """The first response for this key, producing it only when there is none yet."""
        digest = self._digest(f"{scope}\x00{key}")
        request_hash = self._digest(dumps_exact(body, sort_keys=True))
        now = int(self._clock().timestamp())
        attempt = uuid.uuid4().hex  # this run's mark on the record: only it may release it
        held = self._repository.claim(
            digest,
            request_hash,
            attempt=attempt,
            now=now,
            expires_at=now + RETENTION_SECONDS,
            locked_until=now + LOCK_SECONDS,
        )
        if held is not None:
            return self._replay(held, request_hash)
        try:
            response = produce()
        except OutcomeUnknown:
            # The create may have landed: keep the key held for the whole retention, so a
            # retry is a 409, never a second resource.
            self._hold_for_retention(digest, now)
            raise
        except BaseException:
            self._repository.release(digest, attempt)
            raise
        try:
            self._repository.complete(digest, _packed(response))
        except ApiError:
            # The resource exists but its answer could not be stored: keep the key held for the
            # whole retention, so a retry is a 409, never a second resource.
            logger.error("idempotency record not completed", extra={"digest": digest[:12]})
            self._hold_for_retention(digest, now)
        return response

    def _hold_for_retention(self, digest: str, now: int) -> None:
        try:
            self._repository.hold(digest, until=now + RETENTION_SECONDS)
        except ApiError:  # the lock still lapses only after LOCK_SECONDS
            logger.error("idempotency record not held", extra={"digest": digest[:12]})

    def _replay(self, held: dict[str, Any], request_hash: str) -> StoredResponse:
        if held.get("requestHash") != request_hash:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request body."
            )
        stored = held.get("response")
        if held.get("status") != COMPLETED or not isinstance(stored, dict):
            raise Conflict("A request with this Idempotency-Key is still being processed.")
        count(Metric.IDEMPOTENT_REPLAYS)
        return _unpacked(stored)

    def _digest(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()


def _packed(response: StoredResponse) -> dict[str, Any]:
    """The response as stored: the body compressed JSON text (exact numbers, small items)."""
    body = zlib.compress(dumps_exact(response.body).encode(), 6)
    return {"status": response.status, "headers": response.headers, "body": body}


def _unpacked(stored: dict[str, Any]) -> StoredResponse:
    return StoredResponse(
        status=int(stored["status"]),
        body=json.loads(zlib.decompress(bytes(stored["body"])), parse_float=Decimal),
        headers={str(k): str(v) for k, v in stored["headers"].items()},
    )

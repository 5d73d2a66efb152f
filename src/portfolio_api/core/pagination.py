"""Opaque, tamper-evident cursors over DynamoDB's `LastEvaluatedKey`.

A cursor is `base64url(json(key)) . base64url(hmac)`, the MAC covering the key and the list it
belongs to (its scope), so a forged cursor and a cursor from another list are both a 400.
"""

import base64
import binascii
import hashlib
import hmac
import json
from typing import Annotated, Any

from pydantic import Field

from portfolio_api.core.errors import ValidationFailed

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Items per page (1-100).")]
CursorParam = Annotated[
    str | None, Field(max_length=2048, description="`nextCursor` of the previous page.")
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Signs and checks cursors with the service's secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, scope: str, payload: bytes) -> bytes:
        return hmac.new(self._secret, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()

    def encode(self, scope: str, key: dict[str, Any] | None) -> str | None:
        """The cursor for the page after `key`, or None at the end."""
        if not key:
            return None
        payload = json.dumps(key, sort_keys=True, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(scope, payload))}"

    def decode(self, scope: str, cursor: str | None) -> dict[str, Any] | None:
        """The key a cursor names; any defect, or another list's cursor, is a 400."""
        if cursor is None:
            return None
        try:
            payload_text, mac_text = cursor.split(".")
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (ValueError, binascii.Error):
            raise _bad_cursor() from None
        if not hmac.compare_digest(mac, self._mac(scope, payload)):
            raise _bad_cursor()
        key = json.loads(payload)
        if not isinstance(key, dict):
            raise _bad_cursor()
        return key


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not valid for this list.",
        errors=[{"field": "cursor", "message": "invalid or foreign cursor"}],
    )

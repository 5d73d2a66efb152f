"""Cognito token verification: signature, `kid`, issuer, audience or client id, use and expiry.

Only RS256 is accepted, and the key must come from the pool's JWKS by `kid`; the JWKS is fetched
once per process and fetched again, at most once a minute, when a token names an unknown `kid`
(Cognito rotates keys rarely; the rate limit stops a flood of forged `kid`s from reaching it),
and a failed fetch is retried no sooner than five seconds later, answering 503 meanwhile.
Locally the JWKS comes from the stand-in while the issuer keeps Cognito's form. Whether the
token's session has ended is asked next, of services/sessions.py.

python-jose (and cryptography under it) is imported on the first verification, not with this
module: a public request never verifies a token, and the import is a twentieth of a cold start.
"""

import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portfolio_api.core.errors import ServiceUnavailable, Unauthorized

logger = logging.getLogger("portfolio_api.security")

JwksFetcher = Callable[[], dict[str, Any]]

ALGORITHM = "RS256"
JWKS_REFRESH_INTERVAL_SECONDS = 60.0
JWKS_FAILURE_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the verified token says."""

    sub: str
    email: str | None
    groups: tuple[str, ...]
    token_use: str
    is_owner: bool
    username: str | None = None  # Cognito's username (the `sub` in an e-mail-username pool)
    session_id: str | None = None  # `origin_jti`: one sign-in's tokens, refreshed ones included
    authenticated_at: int = 0  # `auth_time` (else `iat`): when that sign-in happened, in seconds


def cognito_endpoint(region: str) -> str:
    """Cognito's base URL, or the endpoint override botocore would use (the local stand-in)."""
    # botocore's name for the service-specific override: AWS_ENDPOINT_URL_<service id>.
    override = os.environ.get("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER") or os.environ.get(
        "AWS_ENDPOINT_URL"
    )
    return (override or f"https://cognito-idp.{region}.amazonaws.com").rstrip("/")


def http_jwks_fetcher(url: str, timeout: float = 3.0) -> JwksFetcher:
    """Fetch a JWKS document over HTTP(S)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("JWKS URL must be http(s)")

    def fetch() -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            document: dict[str, Any] = json.load(response)
            return document

    return fetch


class TokenVerifier:
    """Verifies Cognito ID and access tokens of one pool and app client."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        owner_group: str,
        fetch_jwks: JwksFetcher,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._owner_group = owner_group
        self._fetch_jwks = fetch_jwks
        self._monotonic = monotonic
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._retry_after: float | None = None
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; any defect is a 401 with a short reason, never a 500."""
        from jose import jwt
        from jose.exceptions import ExpiredSignatureError, JOSEError

        try:
            header = jwt.get_unverified_header(token)
        except JOSEError:
            raise Unauthorized("The token is malformed.") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("The token's algorithm is not accepted.")
        key = self._key_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                options={
                    "verify_aud": False,  # checked below: access tokens carry client_id instead
                    "verify_at_hash": False,
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                },
            )
        except ExpiredSignatureError:
            raise Unauthorized("The token has expired.") from None
        except JOSEError:
            raise Unauthorized("The token is invalid.") from None
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        token_use = claims.get("token_use")
        if token_use == "id":
            audience_ok = claims.get("aud") == self._client_id and "client_id" not in claims
        elif token_use == "access":
            audience_ok = claims.get("client_id") == self._client_id and "aud" not in claims
        else:
            raise Unauthorized("The token's use is not accepted.")
        if not audience_ok:
            raise Unauthorized("The token was issued to another client.")
        groups = claims.get("cognito:groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise Unauthorized("The token's groups are malformed.")
        email = claims.get("email")
        username = claims.get("cognito:username" if token_use == "id" else "username")
        session_id = claims.get("origin_jti")
        authenticated_at = claims.get("auth_time", claims["iat"])
        if not isinstance(authenticated_at, int | float) or isinstance(authenticated_at, bool):
            raise Unauthorized("The token's sign-in time is malformed.")
        return Principal(
            sub=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            groups=tuple(groups),
            token_use=token_use,
            is_owner=self._owner_group in groups,
            username=username if isinstance(username, str) else None,
            session_id=session_id if isinstance(session_id, str) and session_id else None,
            authenticated_at=int(authenticated_at),
        )

    def prime(self) -> None:
        """Import the JWT library and fetch the keys now (a SnapStart snapshot keeps both).

        A failed fetch is logged and left for the first token to retry.
        """
        from jose import jwt  # noqa: F401  (the import is the cost being paid in advance)

        try:
            self._refresh()
        except Exception as exc:  # priming is best effort: a failure must not stop a deployment
            logger.warning("jwks not fetched while priming", extra={"error": type(exc).__name__})

    def forget_timers(self) -> None:
        """After a SnapStart restore: the monotonic clock the timers read has started anew.

        The keys stay; the next unknown `kid` may fetch at once, and no back-off is pending.
        """
        with self._lock:
            self._fetched_at = None
            self._retry_after = None

    def _key_for(self, kid: object) -> dict[str, Any]:
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("The token names no key.")
        key = self._keys.get(kid)
        if key is None and self._may_refresh():
            self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("The token's key is unknown.")
        return key

    def _may_refresh(self) -> bool:
        now = self._monotonic()
        if self._retry_after is not None and now < self._retry_after:
            raise ServiceUnavailable("Token keys are unavailable; try again shortly.")
        return self._fetched_at is None or now - self._fetched_at >= JWKS_REFRESH_INTERVAL_SECONDS

    def _refresh(self) -> None:
        with self._lock:
            if not self._may_refresh():
                return
            try:
                keys = _rsa_keys(self._fetch_jwks())
            except (OSError, ValueError) as exc:
                # Back off briefly, so an outage is not met with one fetch per request.
                self._retry_after = self._monotonic() + JWKS_FAILURE_BACKOFF_SECONDS
                logger.error("jwks fetch failed", extra={"error": type(exc).__name__})
                raise ServiceUnavailable("Token keys are unavailable; try again shortly.") from exc
            self._keys = keys
            self._fetched_at = self._monotonic()
            self._retry_after = None


def _rsa_keys(document: object) -> dict[str, dict[str, Any]]:
    """The RSA keys of a JWKS document by `kid`; a document of another shape is a ValueError."""
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ValueError("JWKS document has no key list")
    return {
        key["kid"]: key
        for key in keys
        if isinstance(key, dict) and isinstance(key.get("kid"), str) and key.get("kty") == "RSA"
    }

"""Close the gaps between moto and the services it stands in for, as far as the API reaches.

- Cognito: moto has no ResendConfirmationCode.
- Cognito: every pool moto creates parses the same private key file afresh (RSA checks, about
  0.1 s to 0.4 s a pool, most of what a test's set-up cost); the stand-in parses it once and
  gives every pool that key, which is what each pool got before.
- DynamoDB: moto's writes are not atomic across threads (its server answers requests
  concurrently), so two concurrent `ADD`s or transactions can lose an update that DynamoDB
  never loses. One lock around its write operations gives the stand-in DynamoDB's atomicity.
- DynamoDB: moto ignores `TransactWriteItems`' `ClientRequestToken`, so when botocore resends a
  transaction that already committed (its answer was lost), the resend fails its own
  conditions or applies its `ADD`s twice. The stand-in now honours the token as the
  DynamoDB Developer Guide ("Transactions: how it works", Idempotency) and the API reference
  (`TransactWriteItems`, `ClientRequestToken`) describe it:
  - a repeat of a committed transaction (same token, same parameters) succeeds and changes
    nothing; it answers what the first call answered;
  - the same token with any other parameter changed fails with
    `IdempotentParameterMismatchException` (HTTP 400), and writes nothing;
  - a token is remembered for 10 minutes after the call that used it completed (a repeat does
    not extend that); after that the same token is a new request and runs again.

  Where the documentation is silent, the stand-in chooses:
  - Only commits are remembered. A cancelled transaction (`TransactionCanceledException`), or
    one moto rejects as invalid, wrote nothing and leaves its token unused, so a repeat runs
    again (and may now succeed), and a later change of parameters under that token is not a
    mismatch. Other descriptions of DynamoDB say the same ("if it failed the first time,
    DynamoDB will apply the writes"), and it is the only reading under which resending a
    transaction cancelled by a conflict, as SDKs do, could ever succeed.
  - `TransactionInProgressException` never occurs: check, execute and remember happen under
    the write lock, so a repeat that arrives during the first waits and then gets the first's
    answer, which is what botocore's retries of that error end in against DynamoDB.
  - The parameters compared are the whole request body but the token itself, canonically
    ordered; `ReturnConsumedCapacity` and `ReturnItemCollectionMetrics` count as parameters
    too, because the documentation allows only the responses to differ, not the requests.
  - Tokens are scoped to an account and region (remembered on moto's per-account, per-region
    backend), so moto's reset (`/moto-api/reset`, which rebuilds every backend) forgets them.
  - The answer repeated is moto's, which reports no consumed capacity either time (DynamoDB
    would report read units for the repeat).

Applied to the stand-in only (the dev stack and the tests); the service code is the same
against AWS.
"""

import copy
import functools
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_write_lock = threading.RLock()

REQUEST_TOKEN_WINDOW_SECONDS = 600.0
"""How long DynamoDB remembers a transaction's `ClientRequestToken` after the call completed."""

clock: Callable[[], float] = time.monotonic
"""Seconds on a monotonic clock for the token window; tests replace it to step past the window."""

_TOKEN_MEMORY_ATTRIBUTE = "_portfolio_committed_transactions"


def install() -> None:
    """Patch moto once: atomic DynamoDB writes, transaction request tokens, Cognito's
    ResendConfirmationCode, and one parse of the pools' signing key."""
    _make_dynamodb_writes_atomic()
    _honour_transaction_request_tokens()
    _add_resend_confirmation_code()
    _parse_the_pool_key_once()


def _parse_the_pool_key_once() -> None:
    """Each new pool's `jwk.RSAKey.import_key(<moto's one key file>)` returns the key parsed
    here; everything else of `joserfc.jwk` is joserfc's own."""
    from joserfc import jwk
    from moto.cognitoidp import models

    namespace = vars(models)  # moto's own `jwk` name, which it does not export
    if isinstance(namespace["jwk"], _JwkWithOneParsedKey):
        return
    key_file = namespace["load_resource"]("cognitoidp/resources/jwks-private.json")
    namespace["jwk"] = _JwkWithOneParsedKey(key_file, jwk.RSAKey.import_key(key_file))


class _JwkWithOneParsedKey:
    """Stands in for the `joserfc.jwk` module inside moto's Cognito models."""

    def __init__(self, key_file: Any, key: Any) -> None:
        self.RSAKey = _RSAKeyWithOneParsedKey(key_file, key)

    def __getattr__(self, name: str) -> Any:
        from joserfc import jwk

        return getattr(jwk, name)


class _RSAKeyWithOneParsedKey:
    """`joserfc.jwk.RSAKey`, but importing moto's key file gives the key parsed once."""

    def __init__(self, key_file: Any, key: Any) -> None:
        self._key_file = key_file
        self._key = key

    def import_key(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        """The parsed key for moto's key file; anything else parsed by joserfc."""
        from joserfc import jwk

        if data == self._key_file and not args and not kwargs:
            return self._key
        return jwk.RSAKey.import_key(data, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        from joserfc import jwk

        return getattr(jwk.RSAKey, name)


def _make_dynamodb_writes_atomic() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_atomic", False):
            continue
        setattr(DynamoDBBackend, name, _atomic(original))


def _atomic(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return operation(*args, **kwargs)

    locked._atomic = True  # type: ignore[attr-defined]
    return locked


@dataclass(frozen=True)
class _Commit:
    digest: str
    answer: Any
    completed_at: float


class _CommittedTransactions:
    """Transactions committed under a token within the window, oldest first (guarded by
    `_write_lock`, under which they are recorded in the order they complete)."""

    def __init__(self) -> None:
        self._by_token: dict[str, _Commit] = {}

    def earlier_answer(self, token: str, digest: str, now: float) -> Any | None:
        """The first call's answer when this is its repeat; None when the token is unused."""
        self._forget_completed_before(now - REQUEST_TOKEN_WINDOW_SECONDS)
        commit = self._by_token.get(token)
        if commit is None:
            return None
        if commit.digest != digest:
            raise _idempotent_parameter_mismatch()
        return copy.deepcopy(commit.answer)

    def remember(self, token: str, digest: str, answer: Any, now: float) -> None:
        """Keep a commit's answer for repeats of the same request under the same token."""
        self._by_token[token] = _Commit(digest, copy.deepcopy(answer), now)

    def _forget_completed_before(self, cutoff: float) -> None:
        while self._by_token:
            oldest = next(iter(self._by_token))
            if self._by_token[oldest].completed_at > cutoff:
                return
            del self._by_token[oldest]


def _honour_transaction_request_tokens() -> None:
    """Answer a repeated `ClientRequestToken` as DynamoDB does (see the module docstring)."""
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.transact_write_items
    if getattr(original, "_honours_request_tokens", False):
        return

    @functools.wraps(original)
    def transact_write_items(handler: Any) -> Any:
        token = handler.body.get("ClientRequestToken")
        if not token:
            return original(handler)
        digest = _request_digest(handler.raw_body)
        with _write_lock:
            committed = _committed_transactions(handler.dynamodb_backend)
            earlier = committed.earlier_answer(token, digest, clock())
            if earlier is not None:
                return ActionResult(earlier)
            answer = original(handler)  # a cancellation raises: nothing is remembered
            committed.remember(token, digest, answer.result, clock())
            return answer

    transact_write_items._honours_request_tokens = True  # type: ignore[attr-defined]
    setattr(DynamoHandler, "transact_write_items", transact_write_items)  # noqa: B010


def _committed_transactions(backend: Any) -> _CommittedTransactions:
    """The backend's memory of tokens: kept on it so that moto's reset forgets them too."""
    memory = getattr(backend, _TOKEN_MEMORY_ATTRIBUTE, None)
    if memory is None:
        memory = _CommittedTransactions()
        setattr(backend, _TOKEN_MEMORY_ATTRIBUTE, memory)
    return memory


def _request_digest(raw_body: bytes | str) -> str:
    """What "the same request" means: every parameter but the token, in a canonical order."""
    parameters = json.loads(raw_body or "{}")
    parameters.pop("ClientRequestToken", None)
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotent_parameter_mismatch() -> Exception:
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

    exception: Exception = DynamodbException(
        ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
        "The ClientRequestToken was already used for a transaction with different parameters.",
    )
    return exception


def _add_resend_confirmation_code() -> None:
    """Teach moto's Cognito responder to answer ResendConfirmationCode as Cognito does."""
    from moto.cognitoidp.exceptions import InvalidParameterException, UserNotFoundError
    from moto.cognitoidp.models import UserStatus, cognitoidp_backends, find_account_region_by_value
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import ActionResult

    def resend_confirmation_code(self: Any) -> Any:
        client_id = self._get_param("ClientId")
        username = self._get_param("Username")
        account, region = find_account_region_by_value(
            "client_id", client_id, fallback=(self.current_account, self.region)
        )
        backend = cognitoidp_backends[account][region]
        pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
        user = pool._get_user(username) if pool else None
        if user is None:
            raise UserNotFoundError(username)
        if user.status != UserStatus.UNCONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        email = user.attribute_lookup.get("email", "")
        return ActionResult(
            {
                "CodeDeliveryDetails": {
                    "Destination": email,
                    "DeliveryMedium": "EMAIL",
                    "AttributeName": "email",
                }
            }
        )

    CognitoIdpResponse.resend_confirmation_code = resend_confirmation_code  # type: ignore[attr-defined]

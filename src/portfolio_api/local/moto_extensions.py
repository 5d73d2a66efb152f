"""Close the gaps between moto and the services it stands in for, as far as the API reaches.

- Cognito: moto has no ResendConfirmationCode.
- DynamoDB: moto's writes are not atomic across threads (its server answers requests
  concurrently), so two concurrent `ADD`s or transactions can lose an update that DynamoDB
  never loses. One lock around its write operations gives the stand-in DynamoDB's atomicity.

Applied to the stand-in only (the dev stack and the tests); the service code is the same
against AWS.
"""

import functools
import threading
from collections.abc import Callable
from typing import Any

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_write_lock = threading.RLock()


def install() -> None:
    """Patch moto once: atomic DynamoDB writes, and Cognito's ResendConfirmationCode."""
    _make_dynamodb_writes_atomic()
    _add_resend_confirmation_code()


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

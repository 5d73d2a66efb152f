"""Fill the one gap in moto's Cognito that the API's flows reach: ResendConfirmationCode.

Applied to the stand-in only (the dev stack and the tests); the service code stays the same
against real Cognito.
"""

from typing import Any


def install() -> None:
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

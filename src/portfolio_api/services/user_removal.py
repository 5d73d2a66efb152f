"""Delete a user from the product: the Cognito user and everything stored under their `sub`."""

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from portfolio_api.core.clock import Clock, iso_z
from portfolio_api.repositories.users import UserRepository
from portfolio_api.services.sessions import SessionGuard

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# The closed-account marker outlives every token issued before the deletion: Cognito's ID and
# access tokens last at most one day (this pool's: 60 minutes), and refresh tokens are revoked.
CLOSED_MARKER_LIFETIME = timedelta(days=2)


class UnknownUser(LookupError):
    """No such user in the pool."""


@dataclass(frozen=True, slots=True)
class RemovalResult:
    """What was removed, for the operator."""

    user_id: str
    cognito_user_deleted: bool
    items_removed: int


def delete_user(
    cognito: "CognitoIdentityProviderClient",
    users: UserRepository,
    sessions: SessionGuard,
    *,
    user_pool_id: str,
    clock: Clock,
    email: str | None = None,
    sub: str | None = None,
) -> RemovalResult:
    """Close the account, end its sessions, purge their data, then delete them from Cognito.

    Closing first means a token that is still alive cannot write anything new behind the
    purge, and once its sessions have ended it cannot read either; the Cognito user goes
    last, so a run interrupted anywhere is finished by running it again with the same e-mail.
    Give `email` for a user in the pool, or `sub` for one Cognito no longer knows.
    """
    if email is not None:
        sub = _sub_of(cognito, user_pool_id, email)
    if sub is None:
        raise ValueError("an e-mail or a sub is needed")
    now = clock()
    users.close_account(
        sub,
        closed_at=iso_z(now),
        expires_at=int((now + CLOSED_MARKER_LIFETIME).timestamp()),
    )
    sessions.end_account(sub)
    if email is not None:
        cognito.admin_user_global_sign_out(UserPoolId=user_pool_id, Username=email)
    removed = users.purge(sub)
    if email is not None:
        cognito.admin_delete_user(UserPoolId=user_pool_id, Username=email)
    return RemovalResult(user_id=sub, cognito_user_deleted=email is not None, items_removed=removed)


def _sub_of(cognito: "CognitoIdentityProviderClient", user_pool_id: str, email: str) -> str:
    try:
        user = cognito.admin_get_user(UserPoolId=user_pool_id, Username=email)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "UserNotFoundException":
            raise UnknownUser(email) from None
        raise
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")

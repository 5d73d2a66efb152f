"""Make (or promote) the site owner: a Cognito user in the `owner` group with a profile."""

from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from portfolio_api.core.clock import Clock, iso_z
from portfolio_api.repositories.base import ConditionFailed
from portfolio_api.repositories.users import UserRepository

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


@dataclass(frozen=True, slots=True)
class OwnerResult:
    """What happened, for the operator."""

    user_id: str
    created: bool


def ensure_owner(
    cognito: "CognitoIdentityProviderClient",
    users: UserRepository,
    *,
    user_pool_id: str,
    email: str,
    password: str | None,
    owner_group: str,
    clock: Clock,
) -> OwnerResult:
    """Idempotent: creates the user when missing, sets the password if given, adds the group.

    Without a password Cognito e-mails a temporary one, and the first login answers the
    NEW_PASSWORD_REQUIRED challenge.
    """
    created = False
    try:
        user = cognito.admin_get_user(UserPoolId=user_pool_id, Username=email)
        sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "UserNotFoundException":
            raise
        extra = {"MessageAction": "SUPPRESS"} if password else {"DesiredDeliveryMediums": ["EMAIL"]}
        made = cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": "Owner"},
            ],
            **extra,
        )
        sub = next(a["Value"] for a in made["User"]["Attributes"] if a["Name"] == "sub")
        created = True
    if password:
        cognito.admin_set_user_password(
            UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True
        )
    cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=email, GroupName=owner_group)
    now = iso_z(clock())
    with suppress(ConditionFailed):  # an existing profile is kept as it is
        users.create_profile(
            sub, {"email": email, "name": "Owner", "createdAt": now, "updatedAt": now}
        )
    return OwnerResult(user_id=sub, created=created)

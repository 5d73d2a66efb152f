"""Provision the table and the user pool, as `template.yaml` defines them, on the stand-in."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from portfolio_api.db.table import create_table_arguments, time_to_live_arguments
from portfolio_api.user_pool import create_app_client_arguments, create_user_pool_arguments

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

OWNER_GROUP = "owner"


def _quietly(_step: str) -> None:
    """The tests provision without a word; `portfolio-api dev` says each step."""


@dataclass(frozen=True, slots=True)
class LocalStack:
    """What the app's settings need to find the provisioned resources."""

    table_name: str
    user_pool_id: str
    client_id: str


def provision(
    dynamodb: "DynamoDBClient",
    cognito: "CognitoIdentityProviderClient",
    *,
    table_name: str = "portfolio-local",
    pool_name: str = "portfolio-local",
    on_step: Callable[[str], None] = _quietly,
) -> LocalStack:
    """Create the table, the pool, the app client and the owner group; `on_step` hears of each
    before it starts, so a slow start shows where it is."""
    on_step(f"creating table {table_name}")
    dynamodb.create_table(**create_table_arguments(table_name))
    dynamodb.update_time_to_live(**time_to_live_arguments(table_name))
    on_step(f"creating user pool {pool_name}, its app client and the '{OWNER_GROUP}' group")
    pool_id = cognito.create_user_pool(**create_user_pool_arguments(pool_name))["UserPool"]["Id"]
    client = cognito.create_user_pool_client(**create_app_client_arguments(pool_id, "web"))
    cognito.create_group(UserPoolId=pool_id, GroupName=OWNER_GROUP, Description="The site's owner")
    return LocalStack(table_name, pool_id, client["UserPoolClient"]["ClientId"])

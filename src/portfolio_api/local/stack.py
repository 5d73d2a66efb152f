"""Provision the table and the user pool, as `template.yaml` defines them, on the stand-in."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from portfolio_api.db.table import create_table_arguments, time_to_live_arguments
from portfolio_api.user_pool import create_app_client_arguments, create_user_pool_arguments

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

OWNER_GROUP = "owner"


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
) -> LocalStack:
    """Create the table, the pool, the app client and the owner group."""
    dynamodb.create_table(**create_table_arguments(table_name))
    dynamodb.update_time_to_live(**time_to_live_arguments(table_name))
    pool_id = cognito.create_user_pool(**create_user_pool_arguments(pool_name))["UserPool"]["Id"]
    client = cognito.create_user_pool_client(**create_app_client_arguments(pool_id, "web"))
    cognito.create_group(UserPoolId=pool_id, GroupName=OWNER_GROUP, Description="The site's owner")
    return LocalStack(table_name, pool_id, client["UserPoolClient"]["ClientId"])

"""boto3 clients, created lazily and once per process; nothing touches the network at import.

boto3 honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` itself, which is how the local
stand-in is reached without a code path of its own.
"""

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

# Standard retries back off on throttling. Three attempts in all (`total_max_attempts`; botocore's
# `max_attempts` would count retries only) of at most 2 s to connect and 5 s to read: a stuck
# call gives up after about 21 s plus back-off, inside the function's 28 s timeout.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)


@cache
def dynamodb_client(region: str) -> "DynamoDBClient":
    """The process-wide DynamoDB client for a region."""
    return boto3.session.Session().client("dynamodb", region_name=region, config=CLIENT_CONFIG)


@cache
def cognito_client(region: str) -> "CognitoIdentityProviderClient":
    """The process-wide Cognito user-pools client for a region."""
    return boto3.session.Session().client("cognito-idp", region_name=region, config=CLIENT_CONFIG)

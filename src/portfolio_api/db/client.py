"""AWS clients, created once per process from one botocore session.

botocore rather than boto3: importing boto3 imports s3transfer and multiprocessing too, a tenth
of a cold start, for clients that are botocore's anyway. botocore honours `AWS_ENDPOINT_URL` and
`AWS_ENDPOINT_URL_<SERVICE>` itself, which is how the local stand-in is reached without a code
path of its own. Nothing here touches the network: a client connects on its first call.
"""

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from botocore.client import BaseClient
from botocore.config import Config
from botocore.loaders import Loader
from botocore.session import Session

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


SERVICES = ("dynamodb", "cognito-idp")
"""Every AWS service the app calls."""

_made: list[BaseClient] = []


class _AppServicesLoader(Loader):
    """botocore's data loader, told which services exist instead of listing what it ships.

    Before loading a service's model botocore checks the name against every service in its data
    directory, one directory listing per service (over 400 of them), twice per client: about a
    twentieth of a cold start, to confirm two names. Everything else loads as before.

    Only on Lambda, where the credentials are the execution role's, in the environment. Elsewhere
    a profile may take its credentials from STS or SSO, whose clients botocore builds through
    this same session: the operator's commands and a local server keep botocore's own loader.
    """

    def list_available_services(self, type_name: str) -> list[str]:  # noqa: ARG002 (botocore's)
        """The app's services, whatever the model type asked for."""
        return list(SERVICES)


@cache
def _session() -> Session:
    """One session: its loaded endpoint and service data serve every client."""
    session = Session()
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return session
    data_path = session.get_config_variable("data_path")  # AWS_DATA_PATH, read as botocore does
    extra = [
        str(Path(os.path.expandvars(path)).expanduser())
        for path in (data_path or "").split(os.pathsep)
        if path
    ]
    session.register_component("data_loader", _AppServicesLoader(extra_search_paths=extra or None))
    return session


@cache
def dynamodb_client(region: str) -> "DynamoDBClient":
    """The process-wide DynamoDB client for a region."""
    client = _session().create_client("dynamodb", region_name=region, config=CLIENT_CONFIG)
    _made.append(client)
    return cast("DynamoDBClient", client)


@cache
def cognito_client(region: str) -> "CognitoIdentityProviderClient":
    """The process-wide Cognito user-pools client for a region."""
    client = _session().create_client("cognito-idp", region_name=region, config=CLIENT_CONFIG)
    _made.append(client)
    return cast("CognitoIdentityProviderClient", client)


def close_connections() -> None:
    """Close every pooled connection of the clients made so far; the next call opens anew.

    After a SnapStart restore a pooled socket is one the snapshot froze: its peer has long
    forgotten it.
    """
    for client in _made:
        client._endpoint.http_session.close()  # type: ignore[attr-defined]

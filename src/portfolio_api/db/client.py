"""AWS clients, created once per process from one botocore session.

botocore rather than boto3: importing boto3 imports s3transfer and multiprocessing too, a tenth
of a cold start, for clients that are botocore's anyway. botocore honours `AWS_ENDPOINT_URL` and
`AWS_ENDPOINT_URL_<SERVICE>` itself, which is how the local stand-in is reached without a code
path of its own. Nothing here touches the network: a client connects on its first call.

Every client keeps to the request's time budget (`core/deadline.py`): an attempt that might
not end inside it is not started, and the call fails with `DeadlineExceeded`, a `BotoCoreError`
that the repositories and the auth service answer as they answer an unreachable service, with
a 503 and `Retry-After`.
"""

import os
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.loaders import Loader
from botocore.session import Session

from portfolio_api.core.deadline import seconds_left

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

# What one call may cost; DynamoDB and Cognito alike answer in milliseconds to a few hundred.
CONNECT_TIMEOUT_SECONDS = 1
"""TCP and TLS to a regional endpoint take milliseconds; a lost SYN is sent again only after
1 s anyway, and the retry's fresh connection is that resend."""
READ_TIMEOUT_SECONDS = 2
"""The longest silence between bytes, so a long page is never cut: well above a slow Cognito
answer (a few hundred ms), far above DynamoDB's (milliseconds; tens for a transaction). A
stalled service costs each attempt this much."""
ATTEMPTS = 2
"""One retry covers a dropped connection or one slow node; a third attempt into a stalled
service would only delay the same 503 by another attempt."""
ATTEMPT_WORST_CASE_SECONDS = float(CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS)
"""The longest one attempt may take before botocore gives up on it."""

# Standard mode backs off at most 25 ms (DynamoDB) or 50 ms (Cognito) before the retry, 1 s
# after throttling. So a stalled service answers a call with an error after 2 x 2 s, and a call
# takes at most 2 x 3 s + 1 s: inside one request's budget (8 s, core/deadline.py), which bounds
# all the calls of a request together (`_refuse_attempts_past_the_deadline`).
# `total_max_attempts` counts the first attempt too; botocore's `max_attempts` would not.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    tcp_keepalive=True,
)


SERVICES = ("dynamodb", "cognito-idp", "secretsmanager")
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


class DeadlineExceeded(BotoCoreError):
    """An attempt not started, since it might not end inside the request's time budget."""

    fmt = (
        "Not sent: {seconds_left:.2f} s left of the request's budget, "
        "and an attempt may take {worst} s"
    )


_attempts_sent: ContextVar[int] = ContextVar("aws_attempts_sent", default=0)


def attempts_sent() -> int:
    """How many attempts the current (or last) call of this context sent over the network.

    A write that failed without an answer after sending one may have been applied: the
    repositories then never send it again under a new idempotency token.
    """
    return _attempts_sent.get()


def _refuse_attempts_past_the_deadline(client: BaseClient) -> None:
    """Check the budget before each attempt (`before-send`: retries are attempts too).

    An attempt is started only while its worst case still fits, so the calls of a request,
    however many a write loops through, end inside its budget. botocore does not retry this
    error: the call fails at once, without touching the network. Attempts sent are counted.
    """

    def start_call(**_: Any) -> None:
        _attempts_sent.set(0)

    def refuse_late_attempt(**_: Any) -> None:
        left = seconds_left()
        if left is not None and left < ATTEMPT_WORST_CASE_SECONDS:
            raise DeadlineExceeded(seconds_left=left, worst=ATTEMPT_WORST_CASE_SECONDS)
        _attempts_sent.set(_attempts_sent.get() + 1)

    client.meta.events.register("before-call", start_call, unique_id="attempts-sent")
    client.meta.events.register("before-send", refuse_late_attempt, unique_id="time-budget")


def _client(service: str, region: str) -> BaseClient:
    client = _session().create_client(service, region_name=region, config=CLIENT_CONFIG)
    _refuse_attempts_past_the_deadline(client)
    _made.append(client)
    return client


@cache
def dynamodb_client(region: str) -> "DynamoDBClient":
    """The process-wide DynamoDB client for a region."""
    return cast("DynamoDBClient", _client("dynamodb", region))


@cache
def cognito_client(region: str) -> "CognitoIdentityProviderClient":
    """The process-wide Cognito user-pools client for a region."""
    return cast("CognitoIdentityProviderClient", _client("cognito-idp", region))


def secret_string(arn: str) -> str:
    """A Secrets Manager secret's current string, read once (at init) by a client that is
    closed straight after, so no socket of it lingers (or lands in a SnapStart snapshot)."""
    region = arn.split(":")[3]
    client: Any = _session().create_client(
        "secretsmanager", region_name=region, config=CLIENT_CONFIG
    )
    try:
        value: str = client.get_secret_value(SecretId=arn)["SecretString"]
    finally:
        client.close()
    return value


def close_connections() -> None:
    """Close every pooled connection of the clients made so far; the next call opens anew.

    After a SnapStart restore a pooled socket is one the snapshot froze: its peer has long
    forgotten it.
    """
    for client in _made:
        client._endpoint.http_session.close()  # type: ignore[attr-defined]

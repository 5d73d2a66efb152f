"""The app's botocore clients: credentials from a profile off Lambda, the lean loader on Lambda.

On Lambda the session's data loader knows only the app's services (a cold-start saving); off
Lambda botocore's own loader stays, since a profile may get its credentials through STS, whose
client botocore builds through the same session. Each case runs in a fresh interpreter, as the
clients are made once per process.
"""

import os
import subprocess
import sys
from pathlib import Path

LIST_TABLES = """
from portfolio_api.db.client import dynamodb_client
print(type(dynamodb_client("us-east-1").list_tables()["TableNames"]).__name__)
"""


def _run(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LIST_TABLES],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _without_credentials() -> dict[str, str]:
    unset = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    return {name: value for name, value in os.environ.items() if name not in unset}


def test_an_assume_role_profile_works_off_lambda(moto_url: str, tmp_path: Path) -> None:
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(
        "[profile operator]\n"
        "role_arn = arn:aws:iam::123456789012:role/operator\n"
        "source_profile = base\n"
        "region = us-east-1\n",
        encoding="utf-8",
    )
    credentials.write_text(
        "[base]\naws_access_key_id = base\naws_secret_access_key = base\n", encoding="utf-8"
    )
    environment = _without_credentials() | {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_PROFILE": "operator",  # botocore asks STS (moto here) to assume the role
        "AWS_ENDPOINT_URL": moto_url,
    }
    environment.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    result = _run(environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "list"


def test_on_lambda_the_clients_work_with_the_role_s_environment(moto_url: str) -> None:
    environment = os.environ | {
        "AWS_LAMBDA_FUNCTION_NAME": "ApiFunction",
        "AWS_ACCESS_KEY_ID": "role",
        "AWS_SECRET_ACCESS_KEY": "role",
        "AWS_SESSION_TOKEN": "role",
        "AWS_ENDPOINT_URL": moto_url,
    }
    result = _run(environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "list"

"""Shared fixtures: moto as DynamoDB and Cognito, the app over it, users and their tokens.

moto runs as a server in this process (the same stand-in `portfolio-api dev` uses), so token
verification fetches the JWKS over HTTP exactly as it does locally. Each test gets a fresh
table and pool.
"""

import os

# Settings and AWS configuration must exist before the app module is imported.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DYNAMODB_TABLE_NAME": "portfolio-test",
        "COGNITO_USER_POOL_ID": "us-east-1_placeholder",
        "COGNITO_CLIENT_ID": "placeholder",
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
    }
)
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)

import urllib.request  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from portfolio_api.core.settings import Settings  # noqa: E402
from portfolio_api.db.client import dynamodb_client  # noqa: E402
from portfolio_api.local.stack import OWNER_GROUP, LocalStack, provision  # noqa: E402
from portfolio_api.local.stand_in import running_stand_in  # noqa: E402
from portfolio_api.main import create_app  # noqa: E402
from tests.harness import AppProcesses, serving_processes  # noqa: E402
from tests.schema_check import SchemaCheckedApp  # noqa: E402

REGION = "us-east-1"
PASSWORD = "Correct-Horse-9!"
ORIGIN = "https://portfolio.example"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
"""A visitor's user agent: not on the bot list, so tracking counts it."""


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with running_stand_in() as url:
        os.environ["AWS_ENDPOINT_URL"] = url
        yield url


@pytest.fixture(scope="session")
def cognito(moto_url: str) -> Any:
    return boto3.client("cognito-idp", region_name=REGION, endpoint_url=moto_url)


@pytest.fixture(scope="session")
def dynamodb(moto_url: str) -> Any:
    return boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_url)


@pytest.fixture
def stack(moto_url: str, cognito: Any, dynamodb: Any) -> LocalStack:
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    ).close()
    return provision(dynamodb, cognito, table_name="portfolio-test", pool_name="test")


def make_settings(stack: LocalStack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "dynamodb_table_name": stack.table_name,
        "cognito_user_pool_id": stack.user_pool_id,
        "cognito_client_id": stack.client_id,
        "cognito_region": REGION,
        "environment": "test",
        "log_level": "WARNING",
        "cors_allow_origins": (ORIGIN,),
        "allow_signup": True,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(stack: LocalStack) -> Settings:
    return make_settings(stack)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The app through HTTP; every JSON answer it gives is checked against its route's
    documented schema (tests/schema_check.py), and the test fails on any mismatch."""
    checked = SchemaCheckedApp(app)
    # As a context manager the client keeps one event loop for the test's requests, instead
    # of a thread and a loop per request.
    with TestClient(checked, raise_server_exceptions=False) as client:
        yield client
    assert checked.mismatches == [], "\n".join(checked.mismatches)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header that sends `token`."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class SignedInUser:
    email: str
    password: str
    sub: str
    id_token: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.id_token)


@pytest.fixture
def make_user(client: TestClient, cognito: Any, stack: LocalStack) -> Callable[..., SignedInUser]:
    """A confirmed user, signed up and logged in through the API, optionally in groups."""

    def make(email: str = "member@example.com", *, groups: tuple[str, ...] = ()) -> SignedInUser:
        registered = client.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Test User"}
        )
        assert registered.status_code == 201, registered.text
        assert (
            client.post("/v1/auth/confirm", json={"email": email, "code": "123456"}).status_code
            == 204
        )
        for group in groups:
            cognito.admin_add_user_to_group(
                UserPoolId=stack.user_pool_id, Username=email, GroupName=group
            )
        tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        return SignedInUser(
            email=email,
            password=PASSWORD,
            sub=registered.json()["userId"],
            id_token=body["idToken"],
            access_token=body["accessToken"],
            refresh_token=body["refreshToken"],
        )

    return make


@pytest.fixture
def member(make_user: Callable[..., SignedInUser]) -> SignedInUser:
    return make_user("member@example.com")


@pytest.fixture
def owner(make_user: Callable[..., SignedInUser]) -> SignedInUser:
    return make_user("owner@example.com", groups=(OWNER_GROUP,))


def _is_session_check(operation: str, params: dict[str, Any]) -> bool:
    if operation != "BatchGetItem":
        return False
    wanted = [key for table in params["RequestItems"].values() for key in table["Keys"]]
    return all(key["PK"]["S"].startswith("REVOKED#") for key in wanted)


@pytest.fixture
def dynamodb_calls(settings: Settings) -> Iterator[Counter[str]]:
    """Counts the app's DynamoDB operations by name (botocore's event hooks); the read of a
    token's revocation records counts as `SessionCheck`, not as a BatchGetItem."""
    calls: Counter[str] = Counter()

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls["SessionCheck" if _is_session_check(model.name, params) else model.name] += 1

    events = dynamodb_client(settings.region).meta.events
    events.register("before-parameter-build.dynamodb", count, unique_id="test-call-counter")
    yield calls
    events.unregister("before-parameter-build.dynamodb", unique_id="test-call-counter")


@pytest.fixture
def app_processes(settings: Settings, moto_url: str) -> Iterator[AppProcesses]:
    """Three app server processes over this test's stack: where races are tested."""
    with serving_processes(settings, moto_url) as processes:
        yield processes


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A race across app processes is `slow`: the fast loop (`-m "not slow"`) leaves it out."""
    for item in items:
        if "app_processes" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)

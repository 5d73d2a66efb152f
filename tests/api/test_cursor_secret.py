"""The cursor secret comes from Secrets Manager, read once at start-up from the ARN in
`CURSOR_SECRET_ARN`: the function's configuration names the secret, never holds its value."""

from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from portfolio_api.core.settings import SettingsError, load_settings
from portfolio_api.local.stack import LocalStack
from portfolio_api.main import create_app
from tests.conftest import REGION, SignedInUser

SECRET = "k" * 64


@pytest.fixture
def secrets_manager(moto_url: str) -> Any:
    return boto3.client("secretsmanager", region_name=REGION, endpoint_url=moto_url)


@pytest.fixture
def deployed_environment(monkeypatch: pytest.MonkeyPatch, stack: LocalStack) -> None:
    """The variables template.yaml gives the function, in an environment that is not local."""
    for name, value in {
        "DYNAMODB_TABLE_NAME": stack.table_name,
        "COGNITO_USER_POOL_ID": stack.user_pool_id,
        "COGNITO_CLIENT_ID": stack.client_id,
        "COGNITO_REGION": REGION,
        "ENVIRONMENT": "prod",
        "CORS_ALLOW_ORIGINS": "https://portfolio.example",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CURSOR_SECRET", raising=False)


@pytest.mark.usefixtures("deployed_environment")
def test_the_secret_is_read_from_secrets_manager_and_signs_cursors(
    monkeypatch: pytest.MonkeyPatch,
    secrets_manager: Any,
    client: TestClient,
    owner: SignedInUser,
) -> None:
    arn = secrets_manager.create_secret(Name="cursor-test", SecretString=SECRET)["ARN"]
    monkeypatch.setenv("CURSOR_SECRET_ARN", arn)

    settings = load_settings()

    assert settings.signing_key == SECRET.encode()
    assert SECRET not in repr(settings)  # kept as a SecretStr
    # Two apps from the same secret, as two Lambda containers: one's cursor serves the other
    for n in range(3):
        post = {"title": f"Post {n}", "summary": "s", "content": "c", "category": "News"}
        created = client.post(
            "/v1/blog/posts", json={**post, "status": "published"}, headers=owner.headers
        )
        assert created.status_code == 201, created.text
    first, second = (TestClient(create_app(settings)) for _ in range(2))
    cursor = first.get("/v1/blog/posts", params={"limit": 2}).json()["nextCursor"]
    page = second.get("/v1/blog/posts", params={"limit": 2, "cursor": cursor})
    assert page.status_code == 200 and len(page.json()["items"]) == 1
    # and an app with another secret refuses that cursor
    assert client.get("/v1/blog/posts", params={"cursor": cursor}).status_code == 400


@pytest.mark.usefixtures("deployed_environment")
def test_an_unreadable_secret_stops_the_start_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, secrets_manager: Any
) -> None:
    arn = secrets_manager.create_secret(Name="cursor-gone", SecretString=SECRET)["ARN"]
    secrets_manager.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    monkeypatch.setenv("CURSOR_SECRET_ARN", arn)
    with pytest.raises(
        SettingsError, match="CURSOR_SECRET_ARN could not be read: ResourceNotFound"
    ):
        load_settings()


@pytest.mark.usefixtures("deployed_environment")
def test_outside_local_a_secret_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURSOR_SECRET_ARN", raising=False)
    with pytest.raises(SettingsError, match=r"CURSOR_SECRET is missing \(or CURSOR_SECRET_ARN"):
        load_settings()


@pytest.mark.usefixtures("deployed_environment")
def test_a_malformed_secret_arn_is_named_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURSOR_SECRET_ARN", "my-secret")
    with pytest.raises(SettingsError, match="CURSOR_SECRET_ARN is not an ARN: my-secret"):
        load_settings()

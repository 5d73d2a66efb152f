"""Settings fail fast with one line naming the setting."""

import pytest

from portfolio_api.cli import main
from portfolio_api.core.settings import SettingsError, load_settings

REQUIRED = {
    "DYNAMODB_TABLE_NAME": "portfolio",
    "COGNITO_USER_POOL_ID": "eu-west-1_AbC123",
    "COGNITO_CLIENT_ID": "abc123client",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    for name in ("COGNITO_REGION", "CORS_ALLOW_ORIGINS", "ALLOW_SIGNUP", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_and_derived_values(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.region == "eu-west-1"
    assert settings.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert settings.allow_signup is True
    assert settings.cors_allow_origins == ()


def test_cors_origins_are_comma_separated(env: pytest.MonkeyPatch) -> None:
    env.setenv("CORS_ALLOW_ORIGINS", "https://a.example, https://b.example")
    assert load_settings().cors_allow_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_missing_setting_is_named(env: pytest.MonkeyPatch, missing: str) -> None:
    env.delenv(missing)
    with pytest.raises(SettingsError, match=f"{missing} is missing"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COGNITO_USER_POOL_ID", "not-a-pool"),
        ("ALLOW_SIGNUP", "maybe"),
        ("CORS_ALLOW_ORIGINS", "portfolio.example"),
        ("ENVIRONMENT", "moon"),
        ("LOG_LEVEL", "chatty"),
    ],
)
def test_malformed_setting_is_named(env: pytest.MonkeyPatch, name: str, value: str) -> None:
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=f"{name} is malformed") as raised:
        load_settings()
    assert "\n" not in str(raised.value)


def test_cli_prints_the_one_line_and_exits_2(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.delenv("DYNAMODB_TABLE_NAME")
    assert main(["create-owner", "owner@example.com"]) == 2
    assert capsys.readouterr().err.strip() == (
        "Invalid configuration: DYNAMODB_TABLE_NAME is missing"
    )

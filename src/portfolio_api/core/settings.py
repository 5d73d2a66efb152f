"""Configuration from the environment, validated once at start-up.

Plain pydantic models filled from `os.environ` by field name (any case): that is all this service
asked of pydantic-settings, whose import (with python-dotenv) cost a fortieth of a cold start.
"""

import os
import re
import secrets
from functools import lru_cache
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

APP_VERSION = "0.1.0"

_EPHEMERAL_ENVIRONMENTS = ("local", "test")
_POOL_ID_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$"
_SECRET_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$"


class SettingsError(RuntimeError):
    """A missing or malformed setting; the message names it in one line."""


class StackSettings(BaseModel):
    """Where the stack is: all that the operator's commands (`create-owner`, `delete-user`) need.

    botocore reads `AWS_ENDPOINT_URL*` and credentials itself.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    dynamodb_table_name: str = Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")
    cognito_user_pool_id: str = Field(pattern=_POOL_ID_PATTERN)
    cognito_region: str = Field(default="", pattern=r"^([a-z]{2}(-[a-z]+)+-\d)?$")
    environment: Literal["local", "test", "dev", "staging", "prod"] = "local"
    owner_group: str = "owner"

    @property
    def region(self) -> str:
        """The Cognito region; the pool id starts with it, so it defaults from there."""
        return self.cognito_region or self.cognito_user_pool_id.split("_", 1)[0]


class Settings(StackSettings):
    """Every setting the service reads."""

    cognito_client_id: str = Field(min_length=1, max_length=128, pattern=r"^[\w+]+$")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    cors_allow_origins: tuple[str, ...] = ()
    allow_signup: bool = True
    cursor_secret_arn: str | None = Field(default=None, pattern=_SECRET_ARN_PATTERN)
    cursor_secret: SecretStr | None = Field(default=None, validate_default=True)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)
    public_max_age: int = Field(default=60, ge=0, le=86_400)
    analytics_skip_bots: bool = True
    analytics_honour_privacy_signals: bool = True
    analytics_skip_owner: bool = True
    metrics_format: Literal["log", "emf"] = "log"  # emf on Lambda: CloudWatch reads the lines
    stack_name: str = Field(default="local", min_length=1, max_length=128)  # metrics' `Stack`

    @field_validator("cursor_secret")
    @classmethod
    def _secret_outside_local(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr:
        """Cursors must verify in every Lambda container: a shared secret, except locally."""
        if value is None:
            if info.data.get("environment") in _EPHEMERAL_ENVIRONMENTS:
                return SecretStr(secrets.token_urlsafe(32))
            raise PydanticCustomError("missing", "or CURSOR_SECRET_ARN, outside local and test")
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("cors_allow_origins")
    @classmethod
    def _check_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if origin != "*" and not origin.startswith(("https://", "http://")):
                raise ValueError(f"origin {origin!r} must be '*' or start with http(s)://")
        return origins

    @property
    def signing_key(self) -> bytes:
        """The key of cursor and idempotency MACs."""
        assert self.cursor_secret is not None  # the validator always sets one
        return self.cursor_secret.get_secret_value().encode()

    @property
    def issuer(self) -> str:
        """Cognito's issuer form, kept even when the JWKS comes from a local stand-in."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.cognito_user_pool_id}"


def load_settings() -> Settings:
    """The service's settings, read from the environment now.

    On AWS the cursor secret is not in the environment (where anyone allowed
    `lambda:GetFunctionConfiguration` could read it): `CURSOR_SECRET_ARN` names it in Secrets
    Manager, read here, once per container (SnapStart keeps it in the encrypted snapshot).
    """
    values = _environment_values(Settings)
    arn = values.get("cursor_secret_arn")
    if arn and "cursor_secret" not in values:
        if not re.match(_SECRET_ARN_PATTERN, arn):
            raise SettingsError(f"Invalid configuration: CURSOR_SECRET_ARN is not an ARN: {arn}")
        values["cursor_secret"] = _secret_value(arn)
    return _validate(Settings, values)


def _secret_value(arn: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    from portfolio_api.db.client import secret_string

    try:
        return secret_string(arn)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise SettingsError(f"CURSOR_SECRET_ARN could not be read: {code}") from None
    except BotoCoreError as exc:
        raise SettingsError(f"CURSOR_SECRET_ARN could not be read: {exc}") from None


def load_stack_settings() -> StackSettings:
    """The operator's settings: the stack's names only, no service secret."""
    return _read(StackSettings)


def _environment_values(kind: type[StackSettings]) -> dict[str, Any]:
    """The environment's value of each of a model's fields, its name in any case."""
    by_name = {name.lower(): value for name, value in os.environ.items()}
    return {field: by_name[field] for field in kind.model_fields if field in by_name}


def _reason(kind: str, message: str) -> str:
    if kind != "missing":
        return f"is malformed: {message}"
    return "is missing" if message == "Field required" else f"is missing ({message})"


def _read[S: StackSettings](kind: type[S]) -> S:
    return _validate(kind, _environment_values(kind))


def _validate[S: StackSettings](kind: type[S], values: dict[str, Any]) -> S:
    """Turn pydantic's report into one line that names each bad setting."""
    try:
        return kind.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            reason = _reason(error["type"], error["msg"])
            problems.append(f"{name} {reason}")
        raise SettingsError("Invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()

"""Bodies of the `/v1/auth` routes."""

from typing import Annotated, Literal

from pydantic import Field

from portfolio_api.schemas.common import ApiModel, ApiRequest, Email

# The pool's policy decides what a good password is; this only bounds the size.
Password = Annotated[str, Field(min_length=1, max_length=256)]
Code = Annotated[str, Field(min_length=1, max_length=64)]
Token = Annotated[str, Field(min_length=1, max_length=8192)]


class RegisterRequest(ApiRequest):
    email: Email
    password: Password
    name: Annotated[str, Field(min_length=1, max_length=100)]


class RegisteredUser(ApiModel):
    user_id: str
    email: str
    name: str
    confirmed: bool


class ConfirmRequest(ApiRequest):
    email: Email
    code: Code


class EmailRequest(ApiRequest):
    email: Email


class LoginRequest(ApiRequest):
    email: Email
    password: Password


ChallengeName = Literal["NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA", "SMS_MFA"]


class Tokens(ApiModel):
    id_token: str
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"


class RefreshedTokens(ApiModel):
    id_token: str
    access_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"


class SignInChallenge(ApiModel):
    """Cognito wants more before it gives tokens: answer at `/v1/auth/challenge`."""

    challenge: ChallengeName
    session: str


class ChallengeRequest(ApiRequest):
    """`newPassword` answers NEW_PASSWORD_REQUIRED, `code` an MFA challenge."""

    email: Email
    challenge: ChallengeName
    session: Token
    new_password: Password | None = None
    code: Code | None = None


class RefreshRequest(ApiRequest):
    refresh_token: Token


class LogoutRequest(ApiRequest):
    refresh_token: Token | None = None


class ResetPasswordRequest(ApiRequest):
    email: Email
    code: Code
    new_password: Password


class ChangePasswordRequest(ApiRequest):
    current_password: Password
    new_password: Password

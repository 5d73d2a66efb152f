"""Bodies of the `/v1/auth` routes."""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from portfolio_api.schemas.common import ApiModel, Email

# The pool's policy decides what a good password is; this only bounds the size.
Password = Annotated[str, Field(min_length=1, max_length=256)]
Code = Annotated[str, Field(min_length=1, max_length=64)]
Token = Annotated[str, Field(min_length=1, max_length=8192)]


class RegisterRequest(ApiModel):
    email: Email
    password: Password
    name: Annotated[str, Field(min_length=1, max_length=100)]


class RegisteredUser(ApiModel):
    user_id: str
    email: str
    name: str
    confirmed: bool


class ConfirmRequest(ApiModel):
    email: Email
    code: Code


class EmailRequest(ApiModel):
    email: Email


class LoginRequest(ApiModel):
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


class Challenge(ApiModel):
    challenge: ChallengeName
    session: str


class ChallengeRequest(ApiModel):
    email: Email
    challenge: ChallengeName
    session: Token
    new_password: Password | None = None
    code: Code | None = None

    @model_validator(mode="after")
    def _answer_matches_challenge(self) -> "ChallengeRequest":
        needed = "new_password" if self.challenge == "NEW_PASSWORD_REQUIRED" else "code"
        if getattr(self, needed) is None:
            alias = "newPassword" if needed == "new_password" else "code"
            raise ValueError(f"{alias} is required to answer {self.challenge}")
        return self


class RefreshRequest(ApiModel):
    refresh_token: Token


class LogoutRequest(ApiModel):
    refresh_token: Token | None = None


class ResetPasswordRequest(ApiModel):
    email: Email
    code: Code
    new_password: Password


class ChangePasswordRequest(ApiModel):
    current_password: Password
    new_password: Password

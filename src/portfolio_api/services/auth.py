"""Cognito flows behind `/v1/auth`, with Cognito's exceptions mapped to the contract's codes.

Unknown e-mails are never revealed: login answers `invalid_credentials` for a wrong password and
an unknown user alike, and resend-code and forgot-password answer 204 either way.
"""

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from portfolio_api.core.clock import Clock, iso_z
from portfolio_api.core.errors import (
    ApiError,
    CodeExpired,
    EmailTaken,
    Forbidden,
    InternalError,
    InvalidCode,
    InvalidCredentials,
    InvalidPassword,
    RateLimited,
    ServiceUnavailable,
    SignupDisabled,
    Unauthorized,
    UserNotConfirmed,
    ValidationFailed,
)
from portfolio_api.core.security import Principal
from portfolio_api.observability.metrics import count
from portfolio_api.observability.names import Metric
from portfolio_api.repositories.users import UserRepository
from portfolio_api.schemas.auth import (
    ChallengeRequest,
    ChangePasswordRequest,
    LoginRequest,
    RefreshedTokens,
    RegisteredUser,
    RegisterRequest,
    ResetPasswordRequest,
    SignInChallenge,
    Tokens,
)
from portfolio_api.services.sessions import SessionGuard

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

logger = logging.getLogger("portfolio_api.auth")

ErrorMap = Mapping[str, Callable[[], ApiError] | None]

_RATE_LIMITED = (
    "LimitExceededException",
    "TooManyRequestsException",
    "TooManyFailedAttemptsException",
)
_UNAVAILABLE = ("InternalErrorException", "ServiceUnavailableException")


class AuthService:
    """Every auth flow of the contract over one user pool and one public app client."""

    def __init__(
        self,
        cognito: "CognitoIdentityProviderClient",
        users: UserRepository,
        sessions: SessionGuard,
        *,
        user_pool_id: str,
        client_id: str,
        allow_signup: bool,
        clock: Clock,
    ) -> None:
        self._cognito = cognito
        self._users = users
        self._sessions = sessions
        self._pool_id = user_pool_id
        self._client_id = client_id
        self._allow_signup = allow_signup
        self._clock = clock

    def register(self, request: RegisterRequest) -> RegisteredUser:
        """Create the Cognito user, then the profile; undo the first when the second fails."""
        if not self._allow_signup:
            raise SignupDisabled("Sign-up is disabled on this service.")
        response = self._call(
            lambda: self._cognito.sign_up(
                ClientId=self._client_id,
                Username=request.email,
                Password=request.password,
                UserAttributes=[
                    {"Name": "email", "Value": request.email},
                    {"Name": "name", "Value": request.name},
                ],
            ),
            {
                "UsernameExistsException": lambda: EmailTaken("This e-mail is already registered."),
                "InvalidPasswordException": _invalid_password,
                "InvalidParameterException": _invalid_parameter,
            },
        )
        sub = response["UserSub"]
        now = iso_z(self._clock())
        try:
            self._users.create_profile(
                sub,
                {"email": request.email, "name": request.name, "createdAt": now, "updatedAt": now},
            )
        except Exception:
            # Also when the profile's outcome is unknown: a profile that did land stays under a
            # sub no one can sign in as, while a kept user would hold the e-mail hostage.
            self._roll_back_sign_up(sub)
            raise
        count(Metric.SIGN_UPS)
        return RegisteredUser(
            user_id=sub, email=request.email, name=request.name, confirmed=response["UserConfirmed"]
        )

    def _roll_back_sign_up(self, sub: str) -> None:
        try:
            self._cognito.admin_delete_user(UserPoolId=self._pool_id, Username=sub)
            logger.warning("registration rolled back", extra={"userId": sub})
        except (ClientError, BotoCoreError):
            logger.exception("registration rollback failed", extra={"userId": sub})

    def confirm(self, email: str, code: str) -> None:
        """Confirm a sign-up with the e-mailed code."""
        self._call(
            lambda: self._cognito.confirm_sign_up(
                ClientId=self._client_id, Username=email, ConfirmationCode=code
            ),
            _CODE_ERRORS,
        )

    def resend_code(self, email: str) -> None:
        """Send the sign-up code again; silent for unknown or confirmed users."""
        self._call(
            lambda: self._cognito.resend_confirmation_code(
                ClientId=self._client_id, Username=email
            ),
            # Silent for unknown or confirmed users and for delivery trouble alike, so the
            # answer never tells which e-mails are registered.
            {
                "UserNotFoundException": None,
                "InvalidParameterException": None,
                "NotAuthorizedException": None,
                "CodeDeliveryFailureException": None,
            },
        )

    def login(self, request: LoginRequest) -> Tokens | SignInChallenge:
        """Password sign-in: tokens, or the challenge Cognito asks to be answered first."""
        return _counted_sign_in(
            lambda: _tokens_or_challenge(self._password_sign_in(request.email, request.password))
        )

    def _password_sign_in(self, username: str, password: str) -> Any:
        """Cognito's answer to a password sign-in (by e-mail, or by username)."""
        return self._call(
            lambda: self._cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            ),
            _LOGIN_ERRORS,
        )

    def answer_challenge(self, request: ChallengeRequest) -> Tokens | SignInChallenge:
        """Answer NEW_PASSWORD_REQUIRED or an MFA challenge with the session from login."""
        field, answer = (
            ("newPassword", request.new_password)
            if request.challenge == "NEW_PASSWORD_REQUIRED"
            else ("code", request.code)
        )
        if answer is None:
            raise ValidationFailed(
                f"{request.challenge} is answered with {field}.",
                errors=[{"field": field, "message": f"required to answer {request.challenge}"}],
            )
        name = "NEW_PASSWORD" if field == "newPassword" else f"{request.challenge}_CODE"
        answers = {"USERNAME": request.email, name: answer}

        def answer_it() -> Tokens | SignInChallenge:
            response = self._call(
                lambda: self._cognito.respond_to_auth_challenge(
                    ClientId=self._client_id,
                    ChallengeName=request.challenge,
                    Session=request.session,
                    ChallengeResponses=answers,
                ),
                {
                    **_LOGIN_ERRORS,
                    "CodeMismatchException": _bad_answer,
                    "ExpiredCodeException": _bad_answer,
                    "InvalidParameterException": _bad_answer,
                    "ResourceNotFoundException": _bad_answer,  # an unknown session, as moto says it
                    "InvalidPasswordException": _invalid_password,
                },
            )
            return _tokens_or_challenge(response)

        return _counted_sign_in(answer_it)

    def refresh(self, refresh_token: str) -> RefreshedTokens:
        """New ID and access tokens from a refresh token that is still valid."""
        response = self._call(
            lambda: self._cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            ),
            {
                "NotAuthorizedException": _bad_refresh_token,
                "ResourceNotFoundException": _bad_refresh_token,
                "InvalidParameterException": _bad_refresh_token,
                "UserNotFoundException": _bad_refresh_token,
                "PasswordResetRequiredException": _bad_refresh_token,
                "UserNotConfirmedException": _bad_refresh_token,
            },
        )
        result = response.get("AuthenticationResult") or {}
        return RefreshedTokens(
            id_token=result["IdToken"],
            access_token=result["AccessToken"],
            expires_in=result["ExpiresIn"],
        )

    def logout(self, principal: Principal, token: str) -> None:
        """Revoke every refresh token of the user (global sign-out), on every device, and end
        this session, so its ID and access tokens are refused too.

        An access token signs itself out; for an ID token the admin call names the user by the
        token's e-mail (an alias of the username in this pool). A resent logout, or one after
        another device's, finds the access token already signed out at Cognito: that is done.
        """
        if principal.token_use == "access":
            self._call(
                lambda: self._cognito.global_sign_out(AccessToken=token),
                {"NotAuthorizedException": None},
            )
        else:
            self._sign_out_everywhere(principal)
        self._sessions.end_session(principal)

    def _sign_out_everywhere(self, principal: Principal) -> None:
        """Revoke every refresh token of the user, named by the token's e-mail (an alias of
        the username in this pool), else its username."""
        username = principal.email or principal.username or principal.sub
        self._call(
            lambda: self._cognito.admin_user_global_sign_out(
                UserPoolId=self._pool_id, Username=username
            ),
            {"UserNotFoundException": _bad_refresh_token},
        )

    def forgot_password(self, email: str) -> None:
        """Send a reset code; silent for unknown users."""
        self._call(
            lambda: self._cognito.forgot_password(ClientId=self._client_id, Username=email),
            {
                "UserNotFoundException": None,
                "InvalidParameterException": None,
                "NotAuthorizedException": None,
                "CodeDeliveryFailureException": None,
                "UserNotConfirmedException": None,
            },
        )

    def reset_password(self, request: ResetPasswordRequest) -> None:
        """Set a new password with the code from forgot-password."""
        self._call(
            lambda: self._cognito.confirm_forgot_password(
                ClientId=self._client_id,
                Username=request.email,
                ConfirmationCode=request.code,
                Password=request.new_password,
            ),
            {
                **_CODE_ERRORS,
                "InvalidPasswordException": _invalid_password,
                "PasswordHistoryPolicyViolationException": _invalid_password,
                "UserNotConfirmedException": _wrong_code,
                # how moto answers for an unknown user; Cognito says UserNotFound or CodeMismatch
                "ResourceNotFoundException": _wrong_code,
            },
        )

    def change_password(
        self, principal: Principal, token: str, request: ChangePasswordRequest
    ) -> None:
        """Change the password, proving the current one, and end every session of the user.

        Safe to resend: when the current password is refused but the new one signs in, an
        earlier attempt changed it and failed after (ending the sessions, say), and this one
        finishes its work. The new password's sign-in proves as much as the current one's.
        """
        try:
            self._change_password(principal, token, request)
        except InvalidCredentials:
            if not self._signs_in(principal, request.new_password):
                raise
        # Every session ends with the old password, the caller's included: refresh tokens at
        # Cognito (by the admin call, which needs no token that may have been signed out),
        # ID and access tokens here.
        self._sign_out_everywhere(principal)
        self._sessions.end_every_session(principal)

    def _change_password(
        self, principal: Principal, token: str, request: ChangePasswordRequest
    ) -> None:
        """Cognito's ChangePassword takes an access token. A caller holding one is served
        directly; for an ID token the current password is proven by a sign-in, whose access
        token is used."""
        access_token = token if principal.token_use == "access" else None
        if access_token is None:
            if not principal.email:
                raise Unauthorized("Sign in again: this token names no e-mail.")
            try:
                signed_in = self.login(
                    LoginRequest(email=principal.email, password=request.current_password)
                )
            except InvalidCredentials:
                raise _wrong_password() from None
            if not isinstance(signed_in, Tokens):
                raise Forbidden("Sign in with the access token to change this password.")
            access_token = signed_in.access_token
        self._call(
            lambda: self._cognito.change_password(
                AccessToken=access_token,
                PreviousPassword=request.current_password,
                ProposedPassword=request.new_password,
            ),
            {
                "NotAuthorizedException": _wrong_password,
                "InvalidPasswordException": _invalid_password,
                "InvalidParameterException": _invalid_password,
                "PasswordHistoryPolicyViolationException": _invalid_password,
            },
        )

    def _signs_in(self, principal: Principal, password: str) -> bool:
        """Whether the caller's user signs in with `password` (tokens or a challenge alike)."""
        name = principal.email or principal.username
        if not name:
            return False
        try:
            self._password_sign_in(name, password)
        except (InvalidCredentials, ValidationFailed):
            return False
        return True

    def _call(self, operation: Callable[[], Any], errors: ErrorMap) -> Any:
        """Run one Cognito call; known error codes map as given, `None` meaning "ignore"."""
        try:
            return operation()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in errors:
                make = errors[code]
                if make is None:
                    return {}
                raise make() from None
            _raise_generic(code, exc)
        except ParamValidationError:
            # Input outside Cognito's own limits: the same as Cognito's InvalidParameterException.
            make = errors.get("InvalidParameterException") or _invalid_parameter
            raise make() from None
        except BotoCoreError as exc:
            logger.error("cognito unreachable", extra={"error": type(exc).__name__})
            raise ServiceUnavailable("The identity service is unreachable.") from None


def _raise_generic(code: str, exc: ClientError) -> NoReturn:
    if code in _RATE_LIMITED:
        raise RateLimited("Too many attempts; wait a moment and try again.", 30) from None
    if code in _UNAVAILABLE:
        raise ServiceUnavailable("The identity service is unavailable.") from None
    logger.error("cognito error", extra={"awsCode": code})
    raise InternalError() from exc


def _tokens_or_challenge(response: Mapping[str, Any]) -> Tokens | SignInChallenge:
    result = response.get("AuthenticationResult")
    if result:
        return Tokens(
            id_token=result["IdToken"],
            access_token=result["AccessToken"],
            refresh_token=result["RefreshToken"],
            expires_in=result["ExpiresIn"],
        )
    name = response.get("ChallengeName")
    if name in ("NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA", "SMS_MFA"):
        return SignInChallenge(challenge=name, session=response["Session"])
    logger.error("unsupported challenge", extra={"challenge": name})
    raise Forbidden("This sign-in needs a step the API does not support.")


def _invalid_password() -> ApiError:
    return InvalidPassword("The password does not meet the pool's password policy.")


def _invalid_parameter() -> ApiError:
    return ValidationFailed("Cognito rejected the request's parameters.")


def _counted_sign_in(
    attempt: Callable[[], Tokens | SignInChallenge],
) -> Tokens | SignInChallenge:
    """A sign-in step, counted: tokens are a success; a refused password or answer, or an
    unconfirmed account, a failure. A challenge is neither yet, and a 429 or 503 is our
    capacity, not the user's failure."""
    try:
        answer = attempt()
    except (InvalidCredentials, UserNotConfirmed):
        count(Metric.LOGINS_FAILED)
        raise
    if isinstance(answer, Tokens):
        count(Metric.LOGINS_SUCCEEDED)
    return answer


def _bad_answer() -> ApiError:
    return InvalidCredentials("The challenge answer is wrong or the session has expired.")


def _bad_refresh_token() -> ApiError:
    return Unauthorized("The refresh token is invalid or has been revoked.")


def _wrong_password() -> ApiError:
    return InvalidCredentials("The current password is wrong.")


def _wrong_code() -> ApiError:
    return InvalidCode("The code is wrong.")


def _wrong_credentials() -> ApiError:
    return InvalidCredentials("The e-mail or password is wrong.")


_CODE_ERRORS: ErrorMap = {
    "CodeMismatchException": _wrong_code,
    "ExpiredCodeException": lambda: CodeExpired("The code has expired; ask for a new one."),
    "UserNotFoundException": _wrong_code,
    "NotAuthorizedException": _wrong_code,
    "InvalidParameterException": _wrong_code,
    "AliasExistsException": lambda: EmailTaken("Another account already uses this e-mail."),
}

_LOGIN_ERRORS: ErrorMap = {
    # Cognito's lockout after repeated failures is a NotAuthorizedException too.
    "NotAuthorizedException": _wrong_credentials,
    "UserNotFoundException": _wrong_credentials,
    "UserNotConfirmedException": lambda: UserNotConfirmed("Confirm the e-mail address first."),
    "PasswordResetRequiredException": lambda: Forbidden(
        "A password reset is required; use forgot-password."
    ),
}

"""`/v1/auth`: sign-up, sign-in, tokens and passwords through Cognito.

The routes that need no user ignore the `Authorization` header entirely (the contract's
clarification of 2026-12-01): a stale or ended session's token never stands in the way of
signing in again. Logout and change-password need the caller's token.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from portfolio_api.api.deps import (
    BearerToken,
    CurrentUser,
    container_of,
)
from portfolio_api.api.idempotency import AnonymousIdempotentCreateDep
from portfolio_api.api.responses import problems
from portfolio_api.core.exact_json import DecimalJSONRoute
from portfolio_api.core.exact_json import ExactJSONResponse as JSONResponse
from portfolio_api.schemas.auth import (
    ChallengeRequest,
    ChangePasswordRequest,
    ConfirmRequest,
    EmailRequest,
    LoginRequest,
    LogoutRequest,
    RefreshedTokens,
    RefreshRequest,
    RegisteredUser,
    RegisterRequest,
    ResetPasswordRequest,
    SignInChallenge,
    Tokens,
)
from portfolio_api.services.auth import AuthService
from portfolio_api.services.idempotency import StoredResponse

router = APIRouter(prefix="/v1/auth", tags=["auth"], route_class=DecimalJSONRoute)

NO_CONTENT = status.HTTP_204_NO_CONTENT


async def auth_service(request: Request) -> AuthService:
    """The Cognito flows."""
    return container_of(request).auth_service


AuthServiceDep = Annotated[AuthService, Depends(auth_service)]


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredUser,
    responses=problems(400, 401, 403, 409, 422, 429),
)
async def register_user(
    body: RegisterRequest, auth: AuthServiceDep, idempotent: AnonymousIdempotentCreateDep
) -> JSONResponse:
    """Create the Cognito user and the profile together; a half-made user is rolled back."""

    def produce() -> StoredResponse:
        registered = auth.register(body)
        return StoredResponse(201, registered.model_dump(mode="json", by_alias=True), {})

    return await idempotent.respond(produce)


@router.post(
    "/confirm",
    status_code=NO_CONTENT,
    responses=problems(400, 401, 409, 429),
)
async def confirm_sign_up(body: ConfirmRequest, auth: AuthServiceDep) -> Response:
    """Confirm the e-mail address with the code Cognito sent."""
    auth.confirm(body.email, body.code)
    return Response(status_code=NO_CONTENT)


@router.post(
    "/resend-code",
    status_code=NO_CONTENT,
    responses=problems(400, 401, 429),
)
async def resend_confirmation_code(body: EmailRequest, auth: AuthServiceDep) -> Response:
    """Send the confirmation code again (204 for unknown e-mails too)."""
    auth.resend_code(body.email)
    return Response(status_code=NO_CONTENT)


@router.post(
    "/login",
    response_model=Tokens | SignInChallenge,
    responses=problems(400, 401, 403, 429),
)
async def login(body: LoginRequest, auth: AuthServiceDep) -> Tokens | SignInChallenge:
    """Tokens, or the challenge to answer at `/challenge`."""
    return auth.login(body)


@router.post(
    "/challenge",
    response_model=Tokens | SignInChallenge,
    responses=problems(400, 401, 403, 429),
)
async def answer_challenge(
    body: ChallengeRequest, auth: AuthServiceDep
) -> Tokens | SignInChallenge:
    """Answer the challenge login returned."""
    return auth.answer_challenge(body)


@router.post("/refresh", response_model=RefreshedTokens, responses=problems(400, 401, 429))
async def refresh_tokens(body: RefreshRequest, auth: AuthServiceDep) -> RefreshedTokens:
    """New ID and access tokens from a refresh token (any bearer token sent is ignored: a
    client refreshes exactly when its ID token has expired, and may well still send it)."""
    return auth.refresh(body.refresh_token)


@router.post("/logout", status_code=NO_CONTENT, responses=problems(400, 401, 429))
async def logout(
    user: CurrentUser, token: BearerToken, auth: AuthServiceDep, body: LogoutRequest | None = None
) -> Response:
    """Revoke all of the caller's refresh tokens.

    The optional `refreshToken` is accepted for the contract; global sign-out revokes it with
    the rest, so it needs no call of its own.
    """
    del body
    auth.logout(user, token or "")
    return Response(status_code=NO_CONTENT)


@router.post(
    "/forgot-password",
    status_code=NO_CONTENT,
    responses=problems(400, 401, 429),
)
async def forgot_password(body: EmailRequest, auth: AuthServiceDep) -> Response:
    """Send a reset code (204 for unknown e-mails too)."""
    auth.forgot_password(body.email)
    return Response(status_code=NO_CONTENT)


@router.post(
    "/reset-password",
    status_code=NO_CONTENT,
    responses=problems(400, 401, 429),
)
async def reset_password(body: ResetPasswordRequest, auth: AuthServiceDep) -> Response:
    """Set a new password with the code from forgot-password."""
    auth.reset_password(body)
    return Response(status_code=NO_CONTENT)


@router.post("/change-password", status_code=NO_CONTENT, responses=problems(400, 401, 403, 429))
async def change_password(
    body: ChangePasswordRequest, user: CurrentUser, token: BearerToken, auth: AuthServiceDep
) -> Response:
    """Change the caller's password, proving the current one."""
    auth.change_password(user, token or "", body)
    return Response(status_code=NO_CONTENT)

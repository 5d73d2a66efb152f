"""Dependencies: who is calling (public, optional user, user, owner) and the services.

All are `async def`: a plain `def` dependency hops to a worker thread on every call.
"""

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from portfolio_api.container import Container
from portfolio_api.core.errors import Forbidden, Unauthorized
from portfolio_api.core.etag import parse_if_match
from portfolio_api.core.security import Principal
from portfolio_api.services.analytics import AnalyticsService
from portfolio_api.services.auth import AuthService
from portfolio_api.services.content import ContentService
from portfolio_api.services.products import ProductService
from portfolio_api.services.tasks import TaskService
from portfolio_api.services.users import UserService

# Declares the scheme in the OpenAPI document; the header itself is checked below.
_bearer = HTTPBearer(auto_error=False, description="A Cognito ID token (or access token).")


async def get_container(request: Request) -> Container:
    """The app's container."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def bearer_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The bearer token, None when absent; any other Authorization header is a 401."""
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
        return None
    return credentials.credentials


BearerToken = Annotated[str | None, Depends(bearer_token)]


async def optional_user(token: BearerToken, container: ContainerDep) -> Principal | None:
    """Public routes: anonymous is fine, but a token that is present must be valid."""
    return container.token_verifier.verify(token) if token else None


async def current_user(principal: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    """Any signed-in user."""
    if principal is None:
        raise Unauthorized("Sign in to use this route.")
    return principal


async def owner_user(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
    """A member of the owner group."""
    if not principal.is_owner:
        raise Forbidden("Only the site owner may do this.")
    return principal


OptionalUser = Annotated[Principal | None, Depends(optional_user)]
CurrentUser = Annotated[Principal, Depends(current_user)]
OwnerUser = Annotated[Principal, Depends(owner_user)]
OWNER_ONLY = [Depends(owner_user)]
"""`dependencies=` of routes that need the owner but not the principal itself."""
TOKEN_CHECKED_IF_PRESENT = [Depends(optional_user)]
"""`dependencies=` of public routes: a token that is sent must be valid (the contract's rule)."""


async def auth_service(container: ContainerDep) -> AuthService:
    """The Cognito flows."""
    return container.auth_service


async def user_service(container: ContainerDep) -> UserService:
    """Profiles."""
    return container.user_service


async def content_service(container: ContainerDep) -> ContentService:
    """The one service of every content collection."""
    return container.content_service


async def task_service(container: ContainerDep) -> TaskService:
    """The tasks service."""
    return container.task_service


TaskServiceDep = Annotated[TaskService, Depends(task_service)]


async def product_service(container: ContainerDep) -> ProductService:
    """The catalog service."""
    return container.product_service


ProductServiceDep = Annotated[ProductService, Depends(product_service)]


async def analytics_service(container: ContainerDep) -> AnalyticsService:
    """The analytics service."""
    return container.analytics_service


AnalyticsDep = Annotated[AnalyticsService, Depends(analytics_service)]


AuthServiceDep = Annotated[AuthService, Depends(auth_service)]
ContentServiceDep = Annotated[ContentService, Depends(content_service)]
UserServiceDep = Annotated[UserService, Depends(user_service)]


async def if_match_version(
    if_match: Annotated[str | None, Header(description='The ETag last seen, e.g. "3".')] = None,
) -> int | None:
    """The version an `If-Match` header names; `*` or absent means no precondition."""
    return parse_if_match(if_match)


IfMatchVersion = Annotated[int | None, Depends(if_match_version)]

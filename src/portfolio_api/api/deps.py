"""Dependencies: who is calling (public, optional user, user, owner) and the shared services.

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
from portfolio_api.services.content import ContentService
from portfolio_api.services.products import ProductService

# Declares the scheme in the OpenAPI document; the header itself is checked below.
_bearer = HTTPBearer(
    auto_error=False, scheme_name="bearer", description="A Cognito ID token (or access token)."
)


def container_of(request: Request) -> Container:
    """The app's container, read straight off the request (no dependency resolution)."""
    container: Container = request.app.state.container
    return container


async def get_container(request: Request) -> Container:
    """The app's container."""
    return container_of(request)


ContainerDep = Annotated[Container, Depends(get_container)]


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer token, None when absent; any other Authorization header is a 401."""
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
        return None
    return credentials.credentials


async def bearer_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The bearer token itself, for the routes that pass it on to Cognito."""
    return _token(request, credentials)


BearerToken = Annotated[str | None, Depends(bearer_token)]


async def optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """Public routes: anonymous is fine, but a token that is present must be valid, and its
    session not ended (one key read, services/sessions.py).

    Reads the header and the container itself rather than through two more dependencies: every
    public request resolves this one, and each dependency costs a resolution per request.
    """
    token = _token(request, credentials)
    if not token:
        return None
    container = container_of(request)
    principal = container.token_verifier.verify(token)
    container.session_guard.ensure_active(principal)
    return principal


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


async def content_service(request: Request) -> ContentService:
    """The one service of every content collection."""
    return container_of(request).content_service


async def product_service(request: Request) -> ProductService:
    """The catalog service."""
    return container_of(request).product_service


ProductServiceDep = Annotated[ProductService, Depends(product_service)]


async def analytics_service(request: Request) -> AnalyticsService:
    """The analytics service."""
    return container_of(request).analytics_service


AnalyticsServiceDep = Annotated[AnalyticsService, Depends(analytics_service)]

# The account services' aliases (`AuthServiceDep`, `UserServiceDep`, `TaskServiceDep`) live with
# their routers: those load on their first request (api/deferred.py), and an alias here would
# import their services with every cold start.


ContentServiceDep = Annotated[ContentService, Depends(content_service)]


async def if_match_version(
    if_match: Annotated[str | None, Header(description='The ETag last seen, e.g. "3".')] = None,
) -> int | None:
    """The version an `If-Match` header names; `*` or absent means no precondition."""
    return parse_if_match(if_match)


IfMatchVersion = Annotated[int | None, Depends(if_match_version)]

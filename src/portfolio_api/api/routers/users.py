"""`/v1/users/me`: the caller's own profile, and the export of all their data."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from portfolio_api.api.deps import CurrentUser, IfMatchVersion, container_of
from portfolio_api.api.responses import problems
from portfolio_api.core.etag import etag_for
from portfolio_api.core.exact_json import DecimalJSONRoute, ExactJSONResponse
from portfolio_api.schemas.member_export import MemberExport
from portfolio_api.schemas.users import Profile, ProfileUpdate
from portfolio_api.services.users import UserService

router = APIRouter(prefix="/v1/users", tags=["users"], route_class=DecimalJSONRoute)


async def user_service(request: Request) -> UserService:
    """Profiles."""
    return container_of(request).user_service


UserServiceDep = Annotated[UserService, Depends(user_service)]


@router.get("/me", response_model=Profile, responses=problems(401))
async def get_my_profile(user: CurrentUser, users: UserServiceDep, response: Response) -> Profile:
    """The profile, with its groups and owner flag from the token."""
    profile = users.get_me(user)
    response.headers["ETag"] = etag_for(profile.version)
    return profile


@router.patch("/me", response_model=Profile, responses=problems(400, 401, 404, 412))
async def update_my_profile(
    body: ProfileUpdate,
    user: CurrentUser,
    users: UserServiceDep,
    expected_version: IfMatchVersion,
    response: Response,
) -> Profile:
    """Change name, bio or avatar; `If-Match` guards against lost updates."""
    profile = users.update_me(user, body, expected_version)
    response.headers["ETag"] = etag_for(profile.version)
    return profile


@router.get("/me/export", response_model=MemberExport, responses=problems(401))
async def export_my_data(user: CurrentUser, users: UserServiceDep) -> ExactJSONResponse:
    """The caller's profile and every one of their tasks in one document (data portability).

    No ETag: the document is no single versioned resource. Sent with a token, it is
    `Cache-Control: private, no-store` (core/caching.py), as every answer to a signed-in caller.
    """
    return ExactJSONResponse(users.export_me(user))

"""Bodies of the `/v1/users` routes."""

from typing import Annotated

from pydantic import Field

from portfolio_api.schemas.common import ApiModel, ApiRequest, HttpsUrl, LongText


class Profile(ApiModel):
    user_id: str
    email: str
    name: str
    bio: str | None = None
    avatar_url: str | None = None
    groups: list[str]
    is_owner: bool
    created_at: str
    updated_at: str
    version: int


class ProfileUpdate(ApiRequest):
    """Any subset; `null` clears `bio` or `avatarUrl`."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    # Long: a bio is free prose, line breaks included; the name is short and trimmed.
    bio: Annotated[LongText, Field(max_length=500)] | None = None
    avatar_url: HttpsUrl | None = None

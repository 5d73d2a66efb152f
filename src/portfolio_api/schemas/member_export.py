"""The body of `GET /v1/users/me/export`: a member's own data, for them to take elsewhere."""

from portfolio_api.schemas.common import ApiModel
from portfolio_api.schemas.tasks import Task
from portfolio_api.schemas.users import Profile


class MemberExport(ApiModel):
    """The caller's profile and every one of their tasks, newest first, in one document."""

    profile: Profile
    tasks: list[Task]

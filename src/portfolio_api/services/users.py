"""Profiles as the signed-in user sees them: stored fields plus what the token says; and the
member's whole data (profile and tasks) in one document, theirs to take elsewhere."""

from typing import Any

from portfolio_api.core.clock import Clock, iso_z
from portfolio_api.core.errors import NotFound, PreconditionFailed
from portfolio_api.core.pagination import MAX_LIMIT
from portfolio_api.core.security import Principal
from portfolio_api.core.validation import refuse_nulls
from portfolio_api.repositories.base import ConditionFailed, Item
from portfolio_api.repositories.tasks import TaskCriteria, TaskRepository
from portfolio_api.repositories.users import UserRepository
from portfolio_api.schemas.member_export import MemberExport
from portfolio_api.schemas.tasks import Task
from portfolio_api.schemas.users import Profile, ProfileUpdate
from portfolio_api.services.tasks import present as present_task

_REQUIRED = ("name",)
_EXPORT_PAGE = MAX_LIMIT
"""Tasks per Query of an export: the largest page a client may ask of the tasks list."""


class UserService:
    """Reads and updates of the caller's own profile, and the export of all their data."""

    def __init__(self, users: UserRepository, tasks: TaskRepository, clock: Clock) -> None:
        self._users = users
        self._tasks = tasks
        self._clock = clock

    def get_me(self, principal: Principal) -> Profile:
        """The caller's profile; a user made outside the API gets one on first sight."""
        item = self._users.get_profile(principal.sub)
        if item is None:
            item = self._provision(principal)
        return _profile(item, principal)

    def update_me(
        self, principal: Principal, update: ProfileUpdate, expected_version: int | None
    ) -> Profile:
        """Apply the fields the client sent, guarded by `If-Match` when given."""
        changes: dict[str, Any] = update.model_dump(exclude_unset=True, by_alias=True)
        refuse_nulls(changes, lambda field: field not in _REQUIRED)
        if not changes:
            current = self.get_me(principal)
            if expected_version is not None and current.version != expected_version:
                raise PreconditionFailed("The profile has changed; fetch it again.")
            return current
        changes["updatedAt"] = iso_z(self._clock())
        try:
            item = self._users.update_profile(
                principal.sub, changes, expected_version=expected_version
            )
        except ConditionFailed as failed:
            if failed.old_item is None:
                if expected_version is None:
                    self._provision(principal)
                    return self.update_me(principal, update, None)
                raise NotFound("No profile exists for this user.") from None
            raise PreconditionFailed("The profile has changed; fetch it again.") from None
        return _profile(item, principal)

    def export_me(self, principal: Principal) -> MemberExport:
        """The profile and all the tasks in one answer: the member's data, theirs to take away."""
        return MemberExport(profile=self.get_me(principal), tasks=self._all_tasks(principal))

    def _all_tasks(self, principal: Principal) -> list[Task]:
        """Every task of the caller, newest first: the tasks list's pages (key-conditioned
        Queries of their partition), read one after the other until the last."""
        tasks: list[Task] = []
        start: dict[str, str] | None = None
        while True:
            page = self._tasks.list_tasks(principal.sub, TaskCriteria(), _EXPORT_PAGE, start)
            tasks += [present_task(item) for item in page.items]
            if page.next_key is None:
                return tasks
            start = page.next_key

    def _provision(self, principal: Principal) -> Item:
        now = iso_z(self._clock())
        email = principal.email or ""
        attributes = {
            "email": email,
            "name": email.split("@", 1)[0] or "user",
            "createdAt": now,
            "updatedAt": now,
        }
        try:
            return self._users.create_profile(principal.sub, attributes)
        except ConditionFailed as failed:  # created concurrently: the stored one wins
            if failed.old_item is not None:
                return failed.old_item
            raise


def _profile(item: Item, principal: Principal) -> Profile:
    return Profile(
        user_id=principal.sub,
        email=str(item.get("email") or principal.email or ""),
        name=str(item.get("name", "")),
        bio=item.get("bio"),
        avatar_url=item.get("avatarUrl"),
        groups=list(principal.groups),
        is_owner=principal.is_owner,
        created_at=str(item["createdAt"]),
        updated_at=str(item["updatedAt"]),
        version=int(item["version"]),
    )

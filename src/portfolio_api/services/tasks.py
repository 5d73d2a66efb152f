"""Each user's own tasks: every operation is keyed by the caller, never by a check after a read."""

import re
from datetime import datetime, timedelta

from portfolio_api.core.clock import Clock, iso_z
from portfolio_api.core.errors import NotFound
from portfolio_api.core.ids import new_id
from portfolio_api.core.pagination import CursorCodec
from portfolio_api.core.security import Principal
from portfolio_api.repositories.base import ConditionFailed, Item
from portfolio_api.repositories.tasks import TaskCriteria, TaskRepository
from portfolio_api.schemas.common import ApiRequest
from portfolio_api.schemas.tasks import Task, TaskCreate, TaskFilters, TaskPage
from portfolio_api.services.optimistic import (
    change_versioned,
    changed,
    patch_changes,
    precondition_failed,
)

COMPLETED = "completed"
_ID = re.compile(r"^[0-9A-Z]{26}$")
_NOT_NULLABLE = ("title", "status", "priority", "tags")
_ABSENT: dict[str, object] = {"tags": []}


class TaskService:
    """Create, read, change and list the caller's tasks."""

    def __init__(self, repository: TaskRepository, clock: Clock, cursors: CursorCodec) -> None:
        self._repository = repository
        self._clock = clock
        self._cursors = cursors

    def create(self, user: Principal, body: TaskCreate) -> Task:
        """A new task; one created as completed is completed now."""
        now = iso_z(self._clock())
        state = {
            **body.model_dump(mode="json", by_alias=True, exclude_none=True),
            "id": new_id(),
            "createdAt": now,
            "updatedAt": now,
            "version": 1,
        }
        state["completedAt"] = now if state["status"] == COMPLETED else None
        self._repository.create(user.sub, state)
        return present(state)

    def get(self, user: Principal, task_id: str) -> Task:
        """The caller's task; anyone else's id is simply not found."""
        item = self._repository.get(user.sub, _checked(task_id))
        if item is None:
            raise _missing()
        return present(item)

    def update(
        self, user: Principal, task_id: str, patch: ApiRequest, expected_version: int | None
    ) -> Task:
        """Apply the fields sent; `completedAt` follows the status."""
        changes = patch_changes(patch, _NOT_NULLABLE)

        def change(old: Item) -> Item | None:
            if not changed(old, changes):
                return None
            now = iso_z(self._clock())
            new = {**old, **changes, "updatedAt": now, "version": old["version"] + 1}
            if new["status"] != COMPLETED:
                new["completedAt"] = None
            elif old["status"] != COMPLETED:
                new["completedAt"] = now
            return new

        return change_versioned(
            read=lambda: self._repository.get(user.sub, _checked(task_id), consistent=True),
            change=change,
            write=lambda old, new: present(self._repository.replace(user.sub, old, new or old)),
            unchanged=present,
            expected_version=expected_version,
            missing=_missing,
            lost_race=ConditionFailed,
        )

    def delete(self, user: Principal, task_id: str, expected_version: int | None) -> None:
        """Remove the caller's task, guarded by `If-Match` when given."""
        try:
            self._repository.delete(user.sub, _checked(task_id), expected_version)
        except ConditionFailed as failed:
            if failed.old_item is None:
                raise _missing() from None
            raise precondition_failed() from None

    def list_tasks(self, user: Principal, filters: TaskFilters) -> TaskPage:
        """One page of the caller's tasks under any combination of the filters."""
        criteria = TaskCriteria(
            status=filters.status,
            priority=filters.priority,
            due_before=_bound(filters.due_before) if filters.due_before else None,
        )
        scope = f"tasks|{user.sub}|{criteria.status}|{criteria.priority}|{criteria.due_before}"
        start = self._cursors.decode(scope, filters.cursor)
        page = self._repository.list_tasks(user.sub, criteria, filters.limit, start)
        return TaskPage(
            items=[present(item) for item in page.items],
            next_cursor=self._cursors.encode(scope, page.next_key),
        )


def present(item: Item) -> Task:
    """The read model of a stored task (one stored before tags existed has none)."""
    return Task.from_item(item, absent=_ABSENT)


def _bound(moment: datetime) -> str:
    """A strict upper bound on second-precision due dates: a fraction rounds up."""
    whole = moment.replace(microsecond=0)
    return iso_z(whole + timedelta(seconds=1) if moment.microsecond else whole)


def _checked(task_id: str) -> str:
    """The id, if it could name a task at all (ids are 26-character ULIDs)."""
    if not _ID.match(task_id):
        raise _missing()
    return task_id


def _missing() -> NotFound:
    return NotFound("No such task.")

"""Tasks, in their owner's partition: another user's task cannot even be addressed."""

from collections.abc import Mapping
from typing import Any

from portfolio_api.db import keys
from portfolio_api.repositories.base import Item, Page, Repository, state_of, state_update

ENTITY_TASK = "Task"
_NOT_WRITTEN = frozenset({keys.PK, keys.SK})


def stored_task(sub: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """The task as stored: its fields, its key in the user's partition, its index entries."""
    task_id = str(state["id"])
    return {
        **{k: v for k, v in state.items() if v is not None},
        **keys.task(sub, task_id),
        keys.ENTITY: ENTITY_TASK,
        **keys.task_entries(
            sub, task_id, str(state["status"]), str(state["priority"]), state.get("dueDate")
        ),
    }


class TaskRepository(Repository):
    """Reads and conditional writes of one user's tasks."""

    def get(self, sub: str, task_id: str, *, consistent: bool = False) -> Item | None:
        """The task, or None (also for another user's id: it is not in this partition)."""
        item = self._get(keys.task(sub, task_id), consistent=consistent)
        return state_of(item) if item else None

    def create(self, sub: str, state: Mapping[str, Any]) -> None:
        """Store a new task."""
        # Invariant: a task id is never reused.
        self._put(stored_task(sub, state), condition="attribute_not_exists(PK)")

    def replace(self, sub: str, old: Item, new: Mapping[str, Any]) -> Item:
        """Write `new` over `old` if it is still the version read; `ConditionFailed` if not."""
        update, names, values = state_update(
            stored_task(sub, old), stored_task(sub, new), skip=_NOT_WRITTEN
        )
        # Invariant: nothing changed since the read the new state was computed from.
        stored = self._update(
            keys.task(sub, str(old["id"])),
            update=update,
            names=names,
            values={**values, ":read_version": old[keys.VERSION]},
            condition="#version = :read_version",
        )
        return state_of(stored)

    def delete(self, sub: str, task_id: str, expected_version: int | None) -> None:
        """Remove the task; `ConditionFailed(old)` tells a missing task from a stale version."""
        # Invariant: only an existing task goes, and only from the version the client saw.
        condition = "attribute_exists(PK)"
        if expected_version is None:
            self._delete(keys.task(sub, task_id), condition=condition)
            return
        self._delete(
            keys.task(sub, task_id),
            condition=condition + " AND #version = :expected",
            names={"#version": keys.VERSION},
            values={":expected": expected_version},
        )

    def list_recent(self, sub: str, limit: int, start: dict[str, str] | None) -> Page:
        """All of the user's tasks, newest first (ids are time-ordered)."""
        return self._query_page(
            keys.user_partition(sub),
            index=None,
            limit=limit,
            start_key=start,
            sort_prefix=keys.TASK_PREFIX,
        )

    def list_by_status(
        self, sub: str, status: str, limit: int, start: dict[str, str] | None
    ) -> Page:
        """The user's tasks in one status, newest first."""
        partition = keys.task_status_partition(sub, status)
        return self._query_page(partition, index=keys.GSI1, limit=limit, start_key=start)

    def list_by_priority(
        self, sub: str, priority: str, limit: int, start: dict[str, str] | None
    ) -> Page:
        """The user's tasks of one priority, newest first."""
        partition = keys.task_priority_partition(sub, priority)
        return self._query_page(partition, index=keys.GSI2, limit=limit, start_key=start)

    def list_due_before(
        self, sub: str, bound: str, limit: int, start: dict[str, str] | None
    ) -> Page:
        """The user's tasks due strictly before `bound`, latest due first."""
        return self._query_page(
            keys.task_due_partition(sub),
            index=keys.GSI3,
            limit=limit,
            start_key=start,
            sort_below=bound,
        )

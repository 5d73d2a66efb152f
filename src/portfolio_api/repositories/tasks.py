"""Tasks, in their owner's partition: another user's task cannot even be addressed."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portfolio_api.db import keys
from portfolio_api.db.entities import TASK, task_entries
from portfolio_api.repositories.base import Item, Page, action, state_of, state_update
from portfolio_api.repositories.users import UserPartitionRepository


def stored_task(sub: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """The task as stored: its fields, its key in the user's partition, its index entries."""
    task_id = str(state["id"])
    return {
        **{k: v for k, v in state.items() if v is not None},
        **keys.task(sub, task_id),
        **TASK.stamp,
        **task_entries(sub, state),
    }


@dataclass(frozen=True, slots=True)
class TaskCriteria:
    """What a task list asks for; any combination, each value already normalised."""

    status: str | None = None
    priority: str | None = None
    due_before: str | None = None

    def equalities(self, skip: tuple[str, ...] = ()) -> dict[str, str]:
        """The equality criteria not served by the key condition."""
        wanted = {"status": self.status, "priority": self.priority}
        return {name: value for name, value in wanted.items() if value and name not in skip}


class TaskRepository(UserPartitionRepository):
    """Reads and conditional writes of one user's tasks."""

    def get(self, sub: str, task_id: str, *, consistent: bool = False) -> Item | None:
        """The task, or None (also for another user's id: it is not in this partition)."""
        item = self._get(keys.task(sub, task_id), consistent=consistent)
        return state_of(item) if item else None

    def create(self, sub: str, state: Mapping[str, Any]) -> None:
        """Store a new task; `AccountClosed` once the user has been deleted."""
        self._put_new_for(sub, stored_task(sub, state))

    def replace(self, sub: str, old: Item, new: Mapping[str, Any]) -> Item:
        """Write `new` over `old` if it is still the version read; `ConditionFailed` if not."""
        update, names, values = state_update(
            stored_task(sub, old), stored_task(sub, new), skip=TASK.not_written
        )
        replace = {
            "Update": {
                "Key": keys.task(sub, str(old["id"])),
                "UpdateExpression": update,
                # Invariant: nothing changed since the read the new state was computed from.
                "ConditionExpression": "#version = :read_version",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {**values, ":read_version": old[keys.VERSION]},
            }
        }
        # A transaction even alone: its token makes a resend after a lost answer harmless
        # (an UpdateItem resent would fail its own version condition).
        self._write_transaction([action(replace)])
        return {k: v for k, v in new.items() if v is not None}  # exactly what was written

    def delete(self, sub: str, task_id: str, expected_version: int | None) -> None:
        """Remove the task; `ConditionFailed(old)` tells a missing task from a stale version."""
        # Invariant: only an existing task goes, and only from the version the client saw.
        delete: dict[str, Any] = {
            "Key": keys.task(sub, task_id),
            "ConditionExpression": "attribute_exists(PK)",
        }
        if expected_version is not None:
            delete["ConditionExpression"] += " AND #version = :expected"
            delete["ExpressionAttributeNames"] = {"#version": keys.VERSION}
            delete["ExpressionAttributeValues"] = {":expected": expected_version}
        # A transaction even alone: a DeleteItem resent after its answer was lost would find
        # nothing and answer 404 for a task it did delete.
        self._write_transaction([action({"Delete": delete})])

    def list_tasks(
        self,
        sub: str,
        criteria: TaskCriteria,
        limit: int,
        start: dict[str, str] | None,
    ) -> Page:
        """One page of the user's tasks: the first criterion set picks the key condition.

        `dueBefore` reads the due-date index (latest due first), else `status` or `priority`
        their index, else the user's partition (newest first); the other criteria filter it.
        """
        if criteria.due_before:
            return self._query_page(
                keys.task_due_partition(sub),
                index=keys.GSI3,
                limit=limit,
                start_key=start,
                sort_below=criteria.due_before,
                equal_to=criteria.equalities(),
            )
        if criteria.status:
            partition, index = keys.task_status_partition(sub, criteria.status), keys.GSI1
        elif criteria.priority:
            partition, index = keys.task_priority_partition(sub, criteria.priority), keys.GSI2
        else:
            return self._query_page(
                keys.user_partition(sub),
                index=None,
                limit=limit,
                start_key=start,
                sort_prefix=keys.TASK_PREFIX,
            )
        return self._query_page(
            partition,
            index=index,
            limit=limit,
            start_key=start,
            equal_to=criteria.equalities(skip=("status",) if criteria.status else ("priority",)),
        )

"""Read, change, write on the condition nothing changed meanwhile: the one retry loop.

Every versioned resource (content, tasks, products) changes this way. A client's `If-Match`
must equal the version read. A write that loses a race is computed again from a fresh read, a
few times at most; that read decides whether the client's `If-Match` still holds (412 when the
version moved on). A view counted meanwhile is no race at all (writes leave `views` alone), and
collisions on shared counters are retried inside the transaction (repositories/base.py).
"""

from collections.abc import Callable, Collection
from typing import Any

from portfolio_api.core.errors import ApiError, Conflict, PreconditionFailed
from portfolio_api.core.validation import refuse_nulls
from portfolio_api.repositories.base import Item
from portfolio_api.schemas.common import ApiRequest

WRITE_ATTEMPTS = 3


def precondition_failed() -> PreconditionFailed:
    """The answer to a stale `If-Match`."""
    return PreconditionFailed("The resource has changed since you read it; fetch it again.")


def change_versioned[Result](
    *,
    read: Callable[[], Item | None],
    change: Callable[[Item], Item | None],
    write: Callable[[Item, Item | None], Result],
    unchanged: Callable[[Item], Result],
    expected_version: int | None,
    missing: Callable[[], ApiError],
    lost_race: type[Exception],
    delete: bool = False,
) -> Result:
    """Apply `change` (None: nothing to do) or, with `delete`, remove the resource."""
    for _ in range(WRITE_ATTEMPTS):
        old = read()
        if old is None:
            raise missing()
        if expected_version is not None and int(old["version"]) != expected_version:
            raise precondition_failed()
        new = None if delete else change(old)
        if new is None and not delete:
            return unchanged(old)
        try:
            return write(old, new)
        except lost_race:
            continue  # the next read tells a new version (412 with If-Match) from a collision
    raise Conflict("The resource is changing; try again.")


def patch_changes(
    patch: ApiRequest, not_nullable: Collection[str], *, json_mode: bool = True
) -> dict[str, Any]:
    """The fields a PATCH sent, by wire name; nulls where a field cannot be cleared are a 400."""
    changes = patch.model_dump(
        mode="json" if json_mode else "python", by_alias=True, exclude_unset=True
    )
    refuse_nulls(changes, lambda field: field not in not_nullable)
    return changes


def changed(old: Item, changes: dict[str, Any]) -> bool:
    """Whether applying `changes` would alter the item at all."""
    return any(old.get(k) != v for k, v in changes.items())

"""Read, change, write on the condition nothing changed meanwhile: the one retry loop.

Every versioned resource (content, tasks, products) changes this way. A client's `If-Match`
must equal the version read, and a write that loses a race is a 412 for that client; without
`If-Match` the change is computed again from a fresh read, a few times at most.
"""

from collections.abc import Callable

from portfolio_api.core.errors import ApiError, Conflict, PreconditionFailed
from portfolio_api.repositories.base import Item

WRITE_ATTEMPTS = 3


def stale() -> PreconditionFailed:
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
            raise stale()
        new = None if delete else change(old)
        if new is None and not delete:
            return unchanged(old)
        try:
            return write(old, new)
        except lost_race:
            if expected_version is not None:
                raise stale() from None
    raise Conflict("The resource is changing; try again.")

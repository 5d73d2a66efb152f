"""Bring items stored under an older list layout up to the current one (`portfolio-api reindex`).

Items written before filters worked at every status have facet entries only while published,
without the `all` index entry or `facetKeys`, and only their published category is counted.
Any write brings an item up to date (see repositories/content.py); this rewrites the items no
one has touched since, so that draft and `all` lists, combined filters and facet sizes see them.
Each item is one versioned transaction (`updatedAt` and every field kept), so the command can
run beside live traffic and be run again: a second run changes nothing.
"""

from collections.abc import Callable

from portfolio_api.content.spec import ContentSpec
from portfolio_api.repositories.base import Item
from portfolio_api.repositories.content import (
    CURRENT_LIST_LAYOUT,
    LIST_LAYOUT,
    ContentRepository,
    StaleWrite,
)
from portfolio_api.services.optimistic import WRITE_ATTEMPTS

PAGE_SIZE = 100


def upgrade_list_layout(
    repository: ContentRepository,
    spec: ContentSpec,
    progress: Callable[[int, int], None] = lambda _seen, _upgraded: None,
) -> int:
    """Rewrite every item of `spec` stored under an older layout; returns how many were."""
    seen = upgraded = 0
    start: dict[str, str] | None = None
    while True:
        page = repository.list_all(spec, PAGE_SIZE, start)
        for entry in page.items:
            seen += 1
            if _is_current(entry):
                continue
            if _upgrade_item(repository, spec, str(entry["id"])):
                upgraded += 1
        progress(seen, upgraded)
        if page.next_key is None:
            return upgraded
        start = page.next_key


def _is_current(state: Item) -> bool:
    return state.get(LIST_LAYOUT) == CURRENT_LIST_LAYOUT


def _upgrade_item(repository: ContentRepository, spec: ContentSpec, item_id: str) -> bool:
    """Rewrite one item as it is; a concurrent change is read again, as any write would."""
    for _ in range(WRITE_ATTEMPTS):
        old = repository.get(spec, item_id, consistent=True)
        if old is None or _is_current(old):
            return False  # deleted, or brought up to date by another write meanwhile
        try:
            # A new version, so a write computed from the old layout cannot land after this one.
            repository.save(spec, old, {**old, "version": int(old["version"]) + 1})
        except StaleWrite:
            continue
        return True
    raise StaleWrite

"""Bring items stored under an older list layout up to the current one (`portfolio-api reindex`).

Redirects made before GSI1 listed them under their item are listed too (`list_former_slugs`), so
an export carries every former slug.

Items written before filters worked at every status have facet entries only while published,
without their GSI2 keys or `facetKeys`, and only their published category is counted. Any
write brings an item up to date (see repositories/content.py); this rewrites the items no one
has touched since, so that draft and `all` lists, combined filters and facet sizes see them.
Each item is one versioned transaction (`updatedAt` and every field kept), so the command can
run beside live traffic and be run again: a second run changes nothing.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from portfolio_api.content.spec import ContentSpec
from portfolio_api.core.errors import Conflict, NotFound, ServiceUnavailable
from portfolio_api.repositories.base import Item
from portfolio_api.repositories.content import (
    CURRENT_LIST_LAYOUT,
    LIST_LAYOUT,
    ContentRepository,
    WriteRaced,
)
from portfolio_api.services.optimistic import change_versioned

PAGE_SIZE = 100
ITEM_ATTEMPTS = 5  # each of which reads and writes up to three times (the optimistic loop)
BACKOFF_SECONDS = 0.2  # doubled per attempt: a busy item (views being counted) calms down


@dataclass
class LayoutUpgrade:
    """What a run did: items read and rewritten, and the ids it could not rewrite."""

    seen: int = 0
    upgraded: int = 0
    failed: list[str] = field(default_factory=list)


def upgrade_list_layout(
    repository: ContentRepository,
    spec: ContentSpec,
    progress: Callable[[LayoutUpgrade], None] = lambda _run: None,
) -> LayoutUpgrade:
    """Rewrite every item of `spec` stored under an older layout, one page of the list at a time.

    An item that stays busy or throttled is left for the next run (its id is reported), so one
    item never stops the rest.
    """
    run = LayoutUpgrade()
    start: dict[str, str] | None = None
    while True:
        page = repository.list_all(spec, PAGE_SIZE, start)
        for entry in page.items:
            run.seen += 1
            if _is_current(entry):
                continue
            item_id = str(entry["id"])
            outcome = _upgrade_with_backoff(repository, spec, item_id)
            if outcome is None:
                run.failed.append(item_id)
            run.upgraded += bool(outcome)
        progress(run)
        if page.next_key is None:
            return run
        start = page.next_key


def _is_current(state: Item) -> bool:
    return state.get(LIST_LAYOUT) == CURRENT_LIST_LAYOUT


def _upgrade_with_backoff(
    repository: ContentRepository, spec: ContentSpec, item_id: str
) -> bool | None:
    """True when rewritten, False when nothing was left to do, None when it stayed busy."""
    for attempt in range(ITEM_ATTEMPTS):
        try:
            return _upgrade_item(repository, spec, item_id)
        except NotFound:
            return False  # deleted since the list was read
        except (Conflict, ServiceUnavailable):
            time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
    return None


def _upgrade_item(repository: ContentRepository, spec: ContentSpec, item_id: str) -> bool:
    """Rewrite one item as it is, through the one optimistic loop every write uses."""

    def write(old: Item, new: Item | None) -> bool:
        repository.save(spec, old, new)
        return True

    return change_versioned(
        read=lambda: repository.get(spec, item_id, consistent=True),
        # A new version, so a write computed from the old layout cannot land after this one.
        change=lambda old: None if _is_current(old) else {**old, "version": old["version"] + 1},
        write=write,
        unchanged=lambda _old: False,  # brought up to date by another write meanwhile
        expected_version=None,
        missing=lambda: NotFound(f"No {spec.singular} with id {item_id!r}."),
        lost_race=WriteRaced,
    )


def list_former_slugs(repository: ContentRepository) -> tuple[int, int]:
    """List each redirect made before the layout under its item; (listed, changed meanwhile).
    Reads the table with one paginated Scan: an operator's migration, never a request."""
    listed = skipped = 0
    for collection, slug, item_id in repository.unlisted_redirects():
        if repository.list_redirect(collection, slug, item_id):
            listed += 1
        else:
            skipped += 1
    return listed, skipped

"""Analytics items: the daily salt, dedup markers, and counters moved only by atomic ADD.

A counted visit or view is one `TransactWriteItems`: the day's dedup marker, put with
`attribute_not_exists`, together with an `ADD` on every counter it feeds. A repeat cancels the
transaction at the marker, so nothing is counted twice; concurrent transactions that collide on
a hot counter are retried, so no increment is lost.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from portfolio_api.db import keys
from portfolio_api.repositories.base import ConditionFailed, Item, Repository, action

ENTITY_SALT = "DailySalt"
ENTITY_MARKER = "DedupMarker"
ENTITY_COUNTER = "Counter"
MAX_LABELLED = 2000


class AlreadyCounted(Exception):
    """The marker exists: this visitor was counted already today."""


class NotCountable(Exception):
    """The content is missing, a draft, or an inactive product."""


@dataclass(frozen=True, slots=True)
class ViewTarget:
    """The item a view counts on, and the condition that makes it countable."""

    key: keys.Key
    condition: str
    values: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    extra_keys: tuple[keys.Key, ...] = ()  # also ADD views here (a list entry)


def _add(
    key: keys.Key, amount: int = 1, attribute: str = "count", label: str | None = None
) -> dict[str, Any]:
    update = "ADD #n :amount SET #entity = :entity"
    names = {"#n": attribute, "#entity": keys.ENTITY}
    values: dict[str, Any] = {":amount": amount, ":entity": ENTITY_COUNTER}
    if label is not None:
        update += ", #label = :label"
        names["#label"] = "label"
        values[":label"] = label
    return {
        "Update": {
            "Key": key,
            "UpdateExpression": update,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _add_views(key: keys.Key) -> dict[str, Any]:
    """One more view on an item's list entry (which keeps its own `entity`)."""
    return {
        "Update": {
            "Key": key,
            "UpdateExpression": "ADD #views :one",
            "ExpressionAttributeNames": {"#views": "views"},
            "ExpressionAttributeValues": {":one": 1},
        }
    }


@dataclass(frozen=True, slots=True)
class Labelled:
    """A counter keyed by a digest, holding the text it counts (a path, a host) as `label`."""

    key: keys.Key
    label: str


def _marker(key: keys.Key, expires_at: int) -> dict[str, Any]:
    return {
        "Put": {
            "Item": {**key, keys.ENTITY: ENTITY_MARKER, keys.TTL_ATTRIBUTE: expires_at},
            # Invariant: one count per visitor (and content) per day.
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def _already_counted(_marker: Item | None) -> Exception:
    return AlreadyCounted()


def _not_countable(_target: Item | None) -> Exception:
    return NotCountable()


class AnalyticsRepository(Repository):
    """Salts, markers and counters."""

    def claim_salt(self, day: str, candidate: str, expires_at: int) -> str:
        """The day's salt: ours if we are first, else the one already stored (one call)."""
        item = {
            **keys.daily_salt(day),
            keys.ENTITY: ENTITY_SALT,
            "salt": candidate,
            keys.TTL_ATTRIBUTE: expires_at,
        }
        try:
            # Invariant: every Lambda agrees on one salt per day.
            self._put(item, condition="attribute_not_exists(PK)")
        except ConditionFailed as existing:
            if existing.old_item and existing.old_item.get("salt"):
                return str(existing.old_item["salt"])
            raise
        return candidate

    def count_visit(
        self,
        *,
        marker: keys.Key,
        expires_at: int,
        counters: Sequence[keys.Key | Labelled],
    ) -> None:
        """Count a visit once: marker plus ADD on each counter, in one transaction."""
        self._write_transaction(
            [
                action(_marker(marker, expires_at), _already_counted),
                *(
                    action(_add(c.key, label=c.label) if isinstance(c, Labelled) else _add(c))
                    for c in counters
                ),
            ]
        )

    def count_view(
        self,
        *,
        marker: keys.Key,
        expires_at: int,
        target: ViewTarget,
        counters: Sequence[keys.Key],
        top_counters: Sequence[keys.Key],
    ) -> None:
        """Count a view once: marker, the item's `views`, and every counter, in one transaction."""
        item_update = {
            "Update": {
                "Key": target.key,
                "UpdateExpression": "ADD #views :one",
                # Invariant: only published content and active products are counted.
                "ConditionExpression": target.condition,
                "ExpressionAttributeNames": {"#views": "views", **target.names},
                "ExpressionAttributeValues": {":one": 1, **target.values},
            }
        }
        actions = [
            # First: when the item cannot be counted (a draft, gone) and the visitor was
            # counted today as well, the 404 wins over `counted: false`.
            action(item_update, _not_countable),
            action(_marker(marker, expires_at), _already_counted),
            *(action(_add_views(key)) for key in target.extra_keys),
            *(action(_add(key)) for key in counters),
            *(action(_add(key, attribute=keys.TOP.sk)) for key in top_counters),
        ]
        # Conflicts on hot counters are retried by the base, never dropped; the token makes
        # botocore's resend of a transaction that did commit answer success, not a repeat.
        self._write_transaction(actions)

    def read_counters(self, counter_keys: Sequence[keys.Key]) -> list[int]:
        """Several counters in one BatchGetItem, 0 for those not there yet, in the order asked."""
        found = self._get_by_name(dict(enumerate(counter_keys)))
        return [int(found.get(n, {}).get("count", 0)) for n in range(len(counter_keys))]

    def counter_range(self, series: str, low: str, high: str) -> dict[str, int]:
        """The counters of a series between two buckets, inclusive, in one Query."""
        page = self._query_page(
            keys.counter_series(series),
            index=None,
            limit=1000,
            start_key=None,
            newest_first=False,
            sort_between=(low, high),
        )
        return {str(item[keys.SK]): int(item.get("count", 0)) for item in page.items}

    def counters_of(self, series: str) -> dict[str, int]:
        """The labelled counters of a series (one day's paths or referrers), in one Query.

        Reads at most `MAX_LABELLED` of them, in key (digest) order rather than by count, so a
        day flooded with made-up paths cannot make the summary slow; a page stops at 1 MB, so
        only 2000 near-limit paths take more than one Query.
        """
        page = self._query_page(
            keys.counter_series(series), index=None, limit=MAX_LABELLED, start_key=None
        )
        return {str(i.get("label", i[keys.SK])): int(i.get("count", 0)) for i in page.items}

    def top(self, scope: str, limit: int) -> list[Item]:
        """The most viewed items of a top list, most viewed first, in one Query."""
        return self._query_page(
            keys.top_partition(scope), index=keys.TOP, limit=limit, start_key=None
        ).items

    def get_item(self, key: keys.Key) -> Item | None:
        """Any item by key (the content or product a view names)."""
        return self._get(key)


def top_counter_actions(
    content_type: str, content_id: str, title: str | None, listed: bool
) -> list[dict[str, Any]]:
    """Keep an item's two top-list counters in step with it, inside the item's own transaction.

    `title` None means the item is deleted: its counters go. Otherwise the counters hold its
    current title and are in their top lists (the sparse index) only while `listed`.
    """
    actions: list[dict[str, Any]] = []
    for scope in ("all", content_type):
        key = keys.content_views(content_type, content_id, scope)
        if title is None:
            actions.append({"Delete": {"Key": key}})
            continue
        names = {
            "#title": "title",
            "#type": "contentType",
            "#id": "contentId",
            "#entity": keys.ENTITY,
            "#views": keys.TOP.sk,
            "#top": keys.TOP.pk,
        }
        values: dict[str, Any] = {
            ":title": title,
            ":type": content_type,
            ":id": content_id,
            ":entity": ENTITY_COUNTER,
            ":zero": 0,
        }
        update = (
            "SET #title = :title, #type = :type, #id = :id, #entity = :entity, "
            "#views = if_not_exists(#views, :zero)"
        )
        if listed:
            update += ", #top = :top"
            values[":top"] = keys.top_partition(scope)
        else:
            update += " REMOVE #top"
        actions.append(
            {
                "Update": {
                    "Key": key,
                    "UpdateExpression": update,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        )
    return actions

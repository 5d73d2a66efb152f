"""Analytics items: the daily salt, dedup markers, and counters moved only by atomic ADD.

A counted visit or view is one `TransactWriteItems`: the day's dedup marker, put with
`attribute_not_exists`, together with an `ADD` on every counter it feeds. A repeat cancels the
transaction at the marker, so nothing is counted twice; concurrent transactions that collide on
a hot counter are retried, so no increment is lost. Which counters a visit or a view feeds, and
the condition that makes an item countable, are decided here: services name the day, the
visitor and the content, never a key.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from portfolio_api.db import keys
from portfolio_api.db.entities import (
    ALL_LIST,
    COUNTER,
    DAILY_SALT,
    STATUS_LIST,
    VIEW_COUNTER,
    VIEW_MARKER,
    VISIT_MARKER,
    Entity,
)
from portfolio_api.repositories.base import ConditionFailed, Item, Repository, action

MAX_LABELLED = 2000
PRODUCT_TYPE = "product"  # the content type of a product's views; any other is a collection
VIEWS_ATTRIBUTE = "views"  # an item's own view count
TOP_VIEWS = keys.TOP.sk  # a view counter's count, the sort key of its top list


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


def _view_target(content_type: str, content_id: str) -> ViewTarget:
    """The item a view counts on, and the condition under which it counts."""
    if content_type == PRODUCT_TYPE:
        return ViewTarget(
            key=keys.product(content_id),
            condition="attribute_exists(PK) AND active = :true",
            values={":true": True},
        )
    return ViewTarget(
        key=keys.content_item(content_type, content_id),
        condition="attribute_exists(PK) AND #status = :published",
        values={":published": "published"},
        names={"#status": "status"},
        extra_keys=(
            keys.content_list_entry(content_type, content_id, STATUS_LIST),
            keys.content_list_entry(content_type, content_id, ALL_LIST),
        ),
    )


def _add(
    key: keys.Key,
    amount: int = 1,
    attribute: str = "count",
    label: str | None = None,
    entity: Entity = COUNTER,
) -> dict[str, Any]:
    assert attribute in entity.counters  # counters move by ADD only
    update = "ADD #n :amount SET #entity = :entity"
    names = {"#n": attribute, "#entity": keys.ENTITY}
    values: dict[str, Any] = {":amount": amount, ":entity": entity.tag}
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
            "ExpressionAttributeNames": {"#views": VIEWS_ATTRIBUTE},
            "ExpressionAttributeValues": {":one": 1},
        }
    }


@dataclass(frozen=True, slots=True)
class Labelled:
    """A counter keyed by a digest, holding the text it counts (a path, a host) as `label`."""

    key: keys.Key
    label: str


def _marker(marker: Entity, key: keys.Key, expires_at: int) -> dict[str, Any]:
    return {
        "Put": {
            "Item": {**key, **marker.stamp, **marker.expiring(expires_at)},
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
            **DAILY_SALT.stamp,
            "salt": candidate,
            **DAILY_SALT.expiring(expires_at),
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
        day: str,
        month: str,
        visitor: str,
        expires_at: int,
        path: str,
        host: str | None,
    ) -> None:
        """Count a visit once: marker plus ADD on each counter, in one transaction.

        It feeds the total, the day, the month, the day's path and the day's referring host.
        """
        counters: list[keys.Key | Labelled] = [
            keys.counter(keys.VISITORS, keys.TOTAL),
            keys.counter(keys.VISITORS_DAILY, day),
            keys.counter(keys.VISITORS_MONTHLY, month),
            Labelled(keys.labelled_counter(keys.paths_series(day), path), path),
        ]
        if host:
            counters.append(Labelled(keys.labelled_counter(keys.referrers_series(day), host), host))
        marker = keys.visit_marker(day, visitor)
        self._write_transaction(
            [
                action(_marker(VISIT_MARKER, marker, expires_at), _already_counted),
                *(
                    action(_add(c.key, label=c.label) if isinstance(c, Labelled) else _add(c))
                    for c in counters
                ),
            ]
        )

    def count_view(
        self, *, day: str, content_type: str, content_id: str, visitor: str, expires_at: int
    ) -> None:
        """Count a view once: marker, the item's `views`, and every counter, in one transaction.

        `NotCountable` when the item is missing, a draft or an inactive product;
        `AlreadyCounted` when the visitor viewed it today already.
        """
        target = _view_target(content_type, content_id)
        marker = keys.view_marker(day, content_type, content_id, visitor)
        counters = [
            keys.counter(keys.VIEWS, keys.TOTAL),
            keys.counter(keys.VIEWS_DAILY, day),
            keys.counter(keys.item_views_series(content_type, content_id), day),
        ]
        top_counters = [
            keys.content_views(content_type, content_id, "all"),
            keys.content_views(content_type, content_id, content_type),
        ]
        item_update = {
            "Update": {
                "Key": target.key,
                "UpdateExpression": "ADD #views :one",
                # Invariant: only published content and active products are counted.
                "ConditionExpression": target.condition,
                "ExpressionAttributeNames": {"#views": VIEWS_ATTRIBUTE, **target.names},
                "ExpressionAttributeValues": {":one": 1, **target.values},
            }
        }
        actions = [
            # First: when the item cannot be counted (a draft, gone) and the visitor was
            # counted today as well, the 404 wins over `counted: false`.
            action(item_update, _not_countable),
            action(_marker(VIEW_MARKER, marker, expires_at), _already_counted),
            *(action(_add_views(key)) for key in target.extra_keys),
            *(action(_add(key)) for key in counters),
            *(action(_add(key, attribute=TOP_VIEWS, entity=VIEW_COUNTER)) for key in top_counters),
        ]
        # Conflicts on hot counters are retried by the base, never dropped; the token makes
        # botocore's resend of a transaction that did commit answer success, not a repeat.
        self._write_transaction(actions)

    def visitor_counts(self, day: str) -> tuple[int, int]:
        """All-time visitors and the day's, in one BatchGetItem."""
        total, today = self._read_counters(
            [keys.counter(keys.VISITORS, keys.TOTAL), keys.counter(keys.VISITORS_DAILY, day)]
        )
        return total, today

    def views_total(self) -> int:
        """All counted views, in one BatchGetItem."""
        (total,) = self._read_counters([keys.counter(keys.VIEWS, keys.TOTAL)])
        return total

    def totals(self) -> tuple[int, int]:
        """All-time visitors and views, in one BatchGetItem."""
        visitors, views = self._read_counters(
            [keys.counter(keys.VISITORS, keys.TOTAL), keys.counter(keys.VIEWS, keys.TOTAL)]
        )
        return visitors, views

    def daily_visitors(self, low: str, high: str) -> dict[str, int]:
        """Visitors per day between two days (`YYYY-MM-DD`), inclusive, in one Query."""
        return self._counter_range(keys.VISITORS_DAILY, low, high)

    def monthly_visitors(self, low: str, high: str) -> dict[str, int]:
        """Visitors per month between two months (`YYYY-MM`), inclusive, in one Query."""
        return self._counter_range(keys.VISITORS_MONTHLY, low, high)

    def daily_views(self, low: str, high: str) -> dict[str, int]:
        """Views per day between two days, inclusive, in one Query."""
        return self._counter_range(keys.VIEWS_DAILY, low, high)

    def item_daily_views(
        self, content_type: str, content_id: str, start_day: str, end_day: str
    ) -> dict[str, int]:
        """An item's views per day (the series `count_view` keeps for it) between two days,
        inclusive, in one Query."""
        return self._counter_range(
            keys.item_views_series(content_type, content_id), start_day, end_day
        )

    def paths_of(self, day: str) -> dict[str, int]:
        """The day's visited paths and their visitors (see `_counters_of`)."""
        return self._counters_of(keys.paths_series(day))

    def referrers_of(self, day: str) -> dict[str, int]:
        """The day's referring hosts and their visitors (see `_counters_of`)."""
        return self._counters_of(keys.referrers_series(day))

    def countable_item(self, content_type: str, content_id: str) -> Item | None:
        """The item a view of this content counts on (the content item or the product)."""
        return self._get(_view_target(content_type, content_id).key)

    def _read_counters(self, counter_keys: Sequence[keys.Key]) -> list[int]:
        """Several counters in one BatchGetItem, 0 for those not there yet, in the order asked."""
        found = self._get_by_name(dict(enumerate(counter_keys)))
        return [int(found.get(n, {}).get("count", 0)) for n in range(len(counter_keys))]

    def _counter_range(self, series: str, low: str, high: str) -> dict[str, int]:
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

    def _counters_of(self, series: str) -> dict[str, int]:
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
            "#views": TOP_VIEWS,
            "#top": keys.TOP.pk,
        }
        values: dict[str, Any] = {
            ":title": title,
            ":type": content_type,
            ":id": content_id,
            ":entity": VIEW_COUNTER.tag,
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

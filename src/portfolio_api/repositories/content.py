"""Content items, their slug claims, facet copies and counters, written together.

Every change is one `TransactWriteItems` planned from the item before and after it
(`old` → `new`; None on either side for create and delete), so the item, its slug claims, its
facet copies and the facet counts can never disagree:

- the item itself: Put with `attribute_not_exists` on create, otherwise Update/Delete on the
  condition `version = <the version read>` (optimistic concurrency; `views` is never written here,
  so concurrent view counting is not lost);
- its slug claim: taken on create or rename (free, a redirect, or its own), turned into a redirect
  for the old slug on rename, deleted with the item;
- one copy per facet value while published (the filtered lists read these);
- an atomic `ADD` of ±1 on the counter of each counted facet value that comes or goes.
"""

from collections.abc import Mapping
from typing import Any

from portfolio_api.content.spec import ContentSpec
from portfolio_api.db import keys
from portfolio_api.repositories.base import Item, Page, Repository, TransactionCancelled

ENTITY_ITEM = "ContentItem"
ENTITY_FACET_COPY = "ContentFacetCopy"
ENTITY_SLUG = "SlugClaim"
ENTITY_COUNTER = "FacetCounter"
PUBLISHED = "published"

# Attributes the item's own write never sets: keys, and `views`, which only counting changes.
_NOT_WRITTEN = frozenset({keys.PK, keys.SK, "views"})


class StaleWrite(Exception):
    """The item changed (or vanished) between the read and the write."""


class SlugTaken(Exception):
    """Another item holds the slug."""


class ContentRepository(Repository):
    """Reads and transactional writes of every collection's items."""

    def get(self, spec: ContentSpec, item_id: str) -> Item | None:
        """The item's state by id (its attributes without keys and index entries)."""
        item = self._get(keys.content_item(spec.name, item_id))
        return state_of(item) if item else None

    def find_by_slug(self, spec: ContentSpec, slug: str) -> Item | None:
        """The item holding the slug, or the redirect claim of a slug an item held before."""
        page = self._query_page(
            keys.content_slug_partition(spec.name, slug), index=keys.GSI3, limit=1, start_key=None
        )
        return page.items[0] if page.items else None

    def list_status(
        self, spec: ContentSpec, status: str, limit: int, start: dict[str, str] | None
    ) -> Page:
        """Published items by `publishedAt`, or drafts by `updatedAt`, newest first."""
        partition = keys.content_status_partition(spec.name, status)
        return self._query_page(partition, index=keys.GSI1, limit=limit, start_key=start)

    def list_all(self, spec: ContentSpec, limit: int, start: dict[str, str] | None) -> Page:
        """Every item by `updatedAt`, newest first."""
        partition = keys.content_all_partition(spec.name)
        return self._query_page(partition, index=keys.GSI2, limit=limit, start_key=start)

    def list_facet(
        self, spec: ContentSpec, facet: str, value: str, limit: int, start: dict[str, str] | None
    ) -> Page:
        """Published items under one facet value, newest `publishedAt` first."""
        partition = keys.content_facet_partition(spec.name, facet, value)
        return self._query_page(partition, index=keys.GSI1, limit=limit, start_key=start)

    def facet_counts(self, spec: ContentSpec, facet: str) -> list[Item]:
        """Every counter of a facet (one partition, a handful of items)."""
        counters: list[Item] = []
        start: dict[str, str] | None = None
        while True:
            page = self._query_page(
                keys.facet_counters(spec.name, facet), index=None, limit=100, start_key=start
            )
            counters += page.items
            if page.next_key is None:
                return counters
            start = page.next_key

    def save(self, spec: ContentSpec, old: Item | None, new: Item | None) -> None:
        """Write the change from `old` to `new` in one transaction (see the module docstring)."""
        item_actions = [self._item_action(spec, old, new)]
        slug_actions = _slug_actions(spec, old, new)
        actions = [
            *item_actions,
            *slug_actions,
            *_facet_copy_actions(spec, old, new),
            *_counter_actions(spec, old, new),
        ]
        try:
            self._transact(actions)
        except TransactionCancelled as cancelled:
            reasons = cancelled.reasons
            if reasons and reasons[0] is not None:
                raise StaleWrite from None
            claim_failed = any(
                reason == "ConditionalCheckFailed" for reason in reasons[1 : 1 + len(slug_actions)]
            )
            if claim_failed:
                raise SlugTaken from None
            raise StaleWrite from None  # a concurrent transaction touched the same items

    def _item_action(self, spec: ContentSpec, old: Item | None, new: Item | None) -> dict[str, Any]:
        if old is None:
            assert new is not None
            # Invariant: an id is never reused.
            return {
                "Put": {
                    "Item": _stored_item(spec, new),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        key = keys.content_item(spec.name, str(old["id"]))
        guard: dict[str, Any] = {
            # Invariant: nothing changed since the read the new state was computed from.
            "ConditionExpression": "#version = :read_version",
            "ExpressionAttributeNames": {"#version": keys.VERSION},
            "ExpressionAttributeValues": {":read_version": old[keys.VERSION]},
        }
        if new is None:
            return {"Delete": {"Key": key, **guard}}
        stored = _stored_item(spec, new)
        names = dict(guard["ExpressionAttributeNames"])
        values = dict(guard["ExpressionAttributeValues"])
        sets, removals = [], []
        for i, (name, value) in enumerate(sorted(stored.items())):
            if name in _NOT_WRITTEN or name == keys.VERSION:
                continue
            names[f"#a{i}"] = name
            sets.append(f"#a{i} = :a{i}")
            values[f":a{i}"] = value
        for i, name in enumerate(sorted(set(_stored_item(spec, old)) - set(stored) - _NOT_WRITTEN)):
            names[f"#r{i}"] = name
            removals.append(f"#r{i}")
        sets.append("#version = :new_version")
        values[":new_version"] = new[keys.VERSION]
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removals) if removals else "")
        return {
            "Update": {
                "Key": key,
                "UpdateExpression": update,
                "ConditionExpression": guard["ConditionExpression"],
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }


def state_of(item: Item) -> Item:
    """An item's attributes without its keys, index entries and entity tag."""
    return {k: v for k, v in item.items() if k not in _STORAGE_ATTRIBUTES}


_STORAGE_ATTRIBUTES = frozenset(
    {keys.PK, keys.SK, keys.ENTITY} | {a for i in keys.ALL_INDEXES for a in (i.pk, i.sk)}
)


def _stored_item(spec: ContentSpec, state: Item) -> dict[str, Any]:
    """The item as stored: its attributes plus keys and every index entry it belongs to."""
    item_id, status = str(state["id"]), str(state["status"])
    sort_value = state["publishedAt"] if status == PUBLISHED else state["updatedAt"]
    return {
        **{k: v for k, v in state.items() if v is not None},
        **keys.content_item(spec.name, item_id),
        keys.ENTITY: ENTITY_ITEM,
        **keys.content_status_entry(spec.name, status, str(sort_value), item_id),
        **keys.content_all_entry(spec.name, str(state["updatedAt"]), item_id),
        **keys.content_slug_entry(spec.name, str(state["slug"])),
    }


def _slug_actions(spec: ContentSpec, old: Item | None, new: Item | None) -> list[dict[str, Any]]:
    old_slug = str(old["slug"]) if old else None
    new_slug = str(new["slug"]) if new else None
    if old_slug == new_slug:
        return []
    actions: list[dict[str, Any]] = []
    if new is not None and new_slug is not None:
        actions.append(
            {
                "Put": {
                    "Item": {
                        **keys.content_slug(spec.name, new_slug),
                        keys.ENTITY: ENTITY_SLUG,
                        "itemId": new["id"],
                        "redirect": False,
                    },
                    # Invariant: a slug belongs to one item; a redirect may be claimed anew.
                    "ConditionExpression": (
                        "attribute_not_exists(PK) OR #redirect = :true OR itemId = :id"
                    ),
                    "ExpressionAttributeNames": {"#redirect": "redirect"},
                    "ExpressionAttributeValues": {":true": True, ":id": new["id"]},
                }
            }
        )
    if old is not None and old_slug is not None:
        old_key = keys.content_slug(spec.name, old_slug)
        if new is None:
            actions.append({"Delete": {"Key": old_key}})
        else:
            slug_entry = keys.content_slug_entry(spec.name, old_slug)
            actions.append(
                {
                    "Update": {
                        "Key": old_key,
                        "UpdateExpression": "SET #redirect = :true, #gpk = :gpk, #gsk = :gsk",
                        "ExpressionAttributeNames": {
                            "#redirect": "redirect",
                            "#gpk": keys.GSI3.pk,
                            "#gsk": keys.GSI3.sk,
                        },
                        "ExpressionAttributeValues": {
                            ":true": True,
                            ":gpk": slug_entry[keys.GSI3.pk],
                            ":gsk": slug_entry[keys.GSI3.sk],
                        },
                    }
                }
            )
    return actions


def _facet_values(spec: ContentSpec, state: Item | None) -> dict[tuple[str, str], str]:
    """(facet, value key) → display value, for a published state; nothing for a draft."""
    if state is None or state["status"] != PUBLISHED:
        return {}
    return {
        (facet.param, key): display
        for facet in spec.facets
        for key, display in facet.values(state).items()
    }


def _facet_copy_actions(
    spec: ContentSpec, old: Item | None, new: Item | None
) -> list[dict[str, Any]]:
    item_id = str((new or old or {})["id"])
    before, after = _facet_values(spec, old), _facet_values(spec, new)
    actions: list[dict[str, Any]] = [
        {"Delete": {"Key": keys.content_facet_copy(spec.name, item_id, facet, value)}}
        for facet, value in sorted(set(before) - set(after))
    ]
    if new is not None:
        attributes = {k: v for k, v in new.items() if v is not None}
        for facet, value in sorted(after):
            copy = {
                **attributes,
                **keys.content_facet_copy(spec.name, item_id, facet, value),
                keys.ENTITY: ENTITY_FACET_COPY,
                **keys.content_facet_entry(
                    spec.name, facet, value, str(new["publishedAt"]), item_id
                ),
            }
            actions.append({"Put": {"Item": copy}})
    return actions


def _counter_actions(spec: ContentSpec, old: Item | None, new: Item | None) -> list[dict[str, Any]]:
    facet = spec.counted_facet
    if facet is None:
        return []
    before = {v: d for (f, v), d in _facet_values(spec, old).items() if f == facet.param}
    after = {v: d for (f, v), d in _facet_values(spec, new).items() if f == facet.param}
    changes: Mapping[str, tuple[int, str]] = {
        **{value: (-1, display) for value, display in before.items() if value not in after},
        **{value: (1, display) for value, display in after.items() if value not in before},
    }
    return [
        {
            "Update": {
                "Key": keys.facet_counter(spec.name, facet.param, value),
                # Counts change only by atomic ADD, so concurrent writers never lose one.
                "UpdateExpression": "ADD #count :delta SET #name = :name, #entity = :entity",
                "ExpressionAttributeNames": {
                    "#count": "count",
                    "#name": "name",
                    "#entity": keys.ENTITY,
                },
                "ExpressionAttributeValues": {
                    ":delta": delta,
                    ":name": display,
                    ":entity": ENTITY_COUNTER,
                },
            }
        }
        for value, (delta, display) in sorted(changes.items())
    ]

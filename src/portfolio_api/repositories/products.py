"""Products: one item each, listed through four index entries; stock moves atomically."""

from collections.abc import Mapping
from typing import Any

from portfolio_api.db import keys
from portfolio_api.repositories.analytics import top_counter_actions
from portfolio_api.repositories.base import (
    ConditionFailed,
    Item,
    Page,
    Repository,
    TransactionCancelled,
    state_of,
    state_update,
)

ENTITY_PRODUCT = "Product"
MAX_STOCK = 1_000_000_000
# Keys, and what only their own atomic updates change: stock (adjustments) and views (counting).
_NOT_WRITTEN = frozenset({keys.PK, keys.SK, "stock", "views"})


def stored_product(state: Mapping[str, Any]) -> dict[str, Any]:
    """The product as stored: fields, key, and the index entries of the lists it belongs to."""
    product_id = str(state["id"])
    return {
        **{k: v for k, v in state.items() if v is not None},
        **keys.product(product_id),
        keys.ENTITY: ENTITY_PRODUCT,
        **keys.product_entries(
            str(state["listOrder"]),
            str(state["category"]).strip().lower(),
            bool(state["active"]),
        ),
    }


class ProductRepository(Repository):
    """Reads and conditional writes of products."""

    def get(self, product_id: str, *, consistent: bool = False) -> Item | None:
        """The product, or None."""
        item = self._get(keys.product(product_id), consistent=consistent)
        return state_of(item) if item else None

    def create(self, state: Mapping[str, Any]) -> None:
        """Store a new product; `ConditionFailed` when the id is taken."""
        # Invariant: one product per id (client-chosen ids may collide).
        put = {
            "Put": {
                "Item": stored_product(state),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        self._write([put, *_top_actions(None, state)])

    def replace(self, old: Item, new: Mapping[str, Any], *, set_stock: bool = False) -> Item:
        """Write `new` over `old` if it is still the version read.

        `views` is never written here, and `stock` only when the owner sets it outright.
        """
        skip = _NOT_WRITTEN - {"stock"} if set_stock else _NOT_WRITTEN
        update, names, values = state_update(stored_product(old), stored_product(new), skip=skip)
        key = keys.product(str(old["id"]))
        values = {**values, ":read_version": old[keys.VERSION]}
        # Invariant: nothing changed since the read the new state was computed from.
        condition = "#version = :read_version"
        top = _top_actions(old, new)
        if top:
            update_action = {
                "Key": key,
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
            self._write([{"Update": update_action}, *top])
        else:  # one conditional update; colliding with a view's transaction, it is retried
            self._update(key, update=update, names=names, values=values, condition=condition)
        result = {**old, **new}
        if not set_stock:
            result["stock"] = old["stock"]
        return {k: v for k, v in result.items() if v is not None}

    def adjust_stock(self, product_id: str, delta: int, now: str) -> Item:
        """Add `delta` in one conditional update; `ConditionFailed(old)` if it would go below 0."""
        # Invariant: stock never goes below zero, however many adjustments race.
        stored = self._update(
            keys.product(product_id),
            update="SET #stock = #stock + :delta, #version = #version + :one, updatedAt = :now",
            names={"#stock": "stock", "#version": keys.VERSION},
            values={
                ":delta": delta,
                ":one": 1,
                ":now": now,
                ":needed": max(0, -delta),
                ":room": MAX_STOCK - max(0, delta),
            },
            condition="attribute_exists(PK) AND #stock >= :needed AND #stock <= :room",
        )
        return state_of(stored)

    def delete(self, product_id: str, expected_version: int | None) -> None:
        """Remove the product; `ConditionFailed(old)` tells a missing one from a stale version."""
        # Invariant: only an existing product goes, and only from the version the client saw.
        condition = "attribute_exists(PK)"
        delete: dict[str, Any] = {
            "Key": keys.product(product_id),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if expected_version is not None:
            condition += " AND #version = :expected"
            delete["ExpressionAttributeNames"] = {"#version": keys.VERSION}
            delete["ExpressionAttributeValues"] = {":expected": expected_version}
        delete["ConditionExpression"] = condition
        self._write([{"Delete": delete}, *top_counter_actions("product", product_id, None, False)])

    def _write(self, actions: list[dict[str, Any]]) -> None:
        """One transaction; the product's own condition failing is a `ConditionFailed`.

        A conflict with a concurrent write (a stock adjustment, a view) is tried again by the
        base: the conditions still guard the product's version.
        """
        try:
            self._transact_retrying(actions)
        except TransactionCancelled as cancelled:
            if cancelled.reasons[0] == "ConditionalCheckFailed":
                raise ConditionFailed(cancelled.items[0]) from None
            raise

    def list_products(
        self,
        *,
        category: str | None,
        include_inactive: bool,
        limit: int,
        start: dict[str, str] | None,
    ) -> Page:
        """Newest first: active ones (GSI1, or GSI3 by category) or all (GSI2, or GSI4)."""
        if category is None:
            index = keys.GSI2 if include_inactive else keys.GSI1
            partition = keys.ALL_PRODUCTS if include_inactive else keys.ACTIVE_PRODUCTS
        else:
            index = keys.GSI4 if include_inactive else keys.GSI3
            partition = keys.product_category_partition(
                category.strip().lower(), active_only=not include_inactive
            )
        return self._query_page(partition, index=index, limit=limit, start_key=start)


def _top_actions(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The product's top-list counters, when its name or active flag changes."""
    if old is not None and all(old.get(f) == new.get(f) for f in ("name", "active")):
        return []
    return top_counter_actions("product", str(new["id"]), str(new["name"]), bool(new["active"]))

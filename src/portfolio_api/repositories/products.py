"""Products: one item each, listed through four index entries; stock moves atomically."""

from collections.abc import Mapping
from typing import Any

from portfolio_api.core.errors import OutcomeUnknown, ServiceUnavailable
from portfolio_api.db import keys
from portfolio_api.db.entities import PRODUCT, product_category, product_entries
from portfolio_api.repositories.analytics import top_counter_actions
from portfolio_api.repositories.base import (
    ConditionFailed,
    Item,
    Page,
    Repository,
    action,
    state_of,
    state_update,
)

MAX_STOCK = 1_000_000_000


def stored_product(state: Mapping[str, Any]) -> dict[str, Any]:
    """The product as stored: fields, key, and the index entries of the lists it belongs to."""
    product_id = str(state["id"])
    return {
        **{k: v for k, v in state.items() if v is not None},
        **keys.product(product_id),
        **PRODUCT.stamp,
        **product_entries(state),
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
        # Keys, and what only their own atomic updates change: stock (adjustments) and views.
        skip = PRODUCT.not_written - {"stock"} if set_stock else PRODUCT.not_written
        update, names, values = state_update(stored_product(old), stored_product(new), skip=skip)
        key = keys.product(str(old["id"]))
        values = {**values, ":read_version": old[keys.VERSION]}
        # Invariant: nothing changed since the read the new state was computed from.
        condition = "#version = :read_version"
        update_action = {
            "Key": key,
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        # A transaction even alone: its token makes a resend after a lost answer harmless.
        self._write([{"Update": update_action}, *_top_actions(old, new)])
        result = {**old, **new}
        if not set_stock:
            result["stock"] = old["stock"]
        return {k: v for k, v in result.items() if v is not None}

    def adjust_stock(self, product_id: str, delta: int, now: str) -> Item:
        """Add `delta` exactly once; `ConditionFailed(old)` if it would leave 0…MAX_STOCK.

        A one-action transaction rather than an UpdateItem: an UpdateItem resent after its
        answer was lost would add `delta` twice, while the transaction's token makes DynamoDB
        answer the resend with the first outcome. A transaction returns no item, so the
        product is read back (strongly consistent) for the answer.
        """
        key = keys.product(product_id)
        adjust = {
            "Update": {
                "Key": key,
                "UpdateExpression": (
                    "SET #stock = #stock + :delta, #version = #version + :one, updatedAt = :now"
                ),
                # Invariant: stock never goes below zero (or past the ceiling), however many
                # adjustments race.
                "ConditionExpression": (
                    "attribute_exists(PK) AND #stock >= :needed AND #stock <= :room"
                ),
                "ExpressionAttributeNames": {"#stock": "stock", "#version": keys.VERSION},
                "ExpressionAttributeValues": {
                    ":delta": delta,
                    ":one": 1,
                    ":now": now,
                    ":needed": max(0, -delta),
                    ":room": MAX_STOCK - max(0, delta),
                },
            }
        }
        self._write([adjust])
        try:
            stored = self._get(key, consistent=True)
        except ServiceUnavailable:
            raise OutcomeUnknown() from None  # applied, but not to be sent again blindly
        if stored is None:  # deleted in the instant since: as if it had been missing
            raise ConditionFailed(None)
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
        """One transaction; the product's own condition failing is `ConditionFailed(old)`.

        A conflict with a concurrent write (a stock adjustment, a view) is tried again by the
        base: the conditions still guard the product's version.
        """
        self._write_transaction([action(raw) for raw in actions])

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
                product_category(category), active_only=not include_inactive
            )
        return self._query_page(partition, index=index, limit=limit, start_key=start)


def _top_actions(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The product's top-list counters, when its name or active flag changes."""
    if old is not None and all(old.get(f) == new.get(f) for f in ("name", "active")):
        return []
    return top_counter_actions("product", str(new["id"]), str(new["name"]), bool(new["active"]))

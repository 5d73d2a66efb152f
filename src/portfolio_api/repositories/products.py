"""Products: one item each, listed through four index entries; stock moves atomically."""

from collections.abc import Mapping
from typing import Any

from portfolio_api.db import keys
from portfolio_api.repositories.base import Item, Page, Repository, state_of, state_update

ENTITY_PRODUCT = "Product"
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
        self._put(stored_product(state), condition="attribute_not_exists(PK)")

    def replace(self, old: Item, new: Mapping[str, Any], *, set_stock: bool = False) -> Item:
        """Write `new` over `old` if it is still the version read.

        `views` is never written here, and `stock` only when the owner sets it outright.
        """
        skip = _NOT_WRITTEN - {"stock"} if set_stock else _NOT_WRITTEN
        update, names, values = state_update(stored_product(old), stored_product(new), skip=skip)
        # Invariant: nothing changed since the read the new state was computed from.
        stored = self._update(
            keys.product(str(old["id"])),
            update=update,
            names=names,
            values={**values, ":read_version": old[keys.VERSION]},
            condition="#version = :read_version",
        )
        return state_of(stored)

    def adjust_stock(self, product_id: str, delta: int, now: str) -> Item:
        """Add `delta` in one conditional update; `ConditionFailed(old)` if it would go below 0."""
        # Invariant: stock never goes below zero, however many adjustments race.
        stored = self._update(
            keys.product(product_id),
            update="SET #stock = #stock + :delta, #version = #version + :one, updatedAt = :now",
            names={"#stock": "stock", "#version": keys.VERSION},
            values={":delta": delta, ":one": 1, ":now": now, ":needed": max(0, -delta)},
            condition="attribute_exists(PK) AND #stock >= :needed",
        )
        return state_of(stored)

    def delete(self, product_id: str, expected_version: int | None) -> None:
        """Remove the product; `ConditionFailed(old)` tells a missing one from a stale version."""
        # Invariant: only an existing product goes, and only from the version the client saw.
        if expected_version is None:
            self._delete(keys.product(product_id), condition="attribute_exists(PK)")
            return
        self._delete(
            keys.product(product_id),
            condition="attribute_exists(PK) AND #version = :expected",
            names={"#version": keys.VERSION},
            values={":expected": expected_version},
        )

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

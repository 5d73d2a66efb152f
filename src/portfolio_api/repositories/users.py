"""Profiles: one item per user, keyed by Cognito's `sub`."""

from collections.abc import Mapping
from typing import Any

from portfolio_api.db import keys
from portfolio_api.repositories.base import Item, Repository

ENTITY_PROFILE = "UserProfile"


class UserRepository(Repository):
    """Reads and conditional writes of profile items."""

    def get_profile(self, sub: str) -> Item | None:
        """The stored profile, or None."""
        return self._get(keys.user_profile(sub))

    def create_profile(self, sub: str, attributes: Mapping[str, Any]) -> Item:
        """Store a new profile at version 1; `ConditionFailed` when one exists already."""
        item = {
            **keys.user_profile(sub),
            keys.ENTITY: ENTITY_PROFILE,
            "userId": sub,
            **attributes,
            keys.VERSION: 1,
        }
        # Invariant: one profile per user; registration never overwrites an existing one.
        self._put(item, condition="attribute_not_exists(PK)")
        return item

    def update_profile(
        self, sub: str, changes: Mapping[str, Any], *, expected_version: int | None
    ) -> Item:
        """Apply changes and bump the version; `ConditionFailed(old)` tells 404 from 412."""
        names = {f"#f{i}": field for i, field in enumerate(changes)}
        values: dict[str, Any] = {f":f{i}": value for i, value in enumerate(changes.values())}
        removals = [name for name, field in names.items() if changes[field] is None]
        sets = [f"{name} = :f{i}" for i, name in enumerate(names) if name not in removals]
        for name in removals:
            values.pop(":" + name[1:])
        sets.append("#version = #version + :one")
        values[":one"] = 1
        names["#version"] = keys.VERSION
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removals) if removals else "")
        # Invariant: only an existing profile changes, and only from the version the client saw.
        condition = "attribute_exists(PK)"
        if expected_version is not None:
            condition += " AND #version = :expected"
            values[":expected"] = expected_version
        return self._update(
            keys.user_profile(sub), update=update, values=values, names=names, condition=condition
        )

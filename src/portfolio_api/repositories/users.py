"""Profiles (one item per user, keyed by Cognito's `sub`), and closing a user's account."""

from collections.abc import Mapping
from typing import Any

from portfolio_api.core.errors import AccountClosed, OutcomeUnknown, ServiceUnavailable
from portfolio_api.db import keys
from portfolio_api.db.entities import CLOSED_ACCOUNT, USER_PROFILE
from portfolio_api.repositories.base import (
    ConditionFailed,
    Item,
    Repository,
    action,
)

_PURGE_PAGE = 100


def _account_closed(_marker: Item | None) -> Exception:
    return AccountClosed()


class UserPartitionRepository(Repository):
    """Items that live in a user's partition: new ones are written only while the user exists."""

    def _put_new_for(self, sub: str, item: Mapping[str, Any]) -> None:
        """Put a new item for `sub`: `AccountClosed` for a deleted user, `ConditionFailed(old)`
        when an item with that key exists."""
        # Invariant: nothing is written for a deleted user, even with a token still alive.
        still_open = {
            "ConditionCheck": {
                "Key": keys.account_closed(sub),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        # Invariant: a new item never overwrites one with the same key.
        put = {
            "Put": {
                "Item": dict(item),
                "ConditionExpression": "attribute_not_exists(PK)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        self._write_transaction([action(still_open, _account_closed), action(put)])


class UserRepository(UserPartitionRepository):
    """Reads and conditional writes of profile items, and the removal of a user's data."""

    def get_profile(self, sub: str) -> Item | None:
        """The stored profile, or None."""
        return self._get(keys.user_profile(sub))

    def create_profile(self, sub: str, attributes: Mapping[str, Any]) -> Item:
        """Store a new profile at version 1; `ConditionFailed` when one exists already.

        `AccountClosed` for a deleted user, so a live token cannot bring a profile back.
        """
        item = {
            **keys.user_profile(sub),
            **USER_PROFILE.stamp,
            "userId": sub,
            **attributes,
            keys.VERSION: 1,
        }
        # One profile per user; registration never overwrites an existing one.
        self._put_new_for(sub, item)
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
        key = keys.user_profile(sub)
        # A transaction even alone: its token makes a resend after a lost answer harmless
        # (an UpdateItem resent would add one to the version twice). It returns no item, so the
        # profile is read back, strongly consistent.
        update_action = {
            "Update": {
                "Key": key,
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        self._write_transaction([action(update_action)])
        try:
            stored = self._get(key, consistent=True)
        except ServiceUnavailable:
            raise OutcomeUnknown() from None  # applied, but not to be sent again blindly
        if stored is None:  # deleted in the instant since
            raise ConditionFailed(None)
        return stored

    def close_account(self, sub: str, *, closed_at: str, expires_at: int) -> None:
        """Mark `sub` deleted before its data goes, so no write can slip in behind the purge."""
        self._put(
            {
                **keys.account_closed(sub),
                **CLOSED_ACCOUNT.stamp,
                "closedAt": closed_at,
                **CLOSED_ACCOUNT.expiring(expires_at),
            }
        )

    def purge(self, sub: str) -> int:
        """Delete every item of the user's partition (profile, tasks) but the closed marker."""
        marker = keys.account_closed(sub)["SK"]
        removed, start = 0, None
        while True:
            page = self._query_page(
                keys.user_partition(sub), index=None, limit=_PURGE_PAGE, start_key=start
            )
            doomed = [
                keys.Key(PK=str(item[keys.PK]), SK=str(item[keys.SK]))
                for item in page.items
                if item[keys.SK] != marker
            ]
            if doomed:
                self._batch_delete(doomed)
                removed += len(doomed)
            if page.next_key is None:
                return removed
            start = page.next_key

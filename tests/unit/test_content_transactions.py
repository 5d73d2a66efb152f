"""Content transactions: how a cancelled one is read, and that the largest one fits."""

import json
from typing import Any

import pytest

from portfolio_api.content.collections import PROJECTS
from portfolio_api.core.errors import ServiceUnavailable, ValidationFailed
from portfolio_api.repositories.content import (
    ContentRepository,
    SlugTaken,
    StaleWrite,
    _raise_for_reasons,
)
from portfolio_api.schemas.content import ProjectCreate

CLAIMS = range(1, 2)  # the item is action 0, its slug claim action 1


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (["ConditionalCheckFailed", None, None], StaleWrite),
        ([None, "ConditionalCheckFailed", None], SlugTaken),
        ([None, None, "TransactionConflict"], StaleWrite),
        ([None, "ThrottlingError", None], ServiceUnavailable),
        (["ValidationError", None], ValidationFailed),
        ([None, None, "ItemCollectionSizeLimitExceeded"], ValidationFailed),
        ([None, None, "ConditionalCheckFailed"], StaleWrite),  # not a claim: treat as a race
    ],
)
def test_reasons_map_to_one_outcome(reasons: list[str | None], expected: type[Exception]) -> None:
    with pytest.raises(expected):
        _raise_for_reasons(reasons, claim_positions=CLAIMS)


class CapturingClient:
    """Stands in for DynamoDB's client and keeps the one transaction it is sent."""

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []

    def transact_write_items(self, **arguments: Any) -> dict[str, Any]:
        self.actions = arguments["TransactItems"]
        return {}


def project(n: int, prefix: str, **fields: Any) -> dict[str, Any]:
    """A stored project whose tech stack holds the most values the schema allows."""
    return {
        "id": "01KAB3Y8Q6W9ZJ7R2M4N5P6T8V",
        "slug": f"{prefix}-slug",
        "title": f"{prefix} title",
        "summary": "s",
        "techStack": [f"{prefix}{i}" for i in range(n)],
        "createdAt": "2026-01-01T00:00:00Z",
        "version": 3,
        "views": 7,
        **fields,
    }


def test_the_largest_change_fits_one_transaction() -> None:
    """Every facet value replaced, the status and the slug changed: ≤ 100 distinct items."""
    most = ProjectCreate.model_fields["tech_stack"].metadata[0].max_length
    old = project(
        most,
        "old",
        status="published",
        featured=True,
        publishedAt="2026-01-02T00:00:00Z",
        updatedAt="2026-01-02T00:00:00Z",
        listLayout=2,
    )
    new = project(
        most,
        "new",
        status="draft",
        featured=False,
        publishedAt="2026-01-02T00:00:00Z",
        updatedAt="2026-01-03T00:00:00Z",
        version=4,
    )
    client = CapturingClient()
    ContentRepository(client, "table").save(PROJECTS, old, new)  # type: ignore[arg-type]
    written = [
        json.dumps(body.get("Key") or {k: body["Item"][k] for k in ("PK", "SK")}, sort_keys=True)
        for action in client.actions
        for body in action.values()
    ]
    assert 90 <= len(written) <= 100, len(written)  # DynamoDB's limit of one transaction
    assert len(set(written)) == len(written)  # and no item twice in it

"""The entity declarations hold together: what feeds each index entry, what a write leaves alone."""

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from portfolio_api.db import entities, keys
from portfolio_api.db.entities import ALL_ENTITIES, Entity
from portfolio_api.repositories.analytics import TOP_VIEWS, VIEWS_ATTRIBUTE

CONTENT = {
    "id": "01KAB",
    "slug": "hello",
    "status": "published",
    "publishedAt": "P",
    "updatedAt": "U",
    "title": "Hello",
    "tags": ["aws"],
    "views": 3,
}
TASK = {
    "id": "01T",
    "status": "todo",
    "priority": "low",
    "dueDate": "2026-12-01",
    "title": "t",
    "version": 1,
}
PRODUCT = {
    "id": "PROD001",
    "listOrder": "01P",
    "category": "Tools",
    "active": True,
    "name": "n",
    "stock": 5,
    "views": 1,
}

BUILDERS: list[tuple[Entity, Callable[[Mapping[str, Any]], object], dict[str, Any]]] = [
    (entities.CONTENT_ITEM, lambda s: entities.content_item_entries("blog", s), CONTENT),
    (
        entities.CONTENT_LIST_ENTRY,
        lambda s: entities.content_list_entries("blog", s, {"tag": ["aws"]}),
        CONTENT,
    ),
    (entities.TASK, lambda s: entities.task_entries("u1", s), TASK),
    (entities.PRODUCT, entities.product_entries, PRODUCT),
]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value == "published":
        return "draft"
    if isinstance(value, list):
        return [*value, "x"]
    return f"{value}-changed"


@pytest.mark.parametrize(
    ("entity", "build", "state"), BUILDERS, ids=lambda v: getattr(v, "name", "")
)
def test_index_entries_are_built_from_the_declared_attributes_only(
    entity: Entity, build: Callable[[Mapping[str, Any]], object], state: dict[str, Any]
) -> None:
    declared = {name for entry in entity.index_entries for name in entry.from_attributes}
    before = build(state)
    feeding = {name for name in state if build({**state, name: _changed(state[name])}) != before}
    assert feeding == declared & set(state)


@pytest.mark.parametrize("entity", ALL_ENTITIES, ids=lambda e: e.name)
def test_a_write_of_the_whole_state_leaves_keys_and_counters_alone(entity: Entity) -> None:
    assert entity.not_written == {keys.PK, keys.SK} | entity.counters
    for entry in entity.index_entries:
        assert set(entry.pattern) == {entry.index.pk, entry.index.sk}


def test_what_a_view_moves_is_a_declared_counter_wherever_it_lands() -> None:
    for entity in (entities.CONTENT_ITEM, entities.CONTENT_LIST_ENTRY, entities.PRODUCT):
        assert VIEWS_ATTRIBUTE in entity.counters
    assert TOP_VIEWS in entities.VIEW_COUNTER.counters
    assert "stock" in entities.PRODUCT.counters


def test_only_declared_entities_expire() -> None:
    for entity in ALL_ENTITIES:
        if entity.ttl is None:
            with pytest.raises(ValueError, match="does not expire"):
                entity.expiring(1)
        else:
            assert entity.expiring(1) == {"expiresAt": 1}

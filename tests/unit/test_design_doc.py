"""DYNAMODB-DESIGN.md against the entity declarations (`db/entities.py`): one hand-kept copy of
the formats and the access patterns, checked, so the document cannot drift from the code."""

import re
from pathlib import Path

import pytest

from portfolio_api.db import keys
from portfolio_api.db.entities import ALL_ENTITIES, Entity

DOC = (Path(__file__).parents[2] / "DYNAMODB-DESIGN.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"<[^>]*>")
KEY_TOKEN = re.compile(r"[A-Z][A-Z_]*#[^\s`/,()]*")


def _section(heading: str) -> str:
    """The text of a `## heading` section, up to the next one."""
    start = DOC.index(f"\n## {heading}\n")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end != -1 else None]


def _access_pattern_rows() -> list[list[str]]:
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in _section("Access patterns").splitlines()
        if line.startswith("| ") and not line.startswith("| pattern ")
    ]
    assert rows and all(len(row) == 5 for row in rows), "the table has five columns"
    return rows


def _key_tokens(cell: str) -> set[str]:
    """The key strings a key-condition cell names (`PK = USER#<sub>` → `USER#<sub>`)."""
    spans = re.findall(r"`([^`]*)`", cell)
    return {token for span in spans for token in KEY_TOKEN.findall(span)}


def _declared_formats() -> set[str]:
    """Every key and index-entry format the declarations write."""
    formats: set[str] = set()
    for entity in ALL_ENTITIES:
        formats |= {entity.pattern["PK"], entity.pattern["SK"]}
        for entry in entity.index_entries:
            formats |= set(entry.pattern.values())
    return formats


def _matches(token: str, declared: str) -> bool:
    """A named key fits a format: each placeholder stands for any text (`TASK#` is a prefix)."""
    parts = PLACEHOLDER.split(declared)
    return re.fullmatch(".*".join(re.escape(part) for part in parts), token) is not None


def _normalised(text: str) -> str:
    return PLACEHOLDER.sub("<>", text)


def _entry_of(entity: Entity) -> str:
    return f"`{entity.pattern['PK']}` / `{entity.pattern['SK']}`"


@pytest.mark.parametrize("entity", ALL_ENTITIES, ids=lambda e: e.name)
def test_every_entity_is_described_with_its_key_and_index_entries(entity: Entity) -> None:
    items = _section("Item types")
    assert entity.tag in items or entity.name in items
    assert _entry_of(entity) in items
    for entry in entity.index_entries:
        assert f"`{entry.partition}` / `{entry.pattern[entry.index.sk]}`" in items, entry


def test_every_key_the_access_patterns_name_is_declared() -> None:
    declared = _declared_formats()
    named = {token for row in _access_pattern_rows() for token in _key_tokens(row[3])}
    assert named  # the parser found the keys
    undeclared = sorted(t for t in named if not any(_matches(t, d) for d in declared))
    assert undeclared == []


def test_every_index_entry_serves_an_access_pattern() -> None:
    """An index partition no access pattern reads is a write for nothing (or a missing row)."""
    named = {_normalised(token) for row in _access_pattern_rows() for token in _key_tokens(row[3])}
    unread = sorted(
        {
            entry.partition
            for entity in ALL_ENTITIES
            for entry in entity.index_entries
            if _normalised(entry.partition) not in named
        }
    )
    assert unread == []


def test_the_access_patterns_name_only_declared_indexes() -> None:
    used = {
        name for row in _access_pattern_rows() for name in re.findall(r"GSI\d|TopViews", row[2])
    }
    declared = {index.name for index in keys.ALL_INDEXES}
    written = {entry.index.name for entity in ALL_ENTITIES for entry in entity.index_entries}
    assert used <= declared
    assert written <= used  # every index that is written is read by some access pattern


def test_entities_with_a_ttl_are_the_ones_the_table_says_expire() -> None:
    expiring = {entity.tag for entity in ALL_ENTITIES if entity.ttl}
    assert expiring == {
        "ClosedAccount",
        "RevokedSession",
        "EndedSessions",
        "DailySalt",
        "DedupMarker",
        "IdempotencyRecord",
    }
    assert all(entity.ttl == keys.TTL_ATTRIBUTE for entity in ALL_ENTITIES if entity.ttl)
    assert f"| TTL | `{keys.TTL_ATTRIBUTE}`" in DOC

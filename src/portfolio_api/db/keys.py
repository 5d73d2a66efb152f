"""Every key of the single table, and the access patterns they serve.

This module is the only place a key string is formatted. Each item type has one small pure
function returning its primary key; index keys are built here too. Every item also stores an
`entity` attribute naming its type, so a Query over mixed items can be read back safely.

Access patterns (DYNAMODB-DESIGN.md mirrors this table; `<c>` is a collection's name):

| pattern               | op      | index | key condition                         | endpoint    |
|-----------------------|---------|-------|---------------------------------------|-------------|
| profile of a user     | GetItem | table | PK=USER#<sub>, SK=PROFILE             | /users/me   |
| published, newest     | Query   | GSI1  | GSI1PK=CONTENT#<c>#published, desc    | GET C       |
| drafts, newest edit   | Query   | GSI1  | GSI1PK=CONTENT#<c>#draft, desc        | ?status=    |
| all, newest edit      | Query   | GSI2  | GSI2PK=CONTENT#<c>, desc              | ?status=all |
| item by id            | GetItem | table | PK=CONTENT#<c>#<id>, SK=ITEM          | C/{id}      |
| item/redirect by slug | Query   | GSI3  | GSI3PK=SLUG#<c>#<slug>                | C/{slug}    |
| published by facet    | Query   | GSI1  | GSI1PK=CONTENT#<c>#FACET#<f>#<v>      | ?<f>=<v>    |
| category counts       | Query   | table | PK=COUNTS#blog#category               | categories  |
| idempotency record    | PutItem | table | PK=IDEMPOTENCY#<digest>, conditional  | POST create |

Writes: a profile is put with attribute_not_exists(PK) and updated on `version`; a content
change is one transaction (item, slug claims, facet copies, counters), see
repositories/content.py.
"""

from dataclasses import dataclass
from typing import TypedDict

PK = "PK"
SK = "SK"
ENTITY = "entity"
VERSION = "version"
TTL_ATTRIBUTE = "expiresAt"


class Key(TypedDict):
    """A primary key, the shape GetItem, UpdateItem and DeleteItem take."""

    PK: str
    SK: str


@dataclass(frozen=True, slots=True)
class Index:
    """A global secondary index and the attribute names of its keys."""

    name: str
    pk: str
    sk: str


GSI1 = Index("GSI1", "GSI1PK", "GSI1SK")
GSI2 = Index("GSI2", "GSI2PK", "GSI2SK")
GSI3 = Index("GSI3", "GSI3PK", "GSI3SK")
ALL_INDEXES = (GSI1, GSI2, GSI3)

IndexKey = dict[str, str]


def user_profile(sub: str) -> Key:
    """A user's profile; `sub` is Cognito's immutable user id, never the e-mail."""
    return {"PK": f"USER#{sub}", "SK": "PROFILE"}


# Content: one item per entry, slug claims, facet copies and counted facets.


def content_item(collection: str, item_id: str) -> Key:
    """A content item; its facet copies share the partition."""
    return {"PK": f"CONTENT#{collection}#{item_id}", "SK": "ITEM"}


def content_facet_copy(collection: str, item_id: str, facet: str, value: str) -> Key:
    """The copy of a published item that lists it under one facet value."""
    return {"PK": f"CONTENT#{collection}#{item_id}", "SK": f"FACET#{facet}#{value}"}


def content_slug(collection: str, slug: str) -> Key:
    """The claim that makes a slug unique in its collection (current, or a redirect)."""
    return {"PK": f"SLUG#{collection}#{slug}", "SK": "SLUG"}


def content_status_partition(collection: str, status: str) -> str:
    """GSI1 partition of a collection's items in one status."""
    return f"CONTENT#{collection}#{status}"


def content_status_entry(collection: str, status: str, sort_value: str, item_id: str) -> IndexKey:
    """GSI1: published items by `publishedAt`, drafts by `updatedAt`."""
    return {
        GSI1.pk: content_status_partition(collection, status),
        GSI1.sk: f"{sort_value}#{item_id}",
    }


def content_facet_partition(collection: str, facet: str, value: str) -> str:
    """GSI1 partition of the published items under one facet value."""
    return f"CONTENT#{collection}#FACET#{facet}#{value}"


def content_facet_entry(
    collection: str, facet: str, value: str, published_at: str, item_id: str
) -> IndexKey:
    """GSI1: published items under one facet value, by `publishedAt`."""
    return {
        GSI1.pk: content_facet_partition(collection, facet, value),
        GSI1.sk: f"{published_at}#{item_id}",
    }


def content_all_partition(collection: str) -> str:
    """GSI2 partition of every item of a collection."""
    return f"CONTENT#{collection}"


def content_all_entry(collection: str, updated_at: str, item_id: str) -> IndexKey:
    """GSI2: every item of a collection by `updatedAt` (the owner's `status=all`)."""
    return {GSI2.pk: content_all_partition(collection), GSI2.sk: f"{updated_at}#{item_id}"}


def content_slug_partition(collection: str, slug: str) -> str:
    """GSI3 partition of one slug."""
    return f"SLUG#{collection}#{slug}"


def content_slug_entry(collection: str, slug: str) -> IndexKey:
    """GSI3: the item holding a slug, or the redirect claim of a slug it held before."""
    return {GSI3.pk: content_slug_partition(collection, slug), GSI3.sk: "SLUG"}


def facet_counters(collection: str, facet: str) -> str:
    """The partition holding every counter of a facet."""
    return f"COUNTS#{collection}#{facet}"


def facet_counter(collection: str, facet: str, value: str) -> Key:
    """The published count of one facet value (blog categories)."""
    return {"PK": facet_counters(collection, facet), "SK": value}


# Idempotency records.


def idempotency_record(scope_digest: str) -> Key:
    """A stored first response, keyed by a digest of caller, route and `Idempotency-Key`."""
    return {"PK": f"IDEMPOTENCY#{scope_digest}", "SK": "RECORD"}

"""Every item type of the table, declared once (in the spirit of ElectroDB's entities).

A declaration says what a repository must know to write an item right: the `entity` tag it
stores, its key function (from `keys.py`), each index entry it writes and from which of its
attributes, the counters that only their own atomic updates move (a write of the whole state
must leave them alone, or increments are lost), and its TTL attribute. Repositories read these;
the index-entry builders below are the only place that turns an item's attributes into entries.

Each declaration also holds its formats as `keys.py` renders them from placeholders
(`USER#<sub>` / `PROFILE`): DYNAMODB-DESIGN.md is checked against them by a test, and the golden
key test pins the functions that render them.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from portfolio_api.db import keys
from portfolio_api.db.keys import GSI1, GSI2, GSI3, GSI4, TOP, Index, IndexKey, Key


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One index entry an entity writes, the attributes it is built from, and when it exists.

    `pattern` is the entry as `keys.py` renders it from placeholders, e.g.
    `{"GSI1PK": "USER#<sub>#TASKS#status#<status>", "GSI1SK": "<id>"}`.
    """

    index: Index
    pattern: Mapping[str, str]
    from_attributes: tuple[str, ...]
    when: str = "always"

    @property
    def partition(self) -> str:
        """The partition format this entry is found under: what an access pattern Queries."""
        return self.pattern[self.index.pk]


@dataclass(frozen=True, slots=True)
class Entity:
    """One item type: its stored tag, key, index entries, counters and TTL."""

    name: str  # as DYNAMODB-DESIGN.md names it
    tag: str  # the stored `entity` attribute; never change it (stored items carry it)
    key: Callable[..., Key]
    pattern: Key  # `key` rendered from placeholders: the documented format
    index_entries: tuple[IndexEntry, ...] = ()
    counters: frozenset[str] = field(default_factory=frozenset)
    ttl: str | None = None

    @property
    def not_written(self) -> frozenset[str]:
        """What a write of the item's whole state leaves alone: its key and its counters."""
        return frozenset({keys.PK, keys.SK}) | self.counters

    @property
    def ttl_attribute(self) -> str:
        """The attribute TTL deletes the item by (for an entity declared with one)."""
        if self.ttl is None:
            raise ValueError(f"{self.name} does not expire")
        return self.ttl

    def expiring(self, expires_at: int) -> dict[str, int]:
        """The TTL attribute of an item that expires at `expires_at` (epoch seconds)."""
        return {self.ttl_attribute: expires_at}

    @property
    def stamp(self) -> dict[str, str]:
        """The entity attribute every item of this type stores."""
        return {keys.ENTITY: self.tag}


_LISTED = "while the content is published (the product active)"


def _top_entry(scope: str) -> dict[str, str]:
    return {TOP.pk: keys.top_partition(scope), TOP.sk: "<views>"}


# Users and sessions.

USER_PROFILE = Entity("UserProfile", "UserProfile", keys.user_profile, keys.user_profile("<sub>"))
CLOSED_ACCOUNT = Entity(
    "ClosedAccount",
    "ClosedAccount",
    keys.account_closed,
    keys.account_closed("<sub>"),
    ttl=keys.TTL_ATTRIBUTE,
)
REVOKED_SESSION = Entity(
    "RevokedSession",
    "RevokedSession",
    keys.revoked_session,
    keys.revoked_session("<origin_jti>"),
    ttl=keys.TTL_ATTRIBUTE,
)
ENDED_SESSIONS = Entity(
    "EndedSessions",
    "EndedSessions",
    keys.ended_sessions,
    keys.ended_sessions("<sub>"),
    ttl=keys.TTL_ATTRIBUTE,
)

# Content.

CONTENT_ITEM = Entity(
    "ContentItem",
    "ContentItem",
    keys.content_item,
    keys.content_item("<c>", "<id>"),
    index_entries=(IndexEntry(GSI3, keys.content_slug_entry("<c>", "<slug>"), ("slug",)),),
    counters=frozenset({"views"}),
)
_STATUS_SORT = ("status", "publishedAt", "updatedAt", "id")
_FACET_SORT = ("<facet values>", *_STATUS_SORT)
CONTENT_LIST_ENTRY = Entity(
    "ContentListEntry",
    "ContentListEntry",
    keys.content_list_entry,
    keys.content_list_entry("<c>", "<id>", "<list>"),
    index_entries=(
        IndexEntry(
            GSI1,
            keys.content_status_entry("<c>", "published", "<publishedAt>", "<id>"),
            _STATUS_SORT,
            "LIST#status, published",
        ),
        IndexEntry(
            GSI1,
            keys.content_status_entry("<c>", "draft", "<updatedAt>", "<id>"),
            _STATUS_SORT,
            "LIST#status, draft",
        ),
        IndexEntry(
            GSI2,
            keys.content_all_entry("<c>", "<updatedAt>", "<id>"),
            ("updatedAt", "id"),
            "LIST#all",
        ),
        *(
            IndexEntry(
                index,
                {
                    name: value
                    for name, value in keys.content_facet_entry(
                        "<c>",
                        "<f>",
                        "<v>",
                        status=status,
                        status_sort=sort,
                        updated_at="<updatedAt>",
                        item_id="<id>",
                    ).items()
                    if name in (index.pk, index.sk)
                },
                _FACET_SORT,
                f"LIST#facet#<f>#<v>, {status}",
            )
            for status, sort in (("published", "<publishedAt>"), ("draft", "<updatedAt>"))
            for index in (GSI1, GSI2)
        ),
    ),
    counters=frozenset({"views"}),  # on the status and `all` entries; facet entries hold none
)
SLUG_CLAIM = Entity(
    "SlugClaim",
    "SlugClaim",
    keys.content_slug,
    keys.content_slug("<c>", "<slug>"),
    index_entries=(
        IndexEntry(GSI3, keys.content_slug_entry("<c>", "<slug>"), ("slug",), "a redirect"),
        IndexEntry(
            GSI1,
            keys.content_redirect_entry("<c>", "<itemId>", "<slug>"),
            ("itemId", "slug"),
            "a redirect",
        ),
    ),
)
FACET_COUNTER = Entity(
    "FacetCounter",
    "FacetCounter",
    keys.facet_counter,
    keys.facet_counter("<c>", "<f>", "<value, case-folded>"),
    counters=frozenset({"count", "drafts"}),
)

# Tasks and products.

TASK = Entity(
    "Task",
    "Task",
    keys.task,
    keys.task("<sub>", "<id>"),
    index_entries=(
        IndexEntry(
            GSI1,
            {GSI1.pk: keys.task_status_partition("<sub>", "<status>"), GSI1.sk: "<id>"},
            ("status", "id"),
        ),
        IndexEntry(
            GSI2,
            {GSI2.pk: keys.task_priority_partition("<sub>", "<priority>"), GSI2.sk: "<id>"},
            ("priority", "id"),
        ),
        IndexEntry(
            GSI3,
            {GSI3.pk: keys.task_due_partition("<sub>"), GSI3.sk: "<dueDate>#<id>"},
            ("dueDate", "id"),
            "with a due date",
        ),
    ),
)
_PRODUCT_ALL = keys.product_entries("<listOrder>", "<category, case-folded>", active=False)
_PRODUCT_ACTIVE = keys.product_entries("<listOrder>", "<category, case-folded>", active=True)
PRODUCT = Entity(
    "Product",
    "Product",
    keys.product,
    keys.product("<id>"),
    index_entries=(
        IndexEntry(
            GSI1,
            {i: _PRODUCT_ACTIVE[i] for i in (GSI1.pk, GSI1.sk)},
            ("active", "listOrder"),
            "active",
        ),
        IndexEntry(GSI2, {i: _PRODUCT_ALL[i] for i in (GSI2.pk, GSI2.sk)}, ("listOrder",)),
        IndexEntry(
            GSI3,
            {i: _PRODUCT_ACTIVE[i] for i in (GSI3.pk, GSI3.sk)},
            ("active", "category", "listOrder"),
            "active",
        ),
        IndexEntry(
            GSI4, {i: _PRODUCT_ALL[i] for i in (GSI4.pk, GSI4.sk)}, ("category", "listOrder")
        ),
    ),
    # `stock` moves only by its own conditional delta (or when the owner sets it outright).
    counters=frozenset({"stock", "views"}),
)

# Analytics: salts and markers expire with their day; counters move only by ADD.

DAILY_SALT = Entity(
    "DailySalt", "DailySalt", keys.daily_salt, keys.daily_salt("<day>"), ttl=keys.TTL_ATTRIBUTE
)
VISIT_MARKER = Entity(
    "visit marker",
    "DedupMarker",
    keys.visit_marker,
    keys.visit_marker("<day>", "<visit hash>"),
    ttl=keys.TTL_ATTRIBUTE,
)
VIEW_MARKER = Entity(
    "view marker",
    "DedupMarker",
    keys.view_marker,
    keys.view_marker("<day>", "<type>", "<id>", "<view hash>"),
    ttl=keys.TTL_ATTRIBUTE,
)
COUNTER = Entity(
    "Counter",
    "Counter",
    keys.counter,
    keys.counter("<series>", "<bucket>"),
    counters=frozenset({"count"}),
)
VIEW_COUNTER = Entity(
    "view counter (top lists)",
    "Counter",  # the tag it was first stored with, shared with the series counters
    keys.content_views,
    keys.content_views("<type>", "<id>", "all"),
    index_entries=(
        IndexEntry(TOP, _top_entry("all"), ("listed",), _LISTED),
        IndexEntry(TOP, _top_entry("<type>"), ("listed",), _LISTED),
    ),
    counters=frozenset({TOP.sk}),
)

IDEMPOTENCY_RECORD = Entity(
    "IdempotencyRecord",
    "IdempotencyRecord",
    keys.idempotency_record,
    keys.idempotency_record("<HMAC of caller, method, route and key>"),
    ttl=keys.TTL_ATTRIBUTE,
)

ALL_ENTITIES = (
    USER_PROFILE,
    CLOSED_ACCOUNT,
    REVOKED_SESSION,
    ENDED_SESSIONS,
    CONTENT_ITEM,
    CONTENT_LIST_ENTRY,
    SLUG_CLAIM,
    FACET_COUNTER,
    TASK,
    PRODUCT,
    DAILY_SALT,
    VISIT_MARKER,
    VIEW_MARKER,
    COUNTER,
    VIEW_COUNTER,
    IDEMPOTENCY_RECORD,
)


# The index-entry builders: an item's attributes → the entries it writes (as declared above).


def content_item_entries(collection: str, state: Mapping[str, Any]) -> IndexKey:
    """A content item is found by its slug (GSI3)."""
    return keys.content_slug_entry(collection, str(state["slug"]))


STATUS_LIST = "status"
ALL_LIST = "all"
FACET_LIST = "facet#"  # the list name prefix of facet entries


def content_list_entries(
    collection: str, state: Mapping[str, Any], facet_values: Mapping[str, Iterable[str]]
) -> dict[str, IndexKey]:
    """The lists a content state belongs to (list name → its entry's index keys).

    Its status list sorts published items by `publishedAt`, drafts by `updatedAt`; the owner's
    `all` list by `updatedAt`; one facet entry per value of each facet (`facet_values`:
    facet → the state's case-folded values), in both of those orders.
    """
    item_id, status, updated_at = str(state["id"]), str(state["status"]), str(state["updatedAt"])
    sort_value = str(state["publishedAt"]) if status == "published" else updated_at
    entries = {
        STATUS_LIST: keys.content_status_entry(collection, status, sort_value, item_id),
        ALL_LIST: keys.content_all_entry(collection, updated_at, item_id),
    }
    for facet, values in facet_values.items():
        for value in values:
            entries[f"{FACET_LIST}{facet}#{value}"] = keys.content_facet_entry(
                collection,
                facet,
                value,
                status=status,
                status_sort=sort_value,
                updated_at=updated_at,
                item_id=item_id,
            )
    return entries


def task_entries(sub: str, state: Mapping[str, Any]) -> IndexKey:
    """A task's lists: by status, by priority, and by due date when it has one."""
    return keys.task_entries(
        sub, str(state["id"]), str(state["status"]), str(state["priority"]), state.get("dueDate")
    )


def product_entries(state: Mapping[str, Any]) -> IndexKey:
    """A product's lists: all and by category always, the active ones only while active."""
    return keys.product_entries(
        str(state["listOrder"]), product_category(str(state["category"])), bool(state["active"])
    )


def product_category(category: str) -> str:
    """A category as its keys hold it: case-folded, so `?category=` matches any spelling."""
    return category.strip().lower()

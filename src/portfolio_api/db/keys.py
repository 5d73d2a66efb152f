"""Every key format of the single table: one small pure function per item type and index entry.

This module is the only place a key string is formatted. Each item type has one small pure
function returning its primary key; index keys are built here too. Every item also stores an
`entity` attribute naming its type, so a Query over mixed items can be read back safely.

Each item type is declared once in `db/entities.py` (its entity tag, this module's key
function, the index entries it writes and from which attributes, its counters, its TTL). The
access-pattern table is DYNAMODB-DESIGN.md's "Access patterns"; a test checks it against the
declarations, and a golden test pins every function here, so a changed format, which would
strand stored data, fails a test.
"""

import hashlib
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
GSI4 = Index("GSI4", "GSI4PK", "GSI4SK")
TOP = Index("TopViews", "TopPK", "TopViews")  # sparse; its sort key is a number (view counts)
ALL_INDEXES = (GSI1, GSI2, GSI3, GSI4, TOP)
NUMERIC_SORT_KEYS = frozenset({TOP.sk})

IndexKey = dict[str, str]


def user_profile(sub: str) -> Key:
    """A user's profile; `sub` is Cognito's immutable user id, never the e-mail."""
    return {"PK": f"USER#{sub}", "SK": "PROFILE"}


def account_closed(sub: str) -> Key:
    """The marker of a deleted user: while it stands, nothing new is written for `sub`."""
    return {"PK": f"USER#{sub}", "SK": "CLOSED"}


# Content: the item, its list entries, slug claims and counted facets.


def content_item(collection: str, item_id: str) -> Key:
    """A content item; its list entries share the partition."""
    return {"PK": f"CONTENT#{collection}#{item_id}", "SK": "ITEM"}


def content_list_entry(collection: str, item_id: str, list_name: str) -> Key:
    """A content item's entry in one list (`status`, `all` or `facet#<f>#<v>`).

    Entries are light copies (no long Markdown body) in the item's partition; the lists read
    them through an index, so a page never carries 200 KB bodies.
    """
    return {"PK": f"CONTENT#{collection}#{item_id}", "SK": f"LIST#{list_name}"}


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


def content_facet_partition(collection: str, facet: str, value: str, status: str) -> str:
    """The partition of the items under one facet value in one list (`published|draft|all`).

    `published` keeps the layout it had before drafts could be filtered (GSI1); `all` reads the
    same string in GSI2. The value comes last, so a value holding `#` cannot collide.
    """
    if status == "draft":
        return f"CONTENT#{collection}#draft#FACET#{facet}#{value}"
    if status not in ("published", "all"):
        raise ValueError(f"no facet list for status {status!r}")
    return f"CONTENT#{collection}#FACET#{facet}#{value}"


def content_facet_entry(
    collection: str,
    facet: str,
    value: str,
    *,
    status: str,
    status_sort: str,
    updated_at: str,
    item_id: str,
) -> IndexKey:
    """GSI1: the item under one facet value in its status list, ordered as that list;
    GSI2: the same in the owner's `all` list, by `updatedAt`."""
    return {
        GSI1.pk: content_facet_partition(collection, facet, value, status),
        GSI1.sk: f"{status_sort}#{item_id}",
        GSI2.pk: content_facet_partition(collection, facet, value, "all"),
        GSI2.sk: f"{updated_at}#{item_id}",
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


def content_slug_parts(partition_key: str) -> tuple[str, str]:
    """The collection and slug of a slug claim's `PK` (`content_slug` read backwards)."""
    _prefix, collection, slug = partition_key.split("#", 2)
    return collection, slug


def content_redirects_partition(collection: str, item_id: str) -> str:
    """GSI1 partition of the slugs an item held before (its redirects)."""
    return f"REDIRECTS#{collection}#{item_id}"


def content_redirect_entry(collection: str, item_id: str, slug: str) -> IndexKey:
    """GSI1: a redirect claim under the item it points to, so an item's former slugs are one
    Query (an export carries them). A claim taken over or reclaimed is put whole, without it."""
    return {GSI1.pk: content_redirects_partition(collection, item_id), GSI1.sk: slug}


def facet_counters(collection: str, facet: str) -> str:
    """The partition holding every counter of a facet."""
    return f"COUNTS#{collection}#{facet}"


def facet_counter(collection: str, facet: str, value: str) -> Key:
    """The counts of one facet value: published (`count`) and drafts (`drafts`)."""
    return {"PK": facet_counters(collection, facet), "SK": value}


# Tasks: in their owner's partition, so another user's task cannot even be addressed.


def task(sub: str, task_id: str) -> Key:
    """A task of one user; ids are time-ordered, so the partition reads newest first."""
    return {"PK": f"USER#{sub}", "SK": f"TASK#{task_id}"}


TASK_PREFIX = "TASK#"


def user_partition(sub: str) -> str:
    """A user's partition: the profile and the user's tasks."""
    return f"USER#{sub}"


def task_status_partition(sub: str, status: str) -> str:
    """GSI1 partition of a user's tasks in one status."""
    return f"USER#{sub}#TASKS#status#{status}"


def task_priority_partition(sub: str, priority: str) -> str:
    """GSI2 partition of a user's tasks of one priority."""
    return f"USER#{sub}#TASKS#priority#{priority}"


def task_due_partition(sub: str) -> str:
    """GSI3 partition of a user's tasks that have a due date."""
    return f"USER#{sub}#TASKS#due"


def task_entries(sub: str, task_id: str, status: str, priority: str, due: str | None) -> IndexKey:
    """A task's index entries: by status and priority (newest first), by due date if any."""
    entries = {
        GSI1.pk: task_status_partition(sub, status),
        GSI1.sk: task_id,
        GSI2.pk: task_priority_partition(sub, priority),
        GSI2.sk: task_id,
    }
    if due:
        entries |= {GSI3.pk: task_due_partition(sub), GSI3.sk: f"{due}#{task_id}"}
    return entries


# Products: one item each; four sparse or full index entries serve the four lists.

ACTIVE_PRODUCTS = "PRODUCTS#active"
ALL_PRODUCTS = "PRODUCTS#all"


def product(product_id: str) -> Key:
    """A product by its id (client-chosen like `PROD001`, or generated)."""
    return {"PK": f"PRODUCT#{product_id}", "SK": "PRODUCT"}


def product_category_partition(category: str, *, active_only: bool) -> str:
    """Index partition of one category's products: active ones (GSI3) or all (GSI4)."""
    return f"{ACTIVE_PRODUCTS if active_only else ALL_PRODUCTS}#category#{category}"


def product_entries(list_order: str, category: str, active: bool) -> IndexKey:
    """GSI2/GSI4 list every product (by category); GSI1/GSI3 only the active ones.

    `list_order` is a time-ordered id made at creation, so lists read newest first even for
    products created within the same second under client-chosen ids.
    """
    sort = list_order
    entries = {
        GSI2.pk: ALL_PRODUCTS,
        GSI2.sk: sort,
        GSI4.pk: product_category_partition(category, active_only=False),
        GSI4.sk: sort,
    }
    if active:
        entries |= {
            GSI1.pk: ACTIVE_PRODUCTS,
            GSI1.sk: sort,
            GSI3.pk: product_category_partition(category, active_only=True),
            GSI3.sk: sort,
        }
    return entries


# Analytics: the day's salt, dedup markers, and counters that only ever move by ADD.


def daily_salt(day: str) -> Key:
    """The random salt of one UTC day (`YYYY-MM-DD`), expiring after it."""
    return {"PK": f"SALT#{day}", "SK": "SALT"}


def visit_marker(day: str, visitor: str) -> Key:
    """Marks a visitor (a salted hash) as counted for a day."""
    return {"PK": f"VISITED#{day}#{visitor}", "SK": "MARKER"}


def view_marker(day: str, content_type: str, content_id: str, visitor: str) -> Key:
    """Marks a visitor as having viewed one piece of content on a day."""
    return {"PK": f"VIEWED#{day}#{content_type}#{content_id}#{visitor}", "SK": "MARKER"}


def counter(series: str, bucket: str) -> Key:
    """One counter of a series: `visitors`/`TOTAL`, `visitors#daily`/`<day>`, …"""
    return {"PK": f"STATS#{series}", "SK": bucket}


def counter_series(series: str) -> str:
    """The partition holding a series' counters (one Query reads a range of them)."""
    return f"STATS#{series}"


# The counter series. Their names are part of the stored keys: never change one.
VISITORS = "visitors"  # bucket TOTAL
VISITORS_DAILY = "visitors#daily"  # bucket <day>
VISITORS_MONTHLY = "visitors#monthly"  # bucket <YYYY-MM>
VIEWS = "views"  # bucket TOTAL
VIEWS_DAILY = "views#daily"  # bucket <day>
TOTAL = "TOTAL"


def item_views_series(content_type: str, content_id: str) -> str:
    """The series of one item's views per day."""
    return f"views#{content_type}#{content_id}#daily"


def paths_series(day: str) -> str:
    """The series of one day's visited paths (labelled counters)."""
    return f"paths#{day}"


def referrers_series(day: str) -> str:
    """The series of one day's referring hosts (labelled counters)."""
    return f"referrers#{day}"


def labelled_counter(series: str, text: str) -> Key:
    """A counter of free text (a path, a host), keyed by a digest: the text may exceed key
    limits, so it is stored as the counter's `label`."""
    return counter(series, hashlib.sha256(text.encode()).hexdigest()[:32])


def content_views(content_type: str, content_id: str, scope: str) -> Key:
    """A content item's view counter in the top list `scope` (`all` or its type)."""
    return {"PK": f"VIEWS#{content_type}#{content_id}", "SK": f"TOP#{scope}"}


def top_partition(scope: str) -> str:
    """TopViews partition of one top list: `all`, or a content type."""
    return f"TOP#{scope}"


# Idempotency records.


def idempotency_record(scope_digest: str) -> Key:
    """A stored first response, keyed by a digest of caller, route and `Idempotency-Key`."""
    return {"PK": f"IDEMPOTENCY#{scope_digest}", "SK": "RECORD"}


# Revocations: outside the user's partition, so a purge of the user's data leaves them standing.


def revoked_session(session_id: str) -> Key:
    """A signed-out session: every token carrying this `origin_jti` is refused until it expires."""
    return {"PK": f"REVOKED#SESSION#{session_id}", "SK": "REVOKED"}


def ended_sessions(sub: str) -> Key:
    """The cut-off of a user's sessions: tokens of sessions begun before it are refused."""
    return {"PK": f"REVOKED#USER#{sub}", "SK": "REVOKED"}

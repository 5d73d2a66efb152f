"""Golden key strings, the table definition, and exact (de)serialisation. No network."""

import decimal
import inspect
from collections.abc import Callable
from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from portfolio_api.db import entities, keys
from portfolio_api.db.codec import from_attribute, to_attribute
from portfolio_api.db.table import create_table_arguments, key_attributes
from portfolio_api.repositories.base import deserialize, serialize

# --- golden keys: every format, as stored. A change here strands stored data. ----------------

KEY_FORMATS: dict[str, tuple[Callable[[], object], object]] = {
    "user_profile": (
        lambda: keys.user_profile("1234-abcd"),
        {"PK": "USER#1234-abcd", "SK": "PROFILE"},
    ),
    "account_closed": (
        lambda: keys.account_closed("1234-abcd"),
        {"PK": "USER#1234-abcd", "SK": "CLOSED"},
    ),
    "user_partition": (lambda: keys.user_partition("1234-abcd"), "USER#1234-abcd"),
    "revoked_session": (
        lambda: keys.revoked_session("jti-1"),
        {"PK": "REVOKED#SESSION#jti-1", "SK": "REVOKED"},
    ),
    "ended_sessions": (
        lambda: keys.ended_sessions("1234-abcd"),
        {"PK": "REVOKED#USER#1234-abcd", "SK": "REVOKED"},
    ),
    "content_item": (
        lambda: keys.content_item("blog", "01KAB"),
        {"PK": "CONTENT#blog#01KAB", "SK": "ITEM"},
    ),
    "content_list_entry": (
        lambda: keys.content_list_entry("blog", "01KAB", "facet#tag#aws"),
        {"PK": "CONTENT#blog#01KAB", "SK": "LIST#facet#tag#aws"},
    ),
    "content_slug": (
        lambda: keys.content_slug("blog", "hello-world"),
        {"PK": "SLUG#blog#hello-world", "SK": "SLUG"},
    ),
    "content_status_partition": (
        lambda: keys.content_status_partition("blog", "draft"),
        "CONTENT#blog#draft",
    ),
    "content_status_entry": (
        lambda: keys.content_status_entry("blog", "published", "2026-11-21T10:00:00Z", "01KAB"),
        {"GSI1PK": "CONTENT#blog#published", "GSI1SK": "2026-11-21T10:00:00Z#01KAB"},
    ),
    "content_facet_partition": (
        lambda: [
            keys.content_facet_partition("blog", "tag", "c#", status)
            for status in ("published", "draft", "all")
        ],
        [
            "CONTENT#blog#FACET#tag#c#",
            "CONTENT#blog#draft#FACET#tag#c#",
            "CONTENT#blog#FACET#tag#c#",
        ],
    ),
    "content_facet_entry": (
        lambda: [
            keys.content_facet_entry(
                "project",
                "tech",
                "python",
                status=status,
                status_sort="S",
                updated_at="U",
                item_id="01KAB",
            )
            for status in ("published", "draft")
        ],
        [
            {
                "GSI1PK": "CONTENT#project#FACET#tech#python",
                "GSI1SK": "S#01KAB",
                "GSI2PK": "CONTENT#project#FACET#tech#python",
                "GSI2SK": "U#01KAB",
            },
            {
                "GSI1PK": "CONTENT#project#draft#FACET#tech#python",
                "GSI1SK": "S#01KAB",
                "GSI2PK": "CONTENT#project#FACET#tech#python",
                "GSI2SK": "U#01KAB",
            },
        ],
    ),
    "content_all_partition": (lambda: keys.content_all_partition("blog"), "CONTENT#blog"),
    "content_all_entry": (
        lambda: keys.content_all_entry("blog", "U", "01KAB"),
        {"GSI2PK": "CONTENT#blog", "GSI2SK": "U#01KAB"},
    ),
    "content_slug_partition": (
        lambda: keys.content_slug_partition("blog", "hello"),
        "SLUG#blog#hello",
    ),
    "content_slug_entry": (
        lambda: keys.content_slug_entry("blog", "hello"),
        {"GSI3PK": "SLUG#blog#hello", "GSI3SK": "SLUG"},
    ),
    "content_slug_parts": (
        lambda: keys.content_slug_parts(keys.content_slug("blog", "hello-world")["PK"]),
        ("blog", "hello-world"),
    ),
    "content_redirects_partition": (
        lambda: keys.content_redirects_partition("blog", "01KAB"),
        "REDIRECTS#blog#01KAB",
    ),
    "content_redirect_entry": (
        lambda: keys.content_redirect_entry("blog", "01KAB", "old-name"),
        {"GSI1PK": "REDIRECTS#blog#01KAB", "GSI1SK": "old-name"},
    ),
    "facet_counters": (lambda: keys.facet_counters("blog", "category"), "COUNTS#blog#category"),
    "facet_counter": (
        lambda: keys.facet_counter("blog", "category", "news"),
        {"PK": "COUNTS#blog#category", "SK": "news"},
    ),
    "task": (lambda: keys.task("u1", "01T"), {"PK": "USER#u1", "SK": "TASK#01T"}),
    "task_status_partition": (
        lambda: keys.task_status_partition("u1", "done"),
        "USER#u1#TASKS#status#done",
    ),
    "task_priority_partition": (
        lambda: keys.task_priority_partition("u1", "high"),
        "USER#u1#TASKS#priority#high",
    ),
    "task_due_partition": (lambda: keys.task_due_partition("u1"), "USER#u1#TASKS#due"),
    "task_entries": (
        lambda: [
            keys.task_entries("u1", "01T", "todo", "low", due) for due in ("2026-12-01", None)
        ],
        [
            {
                "GSI1PK": "USER#u1#TASKS#status#todo",
                "GSI1SK": "01T",
                "GSI2PK": "USER#u1#TASKS#priority#low",
                "GSI2SK": "01T",
                "GSI3PK": "USER#u1#TASKS#due",
                "GSI3SK": "2026-12-01#01T",
            },
            {
                "GSI1PK": "USER#u1#TASKS#status#todo",
                "GSI1SK": "01T",
                "GSI2PK": "USER#u1#TASKS#priority#low",
                "GSI2SK": "01T",
            },
        ],
    ),
    "product": (lambda: keys.product("PROD001"), {"PK": "PRODUCT#PROD001", "SK": "PRODUCT"}),
    "product_category_partition": (
        lambda: [
            keys.product_category_partition("tools", active_only=active) for active in (True, False)
        ],
        ["PRODUCTS#active#category#tools", "PRODUCTS#all#category#tools"],
    ),
    "product_entries": (
        lambda: [keys.product_entries("01P", "tools", active) for active in (True, False)],
        [
            {
                "GSI2PK": "PRODUCTS#all",
                "GSI2SK": "01P",
                "GSI4PK": "PRODUCTS#all#category#tools",
                "GSI4SK": "01P",
                "GSI1PK": "PRODUCTS#active",
                "GSI1SK": "01P",
                "GSI3PK": "PRODUCTS#active#category#tools",
                "GSI3SK": "01P",
            },
            {
                "GSI2PK": "PRODUCTS#all",
                "GSI2SK": "01P",
                "GSI4PK": "PRODUCTS#all#category#tools",
                "GSI4SK": "01P",
            },
        ],
    ),
    "daily_salt": (lambda: keys.daily_salt("2026-11-21"), {"PK": "SALT#2026-11-21", "SK": "SALT"}),
    "visit_marker": (
        lambda: keys.visit_marker("2026-11-21", "abc"),
        {"PK": "VISITED#2026-11-21#abc", "SK": "MARKER"},
    ),
    "view_marker": (
        lambda: keys.view_marker("2026-11-21", "blog", "01KAB", "abc"),
        {"PK": "VIEWED#2026-11-21#blog#01KAB#abc", "SK": "MARKER"},
    ),
    "counter": (
        lambda: [
            keys.counter(keys.VISITORS, keys.TOTAL),
            keys.counter(keys.VISITORS_DAILY, "2026-11-21"),
            keys.counter(keys.VISITORS_MONTHLY, "2026-11"),
            keys.counter(keys.VIEWS, keys.TOTAL),
            keys.counter(keys.VIEWS_DAILY, "2026-11-21"),
        ],
        [
            {"PK": "STATS#visitors", "SK": "TOTAL"},
            {"PK": "STATS#visitors#daily", "SK": "2026-11-21"},
            {"PK": "STATS#visitors#monthly", "SK": "2026-11"},
            {"PK": "STATS#views", "SK": "TOTAL"},
            {"PK": "STATS#views#daily", "SK": "2026-11-21"},
        ],
    ),
    "counter_series": (lambda: keys.counter_series("visitors#daily"), "STATS#visitors#daily"),
    "item_views_series": (
        lambda: keys.item_views_series("blog", "01KAB"),
        "views#blog#01KAB#daily",
    ),
    "paths_series": (lambda: keys.paths_series("2026-11-21"), "paths#2026-11-21"),
    "referrers_series": (lambda: keys.referrers_series("2026-11-21"), "referrers#2026-11-21"),
    "labelled_counter": (
        lambda: [
            keys.labelled_counter("paths#2026-11-21", "/blog/hello"),
            keys.labelled_counter("referrers#2026-11-21", "example.com"),
        ],
        [
            {"PK": "STATS#paths#2026-11-21", "SK": "5c614a9a9b467a45cd4929b8f1d98cf0"},
            {"PK": "STATS#referrers#2026-11-21", "SK": "a379a6f6eeafb9a55e378c118034e275"},
        ],
    ),
    "content_views": (
        lambda: [keys.content_views("blog", "01KAB", scope) for scope in ("all", "blog")],
        [
            {"PK": "VIEWS#blog#01KAB", "SK": "TOP#all"},
            {"PK": "VIEWS#blog#01KAB", "SK": "TOP#blog"},
        ],
    ),
    "top_partition": (lambda: keys.top_partition("product"), "TOP#product"),
    "idempotency_record": (
        lambda: keys.idempotency_record("d1g"),
        {"PK": "IDEMPOTENCY#d1g", "SK": "RECORD"},
    ),
    # The index-entry builders: an item's attributes → its entries.
    "entities.content_item_entries": (
        lambda: entities.content_item_entries("blog", {"slug": "hello"}),
        {"GSI3PK": "SLUG#blog#hello", "GSI3SK": "SLUG"},
    ),
    "entities.content_list_entries": (
        lambda: entities.content_list_entries(
            "blog",
            {"id": "01KAB", "status": "published", "publishedAt": "P", "updatedAt": "U"},
            {"category": ["news"]},
        ),
        {
            "status": {"GSI1PK": "CONTENT#blog#published", "GSI1SK": "P#01KAB"},
            "all": {"GSI2PK": "CONTENT#blog", "GSI2SK": "U#01KAB"},
            "facet#category#news": {
                "GSI1PK": "CONTENT#blog#FACET#category#news",
                "GSI1SK": "P#01KAB",
                "GSI2PK": "CONTENT#blog#FACET#category#news",
                "GSI2SK": "U#01KAB",
            },
        },
    ),
    "entities.task_entries": (
        lambda: entities.task_entries("u1", {"id": "01T", "status": "todo", "priority": "low"}),
        {
            "GSI1PK": "USER#u1#TASKS#status#todo",
            "GSI1SK": "01T",
            "GSI2PK": "USER#u1#TASKS#priority#low",
            "GSI2SK": "01T",
        },
    ),
    "entities.product_entries": (
        lambda: entities.product_entries(
            {"listOrder": "01P", "category": " Tools ", "active": False}
        ),
        {
            "GSI2PK": "PRODUCTS#all",
            "GSI2SK": "01P",
            "GSI4PK": "PRODUCTS#all#category#tools",
            "GSI4SK": "01P",
        },
    ),
    "entities.product_category": (lambda: entities.product_category(" Tools "), "tools"),
}

NAMES = {
    "attribute names": (
        [keys.PK, keys.SK, keys.ENTITY, keys.VERSION, keys.TTL_ATTRIBUTE],
        ["PK", "SK", "entity", "version", "expiresAt"],
    ),
    "indexes": (
        [(i.name, i.pk, i.sk) for i in keys.ALL_INDEXES],
        [
            ("GSI1", "GSI1PK", "GSI1SK"),
            ("GSI2", "GSI2PK", "GSI2SK"),
            ("GSI3", "GSI3PK", "GSI3SK"),
            ("GSI4", "GSI4PK", "GSI4SK"),
            ("TopViews", "TopPK", "TopViews"),
        ],
    ),
    "constants": (
        [keys.TASK_PREFIX, keys.ACTIVE_PRODUCTS, keys.ALL_PRODUCTS, keys.TOTAL],
        ["TASK#", "PRODUCTS#active", "PRODUCTS#all", "TOTAL"],
    ),
    "entity tags": (
        [e.tag for e in entities.ALL_ENTITIES],
        [
            "UserProfile",
            "ClosedAccount",
            "RevokedSession",
            "EndedSessions",
            "ContentItem",
            "ContentListEntry",
            "SlugClaim",
            "FacetCounter",
            "Task",
            "Product",
            "DailySalt",
            "DedupMarker",
            "DedupMarker",
            "Counter",
            "Counter",
            "IdempotencyRecord",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(KEY_FORMATS))
def test_every_key_format_is_golden(name: str) -> None:
    build, expected = KEY_FORMATS[name]
    assert build() == expected


@pytest.mark.parametrize("name", sorted(NAMES))
def test_stored_names_are_golden(name: str) -> None:
    actual, expected = NAMES[name]
    assert actual == expected


def test_every_key_function_has_a_golden_case() -> None:
    """A new key function (or index-entry builder) must be pinned above before it ships."""
    functions = {
        f"{prefix}{name}"
        for prefix, module in (("", keys), ("entities.", entities))
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__
        if not name.startswith("_")
    }
    assert functions == set(KEY_FORMATS)


def test_a_facet_list_exists_only_for_published_draft_and_all() -> None:
    with pytest.raises(ValueError, match="no facet list"):
        keys.content_facet_partition("blog", "tag", "aws", "archived")


def test_every_index_key_is_declared_as_a_string_attribute() -> None:
    arguments = create_table_arguments("t")
    declared = {a["AttributeName"]: a["AttributeType"] for a in arguments["AttributeDefinitions"]}
    assert set(declared) == set(key_attributes())
    assert {n for n, t in declared.items() if t == "N"} == {keys.TOP.sk}  # view counts
    index_names = [index["IndexName"] for index in arguments["GlobalSecondaryIndexes"]]
    assert index_names == [index.name for index in keys.ALL_INDEXES]


def test_numbers_round_trip_exactly() -> None:
    item = {"price": Decimal("19.99"), "small": Decimal("0.10"), "count": 3}
    restored = deserialize(serialize(item))
    assert restored["price"] == Decimal("19.99")
    assert str(restored["small"]) == "0.10"
    assert restored["count"] == 3


def test_floats_become_their_shortest_decimal() -> None:
    assert serialize({"ratio": 0.1})["ratio"] == {"N": "0.1"}


def test_none_attributes_are_left_out() -> None:
    assert serialize({"a": "x", "b": None}) == {"a": {"S": "x"}}


# --- the codec against boto3's (the rules it replaces) ----------------------------------------

CODEC_CASES = [
    "text",
    "",
    0,
    -7,
    10**37,
    Decimal("19.99"),
    Decimal("0.10"),
    Decimal("-0.5"),
    Decimal("1E+2"),
    True,
    False,
    None,
    b"\x00\xff",
    ["a", 1, None, [True]],
    {"nested": {"price": Decimal("1.5"), "tags": ["x"]}},
    {"a", "b"},
    {1, Decimal("2.5")},
    {b"x", b"y"},
]


def _case_id(value: object) -> str:
    """The case's repr, with a set's members in a fixed order: ids must not change between runs
    (or between the processes of a parallel run, which must collect the same tests)."""
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(map(repr, value))) + "}"
    return repr(value)


@pytest.mark.parametrize("value", CODEC_CASES, ids=_case_id)
def test_values_serialise_as_boto3_serialises_them(value: object) -> None:
    ours, theirs = to_attribute(value), TypeSerializer().serialize(value)
    if "SS" in ours or "NS" in ours or "BS" in ours:  # sets: the same members, in any order
        ((kind, members),) = ours.items()
        assert sorted(members) == sorted(theirs[kind])
    else:
        assert ours == theirs


@pytest.mark.parametrize("value", CODEC_CASES, ids=_case_id)
def test_values_read_back_as_boto3_reads_them(value: object) -> None:
    attribute = TypeSerializer().serialize(value)
    theirs = TypeDeserializer().deserialize(attribute)
    ours = from_attribute(attribute)
    if isinstance(theirs, Binary):
        assert ours == theirs.value
    elif isinstance(theirs, set) and theirs and isinstance(next(iter(theirs)), Binary):
        assert ours == {member.value for member in theirs}
    else:
        assert ours == theirs
        assert type(ours) is type(theirs)


@pytest.mark.parametrize(
    "value", [Decimal("1" * 39), Decimal("1E+200"), Decimal("NaN"), Decimal("Infinity"), 0.5]
)
def test_numbers_dynamodb_cannot_hold_exactly_are_refused(value: object) -> None:
    with pytest.raises((TypeError, decimal.Inexact, decimal.Rounded, decimal.Overflow)):
        to_attribute(value)


def test_an_attribute_has_exactly_one_type() -> None:
    with pytest.raises(TypeError):
        from_attribute({"S": "a", "N": "1"})
    with pytest.raises(TypeError):
        from_attribute({"X": "unknown"})

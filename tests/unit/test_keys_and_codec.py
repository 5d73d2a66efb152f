"""Golden key strings, the table definition, and exact (de)serialisation. No network."""

import decimal
from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from portfolio_api.db import keys
from portfolio_api.db.codec import from_attribute, to_attribute
from portfolio_api.db.table import create_table_arguments, key_attributes
from portfolio_api.repositories.base import deserialize, serialize


def test_profile_key_is_golden() -> None:
    assert keys.user_profile("1234-abcd") == {"PK": "USER#1234-abcd", "SK": "PROFILE"}


def test_revocation_keys_are_golden() -> None:
    assert keys.revoked_session("jti-1") == {"PK": "REVOKED#SESSION#jti-1", "SK": "REVOKED"}
    assert keys.ended_sessions("1234-abcd") == {"PK": "REVOKED#USER#1234-abcd", "SK": "REVOKED"}


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


@pytest.mark.parametrize("value", CODEC_CASES, ids=repr)
def test_values_serialise_as_boto3_serialises_them(value: object) -> None:
    ours, theirs = to_attribute(value), TypeSerializer().serialize(value)
    if "SS" in ours or "NS" in ours or "BS" in ours:  # sets: the same members, in any order
        ((kind, members),) = ours.items()
        assert sorted(members) == sorted(theirs[kind])
    else:
        assert ours == theirs


@pytest.mark.parametrize("value", CODEC_CASES, ids=repr)
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

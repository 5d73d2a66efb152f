"""Golden key strings, the table definition, and exact (de)serialisation. No network."""

from decimal import Decimal

from portfolio_api.db import keys
from portfolio_api.db.table import create_table_arguments, key_attributes
from portfolio_api.repositories.base import deserialize, serialize


def test_profile_key_is_golden() -> None:
    assert keys.user_profile("1234-abcd") == {"PK": "USER#1234-abcd", "SK": "PROFILE"}


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

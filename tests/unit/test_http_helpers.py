"""Small pure helpers of the HTTP layer."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from portfolio_api.core.errors import PreconditionFailed
from portfolio_api.core.etag import etag_for, parse_if_match
from portfolio_api.core.exact_json import dumps_exact, wire_form
from portfolio_api.core.validation import field_name
from portfolio_api.schemas.common import ApiModel


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (("body", "title"), "title"),
        (("body", "tags", 2), "tags[2]"),
        (("body", "author", "name"), "author.name"),
        (("query", "limit"), "limit"),
        (("body",), "body"),
    ],
)
def test_field_names_read_as_the_client_wrote_them(
    location: tuple[str | int, ...], expected: str
) -> None:
    assert field_name(location) == expected


@pytest.mark.parametrize(("header", "version"), [(None, None), ("*", None), ('"3"', 3), ("12", 12)])
def test_if_match_names_a_version(header: str | None, version: int | None) -> None:
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ['"abc"', '"-1"', '"1", "2"', 'W/"7"'])
def test_if_match_junk_never_matches(header: str) -> None:
    with pytest.raises(PreconditionFailed):
        parse_if_match(header)


def test_etag_quotes_the_version() -> None:
    assert etag_for(5) == '"5"'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("5"), "5"),
        (Decimal("-5"), "-5"),
        (Decimal("0"), "0"),
        (Decimal("-0"), "-0"),
        (Decimal("0.10"), "0.10"),
        (Decimal("19.99"), "19.99"),
        (Decimal("-0.0"), "-0.0"),
        (Decimal("1E+2"), "1E+2"),
        (Decimal("1" * 39), "1" * 39),
    ],
)
def test_decimals_print_with_exactly_their_digits(value: Decimal, text: str) -> None:
    assert dumps_exact({"n": value, "list": [value]}) == f'{{"n":{text},"list":[{text}]}}'


def test_a_body_without_decimals_is_plain_json() -> None:
    assert dumps_exact({"a": "café", "b": [1, None, True]}) == '{"a":"café","b":[1,null,true]}'


def test_read_models_print_as_their_wire_form_at_any_depth() -> None:
    price = Price(amount=Decimal("19.90"), on=date(2026, 3, 1))
    body = {"items": [price], "nextCursor": None}
    assert dumps_exact(body) == '{"items":[{"amount":19.90,"on":"2026-03-01"}],"nextCursor":null}'
    assert dumps_exact(wire_form(price)) == '{"amount":19.90,"on":"2026-03-01"}'


def test_an_instant_is_not_printed_as_a_day() -> None:
    # A datetime is a date too; printed by `date`'s rule it would lose the house's `Z` form.
    with pytest.raises(TypeError, match="datetime"):
        dumps_exact({"at": datetime(2026, 3, 1, tzinfo=UTC)})


class Price(ApiModel):
    amount: Decimal
    on: date

"""The typed boundary: every service a router calls answers with read models, never with dicts.

What a route serves is then a model its document describes, built where it is made; the
`client` fixture (tests/schema_check.py) checks every answer against the route's schema too.
"""

import logging
import types
import typing
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from portfolio_api.schemas.products import Product
from portfolio_api.services.analytics import AnalyticsService
from portfolio_api.services.auth import AuthService
from portfolio_api.services.content import ContentService
from portfolio_api.services.products import ProductService, present
from portfolio_api.services.tasks import TaskService
from portfolio_api.services.users import UserService

ROUTED_SERVICES = (
    AnalyticsService,
    AuthService,
    ContentService,
    ProductService,
    TaskService,
    UserService,
)
PLAIN = {type(None), bool, int, str}


def _is_read_model_or_plain(answer: object) -> bool:
    """A read model, a plain value, a list of read models, or a union of those."""
    origin = typing.get_origin(answer)
    if origin in (typing.Union, types.UnionType):
        return all(_is_read_model_or_plain(arm) for arm in typing.get_args(answer))
    if origin is list:
        (element,) = typing.get_args(answer)
        return _is_read_model_or_plain(element)
    if answer in PLAIN or origin is typing.Literal:  # an outcome such as "created"
        return True
    model = origin or answer
    return isinstance(model, type) and issubclass(model, BaseModel)


def _public_answers(service: type) -> dict[str, object]:
    return {
        name: typing.get_type_hints(method)["return"]
        for name, method in vars(service).items()
        if callable(method) and not name.startswith("_")
    }


@pytest.mark.parametrize("service", ROUTED_SERVICES, ids=lambda s: s.__name__)
def test_every_public_method_answers_a_read_model(service: type) -> None:
    answers = _public_answers(service)
    assert answers, "the service has public methods"
    loose = {name: a for name, a in answers.items() if not _is_read_model_or_plain(a)}
    assert loose == {}


def test_the_check_refuses_what_it_should() -> None:
    for loose in (dict[str, typing.Any], typing.Any, list[dict[str, int]], Decimal | None):
        assert not _is_read_model_or_plain(loose), loose


def test_a_read_model_takes_its_fields_and_leaves_keys_and_bookkeeping_behind() -> None:
    stored = {
        "PK": "PRODUCT#P1",
        "SK": "PRODUCT",
        "listOrder": "01J",
        "id": "P1",
        "name": "Mug",
        "category": "Merch",
        "price": Decimal("19.9"),  # as DynamoDB gives back 19.90
        "currency": "EUR",
        "stock": Decimal("3"),
        "active": True,
        "views": Decimal("0"),
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "version": Decimal("2"),
    }
    product = present(stored)
    assert product.model_dump(by_alias=True) == {
        "id": "P1",
        "name": "Mug",
        "description": None,  # stored without one: null, as the schema allows
        "category": "Merch",
        "price": Decimal("19.90"),
        "currency": "EUR",
        "stock": 3,
        "imageUrl": None,
        "active": True,
        "views": 0,
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "version": 2,
    }


def test_a_stored_item_that_breaks_the_schema_is_served_as_stored_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored = {"id": "P1", "price": Decimal("1"), "version": Decimal("1"), "stock": "many"}
    with caplog.at_level(logging.ERROR, logger="portfolio_api.read_models"):
        product = present(stored)
    assert product.model_dump(by_alias=True, warnings=False)["stock"] == "many"
    (record,) = caplog.records
    assert record.getMessage() == "stored item does not match its read model"
    assert (record.model, record.itemId) == ("Product", "P1")  # type: ignore[attr-defined]
    assert "stock" in record.fields and "name" in record.fields  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        Product.model_validate(product.model_dump(by_alias=True, warnings=False))

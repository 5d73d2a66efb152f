"""Bodies and queries of `/v1/products`; prices are `Decimal` end to end."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, PlainValidator, WithJsonSchema

from portfolio_api.core.pagination import DEFAULT_LIMIT, CursorParam, Limit
from portfolio_api.schemas.common import (
    ApiModel,
    ApiRequest,
    HttpsUrl,
    LongText,
    Page,
    StrictBool,
    partial_model,
)
from portfolio_api.schemas.currencies import Currency

CENT = Decimal("0.01")
MAX_PRICE = Decimal("9999999999.99")


def cents(value: Decimal) -> Decimal:
    """A price with exactly two decimals (DynamoDB keeps `0.10` as `0.1`; this puts it back)."""
    return value.quantize(CENT)


def _price(value: Any) -> Decimal:
    """A JSON number, at least 0, at most 2 decimals and 12 digits: kept exact, never a float."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ValueError("must be a JSON number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError("must be a finite number")
    exponent = number.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -2
        and number != number.quantize(CENT, rounding="ROUND_DOWN")
    ):
        raise ValueError("must have at most 2 decimals")
    if number < 0:
        raise ValueError("must be at least 0")
    if number.is_zero():
        number = abs(number)  # -0.00 is 0.00: a signed zero is no price
    if number > MAX_PRICE:
        raise ValueError(f"must be at most {MAX_PRICE}")
    return cents(number)


_PRICE_SCHEMA = WithJsonSchema(
    {
        "type": "number",
        "minimum": 0,
        "maximum": 9999999999.99,
        # No `multipleOf: 0.01`: validators test it in binary floating point, where 19.99 is
        # no multiple of 0.01, and would refuse the README's own example.
        "description": "A JSON number with at most 2 decimals (more is a 400), kept exact: "
        "19.99 is stored and answered as 19.99, 5 as 5.00.",
        "examples": [19.99],
    }
)
Price = Annotated[Decimal, PlainValidator(_price), _PRICE_SCHEMA]
PriceOut = Annotated[Decimal, _PRICE_SCHEMA]
"""A price as answered: printed as the exact JSON number it is (see core/exact_json.py)."""
ProductId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", examples=["PROD001"])]
Stock = Annotated[int, Field(ge=0, le=1_000_000_000, strict=True)]


class ProductCreate(ApiRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "PROD001",
                    "name": "Portfolio mug",
                    "description": "Stoneware, 350 ml.",
                    "category": "Merch",
                    "price": 19.99,
                    "currency": "EUR",
                    "stock": 25,
                    "imageUrl": "https://cdn.example.com/mug.png",
                }
            ]
        }
    )

    id: ProductId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    # Long: a shop description is prose that may span lines; name and category are short.
    description: Annotated[LongText, Field(max_length=2000)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=50)]
    price: Price
    currency: Currency = "USD"
    stock: Stock
    image_url: HttpsUrl | None = None
    active: StrictBool = True


ProductUpdate = partial_model("ProductUpdate", ProductCreate, exclude=frozenset({"id"}))


class StockAdjustment(ApiRequest):
    delta: Annotated[
        int,
        Field(
            strict=True,
            ge=-1_000_000_000,
            le=1_000_000_000,
            description="Added to the stock; a result below 0 is a 409 insufficient_stock.",
        ),
    ]


class Product(ApiModel):
    id: str
    name: str
    description: str | None
    category: str
    price: PriceOut
    currency: str
    stock: int
    image_url: str | None
    active: bool
    views: int
    created_at: str
    updated_at: str
    version: int


class ProductPage(Page[Product]):
    """A page of products."""


class ProductFilters(ApiRequest):
    category: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    include_inactive: bool = Field(default=False, description="The owner's: inactive too.")
    limit: Limit = DEFAULT_LIMIT
    cursor: CursorParam = None

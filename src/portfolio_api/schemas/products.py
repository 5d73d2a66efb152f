"""Bodies and queries of `/v1/products`; prices are `Decimal` end to end."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from portfolio_api.core.pagination import DEFAULT_LIMIT, CursorParam, Limit
from portfolio_api.schemas.common import ApiModel, ApiRequest, HttpsUrl, partial_model
from portfolio_api.schemas.currencies import Currency

MAX_PRICE_DIGITS = 12  # up to 9 999 999 999.99


def _json_number(value: Any) -> Any:
    """A price is a JSON number: strings and booleans are refused, integers are exact already."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):  # only when a caller bypasses the exact JSON parser
        return Decimal(repr(value))
    return value


Price = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(
        ge=0,
        max_digits=MAX_PRICE_DIGITS,
        decimal_places=2,
        allow_inf_nan=False,
        description="A JSON number with at most 2 decimals, kept exact.",
        examples=[19.99],
    ),
]
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
    description: Annotated[str, Field(max_length=2000)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=50)]
    price: Price
    currency: Currency = "USD"
    stock: Stock
    image_url: HttpsUrl | None = None
    active: bool = True


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
    price: Decimal
    currency: str
    stock: int
    image_url: str | None
    active: bool
    views: int
    created_at: str
    updated_at: str
    version: int


class ProductFilters(ApiRequest):
    category: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    include_inactive: bool = Field(default=False, description="The owner's: inactive too.")
    limit: Limit = DEFAULT_LIMIT
    cursor: CursorParam = None

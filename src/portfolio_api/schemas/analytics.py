"""Bodies and queries of the analytics routes."""

import ipaddress
import re
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, GetPydanticSchema
from pydantic_core import core_schema

from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.schemas.common import ApiModel, ApiRequest

CONTENT_TYPES: tuple[str, ...] = (*(spec.name for spec in ALL_COLLECTIONS), "product")
"""Every `contentType` a view is counted on: each collection's name, then products."""

ContentType = Annotated[
    str,
    GetPydanticSchema(
        lambda _source, _handler: core_schema.literal_schema(list(CONTENT_TYPES), ref="ContentType")
    ),
]
"""One of `CONTENT_TYPES`, validated and documented (an `enum`) as a `Literal` of them would be;
a `Literal` cannot be built from the collections and still be read by mypy. The `ref` makes it
one named schema (`ContentType`), so a generated client has one enum, not one per field."""


MAX_HOST_LENGTH = 253  # DNS's limit on a name
_DNS_LABEL = re.compile(r"(?!-)[\w-]{1,63}(?<!-)")  # letters of any script (IDN), digits, -, _
# A page path: starts with `/`, no whitespace and no control characters (NUL included).
PAGE_PATH_PATTERN = r"^/[^\s\x00-\x1f\x7f-\x9f]*$"


def _referrer_url(value: str) -> str:
    """An absolute http(s) URL whose host can be counted: what a browser sends as a referrer."""
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError("must be a URL without spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise ValueError("must be an absolute http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    if "@" in parts.netloc:
        raise ValueError("must not hold a user name or password")
    if not _countable_host(parts.hostname):
        raise ValueError("must name a valid host")
    return value


def _countable_host(host: str) -> bool:
    """An IP address, or a DNS name of at most 253 characters in labels of at most 63."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        name = host.removesuffix(".")
        return len(name) <= MAX_HOST_LENGTH and all(
            _DNS_LABEL.fullmatch(label) for label in name.split(".")
        )
    return True


class TrackRequest(ApiRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"path": "/blog/hello-world", "referrer": "https://news.example/"}]
        }
    )

    path: Annotated[str, Field(min_length=1, max_length=512, pattern=PAGE_PATH_PATTERN)]
    referrer: Annotated[str, Field(max_length=2048), AfterValidator(_referrer_url)] | None = None


class ViewRequest(ApiRequest):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"contentType": "blog", "contentId": "01KAB3Y8Q6W9ZJ7R"}]}
    )

    content_type: ContentType
    content_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class NoQuery(ApiRequest):
    """The query of a route that takes none: any parameter is an unknown field (400)."""


class CountOutcome(ApiModel):
    """Whether this visit or view was counted (bots, privacy signals and the owner are not)."""

    counted: bool


class VisitorCount(ApiModel):
    total: int
    today: int


def _calendar_date(value: object) -> object:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value


CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


class TrendsQuery(ApiRequest):
    period: Literal["daily", "monthly"]
    from_: CalendarDate = Field(alias="from")
    to: CalendarDate


class TrendPoint(ApiModel):
    date: str
    visitors: int


class Trends(ApiModel):
    period: str
    points: list[TrendPoint]


class ViewsTotal(ApiModel):
    total: int


class ContentViews(ApiModel):
    content_type: ContentType
    content_id: str
    views: int


class TopQuery(ApiRequest):
    content_type: ContentType | None = None
    limit: Annotated[int, Field(ge=1, le=50)] = 10


class TopItem(ApiModel):
    content_type: ContentType
    content_id: str
    title: str
    views: int


class TopContent(ApiModel):
    items: list[TopItem]


class VisitorFigures(ApiModel):
    total: int
    today: int
    last7_days: int = Field(alias="last7Days")
    last30_days: int = Field(alias="last30Days")


class ViewFigures(ApiModel):
    total: int
    last7_days: int = Field(alias="last7Days")
    last30_days: int = Field(alias="last30Days")


class PathFigure(ApiModel):
    path: str
    visitors: int


class ReferrerFigure(ApiModel):
    referrer: str
    visitors: int


class Summary(ApiModel):
    visitors: VisitorFigures
    views: ViewFigures
    top_content: list[TopItem]
    top_paths: list[PathFigure]
    top_referrers: list[ReferrerFigure]

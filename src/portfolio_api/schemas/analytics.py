"""Bodies and queries of the analytics routes."""

import re
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from portfolio_api.schemas.common import ApiModel, ApiRequest

ContentType = Literal["blog", "project", "certification", "product"]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    return value


class TrackRequest(ApiRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"path": "/blog/hello-world", "referrer": "https://news.example/"}]
        }
    )

    path: Annotated[str, Field(min_length=1, max_length=512, pattern=r"^/\S*$")]
    referrer: Annotated[str, Field(max_length=2048), AfterValidator(_http_url)] | None = None


class ViewRequest(ApiRequest):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"contentType": "blog", "contentId": "01KAB3Y8Q6W9ZJ7R"}]}
    )

    content_type: ContentType
    content_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Counted(ApiModel):
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

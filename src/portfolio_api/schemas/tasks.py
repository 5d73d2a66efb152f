"""Bodies and queries of `/v1/tasks`."""

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from portfolio_api.core.clock import iso_z
from portfolio_api.core.pagination import DEFAULT_LIMIT, CursorParam, Limit
from portfolio_api.schemas.common import ApiModel, ApiRequest, LongText, Page, partial_model
from portfolio_api.schemas.content import Tags

TaskStatus = Literal["pending", "completed"]
Priority = Literal["low", "medium", "high"]


MIN_YEAR, MAX_YEAR = 1000, 9998  # four-digit years in UTC, so stored instants sort as text


_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")


def _iso_text(value: object) -> object:
    """Instants are ISO 8601 text: a number, even written as a string, is no Unix timestamp."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE_TIME.match(value):
        raise ValueError("must be an ISO 8601 instant with a time zone")
    return value


def _in_utc(moment: datetime) -> datetime:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(f"must fall between the years {MIN_YEAR} and {MAX_YEAR}")
    return utc


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(_in_utc),
    PlainSerializer(iso_z, return_type=str),
    Field(description="ISO 8601 with a time zone; stored to the second, answered in UTC with `Z`."),
]


class TaskCreate(ApiRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Renew the AWS certification",
                    "priority": "high",
                    "dueDate": "2026-12-15T17:00:00Z",
                    "category": "Career",
                    "tags": ["aws"],
                }
            ]
        }
    )

    title: Annotated[str, Field(min_length=1, max_length=200)]
    # Long: notes, possibly a pasted list, kept as written; title and category are short.
    description: Annotated[LongText, Field(max_length=1000)] | None = None
    status: TaskStatus = "pending"
    priority: Priority = "medium"
    due_date: Instant | None = None
    category: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    tags: Tags = Field(default_factory=list)


TaskUpdate = partial_model("TaskUpdate", TaskCreate)


class Task(ApiModel):
    id: str
    title: str
    description: str | None
    status: TaskStatus
    priority: Priority
    due_date: str | None
    category: str | None
    tags: list[str]
    completed_at: str | None
    created_at: str
    updated_at: str
    version: int


class TaskPage(Page[Task]):
    """A page of the caller's tasks."""


class TaskFilters(ApiRequest):
    """Filters combine; the first of `dueBefore`, `status`, `priority` is the key condition."""

    status: TaskStatus | None = None
    priority: Priority | None = None
    due_before: Instant | None = Field(
        default=None,
        description=(
            "Tasks due strictly before this instant, latest due first (the list is read in"
            " due-date order whenever this filter is set)."
        ),
    )
    limit: Limit = DEFAULT_LIMIT
    cursor: CursorParam = None

"""Wire models of the three content collections; update and read models are derived from these.

Each collection declares only its create model; `partial_model` (schemas/common.py) makes the
PATCH model and `read_model` the response model.
"""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from portfolio_api.content.slugs import SLUG_PATTERN
from portfolio_api.core.pagination import DEFAULT_LIMIT, CursorParam, Limit
from portfolio_api.schemas.common import ApiModel, ApiRequest, HttpsUrl, LongText, StrictBool

Status = Literal["draft", "published"]
Slug = Annotated[str, Field(max_length=100, pattern=SLUG_PATTERN, examples=["hello-world"])]
# Short text (titles, names, categories, tags, issuers, ids) is plain `str`: ApiRequest trims it.
Title = Annotated[str, Field(min_length=1, max_length=200)]
Summary = Annotated[LongText, Field(max_length=500)]  # long: a paragraph of prose, as written


def _not_blank(value: str) -> str:
    """Markdown is kept as sent, but a body of only whitespace says nothing: still a 400."""
    if not value.strip():
        raise ValueError("must not be blank")
    return value


# Long: Markdown, where leading indentation (a code block) and the final newline are meaning.
Markdown = Annotated[LongText, Field(description="Markdown, kept byte for byte.")]


def _normalise_tags(value: Any) -> Any:
    """Lower-case, trimmed, unique, in the order given; anything but text is left for the type
    check to refuse (a 400), since it may be unhashable (`[{}]`) and cannot be deduplicated."""
    if not isinstance(value, list):
        return value
    seen: set[str] = set()
    tags: list[Any] = []
    for tag in value:
        if isinstance(tag, str):
            tag = tag.strip().lower()
            if tag in seen:
                continue
            seen.add(tag)
        tags.append(tag)
    return tags


Tags = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=30)]],
    BeforeValidator(_normalise_tags),
    Field(max_length=10),
]
TechStack = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=20)
]


class ContentCreate(ApiRequest):
    """Fields every collection shares on create."""

    slug: Slug | None = None
    status: Status = "draft"


class BlogPostCreate(ContentCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Serverless FastAPI on Lambda",
                    "summary": "How this site's API runs.",
                    "content": "# Why serverless\n\nBecause...",
                    "category": "Engineering",
                    "tags": ["aws", "python"],
                    "coverImageUrl": "https://cdn.example.com/covers/lambda.png",
                    "status": "published",
                }
            ]
        }
    )

    title: Title
    summary: Summary | None = None
    content: Annotated[
        Markdown, Field(min_length=1, max_length=200_000), AfterValidator(_not_blank)
    ]
    category: Annotated[str, Field(min_length=1, max_length=50)]
    tags: Tags = Field(default_factory=list)
    cover_image_url: HttpsUrl | None = None


class ProjectCreate(ContentCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Portfolio API",
                    "summary": "The serverless backend of this site.",
                    "techStack": ["Python", "FastAPI", "DynamoDB"],
                    "repoUrl": "https://github.com/example/portfolio-api",
                    "featured": True,
                    "startDate": "2026-01-05",
                }
            ]
        }
    )

    title: Title
    summary: Summary
    description: Annotated[Markdown, Field(max_length=50_000)] | None = None
    tech_stack: TechStack = Field(default_factory=list)
    repo_url: HttpsUrl | None = None
    live_url: HttpsUrl | None = None
    image_url: HttpsUrl | None = None
    featured: StrictBool = False
    start_date: date | None = None
    end_date: date | None = None

    @field_validator("end_date")
    @classmethod
    def _end_after_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if end and start and end < start:
            raise ValueError("must not be before startDate")
        return end


class CertificationCreate(ContentCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "AWS Certified Developer - Associate",
                    "issuer": "Amazon Web Services",
                    "type": "aws",
                    "issueDate": "2025-03-01",
                    "expiryDate": "2028-03-01",
                    "credentialUrl": "https://www.credly.com/badges/example",
                }
            ]
        }
    )

    name: Title
    issuer: Annotated[str, Field(min_length=1, max_length=100)]
    type: Annotated[str, Field(min_length=1, max_length=50, examples=["aws"])]
    issue_date: date
    expiry_date: date | None = None
    credential_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    credential_url: HttpsUrl | None = None
    badge_image_url: HttpsUrl | None = None

    @field_validator("expiry_date")
    @classmethod
    def _expiry_after_issue(cls, expiry: date | None, info: ValidationInfo) -> date | None:
        issued = info.data.get("issue_date")
        if expiry and issued and expiry < issued:
            raise ValueError("must not be before issueDate")
        return expiry


class ContentFilters(ApiRequest):
    """Query parameters every collection's list takes; facets are added per collection."""

    status: Literal["published", "draft", "all"] | None = Field(
        default=None, description="`draft` and `all` are the owner's."
    )
    limit: Limit = DEFAULT_LIMIT
    cursor: CursorParam = None


class ContentMeta(ApiModel):
    """Server-set fields of every content item."""

    id: str
    slug: str
    status: Status
    published_at: str | None
    created_at: str
    updated_at: str
    version: int
    views: int


def read_model(
    name: str,
    create: type[ApiModel],
    derived: dict[str, Any],
    exclude: frozenset[str] = frozenset(),
) -> type[ContentMeta]:
    """The response model: meta fields, the create fields as stored, and derived values."""
    fields: dict[str, Any] = {
        field_name: (info.annotation, FieldInfo(default=None))
        for field_name, info in create.model_fields.items()
        if field_name not in ContentMeta.model_fields and to_camel(field_name) not in exclude
    }
    fields.update({field_name: (kind, ...) for field_name, kind in derived.items()})
    return create_model(name, __base__=ContentMeta, **fields)


class FacetCount(ApiModel):
    name: str
    count: int


class FacetCounts(ApiModel):
    """Published counts of a facet's values, most used first."""

    items: list[FacetCount]

"""The wire base: camelCase aliases, unknown fields rejected, and shared field types."""

import logging
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Self, cast
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

logger = logging.getLogger("portfolio_api.read_models")


class ApiModel(BaseModel):
    """Every response body: camelCase on the wire, built by field name in Python.

    A service answers with these read models, never with dicts, so what a route serves is
    checked against what its document promises where it is made (`from_item`).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        # A field an answer always carries (null or not) is `required` in the document.
        json_schema_serialization_defaults_required=True,
    )

    @classmethod
    def from_item(cls, item: Mapping[str, Any], absent: Mapping[str, Any] | None = None) -> Self:
        """The read model of a stored item: its own fields only (keys and bookkeeping stay
        behind); a missing field takes its value from `absent`, else null.

        An item that breaks the model (written by hand, or by a release with other rules) is
        still served as stored, and logged as an error: one bad item must not turn a public
        list into a 500, nor a write that landed into a failed answer.
        """
        defaults = absent or {}
        fields = {name: item.get(name, defaults.get(name)) for name in wire_names(cls)}
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            logger.error(
                "stored item does not match its read model",
                extra={
                    "model": cls.__name__,
                    "itemId": str(item.get("id", "")),
                    "fields": sorted({".".join(map(str, e["loc"])) for e in exc.errors()}),
                },
            )
            return cast(Self, cls.model_construct(**fields))  # the plugin types it as the base


@cache
def wire_names(model: type[BaseModel]) -> tuple[str, ...]:
    """The camelCase names of a model's fields, as they are stored and served."""
    return tuple(info.alias or name for name, info in model.model_fields.items())


class ApiRequest(ApiModel):
    """Every request body and query: camelCase keys only (`avatar_url` is an unknown field).

    Text is trimmed on the way in unless its field is `LongText`: trimming is the default so
    that a new short field (a title, a name, a tag, a query value) cannot forget it, and the
    few long ones opt out where they are declared. A response never alters what is stored.
    """

    model_config = ConfigDict(
        validate_by_name=False, validate_by_alias=True, str_strip_whitespace=True
    )


class Page[T](ApiModel):
    """A page of a list: `nextCursor` continues it, null on the last page."""

    items: list[T]
    next_cursor: str | None


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise ValueError("must be an absolute https URL") from None
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an absolute https URL")
    return value


LongText = Annotated[str, StringConstraints(strip_whitespace=False)]
"""Prose and Markdown, stored and served byte for byte: an indented first line is a Markdown
code block and a final newline is part of the text, so the request's trimming skips it."""


StrictBool = Annotated[bool, Field(strict=True)]
"""A body's true or false: `"yes"`, `1` or `"true"` are a 400, not a guess."""

HttpsUrl = Annotated[str, Field(max_length=2048), AfterValidator(_https_url)]
"""An absolute `https` URL: the contract allows no other scheme for stored links."""

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Email = Annotated[
    str,
    Field(min_length=3, max_length=128, pattern=EMAIL_PATTERN),  # Cognito's username limit
    AfterValidator(str.lower),
]
"""An e-mail address, lower-cased: Cognito matches it case-insensitively, and so do we."""


def partial_model(
    name: str, create: type[ApiModel], exclude: frozenset[str] = frozenset()
) -> type[ApiRequest]:
    """The PATCH model: every create field optional and nullable, no defaults, same limits."""
    fields: dict[str, Any] = {}
    for field_name, info in create.model_fields.items():
        if field_name in exclude:
            continue
        annotated: Any = info.annotation
        if info.metadata:
            annotated = Annotated[(annotated, *info.metadata)]
        fields[field_name] = (annotated | None, FieldInfo(default=None))
    return create_model(name, __base__=ApiRequest, **fields)


class ProblemError(ApiModel):
    """What is wrong with one field of a request."""

    field: str = Field(examples=["title"])
    message: str = Field(examples=["String should have at least 1 character"])


class Problem(ApiModel):
    """Every error answer (RFC 9457 `application/problem+json`): one schema for every route."""

    type: str = Field(
        description="A URI per problem type; `code` is its last part.",
        examples=["urn:portfolio-api:problem:not_found"],
    )
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No such post."])
    code: str = Field(description="Stable and machine-readable.", examples=["not_found"])
    request_id: str = Field(description="Also in the `X-Request-Id` header and in the logs.")
    instance: str | None = Field(default=None, description="The request's path, on some answers.")
    errors: list[ProblemError] | None = Field(
        default=None, description="Each field at fault (400 `validation_error`)."
    )

"""The wire base: camelCase aliases, unknown fields rejected, and shared field types."""

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """Every request and response body: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
    )


class Page[T](ApiModel):
    """A page of a list: `nextCursor` continues it, null on the last page."""

    items: list[T]
    next_cursor: str | None


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an absolute https URL")
    return value


HttpsUrl = Annotated[str, Field(max_length=2048), AfterValidator(_https_url)]
"""An absolute `https` URL: the contract allows no other scheme for stored links."""

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Email = Annotated[
    str,
    Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN),
    AfterValidator(str.lower),
]
"""An e-mail address, lower-cased: Cognito matches it case-insensitively, and so do we."""

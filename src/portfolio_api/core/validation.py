"""Pydantic's error reports as the contract's `errors[]`: fields named as the client wrote them."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from portfolio_api.core.errors import ValidationFailed

_SOURCES = ("body", "query", "path", "header", "cookie")
_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "field required",
    "json_invalid": "malformed JSON",
}


def field_name(location: Sequence[int | str]) -> str:
    """A pydantic location as the client wrote it: `title`, `tags[2]`, `author.name`."""
    parts = list(location[1:]) if location and location[0] in _SOURCES else list(location)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or (str(location[0]) if location else "body")


def error_list(errors: Sequence[Any]) -> list[dict[str, str]]:
    """`[{field, message}]` from pydantic's error dicts."""
    return [
        {
            "field": "body" if error["type"] == "json_invalid" else field_name(error["loc"]),
            "message": _MESSAGES.get(error["type"])
            or str(error["msg"]).removeprefix("Value error, "),
        }
        for error in errors
    ]


def refuse_nulls(changes: Mapping[str, Any], may_clear: Callable[[str], bool]) -> None:
    """The one answer to a PATCH that sends `null` for a field it may not clear: a 400 naming
    each such field, so no route words it differently."""
    nulled = [field for field, value in changes.items() if value is None and not may_clear(field)]
    if nulled:
        raise ValidationFailed(
            "These fields cannot be null.",
            errors=[{"field": field, "message": "may not be null"} for field in nulled],
        )

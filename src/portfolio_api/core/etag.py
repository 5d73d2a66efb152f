"""ETags are the item's version: `"<version>"`."""

from portfolio_api.core.errors import PreconditionFailed


def etag_for(version: int) -> str:
    """The strong ETag of a version."""
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an `If-Match` names; `*` or absent means no precondition, junk never matches."""
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise PreconditionFailed("If-Match does not name a version of this resource.")
    return int(value)

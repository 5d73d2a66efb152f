"""ETags are the item's version: `"<version>"`."""

from portfolio_api.core.errors import PreconditionFailed

MAX_VERSION_DIGITS = 18  # far beyond any real version, well inside DynamoDB's number range


def etag_for(version: int) -> str:
    """The strong ETag of a version."""
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an `If-Match` names; `*` or absent means no precondition, junk never matches."""
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):  # If-Match compares strongly: a weak tag never matches
        raise PreconditionFailed("If-Match needs a strong ETag.")
    value = value.strip('"')
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_VERSION_DIGITS):
        raise PreconditionFailed("If-Match does not name a version of this resource.")
    return int(value)


def matches_if_none_match(header: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names this ETag (weak comparison, as RFC 9110 asks), or is `*`."""
    if header is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags

"""Slugs: lower-case ASCII `[a-z0-9-]`, derived by transliterating and hyphenating a title."""

import re
import unicodedata

SLUG_PATTERN = r"^[a-z0-9-]*[a-z0-9][a-z0-9-]*$"  # [a-z0-9-], not hyphens alone
MAX_SLUG_LENGTH = 100
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SLUG = re.compile(SLUG_PATTERN)
# Letters NFKD does not decompose into ASCII.
_TRANSLITERATIONS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "\u0131": "i",
    }
)


def slugify(text: str, fallback: str) -> str:
    """`Héllo, Wörld!` → `hello-world`; text with nothing transliterable gives the fallback."""
    spelled = text.translate(_TRANSLITERATIONS)
    ascii_text = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-") or fallback


def candidates(base: str, attempts: int) -> list[str]:
    """`base`, `base-2`, `base-3`…, each cut to fit the slug length."""
    result = [base]
    for n in range(2, attempts + 1):
        suffix = f"-{n}"
        result.append(base[: MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix)
    return result


def is_slug(value: str) -> bool:
    """Whether a path segment is a slug; generated ids always hold an upper-case letter."""
    return len(value) <= MAX_SLUG_LENGTH and bool(_SLUG.match(value))

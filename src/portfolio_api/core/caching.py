"""What a browser or a shared cache in front of the API may keep of an answer.

- An answer to a request that carried credentials (an `Authorization` header): `private,
  no-store`, whatever the route said; it may hold the owner's drafts or a member's data.
- An anonymous read that succeeded (`GET`/`HEAD` answered 200, 301 or 304) and set no policy of
  its own: `public, max-age=<PUBLIC_MAX_AGE>` (`no-cache` at 0: kept, but asked again every
  time), with `Vary: Authorization` so that no cache hands the anonymous copy to a signed-in
  request (the CORS policy adds `Origin`). Lists and items carry their ETag, so a stale copy
  is revalidated with a 304.
- Anything else (writes, errors, refusals): `no-store`.
- Every answer: `X-Content-Type-Options: nosniff`.
"""

from dataclasses import dataclass, field

Header = tuple[bytes, bytes]

NOSNIFF: Header = (b"x-content-type-options", b"nosniff")
PRIVATE = b"private, no-store"
NO_STORE = b"no-store"
_CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
_CACHEABLE_STATUSES = frozenset({200, 301, 304})
_VARY_CREDENTIALS: Header = (b"vary", b"Authorization")


@dataclass(frozen=True)
class CachePolicy:
    """The caching headers of every answer; `public_max_age` seconds for anonymous reads."""

    public_max_age: int = 60
    _public: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        value = f"public, max-age={self.public_max_age}" if self.public_max_age else "no-cache"
        object.__setattr__(self, "_public", value.encode())

    def answer_headers(
        self, headers: list[Header], method: str, status: int, *, with_credentials: bool
    ) -> list[Header]:
        """An answer's headers with its `Cache-Control` decided and `nosniff` added."""
        own = any(name == b"cache-control" for name, _ in headers)
        added = [NOSNIFF]
        if with_credentials:
            added.append((b"cache-control", PRIVATE))
        elif own:
            return [*headers, NOSNIFF]  # the route chose (e.g. /health: never cached)
        elif method in _CACHEABLE_METHODS and status in _CACHEABLE_STATUSES:
            added += [(b"cache-control", self._public), _VARY_CREDENTIALS]
        else:
            added.append((b"cache-control", NO_STORE))
        kept = [header for header in headers if header[0] != b"cache-control"] if own else headers
        return [*kept, *added]

    @staticmethod
    def preflight_headers() -> list[Header]:
        """A preflight's: browsers keep its grant by `Access-Control-Max-Age`, caches nothing."""
        return [(b"cache-control", NO_STORE), NOSNIFF]

"""The CORS policy: which origins may read answers, and the verdicts on preflights.

The rules are Starlette's `CORSMiddleware`'s for a policy without credentials, kept here as data
and pure functions so the one edge middleware can apply them without a layer of its own.
"""

from dataclasses import dataclass, field

Header = tuple[bytes, bytes]

SAFELISTED_HEADERS = frozenset({"Accept", "Accept-Language", "Content-Language", "Content-Type"})
PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)


@dataclass(frozen=True)
class Preflight:
    """A preflight's verdict: its headers (`Vary`, and the grants only when nothing is refused)
    and what is refused, as (request header, reason) pairs."""

    headers: list[Header]
    refused: list[tuple[str, str]]


@dataclass(frozen=True)
class CorsPolicy:
    """Origins (or `*`), methods and request headers allowed; response headers exposed."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int = 600
    _allowed_headers: frozenset[str] = field(init=False, repr=False)
    _exposed: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        allowed = frozenset(h.lower() for h in SAFELISTED_HEADERS | set(self.allow_headers))
        object.__setattr__(self, "_allowed_headers", allowed)
        object.__setattr__(self, "_exposed", ", ".join(self.expose_headers).encode())

    @property
    def allows_any_origin(self) -> bool:
        """`*`: every origin may read, and none is echoed back."""
        return "*" in self.allow_origins

    def allows(self, origin: str) -> bool:
        """Whether a page from `origin` may read the answers."""
        return self.allows_any_origin or origin in self.allow_origins

    def answer_headers(self, headers: list[Header], origin: str | None) -> list[Header]:
        """An ordinary answer's headers with the grant for an allowed origin and `Vary: Origin`."""
        vary = [value for name, value in headers if name == b"vary"]
        added: list[Header] = []
        if origin is not None:
            if self.allows_any_origin:
                added.append((b"access-control-allow-origin", b"*"))
            elif self.allows(origin):
                added.append((b"access-control-allow-origin", origin.encode("latin-1")))
            if self.expose_headers:
                added.append((b"access-control-expose-headers", self._exposed))
        added.append((b"vary", b", ".join([*vary, b"Origin"])))
        kept = [header for header in headers if header[0] != b"vary"] if vary else headers
        return [*kept, *added]

    def preflight(
        self,
        origin: str,
        method: str,
        requested_headers: str | None,
        private_network: bool,
    ) -> Preflight:
        """The verdict on `OPTIONS` with `Access-Control-Request-Method`: every grant asked for,
        or none at all."""
        refused: list[tuple[str, str]] = []
        if not self.allows(origin):
            refused.append(("Origin", f"the origin {origin} is not allowed"))
        if method not in self.allow_methods:
            refused.append(("Access-Control-Request-Method", f"{method} is not allowed"))
        unknown = [
            name.strip()
            for name in (requested_headers or "").split(",")
            if name.strip() and name.strip().lower() not in self._allowed_headers
        ]
        if unknown:
            names = ", ".join(unknown)
            refused.append(("Access-Control-Request-Headers", f"not allowed: {names}"))
        if private_network:
            refused.append(("Access-Control-Request-Private-Network", "not granted"))
        headers: list[Header] = [(b"vary", PREFLIGHT_VARY.encode())]
        if refused:
            return Preflight(headers, refused)
        granted = [
            ("Access-Control-Allow-Origin", "*" if self.allows_any_origin else origin),
            ("Access-Control-Allow-Methods", ", ".join(self.allow_methods)),
            ("Access-Control-Max-Age", str(self.max_age)),
            ("Access-Control-Allow-Headers", self._listed_headers()),
        ]
        headers += [(name.lower().encode(), value.encode("latin-1")) for name, value in granted]
        return Preflight(headers, [])

    def _listed_headers(self) -> str:
        return ", ".join(sorted(SAFELISTED_HEADERS | set(self.allow_headers)))

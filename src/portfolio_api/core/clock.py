"""Time in one place, so tests can inject a clock and every instant is formatted alike."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current UTC instant."""
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """The contract's instant form: ISO 8601 UTC with `Z`, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

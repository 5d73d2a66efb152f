"""Business metrics: counted while an invocation runs, flushed once when it ends.

A service calls `count()` where the event happens (a visit counted, a login refused); the edge
layer opens a tally per request (`MetricsTally`) and hands it to the app's sink when the answer
is sent, so there is one flush per invocation. Outside a request (the CLI, priming) nothing is
counted.
"""

import logging
from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Protocol

from portfolio_api.observability.names import ENVIRONMENT, REASON, STACK, Metric, NotCountedReason

logger = logging.getLogger(__name__)

Counted = Counter[tuple[Metric, NotCountedReason | None]]
"""One invocation's counts, by metric and (for visits not counted) reason."""

_tally: ContextVar[Counted | None] = ContextVar("metrics_tally", default=None)


def count(metric: Metric, reason: NotCountedReason | None = None) -> None:
    """One event of the current invocation; outside one (a CLI run) it is not counted."""
    tally = _tally.get()
    if tally is not None:
        tally[(metric, reason)] += 1


class MetricsSink(Protocol):
    """Where an invocation's counts go."""

    def flush(self, counted: Counted) -> None:
        """Write the counts (never empty) of one invocation."""


class MetricsTally:
    """The counts of one request, from `open()` to `close()` (which flushes them, if any)."""

    def __init__(self, sink: MetricsSink) -> None:
        self._sink = sink
        self._counted: Counted = Counter()
        self._token: Token[Counted | None] | None = None

    def open(self) -> None:
        self._token = _tally.set(self._counted)

    def close(self) -> None:
        if self._token is not None:
            _tally.reset(self._token)
            self._token = None
        if self._counted:
            try:
                self._sink.flush(self._counted)
            except Exception:  # a metric never fails an answer already sent
                logger.exception("metrics not written")


def in_order(counted: Counted) -> list[tuple[tuple[Metric, NotCountedReason | None], int]]:
    """The counts by metric, then reason (none first): the same counts, the same lines."""
    return sorted(counted.items(), key=lambda entry: (entry[0][0], entry[0][1] or ""))


def dimensions_of(
    stack: str, environment: str, reason: NotCountedReason | None
) -> Mapping[str, str]:
    """A count's dimensions: the stack, its environment, and why a visit was not counted."""
    if reason is None:
        return {STACK: stack, ENVIRONMENT: environment}
    return {STACK: stack, ENVIRONMENT: environment, REASON: reason.value}


class LogSink:
    """Locally: one readable log line per request that counted something."""

    def __init__(self, environment: str) -> None:
        self._environment = environment

    def flush(self, counted: Counted) -> None:
        readable = {
            f"{metric.value}[{reason.value}]" if reason else metric.value: value
            for (metric, reason), value in in_order(counted)
        }
        logger.info("metrics", extra={"metrics": readable})

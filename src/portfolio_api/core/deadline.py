"""Each request's time budget: an answer, or a 503 to retry, within 10 s whatever stalls.

The edge middleware opens a budget per request; the AWS clients refuse to start an attempt
that might not end inside it (`db/client.py`). A write of several calls (a read, then a
transaction, again after a lost race) thus stops with a 503 when the time is spent, instead of
running on towards the function's 28 s timeout. Outside a request (the operator's commands)
there is no budget: only each call's own limits apply. SnapStart's priming sends its requests
through the app, so each has its budget, as any request.

Each attempt may take 3 s (1 s to connect, 2 s to read; why those, see `db/client.py`). 8 s of
calls leave 2 s of the promised 10 s for a cold start's init, API Gateway and the answer.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

REQUEST_BUDGET_SECONDS = 8.0
"""The time a request may spend before it answers: 10 s promised, less the time around it."""

LAMBDA_RESERVE_SECONDS = 1.0
"""What an invocation keeps back to answer, when it has less time left than a whole budget."""

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


def budget_for(lambda_context: object | None) -> float:
    """The request's budget: the whole of it, or what the Lambda invocation can still spare."""
    remaining_ms = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if not callable(remaining_ms):
        return REQUEST_BUDGET_SECONDS
    spare = int(remaining_ms()) / 1000 - LAMBDA_RESERVE_SECONDS
    return max(0.0, min(REQUEST_BUDGET_SECONDS, spare))


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Everything inside (one request) shares one deadline, `seconds` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float | None:
    """What is left of the current budget (negative once spent); None outside any budget."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()

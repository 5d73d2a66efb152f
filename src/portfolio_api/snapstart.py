"""Lambda SnapStart: prime the app before the snapshot, refresh what must not be shared after.

With SnapStart on, Lambda runs the init once when a version is published, snapshots the memory,
and starts every later environment from that snapshot. So the first request after a restore is
as fast as the init made it: before the snapshot every route is loaded and built, the clients
made, the JWT library imported and the pool's keys fetched, and each public list is served end
to end (Mangum, the middleware, routing, validation, botocore's serialising and parsing) against
a canned DynamoDB answer, then one for real, so the connection code has run too: reads only,
nothing is written, and nothing read is kept. What priming made is then frozen out of the
collector's sight, as the init's objects are. After each restore the pooled connections
are closed (their sockets were frozen in the snapshot), the key cache's timers restart (the
monotonic clock did), the random generator is re-seeded (every restore would otherwise share
one sequence) and the visitor salts are dropped (the day may have changed). Ids and secrets come
from `os.urandom`, which a restore does not repeat.

The runtime's `snapshot_restore_py` exists only on Lambda; elsewhere nothing is registered.
"""

import gc
import json
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from portfolio_api.analytics import bots
from portfolio_api.api.deferred import load_deferred_routes
from portfolio_api.container import Container
from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.core.middleware import mark_cold_start
from portfolio_api.db.client import close_connections, dynamodb_client
from portfolio_api.observability import emf

Handler = Callable[..., dict[str, Any]]
"""The Lambda entry point (Mangum over the app)."""

logger = logging.getLogger("portfolio_api.snapstart")

PRIMING_REQUEST_ID = "snapstart-priming"

# A Query answer with one item of every attribute type the lists hold, so the parser runs the
# shapes a real page runs. It holds every collection's required fields, so each list's read
# model is built from it (tests/handler/test_snapstart.py checks every list answers 200).
_PRIMING_TEXT = {"S": "Priming"}
_PRIMING_INSTANT = {"S": "2026-01-01T00:00:00Z"}
_CANNED_QUERY = {
    "Count": 1,
    "ScannedCount": 1,
    "Items": [
        {
            "id": {"S": "priming"},
            "slug": {"S": "priming"},
            "status": {"S": "published"},
            "publishedAt": _PRIMING_INSTANT,
            "createdAt": _PRIMING_INSTANT,
            "updatedAt": _PRIMING_INSTANT,
            "title": _PRIMING_TEXT,
            "name": _PRIMING_TEXT,
            "summary": _PRIMING_TEXT,
            "category": _PRIMING_TEXT,
            "issuer": _PRIMING_TEXT,
            "type": _PRIMING_TEXT,
            "issueDate": {"S": "2026-01-01"},
            "tags": {"L": [{"S": "priming"}]},
            "version": {"N": "1"},
            "views": {"N": "0"},
            "readingTimeMinutes": {"N": "1"},
            "featured": {"BOOL": False},
            "coverImageUrl": {"NULL": True},
        }
    ],
}


def register(app: FastAPI, handler: Handler) -> bool:
    """Register the hooks with the Lambda runtime; False where there is no such runtime."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(prime, app, handler)
    register_after_restore(refresh, app)
    return True


def prime(app: FastAPI, handler: Handler) -> list[int]:
    """Before the snapshot: build and run everything a first request needs, writing nothing.

    Returns the statuses of the priming requests (all 200 when every path ran); a failed one is
    logged, not raised, since a hook that raises fails the version's publication.
    """
    container: Container = app.state.container
    load_deferred_routes(app.router)
    for _ in iter_route_contexts(app.routes):  # builds each included route's context
        pass
    container.prepare()
    container.token_verifier.prime()
    bots.prepare()  # the bot data set, compiled: paid by the first visit otherwise
    emf.prepare()  # the EMF writer, imported: paid by the first counted event otherwise
    client = dynamodb_client(container.settings.region)
    with _canned_answers(client):
        statuses = [_serve(handler, spec.path) for spec in ALL_COLLECTIONS]
    # One real read, so the connection code (urllib3, http.client, TLS) has run too; a read
    # writes nothing, and its connection is closed after each restore.
    statuses.append(_serve(handler, ALL_COLLECTIONS[0].path))
    # What priming made lives as long as the process: out of the collector's sight, as at init.
    gc.collect()
    gc.freeze()
    return statuses


def _serve(handler: Handler, path: str) -> int:
    answer = handler(_list_event(path), _PrimingContext())
    status = int(answer.get("statusCode", 0))
    if status != 200:
        logger.warning("priming request failed", extra={"path": path, "status": status})
    return status


def refresh(app: FastAPI) -> None:
    """After each restore: fresh connections, timers, randomness and day state."""
    close_connections()
    mark_cold_start()  # priming served requests; the first after a restore is a cold one
    container: Container = app.state.container
    container.refresh_after_restore()
    random.seed()


@contextmanager
def _canned_answers(client: Any) -> Iterator[None]:
    """Every call of `client` answered from memory, before it is sent: the table is untouched."""

    def answer(**_: Any) -> AWSResponse:
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        body = _Body(json.dumps(_CANNED_QUERY).encode())
        return AWSResponse("https://dynamodb.priming.invalid/", 200, headers, body)

    events = client.meta.events
    events.register_first("before-send.dynamodb", answer, unique_id="snapstart-priming")
    try:
        yield
    finally:
        events.unregister("before-send.dynamodb", unique_id="snapstart-priming")


class _Body:
    """The raw body botocore reads an `AWSResponse` from."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class _PrimingContext:
    aws_request_id = PRIMING_REQUEST_ID
    function_name = "priming"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:priming"
    memory_limit_in_mb = 1024

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _list_event(path: str) -> dict[str, Any]:
    """An anonymous API Gateway (REST) request for one page of a public list."""
    headers = {"Accept": "application/json", "Host": "priming.invalid"}
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {"limit": "10"},
        "multiValueQueryStringParameters": {"limit": ["10"]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": path,
            "stage": "priming",
            "requestId": PRIMING_REQUEST_ID,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "snapstart-priming"},
        },
        "body": None,
        "isBase64Encoded": False,
    }

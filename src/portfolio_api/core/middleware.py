"""The one pure-ASGI middleware in front of the routes: everything every request goes through.

One layer instead of five (request id and access log, CORS, body limit and last-resort 500, the
API Gateway stage prefix, the time budget): each layer costs a call frame, a closure and a `send`
wrapper per request, and pure ASGI rather than `BaseHTTPMiddleware`, which costs a task and a
copy more.
"""

import json
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portfolio_api.core.caching import CachePolicy
from portfolio_api.core.cors import CorsPolicy, Header
from portfolio_api.core.deadline import budget_for, time_budget
from portfolio_api.core.errors import ApiError, CrossOriginRefused, InternalError, PayloadTooLarge
from portfolio_api.core.logging import request_id_var
from portfolio_api.observability.metrics import MetricsSink, MetricsTally

logger = logging.getLogger("portfolio_api.http")

MAX_BODY_BYTES = 1024 * 1024
PROBLEM_CODE = "problem_code"  # in the request's state: the code of the problem answered


class _ColdStart:
    """Whether the next request is the first of this process (or of a SnapStart restore)."""

    pending = True


def mark_cold_start() -> None:
    """The next request is a cold start: after a restore, priming having served requests."""
    _ColdStart.pending = True


def _take_cold_start() -> bool:
    cold, _ColdStart.pending = _ColdStart.pending, False
    return cold


def problem_body(error: ApiError, request_id: str, instance: str | None = None) -> dict[str, Any]:
    """The RFC 9457 body shared by every error path, middleware and handlers alike."""
    body: dict[str, Any] = {
        "type": error.type_uri,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        "requestId": request_id,
    }
    if instance:
        body["instance"] = instance
    if error.errors is not None:
        body["errors"] = error.errors
    return body


async def send_problem(
    send: Send,
    error: ApiError,
    request_id: str,
    state: dict[str, Any],
    extra_headers: Sequence[Header] = (),
) -> None:
    """Answer with a problem directly at the ASGI level, before or outside routing; its code
    goes into the request's state, for the access line."""
    state[PROBLEM_CODE] = error.code
    payload = json.dumps(problem_body(error, request_id)).encode()
    headers = [
        *extra_headers,
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _aws_request_id(event: object) -> str | None:
    if isinstance(event, dict):
        rid = (event.get("requestContext") or {}).get("requestId")
        return str(rid) if rid else None
    return None


def _with_stage_prefix(scope: Scope, event: object) -> Scope:
    """Under API Gateway a stage (`/prod`) precedes the path: expose it as `root_path`.

    Then `/prod/docs` loads its spec from `/prod/openapi.json`. A custom domain without the stage
    in its URLs leaves `requestContext.path` equal to `path`, and nothing changes.
    """
    if not isinstance(event, dict):
        return scope
    public_path = str((event.get("requestContext") or {}).get("path") or "")
    path = scope["path"]
    if public_path != path and public_path.endswith(path) and path.startswith("/"):
        prefix = public_path[: len(public_path) - len(path)].rstrip("/")
        if prefix:
            return {**scope, "root_path": prefix, "path": prefix + path}
    return scope


class EdgeMiddleware:
    """Request id (API Gateway's under Lambda) and access log; CORS; a body limit; a 500 of last
    resort; the stage prefix; the time budget (`core/deadline.py`), the same under Mangum, where
    the invocation's remaining time may shorten it, as under any ASGI server.

    A 413, a 500 and a preflight's answer all carry the request id and the CORS headers a
    browser needs to read them. Every answer carries the caching headers (`core/caching.py`).
    """

    def __init__(
        self,
        app: ASGIApp,
        cors: CorsPolicy,
        caching: CachePolicy,
        metrics: MetricsSink,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.cors = cors
        self.caching = caching
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        event = scope.get("aws.event")
        scope = _with_stage_prefix(scope, event)
        request_id = _aws_request_id(event) or uuid.uuid4().hex
        context_token = request_id_var.set(request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        cold_start = _take_cold_start()
        tally = MetricsTally(self.metrics)
        tally.open()
        request = _RequestHeaders(scope)
        started = time.perf_counter()
        status = 0
        id_header = (b"x-request-id", request_id.encode())

        async def send_answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = self.caching.answer_headers(
                    list(message.get("headers", [])),
                    scope["method"],
                    status,
                    with_credentials=request.has_credentials,
                )
                headers = self.cors.answer_headers(headers, request.origin)
                message["headers"] = [*headers, id_header]
            await send(message)

        try:
            with time_budget(budget_for(scope.get("aws.context"))):
                if request.is_preflight:
                    status = await self._answer_preflight(request, send, request_id, state)
                else:
                    await self._serve(scope, receive, send_answer, request, request_id)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": getattr(scope.get("route"), "path", None),
                    "path": scope["path"],
                    "status": status,
                    "durationMs": round((time.perf_counter() - started) * 1000, 2),
                    "coldStart": cold_start,
                    "code": state.get(PROBLEM_CODE),
                },
            )
            tally.close()
            request_id_var.reset(context_token)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, request: "_RequestHeaders", rid: str
    ) -> None:
        """The app, with the body read up to the limit first; a crash before an answer is a 500."""
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            buffered = await self._read_limited_body(request, receive)
            if buffered is None:
                await send_problem(
                    send, PayloadTooLarge("The body exceeds 1 MiB."), rid, scope["state"]
                )
                return
            await self.app(scope, _replay(buffered), tracking_send)
        except Exception:
            logger.exception("unhandled error")
            if not started:
                await send_problem(send, InternalError(), rid, scope["state"])

    async def _answer_preflight(
        self, request: "_RequestHeaders", send: Send, rid: str, state: dict[str, Any]
    ) -> int:
        """Answered here, before routing: no route of the app answers `OPTIONS` itself.

        A refusal is a 403 problem that grants nothing; the browser then blocks the request.
        """
        verdict = self.cors.preflight(
            request.origin or "",
            request.preflight_method or "",
            request.requested_headers,
            request.private_network,
        )
        id_header = (b"x-request-id", rid.encode())
        headers = [*self.caching.preflight_headers(), *verdict.headers, id_header]
        if verdict.refused:
            error = CrossOriginRefused(
                "This cross-origin request is not allowed: "
                + "; ".join(reason for _, reason in verdict.refused)
                + ".",
                errors=[{"field": name, "message": reason} for name, reason in verdict.refused],
            )
            await send_problem(send, error, rid, state, extra_headers=headers)
            return error.status
        ok = b"OK"
        headers += [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"2")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": ok})
        return 200

    async def _read_limited_body(
        self, request: "_RequestHeaders", receive: Receive
    ) -> bytes | None:
        """The whole body, or None once it is over the limit; declared lengths fail fast."""
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class _RequestHeaders:
    """The few request headers the edge reads, found in one pass over the scope's list."""

    __slots__ = (
        "content_length",
        "has_credentials",
        "origin",
        "preflight_method",
        "private_network",
        "requested_headers",
    )

    def __init__(self, scope: Scope) -> None:
        self.origin: str | None = None
        self.preflight_method: str | None = None
        self.requested_headers: str | None = None
        self.private_network = False
        self.content_length: int | None = None
        self.has_credentials = False
        for name, value in scope.get("headers", ()):
            if name == b"origin" and self.origin is None:
                self.origin = value.decode("latin-1")
            elif name == b"authorization":
                self.has_credentials = True
            elif name == b"content-length" and value.isdigit():
                self.content_length = int(value)
            elif name.startswith(b"access-control-request-"):
                self._read_preflight(name, value.decode("latin-1"))
        if scope["method"] != "OPTIONS" or self.origin is None:
            self.preflight_method = None

    def _read_preflight(self, name: bytes, value: str) -> None:
        if name == b"access-control-request-method":
            self.preflight_method = value
        elif name == b"access-control-request-headers":
            self.requested_headers = value
        elif name == b"access-control-request-private-network":
            self.private_network = True

    @property
    def is_preflight(self) -> bool:
        """`OPTIONS` from a page, asking whether a request may be made."""
        return self.preflight_method is not None


def _replay(body: bytes) -> Receive:
    """A receive callable that hands the buffered body to the app once, then waits politely."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive

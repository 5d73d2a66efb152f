"""Pure ASGI middleware: request ids, the body limit, and the last-resort 500.

Pure ASGI rather than `BaseHTTPMiddleware`, which costs a task and a copy per request.
"""

import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portfolio_api.core.errors import ApiError, InternalError, PayloadTooLarge
from portfolio_api.core.logging import request_id_var

logger = logging.getLogger("portfolio_api.http")

MAX_BODY_BYTES = 1024 * 1024


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


async def send_problem(send: Send, error: ApiError, request_id: str) -> None:
    """Answer with a problem directly at the ASGI level, before or outside routing."""
    payload = json.dumps(problem_body(error, request_id)).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _aws_request_id(scope: Scope) -> str | None:
    event = scope.get("aws.event")
    if isinstance(event, dict):
        rid = (event.get("requestContext") or {}).get("requestId")
        return str(rid) if rid else None
    return None


class RequestContextMiddleware:
    """Outermost: gives every request an id (API Gateway's under Lambda), echoes it, logs access."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _aws_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "durationMs": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class GuardMiddleware:
    """Inside CORS: rejects bodies over 1 MiB before any route runs, turns a crash into a bare 500.

    Sitting inside CORS means even these answers carry the CORS headers a browser needs.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id", "-")
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            buffered = await self._read_limited_body(scope, receive)
            if buffered is None:
                await send_problem(send, PayloadTooLarge("The body exceeds 1 MiB."), request_id)
                return
            await self.app(scope, _replay(buffered), tracking_send)
        except Exception:
            logger.exception("unhandled error")
            if not started:
                await send_problem(send, InternalError(), request_id)

    async def _read_limited_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None once it is over the limit; declared lengths fail fast."""
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body_bytes:
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


class StagePrefixMiddleware:
    """Under API Gateway a stage (`/prod`) precedes the path: expose it as `root_path`.

    Then `/prod/docs` loads its spec from `/prod/openapi.json`. A custom domain without the stage
    in its URLs leaves `requestContext.path` equal to `path`, and nothing changes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        event = scope.get("aws.event")
        if scope["type"] == "http" and isinstance(event, dict):
            public_path = str((event.get("requestContext") or {}).get("path") or "")
            path = scope["path"]
            if public_path != path and public_path.endswith(path) and path.startswith("/"):
                prefix = public_path[: len(public_path) - len(path)].rstrip("/")
                if prefix:
                    scope = {**scope, "root_path": prefix, "path": prefix + path}
        await self.app(scope, receive, send)

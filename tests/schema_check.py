"""Every JSON answer a test receives is checked against its route's documented `response_model`:
the typed boundary, held on every call of the suite rather than by one test per route."""

import json
from typing import Any

from fastapi.routing import iter_route_contexts
from pydantic import TypeAdapter, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


class SchemaCheckedApp:
    """The app, with each 2xx JSON body validated against the matched route's response model;
    mismatches are kept in `mismatches` (method, path, status, pydantic's report)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.mismatches: list[str] = []
        self.checked = 0

    def __getattr__(self, name: str) -> Any:
        """Everything else is the app's (`client.app.state`, routes...)."""
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        json_body = False
        chunks: list[bytes] = []

        sent_headers: set[str] = set()

        async def capture(message: Message) -> None:
            nonlocal status, json_body
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers", []))
                sent_headers.update(name.decode().lower() for name in headers)
                json_body = headers.get(b"content-type", b"").startswith(b"application/json")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        route = scope.get("route")
        model = getattr(route, "response_model", None)
        if 200 <= status < 300 and json_body and model is not None:
            self._check(scope, status, model, b"".join(chunks))
        if route is not None:
            self._check_headers(scope, route, status, sent_headers)

    def _check(self, scope: Scope, status: int, model: Any, body: bytes) -> None:
        adapter = _ADAPTERS.setdefault(model, TypeAdapter(model))
        self.checked += 1
        try:
            adapter.validate_python(json.loads(body))
        except ValidationError as exc:
            self.mismatches.append(f"{scope['method']} {scope['path']} {status}: {exc}")

    def _check_headers(self, scope: Scope, route: Any, status: int, sent: set[str]) -> None:
        """Every header the document declares on this answer is sent (`Retry-After` aside: it
        is declared where it may come, on 429 and 503)."""
        key = _operation_key(route, scope["method"])
        if key not in _DECLARED_HEADERS:
            _learn_declared_headers(self.app)
        declared = _DECLARED_HEADERS.get(key, {}).get(str(status))
        if declared is None:
            return
        if missing := sorted(declared - {"retry-after"} - sent):
            self.mismatches.append(
                f"{scope['method']} {scope['path']} {status}: declared, not sent: {missing}"
            )


_DECLARED_HEADERS: dict[tuple[str, str, str], dict[str, frozenset[str]]] = {}
"""(path, method, endpoint) -> status -> the headers the document declares, learnt once per
process: every app of a run documents the same endpoint alike, and a document costs ~0.4 s."""


def _operation_key(route: Any, method: str) -> tuple[str, str, str]:
    endpoint = getattr(route, "endpoint", None)
    name = f"{getattr(endpoint, '__module__', '')}.{getattr(endpoint, '__qualname__', '')}"
    return getattr(route, "path_format", ""), method.lower(), name


def _learn_declared_headers(app: Any) -> None:
    """Every operation's declared headers from one app's document (built once per process for
    the app's code, not once per test)."""
    document = app.openapi()  # loads the deferred routes too
    for route in iter_route_contexts(app.routes):
        for method in getattr(route, "methods", None) or ():
            key = _operation_key(route, method)
            operation = document["paths"].get(key[0], {}).get(key[1], {})
            _DECLARED_HEADERS[key] = {
                status: frozenset(name.lower() for name in answer.get("headers", {}))
                for status, answer in operation.get("responses", {}).items()
            }

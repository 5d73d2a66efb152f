"""Every JSON answer a test receives is checked against its route's documented `response_model`:
the typed boundary, held on every call of the suite rather than by one test per route."""

import json
from typing import Any

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
        document = self.app.openapi()  # type: ignore[attr-defined]
        operation = document["paths"].get(getattr(route, "path_format", ""), {})
        answer = operation.get(scope["method"].lower(), {}).get("responses", {}).get(str(status))
        if answer is None:
            return
        declared = {name.lower() for name in answer.get("headers", {})} - {"retry-after"}
        if missing := sorted(declared - sent):
            self.mismatches.append(
                f"{scope['method']} {scope['path']} {status}: declared, not sent: {missing}"
            )

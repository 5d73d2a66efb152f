"""Routers that load when a request first reaches them, so a cold start builds what visitors use.

A portfolio's cold Lambda mostly meets a visitor: a public list, an item, a counted visit. The
account routes (sign-in, profile, tasks) are imported, and their operations built, by the first
request under their prefixes, or by anything that needs every route (the OpenAPI document, the
SnapStart priming). Until then one placeholder route stands last in the app's list and claims
those prefixes; loading puts the real routers in its place, in the order declared, and the
request is routed again.
"""

import importlib
import threading
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send


class DeferredRouters(BaseRoute):
    """Stands for the routers of some modules until a request under one of their prefixes."""

    def __init__(self, router: APIRouter, modules: Mapping[str, str]) -> None:
        """`modules` maps each path prefix (`/v1/tasks`) to the module whose `router` serves it."""
        self._router = router
        self._modules = dict(modules)
        self._lock = threading.Lock()
        self.loaded = False

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """A full match for any path under a deferred prefix, while the routers are not loaded."""
        if self.loaded or scope["type"] != "http":
            return Match.NONE, {}
        path = _route_path(scope)
        for prefix in self._modules:
            if path == prefix or path.startswith(prefix + "/"):
                return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Load the routers, then route the request again: it now meets the real routes."""
        self.load()
        await self._router(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        """No route of its own: names resolve once the routers are loaded."""
        raise NoMatchFound(name, path_params)

    def load(self) -> None:
        """Include every deferred router where this placeholder stands, once."""
        with self._lock:
            if self.loaded:
                return
            for module in self._modules.values():
                router: APIRouter = importlib.import_module(module).router
                self._router.include_router(router)
            self._router.routes.remove(self)
            self.loaded = True


def _route_path(scope: Scope) -> str:
    """The path as routes see it: without the `root_path` (the stage) when it precedes it."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root + "/") else path


def load_deferred_routes(router: APIRouter) -> None:
    """Every route in place: for the OpenAPI document, tests of the route table, and priming."""
    for route in list(router.routes):
        if isinstance(route, DeferredRouters):
            route.load()

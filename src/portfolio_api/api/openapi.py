"""The OpenAPI document as client generators and linters need it, built once per app.

FastAPI's own document is the start. On top: each operation's security as the route checks it
(none, optional or required), one shared `Problem` schema for every error, the headers answers
carry, the answers any request may get, and `servers`, tags, license and contact. What each
route checks is read off its dependencies, so the document cannot drift from the code.
"""

import copy
import threading
from collections.abc import Callable, Iterator
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic.alias_generators import to_camel

from portfolio_api.api.deferred import load_deferred_routes
from portfolio_api.api.deps import current_user, optional_user, owner_user
from portfolio_api.api.responses import ANY_REQUEST, problem_responses
from portfolio_api.schemas.common import Problem

SCHEME = "bearer"
Access = Literal["public", "optional", "required"]

SECURITY: dict[Access, list[dict[str, list[str]]]] = {
    "public": [],
    "optional": [{}, {SCHEME: []}],  # OpenAPI's way to say "with a token or without"
    "required": [{SCHEME: []}],
}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "This request's id; problems repeat it as `requestId`, logs carry it.",
        "required": True,
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": 'The version answered (`"3"`): send it back in `If-Match` or '
        '`If-None-Match`. Lists carry a weak one (`W/"…"`).',
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The created resource, or the item's current address (301).",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    },
}

TAG_DESCRIPTIONS = {
    "health": "Liveness of the function.",
    "auth": "Sign-up, sign-in, tokens and passwords (Cognito). Routes that need no user ignore "
    "`Authorization`, so a stale token never blocks signing in.",
    "users": "The caller's own profile, and the export of everything they stored.",
    "tasks": "Each user's own task list.",
    "products": "The catalog: public while active, written by the owner.",
    "analytics": "Privacy-friendly visitor and view counts, and the owner's reports.",
}

_LOCK = threading.Lock()


def operation_id(route: APIRoute) -> str:
    """A route's operation id: its function's name in camelCase (`list_products` ->
    `listProducts`), unless the route names one itself (the content routes do)."""
    return to_camel(route.name)


def openapi_document(app: FastAPI, tags: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The app's document, built on first use; concurrent first requests build it once."""
    with _LOCK:
        if app.openapi_schema is None:
            app.openapi_schema = _build(app, tags)
    return app.openapi_schema


def _build(app: FastAPI, tags: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    load_deferred_routes(app.router)
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=[{"name": name, "description": text} for name, text in tags],
        # Behind a stage prefix, /openapi.json lists the prefixed URL (`/prod`) before this one.
        servers=[{"url": "/", "description": "The API's root on the host that serves this."}],
        license_info={"name": "All rights reserved", "identifier": "LicenseRef-Proprietary"},
        contact={"name": "The site's owner"},
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["headers"] = copy.deepcopy(HEADERS)
    for operation, dependant in _operations(document, app):
        _declare_security(operation, _access(dependant))
        _tidy_answers(operation, schemas)
    return document


def _operations(
    document: dict[str, Any], app: FastAPI
) -> Iterator[tuple[dict[str, Any], Dependant]]:
    """Each operation of the document with the dependencies of the route that serves it (as
    included: its routers' dependencies too)."""
    dependants = {
        (context.path_format, method.lower()): context.dependant
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            yield operation, dependants[(path, method)]


def _access(dependant: Dependant) -> Access:
    """What a route asks of the caller, read off its dependency tree."""
    calls = set(_calls(dependant))
    if calls & {current_user, owner_user}:
        return "required"
    if optional_user in calls:
        return "optional"
    return "public"


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _declare_security(operation: dict[str, Any], access: Access) -> None:
    # `[]` says "no token" outright, as linters ask; a copy, so no two operations share a list.
    operation["security"] = copy.deepcopy(SECURITY[access])


def _tidy_answers(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """No FastAPI 422 (validation is a 400 problem here), the answers any request may get, and
    the headers each answer carries."""
    responses = operation.setdefault("responses", {})
    if responses.get("422", {}).get("description") == "Validation Error":
        del responses["422"]
    for status, answer in problem_responses(*ANY_REQUEST).items():
        responses.setdefault(str(status), answer)
    revalidated = "304" in responses
    for status, answer in responses.items():
        answer["headers"] = {
            name: {"$ref": f"#/components/headers/{name}"}
            for name in _headers_of(int(status), _versioned(answer, schemas), revalidated)
        }


def _headers_of(status: int, versioned: bool, revalidated: bool) -> list[str]:
    """The headers an answer carries: its request id always, a versioned resource's `ETag` (and
    `Location` when it was created), a list's weak `ETag`, a redirect's `Location`, and when to
    retry. `tests/schema_check.py` checks every answer of the suite carries what is declared."""
    names = ["X-Request-Id"]
    if status == 301 or (status == 201 and versioned):
        names.append("Location")
    if status == 304 or (status in (200, 201) and versioned) or (status == 200 and revalidated):
        names.append("ETag")
    if status in (429, 503):
        names.append("Retry-After")
    return names


def _versioned(answer: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether an answer is one versioned resource (it then carries that version's ETag): its
    `version` is the integer `If-Match` names, not an app's version string (`/health`)."""
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    version = schemas.get(name, {}).get("properties", {}).get("version", {})
    return bool(version.get("type") == "integer")

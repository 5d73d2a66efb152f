"""The gateway's routes and their auth, derived from the app itself: no drift in either direction.

Each route's level comes from its FastAPI dependencies: `owner_user` makes it *owner*,
`current_user` *user*, anything else *public* (optional auth included). template.yaml's
DefinitionBody must list exactly the app's routes (OPTIONS aside: every gateway path answers
preflights through the function), with the Cognito authorizer on precisely the *owner* and *user*
ones. Path parameters are compared by position, not name. API Gateway and OpenAPI tools allow one
parameter name per path level, where the contract names `C/{idOrSlug}` and `C/{id}` differently:
both are `C/{id}` in the document and the template.

tests/conftest.py sets the environment the app reads before this module imports it.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant

from portfolio_api.api.deferred import load_deferred_routes
from portfolio_api.api.deps import (
    OWNER_ONLY,
    CurrentUser,
    OptionalUser,
    OwnerUser,
    current_user,
    owner_user,
)
from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.main import create_app
from tests.infra.test_template import resource, template

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SECURED = "secured"
PUBLIC = "public"
PARAMETER = re.compile(r"\{[^}]*\}")
LAMBDA_PROXY = {
    "type": "aws_proxy",
    "httpMethod": "POST",
    "uri": {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
        "functions/${ApiFunction.Alias}/invocations"
    },
    "passthroughBehavior": "when_no_match",
}
Route = tuple[str, str]
"""(METHOD, normalised path)"""


def normalise(path: str) -> str:
    """The path with every parameter unnamed: `/v1/tasks/{taskId}` -> `/v1/tasks/{}`."""
    return PARAMETER.sub("{}", path)


def _routes_with_context(app: FastAPI) -> Iterable[Any]:
    """The app's routes as served, prefixes applied (FastAPI >= 0.16x includes routers lazily),
    the deferred account routers loaded."""
    load_deferred_routes(app.router)
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI copying included routes into app.routes
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    yield dependant.call
    for dependency in dependant.dependencies:
        yield from _calls(dependency)


def level(route: Any) -> str:
    """owner, user or public, from the route's dependency tree (its `dependencies=` included)."""
    calls: set[Any] = set()
    dependant = getattr(route, "dependant", None)
    if dependant is not None:
        calls |= set(_calls(dependant))
    for depends in getattr(route, "dependencies", None) or []:
        calls.add(depends.dependency)
    if owner_user in calls:
        return "owner"
    if current_user in calls:
        return "user"
    return "public"


def routes_of(app: FastAPI) -> list[tuple[str, str, str]]:
    """(METHOD, FastAPI's path template, level) of every route the app serves."""
    found = []
    for route in _routes_with_context(app):
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        methods = getattr(route, "methods", None)
        assert path and methods, f"a route the gateway cannot list one by one: {route!r}"
        found += [(method.upper(), path, level(route)) for method in methods]
    return found


@cache
def app_routes() -> list[tuple[str, str, str]]:
    return routes_of(create_app())


@pytest.fixture(scope="module")
def app_levels() -> dict[Route, str]:
    levels: dict[Route, str] = {}
    for method, path, route_level in app_routes():
        key = (method, normalise(path))
        assert key not in levels, f"two app routes for {key}"
        levels[key] = route_level
    return levels


def gateway_paths() -> dict[str, dict[str, Any]]:
    body = resource("PortfolioApi", "AWS::Serverless::Api")["DefinitionBody"]
    paths: dict[str, dict[str, Any]] = body["paths"]
    return paths


@pytest.fixture(scope="module")
def gateway_levels() -> dict[Route, str]:
    levels: dict[Route, str] = {}
    for path, item in gateway_paths().items():
        unknown = set(item) - HTTP_METHODS
        assert not unknown, f"{path}: only explicit methods (no ANY, no path-level extras)"
        for method, operation in item.items():
            assert operation["x-amazon-apigateway-integration"] == LAMBDA_PROXY, (method, path)
            security = operation.get("security")
            if method == "options":
                assert security is None, f"a preflight never carries a token: {path}"
                continue
            key = (method.upper(), normalise(path))
            assert key not in levels, f"two gateway routes for {key}"
            if security is None:
                levels[key] = PUBLIC
            else:
                # No scopes: the authorizer takes ID tokens (see the note in template.yaml).
                assert security == [{"CognitoAuthorizer": []}], key
                levels[key] = SECURED
    return levels


def test_the_app_has_routes_of_every_level(app_levels: dict[Route, str]) -> None:
    # Guards the derivation itself: were the dependency walk broken, all would be public.
    assert set(app_levels.values()) == {"owner", "user", "public"}
    assert app_levels[("GET", "/v1/users/me")] == "user"
    assert app_levels[("POST", "/v1/blog/posts")] == "owner"
    assert app_levels[("GET", "/v1/analytics/summary")] == "owner"
    assert app_levels[("GET", "/v1/blog/posts/{}")] == "public"  # optional auth
    assert app_levels[("GET", "/health")] == "public"


def test_levels_come_from_the_whole_dependency_tree() -> None:
    async def signed_in(user: CurrentUser) -> None:
        """A dependency that needs a user, as a route's own dependency might."""

    router = APIRouter(prefix="/x")

    @router.get("/owner-only", dependencies=OWNER_ONLY)
    async def owner_only() -> None: ...

    @router.get("/owner-param")
    async def owner_param(owner: OwnerUser) -> None: ...

    @router.get("/nested")
    async def nested(_: Annotated[None, Depends(signed_in)]) -> None: ...

    @router.get("/optional")
    async def optional(user: OptionalUser) -> None: ...

    @router.get("/plain")
    async def plain() -> None: ...

    guarded = APIRouter()

    @guarded.get("/y")
    async def by_inclusion() -> None: ...

    app = FastAPI()
    app.include_router(router)
    app.include_router(guarded, dependencies=OWNER_ONLY)
    routes = routes_of(app)
    levels = {path: found for _, path, found in routes if path.startswith(("/x/", "/y"))}
    assert levels == {
        "/x/owner-only": "owner",
        "/x/owner-param": "owner",
        "/x/nested": "user",
        "/x/optional": "public",
        "/x/plain": "public",
        "/y": "owner",
    }


def test_every_app_route_is_at_the_gateway_and_nothing_else(
    app_levels: dict[Route, str], gateway_levels: dict[Route, str]
) -> None:
    missing = sorted(set(app_levels) - set(gateway_levels))
    extra = sorted(set(gateway_levels) - set(app_levels))
    assert not missing, f"app routes the gateway does not serve: {missing}"
    assert not extra, f"gateway routes the app does not have: {extra}"


def test_the_authorizer_guards_exactly_the_owner_and_user_routes(
    app_levels: dict[Route, str], gateway_levels: dict[Route, str]
) -> None:
    expected = {
        route: SECURED if app_level in ("owner", "user") else PUBLIC
        for route, app_level in app_levels.items()
    }
    wrong = {
        route: f"app {app_levels[route]}, gateway {gateway_levels.get(route)}"
        for route in expected
        if gateway_levels.get(route) != expected[route]
    }
    assert not wrong, wrong


def test_every_gateway_path_answers_preflights() -> None:
    for path, item in gateway_paths().items():
        assert "options" in item, path


def test_gateway_parameter_names_are_fastapis_and_one_per_level() -> None:
    # API Gateway refuses sibling path parameters with different names (`{a}` next to `{b}`).
    app_names: dict[str, set[str]] = defaultdict(set)
    for _, path, _ in app_routes():
        _collect_names(path, app_names)
    gateway_names: dict[str, set[str]] = defaultdict(set)
    for path in gateway_paths():
        _collect_names(path, gateway_names)
    for parent, names in gateway_names.items():
        assert len(names) == 1, f"{parent}/: {sorted(names)}"
        assert names <= app_names[parent], f"{parent}/: {names} are not FastAPI's names"
    assert len({normalise(path) for path in gateway_paths()}) == len(gateway_paths())


CONTRACT_PARAMETER_PATHS = {
    "/v1/tasks/{taskId}": {"get", "patch", "delete"},
    "/v1/products/{productId}": {"get", "patch", "delete"},
    "/v1/products/{productId}/stock": {"post"},
    "/v1/analytics/views/{contentType}/{contentId}": {"get"},
}
"""API.md's paths with parameters, spelled as it spells them; the collections' follow."""
for _spec in ALL_COLLECTIONS:
    CONTRACT_PARAMETER_PATHS |= {
        f"{_spec.path}/{{idOrSlug}}": {"get"},
        f"{_spec.path}/{{id}}": {"patch", "delete"},
        f"{_spec.path}/{{id}}/publish": {"post"},
        f"{_spec.path}/{{id}}/unpublish": {"post"},
    }


def test_path_parameters_have_the_contracts_names() -> None:
    """The OpenAPI document and the gateway name path parameters as API.md does (`taskId`), so a
    client generated from either sees the contract's names; the one exception is the contract's
    `{idOrSlug}`, `{id}` like the rest of its level (one name per path position)."""
    document = create_app().openapi()
    gateway = gateway_paths()
    for contract_path, methods in CONTRACT_PARAMETER_PATHS.items():
        path = contract_path.replace("{idOrSlug}", "{id}")
        names = [segment[1:-1] for segment in PARAMETER.findall(path)]
        assert path in document["paths"], f"{path} is not in the OpenAPI document"
        assert methods <= set(document["paths"][path]), path
        for method in methods:
            parameters = document["paths"][path][method].get("parameters", [])
            in_path = [item["name"] for item in parameters if item["in"] == "path"]
            assert in_path == names, (method, path, in_path)
            assert method in gateway.get(path, {}), f"template.yaml has no {method} {path}"
    # Every other path parameter is camelCase too, like every name on the wire.
    for path in list(document["paths"]) + list(gateway):
        for segment in PARAMETER.findall(path):
            name = segment[1:-1]
            assert re.fullmatch(r"[a-z]+([A-Z][a-z0-9]*)*", name), f"{path}: {name}"


def _collect_names(path: str, into: dict[str, set[str]]) -> None:
    """Each path parameter's name, keyed by the normalised path of its parent resource."""
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if PARAMETER.fullmatch(segment):
            into[normalise("/".join(segments[:index]))].add(segment[1:-1])


def test_one_lambda_permission_for_the_whole_api() -> None:
    permissions = {
        name: item["Properties"]
        for name, item in template()["Resources"].items()
        if item["Type"] == "AWS::Lambda::Permission"
    }
    assert list(permissions) == ["ApiInvokePermission"]
    permission = permissions["ApiInvokePermission"]
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["FunctionName"] == {"Ref": "ApiFunction.Alias"}  # what the routes call
    assert permission["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        "${PortfolioApi}/*"
    }
    assert "Events" not in resource("ApiFunction", "AWS::Serverless::Function")

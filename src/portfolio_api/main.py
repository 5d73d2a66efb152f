"""The app: `create_app()` for uvicorn and tests, `handler` for AWS Lambda through Mangum.

Routes and dependencies are `async def` and call boto3 directly. Under Mangum a plain `def` route
or dependency hops to a worker thread on every call (measured at about 5x the warm cost), and
Lambda serves one request per container at a time, so the hop would buy nothing there.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from starlette.middleware.cors import CORSMiddleware

from portfolio_api.api.problems import install_problem_handlers
from portfolio_api.api.routers import analytics, auth, health, products, tasks, users
from portfolio_api.api.routers.content import build_content_router
from portfolio_api.container import Container
from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.core.exact_json import ExactJSONResponse
from portfolio_api.core.logging import configure_logging
from portfolio_api.core.middleware import (
    GuardMiddleware,
    RequestContextMiddleware,
    StagePrefixMiddleware,
)
from portfolio_api.core.settings import APP_VERSION, Settings, get_settings

EXPOSED_HEADERS = ["ETag", "Location", "X-Request-Id", "Retry-After"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key"]

DESCRIPTION = """\
The portfolio's backend. Errors are RFC 9457 `application/problem+json` with a stable `code`.
Authenticate with `Authorization: Bearer <Cognito ID token>` (access tokens work too); routes
marked with a lock need it, owner routes need the Cognito group `owner`.
"""


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the app for one configuration; reads the environment when none is given."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Portfolio API",
        version=APP_VERSION,
        description=DESCRIPTION,
        redirect_slashes=False,
        default_response_class=ExactJSONResponse,
    )
    app.state.container = container or Container(settings)
    app.state.environment = settings.environment
    install_problem_handlers(app)
    for module in (health, auth, users, tasks, products, analytics):
        app.include_router(module.router)
    for spec in ALL_COLLECTIONS:
        app.include_router(build_content_router(spec))
    # Added innermost first: RequestContext wraps CORS, which wraps Guard, so preflights get a
    # request id and even a 413 or a 500 carries the CORS headers a browser needs to read it.
    app.add_middleware(GuardMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_allow_origins),
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware)
    app.openapi = lambda: _openapi_document(app)  # type: ignore[method-assign]
    return app


def _openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document without its default 422s: this API answers validation with a 400."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            servers=app.servers,
        )
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if responses.get("422", {}).get("description") == "Validation Error":
                    del responses["422"]
        schemas = document.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = document
    return app.openapi_schema


def build_handler(application: FastAPI) -> Mangum:
    """The Lambda entry point over an app; lifespan is off, since Mangum would run it per call."""
    # problem+json is text: without it Mangum would base64 every error body, and API Gateway
    # (with no binary media types) would hand the client that base64 instead of JSON.
    return Mangum(
        StagePrefixMiddleware(application),
        lifespan="off",
        text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"],
    )


app = create_app()
handler = build_handler(app)

"""The app factory: `create_app()` builds the app, `build_handler(app)` puts Mangum in front of it.

Importing this module reads no setting and builds nothing, so tests and tools import it bare;
`lambda_handler.py`, the function's entry point, builds the app from the environment at init.

Routes and dependencies are `async def` and call botocore directly. Under Mangum a plain `def` route
or dependency hops to a worker thread on every call (measured at about 5x the warm cost), and
Lambda serves one request per container at a time, so the hop would buy nothing there.
"""

from fastapi import FastAPI
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from portfolio_api.api.deferred import DeferredRouters
from portfolio_api.api.docs import install_docs
from portfolio_api.api.openapi import TAG_DESCRIPTIONS, openapi_document, operation_id
from portfolio_api.api.problems import install_problem_handlers
from portfolio_api.api.routers import analytics, health, products
from portfolio_api.api.routers.content import build_content_router
from portfolio_api.container import Container
from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.core.caching import CachePolicy
from portfolio_api.core.cors import CorsPolicy
from portfolio_api.core.exact_json import ExactJSONResponse
from portfolio_api.core.logging import configure_logging
from portfolio_api.core.middleware import EdgeMiddleware
from portfolio_api.core.settings import APP_VERSION, Settings, get_settings
from portfolio_api.observability.emf import EmfSink
from portfolio_api.observability.metrics import LogSink, MetricsSink

EXPOSED_HEADERS = ("ETag", "Location", "X-Request-Id", "Retry-After")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key")
ALLOWED_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS")

# Imported and built when a request first reaches them (see api/deferred.py), in this order.
ACCOUNT_ROUTERS = {
    "/v1/auth": "portfolio_api.api.routers.auth",
    "/v1/users": "portfolio_api.api.routers.users",
    "/v1/tasks": "portfolio_api.api.routers.tasks",
}

# The document lists the groups (its `tags`) in this order, whatever order routes match in.
DOCUMENT_TAGS = (
    *TAG_DESCRIPTIONS.items(),
    *((spec.tag, spec.description) for spec in ALL_COLLECTIONS),
)

DESCRIPTION = """\
The portfolio's backend. Errors are RFC 9457 `application/problem+json` with a stable `code`.
Authenticate with `Authorization: Bearer <Cognito ID token>` (access tokens work too); routes
marked with a lock need it, owner routes need the Cognito group `owner`.
"""


def metrics_sink(settings: Settings) -> MetricsSink:
    """EMF lines on Lambda (`METRICS_FORMAT=emf`, set by the template), a readable log line
    elsewhere."""
    if settings.metrics_format == "emf":
        return EmfSink(settings.stack_name, settings.environment)
    return LogSink(settings.environment)


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
        generate_unique_id_function=operation_id,
        docs_url=None,  # install_docs serves /docs and /redoc, offline too (api/docs.py)
        redoc_url=None,
    )
    app.state.container = container or Container(settings)
    app.state.environment = settings.environment
    install_problem_handlers(app)
    # Routes match in registration order, each tried in turn: what visitors ask for comes first.
    for spec in ALL_COLLECTIONS:
        app.include_router(build_content_router(spec))
    for module in (products, analytics, health):
        app.include_router(module.router)
    app.router.routes.append(DeferredRouters(app.router, ACCOUNT_ROUTERS))
    install_docs(app)
    app.add_middleware(
        EdgeMiddleware,
        cors=CorsPolicy(
            allow_origins=settings.cors_allow_origins,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        ),
        caching=CachePolicy(public_max_age=settings.public_max_age),
        metrics=metrics_sink(settings),
    )
    app.openapi = lambda: openapi_document(app, DOCUMENT_TAGS)  # type: ignore[method-assign]
    return app


def build_handler(application: FastAPI) -> Mangum:
    """The Lambda entry point over an app; lifespan is off, since Mangum would run it per call."""
    # problem+json is text: without it Mangum would base64 every error body, and API Gateway
    # (with no binary media types) would hand the client that base64 instead of JSON.
    return Mangum(
        application,
        lifespan="off",
        text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"],
    )

"""Every error rendered as RFC 9457 problem+json, with the request id repeated in the body."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from portfolio_api.core.errors import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from portfolio_api.core.middleware import PROBLEM_CODE, problem_body
from portfolio_api.core.validation import error_list

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_response(request: Request, error: ApiError) -> JSONResponse:
    """The response for a domain error; its code goes into the request's state, for the access
    line (core/middleware.py)."""
    request_id = getattr(request.state, "request_id", "-")
    setattr(request.state, PROBLEM_CODE, error.code)
    return JSONResponse(
        problem_body(error, request_id),
        status_code=error.status,
        headers=error.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def validation_problem(exc: RequestValidationError) -> ValidationFailed:
    """Pydantic's report as field-named errors; malformed JSON reads as such."""
    errors = error_list(exc.errors())
    if any(error["type"] == "json_invalid" for error in exc.errors()):
        return ValidationFailed("The body is not valid JSON.", errors=errors)
    return ValidationFailed("The request is not valid.", errors=errors)


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem_response(request, exc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(request, validation_problem(exc))


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error: ApiError
    if exc.status_code == 404:
        error = NotFound("No such resource.")
    elif exc.status_code == 405:
        error = MethodNotAllowed(
            "This method is not allowed here.", headers=dict(exc.headers or {})
        )
    elif exc.status_code == 413:
        error = PayloadTooLarge()
    elif 400 <= exc.status_code < 500:
        error = ValidationFailed("The request could not be read.")
    else:
        error = InternalError()
    return problem_response(request, error)


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error through one renderer."""
    handlers: dict[Any, Any] = {
        ApiError: _on_api_error,
        RequestValidationError: _on_validation_error,
        StarletteHTTPException: _on_http_exception,
    }
    for exception_type, handler in handlers.items():
        app.add_exception_handler(exception_type, handler)

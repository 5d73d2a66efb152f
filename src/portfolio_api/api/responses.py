"""Shared answers: problem documentation for OpenAPI, and versioned resources with their ETag."""

from collections.abc import Mapping
from typing import Any

from portfolio_api.api.problems import PROBLEM_MEDIA_TYPE
from portfolio_api.core.etag import etag_for
from portfolio_api.core.exact_json import ExactJSONResponse

_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code", "requestId"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "requestId": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_DESCRIPTIONS = {
    400: "Validation error",
    401: "Missing or invalid credentials",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    412: "Stale If-Match",
    413: "Body over 1 MiB",
    422: "Idempotency-Key reused with another body",
    429: "Rate limited",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting problem+json answers."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def resource_response(resource: Mapping[str, Any]) -> ExactJSONResponse:
    """One versioned resource with its `ETag`."""
    return ExactJSONResponse(dict(resource), headers={"ETag": etag_for(int(resource["version"]))})

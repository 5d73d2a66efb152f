"""Shared answers: problem documentation for OpenAPI, and versioned resources with their ETag."""

from typing import Any, Protocol

from portfolio_api.api.problems import PROBLEM_MEDIA_TYPE
from portfolio_api.core.etag import etag_for
from portfolio_api.core.exact_json import ExactJSONResponse

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
"""Every error answer's schema: `Problem` (schemas/common.py), one component for all."""

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
    500: "Internal error (never with details)",
    503: "An AWS service is unavailable or slow, or the time budget is spent: retry later",
}

UNAVAILABLE = 503
"""Every route that declares problems reaches DynamoDB or Cognito (a token's check reads its
keys and its session's records), so each may be refused this way; `problems()` adds it."""

ANY_REQUEST = (413, 500)
"""What any request may be answered, whatever its route: the edge's body limit (decided before
routing) and the last resort. `api/openapi.py` adds them to every operation."""

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (`If-None-Match`)"}
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting problem+json answers, `UNAVAILABLE` among them."""
    return problem_responses(*statuses, UNAVAILABLE)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem+json answers of exactly these statuses."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
        }
        for status in statuses
    }


class Versioned(Protocol):
    """A read model that carries its version: what an `ETag` is made from."""

    @property
    def version(self) -> int: ...


def resource_response(resource: Versioned) -> ExactJSONResponse:
    """One versioned resource (a read model) with its `ETag`."""
    return ExactJSONResponse(resource, headers={"ETag": etag_for(resource.version)})

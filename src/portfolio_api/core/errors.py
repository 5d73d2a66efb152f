"""The error catalog: every domain error with its HTTP status and stable problem code.

Layers below `api/` raise these; `api/problems.py` renders them as RFC 9457 problem+json.
"""

from typing import ClassVar

PROBLEM_TYPE_PREFIX = "urn:portfolio-api:problem:"


class ApiError(Exception):
    """Base of every error a client may see; `code` is the contract's stable identifier."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}

    @property
    def type_uri(self) -> str:
        """A stable URI per code, so clients may switch on `type` or `code` alike."""
        return PROBLEM_TYPE_PREFIX + self.code


class ValidationFailed(ApiError):
    status, code, title = 400, "validation_error", "Validation error"


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class AccountClosed(Unauthorized):
    """The user was deleted; a token issued before that may not write anything new."""

    def __init__(self) -> None:
        super().__init__("This account has been deleted.")


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "Forbidden"


class CrossOriginRefused(Forbidden):
    """A preflight asked for what the CORS policy does not grant (origin, method or headers)."""


class NotFound(ApiError):
    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(ApiError):
    # The contract's code list has no 405 entry: the route (method + path) is not found.
    status, code, title = 405, "not_found", "Method not allowed"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(ApiError):
    status, code, title = 412, "precondition_failed", "Precondition failed"


class PayloadTooLarge(ApiError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class RateLimited(ApiError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str | None = None, retry_after_seconds: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})


class ServiceUnavailable(ApiError):
    status, code, title = 503, "service_unavailable", "Service unavailable"

    def __init__(self, detail: str | None = None, retry_after_seconds: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})


class OutcomeUnknown(ServiceUnavailable):
    """A write was sent and never answered, even when sent again: it may have been applied.

    Still a 503 to the client, but an idempotency key stays held: repeating a write that may
    have landed is how it would land twice.
    """

    def __init__(self) -> None:
        super().__init__(
            "The change was sent but not confirmed, and may have been applied: read the "
            "resource before sending it again (or resend it with the same Idempotency-Key).",
        )


class InternalError(ApiError):
    """Deliberately generic: a 500 never says more than this."""


# Specific codes named by the contract.


class EmailTaken(Conflict):
    code, title = "email_taken", "Email already registered"


class InvalidPassword(ValidationFailed):
    code, title = "invalid_password", "Password does not meet the policy"


class SignupDisabled(Forbidden):
    code, title = "signup_disabled", "Sign-up is disabled"


class InvalidCode(ValidationFailed):
    code, title = "invalid_code", "Invalid confirmation code"


class CodeExpired(ValidationFailed):
    code, title = "code_expired", "Confirmation code expired"


class InvalidCredentials(Unauthorized):
    code, title = "invalid_credentials", "Invalid credentials"


class UserNotConfirmed(Forbidden):
    code, title = "user_not_confirmed", "User not confirmed"

"""The one error hierarchy: services raise these, the edges translate them once.

Each error carries its HTTP status and a machine-readable ``code``; the API maps
any :class:`DomainError` to the JSON error shape in ``moderation/errors.py``, the
CLI to a message on stderr and a non-zero exit. Field-level problems go in
``details`` as ``{"field", "code", "message"}``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. Subclasses set ``status`` and ``code``; instances may override ``code``."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        if code is not None:
            self.code = code

    @property
    def exit_code(self) -> int:
        """The CLI's exit status for this error (2: bad input, 1: anything else)."""
        return 2 if self.status in (400, 422) else 1


class Invalid(DomainError):
    """Input that fails validation; ``details`` names the fields."""

    status = 422
    code = "validation_error"

    def __init__(self, message: str = "The request is invalid.", *,
                 details: list[dict[str, Any]] | None = None, code: str | None = None) -> None:
        super().__init__(message, details=details, code=code)

    @classmethod
    def field(cls, field: str, code: str, message: str, summary: str | None = None) -> Invalid:
        return cls(summary or "The request is invalid.",
                   details=[{"field": field, "code": code, "message": message}])


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """The caller may not do this (a role it lacks, self-approval, download before approval)."""

    status = 403
    code = "forbidden"


#: Older name used by the compliance services.
Refused = Forbidden


class NotFound(DomainError):
    status = 404
    code = "not_found"

    @classmethod
    def of(cls, what: str) -> NotFound:
        return cls(f"No such {what}.")


class Conflict(DomainError):
    """The object is in a state that doesn't allow this (a closed case, a decided comment)."""

    status = 409
    code = "conflict"


class Gone(DomainError):
    status = 410
    code = "gone"


class PreconditionFailed(DomainError):
    """``If-Match`` named a version that is no longer current."""

    status = 412
    code = "precondition_failed"


class PreconditionRequired(DomainError):
    status = 428
    code = "precondition_required"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


class Corrupted(DomainError):
    """A stored file no longer matches its recorded SHA-256 (the server's fault, not the caller's)."""

    status = 500
    code = "export_corrupted"


class Unavailable(DomainError):
    """A dependency (database, broker) is down; retry after ``retry_after`` seconds."""

    status = 503
    code = "service_unavailable"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})

"""Who is acting on compliance data, what they may see, and the refusals services raise.

Services raise these plain exceptions; the HTTP edge maps them to the JSON error
shape and the CLI to messages and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moderation.store import ApiKey


class ComplianceError(Exception):
    """Base class: ``code`` is the machine-readable error code."""

    code = "error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(ComplianceError):
    code = "not_found"


class Refused(ComplianceError):
    """The caller may not do this (self-approval, download before approval)."""

    code = "forbidden"


class Conflict(ComplianceError):
    """The object is in a state that doesn't allow this (a closed case)."""

    code = "conflict"


class Invalid(ComplianceError):
    """Input that only the service can judge (an unknown site in a scope)."""

    code = "validation_error"


class Corrupted(ComplianceError):
    """A stored export no longer matches its recorded SHA-256."""

    code = "export_corrupted"


#: Ids are 32-bit integers in the database; larger ones can't name anything.
MAX_ID = 2**31 - 1


def in_id_range(value: int) -> bool:
    return 0 < value <= MAX_ID


@dataclass(frozen=True)
class Actor:
    """The key (or system job) acting; ``site_id`` confines a scoped key to one site."""

    label: str
    key_id: int | None = None
    site_id: int | None = None

    @classmethod
    def from_key(cls, key: ApiKey) -> Actor:
        return cls(label=f"key:{key.id}", key_id=key.id, site_id=key.site_id)

    @property
    def is_scoped(self) -> bool:
        return self.site_id is not None

    def may_see(self, site_id: int | None) -> bool:
        """Unscoped actors see everything; a scoped one only objects of its own site."""
        return self.site_id is None or site_id == self.site_id


SYSTEM_RETENTION = Actor(label="system:retention")

"""Request bodies for the compliance endpoints (disclosure cases, exports, holds)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from moderation.api.schemas import RequiredText, Text, errors_to_details, parse_json_body
from moderation.errors import validation_error


def _ip_or_cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError("is not an IP address or CIDR block") from None


class _Body(BaseModel):
    # Parsed from JSON text in strict mode: ISO 8601 strings become datetimes, nothing else coerces.
    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=100_000)


class ScopeIn(_Body):
    comment_ids: Annotated[list[Annotated[int, Field(gt=0)]], Field(min_length=1, max_length=10_000)] \
        | None = None
    site: Annotated[RequiredText, StringConstraints(max_length=100)] | Annotated[int, Field(gt=0)] | None \
        = None
    article_id: Annotated[RequiredText, StringConstraints(max_length=200)] | None = None
    sender_email: Annotated[RequiredText, StringConstraints(max_length=320)] | None = None
    sender_ip: Annotated[RequiredText, StringConstraints(max_length=64), AfterValidator(_ip_or_cidr)] \
        | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _narrow_enough(self) -> ScopeIn:
        if not any((self.comment_ids, self.site, self.article_id, self.sender_email, self.sender_ip)):
            raise ValueError("needs at least one of comment_ids, site, article_id, sender_email, sender_ip")
        if self.since and self.until and self.until < self.since:
            raise ValueError("until is before since")
        return self


Reference = Annotated[RequiredText, StringConstraints(max_length=300)]


class CaseIn(_Body):
    authority: Reference
    legal_reference: Reference
    legal_basis: Annotated[RequiredText, StringConstraints(max_length=1000)]
    received_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    scope: ScopeIn
    notes: Annotated[Text, StringConstraints(max_length=10_000)] = ""


class ExportIn(_Body):
    format: Literal["csv", "json"] = "csv"


class HoldIn(_Body):
    scope: ScopeIn
    reference: Reference
    expires_at: AwareDatetime | None = None
    notes: Annotated[Text, StringConstraints(max_length=10_000)] = ""


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], raw: bytes, *, allow_empty: bool = False) -> M:
    """Validate a JSON object body against ``model`` or raise the one 422 shape."""
    if allow_empty and not raw.strip():
        raw = b"{}"
    parse_json_body(raw)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None

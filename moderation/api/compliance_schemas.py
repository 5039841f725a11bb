"""Request bodies for the compliance endpoints (disclosure cases, exports, holds)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from moderation.api.schemas import (
    Date,
    FutureDate,
    PastDate,
    RequiredText,
    Text,
    errors_to_details,
    parse_json_body,
)
from moderation.errors import validation_error
from moderation.services.access import MAX_ID


def _ip_or_cidr(value: str) -> str:
    try:
        if "%" in value:  # an IPv6 zone id names a local interface, never a sender
            raise ValueError(value)
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError("is not an IP address or CIDR block") from None


class _Body(BaseModel):
    # Parsed from JSON text in strict mode: ISO 8601 strings become datetimes, nothing else coerces.
    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=100_000)


def _integral(value: object) -> object:
    # JSON has one number type: 7.0 is the integer 7 (JSON Schema agrees), 7.5 is not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Id = Annotated[int, Field(gt=0, le=MAX_ID), BeforeValidator(_integral)]
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#: What the schema advertises (validation also accepts IPv6 CIDR blocks).
IP_OR_CIDR_SCHEMA = {"anyOf": [{"format": "ipv4"}, {"format": "ipv6"},
                               {"pattern": rf"^{_OCTET}(\.{_OCTET}){{3}}/(3[0-2]|[12]?[0-9])$"}]}
TARGETS = ("comment_ids", "site", "article_id", "sender_email", "sender_ip")


class ScopeIn(_Body):
    """Every given criterion must match; ``since``/``until`` are inclusive."""

    # The JSON schema states the "at least one target" rule that the validator enforces.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in TARGETS]})

    comment_ids: Annotated[list[Id], Field(min_length=1, max_length=10_000)] | None = None
    site: Annotated[RequiredText, StringConstraints(max_length=100)] | Id | None = None
    article_id: Annotated[RequiredText, StringConstraints(max_length=200)] | None = None
    sender_email: Annotated[RequiredText, StringConstraints(max_length=320)] | None = None
    sender_ip: Annotated[RequiredText, StringConstraints(max_length=64), AfterValidator(_ip_or_cidr),
                         Field(json_schema_extra=IP_OR_CIDR_SCHEMA)] | None = None
    since: Date | None = None
    until: Date | None = None

    @model_validator(mode="after")
    def _narrow_enough(self) -> ScopeIn:
        if all(getattr(self, name) is None for name in TARGETS):
            raise ValueError("needs at least one of " + ", ".join(TARGETS))
        return self


Reference = Annotated[RequiredText, StringConstraints(max_length=300)]


class CaseIn(_Body):
    authority: Reference
    legal_reference: Reference
    legal_basis: Annotated[RequiredText, StringConstraints(max_length=1000)]
    #: When the order arrived: not in the future (beyond a few minutes of clock skew).
    received_at: PastDate | None = None
    due_at: Date | None = None
    scope: ScopeIn
    notes: Annotated[Text, StringConstraints(max_length=10_000)] = ""


class ExportIn(_Body):
    format: Literal["csv", "json"] = "csv"


class CloseIn(_Body):
    #: Why the case closes; required unless an export of it was downloaded.
    reason: Annotated[Text, StringConstraints(max_length=500)] | None = None


class HoldIn(_Body):
    scope: ScopeIn
    reference: Reference
    #: A hold that has already expired would hold nothing: refused.
    expires_at: FutureDate | None = None
    notes: Annotated[Text, StringConstraints(max_length=10_000)] = ""


class ErasureIn(_Body):
    """A reader's request to erase their personal data (optionally on one site only)."""

    email: Annotated[RequiredText, StringConstraints(max_length=320),
                     Field(json_schema_extra={"format": "email"})]
    site: Annotated[RequiredText, StringConstraints(max_length=100)] | Id | None = None


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

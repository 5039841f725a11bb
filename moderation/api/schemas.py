"""Request schemas and their translation into the one field-level error shape."""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from moderation.domain.errors import Invalid
from moderation.errors import ApiError, validation_error
from moderation.pipeline.structure import DEFAULT_MAX_LENGTH, char_count


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


#: Whitespace as JSON Schema (ECMA-262) regexes define it, so schema and code agree.
WHITESPACE = " \\t\\n\\r\\f\\v\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_BLANK = re.compile(f"[{WHITESPACE}]*")


def _not_blank(value: str) -> str:
    if _BLANK.fullmatch(value):
        raise ValueError("must not be empty")
    return value


#: JSON-Schema spellings of the validators, so the OpenAPI document tells the truth.
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK_NO_NUL = f"^[^\\u0000]*[^{WHITESPACE}\\u0000][^\\u0000]*$"

Text = Annotated[str, AfterValidator(_no_nul), Field(json_schema_extra={"pattern": NO_NUL})]
RequiredText = Annotated[
    str, AfterValidator(_no_nul), AfterValidator(_not_blank),
    Field(json_schema_extra={"pattern": NOT_BLANK_NO_NUL}),
]
ShortId = Annotated[RequiredText, StringConstraints(max_length=200)]


def _valid_email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None


def _valid_ip(value: str) -> str:
    value = value.strip()
    # ipaddress accepts an IPv6 scope ("fe80::1%eth0"): that names a local interface, not a sender.
    try:
        if "%" in value:
            raise ValueError
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("is not a valid IPv4 or IPv6 address") from None


def _web_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a port that isn't a number in range
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or any(ch.isspace() for ch in value)):
        raise PydanticCustomError("invalid_url", "Must be an http:// or https:// URL.")
    return value


#: Every date the API accepts lies in this window: outside it a date is a typo or a
#: probe, and arithmetic on year 1 or 9999 overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
#: How far ahead of ours a client's clock may run for a "when it happened" timestamp.
CLOCK_SKEW = timedelta(minutes=5)
DATE_WINDOW_MESSAGE = "Must be between 2000-01-01 and 2100-01-01 (UTC)."


def date_in_window(value: datetime) -> bool:
    """Whether an aware ``value`` lies in [EARLIEST, LATEST)."""
    return EARLIEST <= value < LATEST


def _in_window(value: datetime) -> datetime:
    if not date_in_window(value):
        raise PydanticCustomError("out_of_range", DATE_WINDOW_MESSAGE)
    return value


def _not_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise PydanticCustomError("in_future", "Must not be in the future.")
    return value


def _future(value: datetime) -> datetime:
    if value <= datetime.now(UTC):
        raise PydanticCustomError("in_past", "Must be in the future.")
    return value


_DATE_SCHEMA = Field(json_schema_extra={"format": "date-time"})
#: A date-time with a time zone, between 2000-01-01 and 2100-01-01.
Date = Annotated[AwareDatetime, AfterValidator(_in_window), _DATE_SCHEMA]
#: ... that has already happened (up to CLOCK_SKEW ahead of our clock).
PastDate = Annotated[AwareDatetime, AfterValidator(_in_window), AfterValidator(_not_future), _DATE_SCHEMA]
#: ... that hasn't happened yet.
FutureDate = Annotated[AwareDatetime, AfterValidator(_in_window), AfterValidator(_future), _DATE_SCHEMA]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=100_000)


class Author(Strict):
    name: Annotated[RequiredText, StringConstraints(max_length=200)]
    email: Annotated[RequiredText, StringConstraints(max_length=320), AfterValidator(_valid_email),
                     Field(json_schema_extra={"format": "email"})]


class Sender(Strict):
    ip: Annotated[RequiredText, StringConstraints(max_length=64), AfterValidator(_valid_ip),
                  Field(json_schema_extra={"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]})]
    user_agent: Annotated[Text, StringConstraints(max_length=1000)] | None = None


class CommentIn(Strict):
    """What a site's comment form collects, plus what the site knows of the sender."""

    article_id: ShortId
    title: Annotated[RequiredText, StringConstraints(max_length=300)]
    #: The limit is the site's policy's ``max_length`` (README, "Site policies"), so the schema
    #: states none of its own.
    comment: Annotated[RequiredText, Field(description=(
        "The comment. At most the site policy's max_length characters after NFC normalisation "
        f"(default MODERATION_MAX_COMMENT_LENGTH, {DEFAULT_MAX_LENGTH})."))]
    author: Author
    sender: Sender
    article_url: Annotated[Text, StringConstraints(max_length=2000), AfterValidator(_web_url),
                           Field(json_schema_extra={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]"})
                           ] | None = None
    parent_id: ShortId | None = None
    external_id: ShortId | None = None

    @field_validator("comment")
    @classmethod
    def _within_length(cls, value: str, info: ValidationInfo) -> str:
        limit = (info.context or {}).get("max_length")
        if limit is None:
            raise RuntimeError("parse_comment() passes the site's length limit")
        count = char_count(value)
        if count > limit:
            raise ValueError(f"has {count} characters; the limit is {limit}")
        return value



#: Pydantic's names for the members of a union or a validator chain, which are no field's name.
_SCHEMA_TAG = re.compile(
    r"^(?:[a-z]+(?:-[a-z]+)*\[.*\]|constrained-[a-z]+|str|int|float|bool|none|list|dict)$", re.DOTALL)


def _field_path(loc: tuple[int | str, ...], *, literal: bool = False) -> str:
    parts = [str(part) for part in loc
             if literal or not (isinstance(part, str) and _SCHEMA_TAG.match(part))]
    return ".".join(parts) or "body"


_CHOICES = re.compile(r"\^\(([\w|]+)\)\$")
_TYPE_NAMES = {
    "string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
    "float_type": "a number", "bool_type": "true or false", "list_type": "an array",
    "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
    "datetime_type": "an ISO 8601 date-time", "none_required": "null",
}


def _message(item: Any) -> tuple[str, str]:
    """This API's code and wording for one Pydantic error (Pydantic's own wording leaks its internals)."""
    code: str = item["type"]
    ctx: dict[str, Any] = item.get("ctx") or {}
    value = item.get("input")
    noun = "characters" if isinstance(value, str) else "items"
    if code == "missing":
        return code, "This field is required."
    if code == "extra_forbidden":
        return "unknown_field", "Unknown field."
    if code in ("too_long", "string_too_long"):
        return "too_long", f"Must be at most {ctx.get('max_length')} {noun}."
    if code in ("too_short", "string_too_short"):
        minimum = ctx.get("min_length")
        if isinstance(value, str) and minimum == 1:
            return "too_short", "Must not be empty."
        return "too_short", f"Must be at least {minimum} {noun if minimum != 1 else noun[:-1]}."
    if code in _TYPE_NAMES:
        return code, f"Must be {_TYPE_NAMES[code]}."
    if code == "int_from_float":
        return code, "Must be a whole number."
    if code == "greater_than":
        return code, f"Must be greater than {ctx.get('gt')}."
    if code == "greater_than_equal":
        return code, f"Must be at least {ctx.get('ge')}."
    if code == "less_than":
        return code, f"Must be less than {ctx.get('lt')}."
    if code == "less_than_equal":
        return code, f"Must be at most {ctx.get('le')}."
    if code == "literal_error":
        return "invalid_choice", f"Must be one of: {ctx.get('expected')}."
    if code == "string_pattern_mismatch":
        choices = _CHOICES.fullmatch(str(ctx.get("pattern", "")))
        if choices:
            return "invalid_choice", f"Must be one of: {', '.join(choices.group(1).split('|'))}."
        return code, "Is not in the expected format."
    if code.startswith("datetime_") or code.startswith("date_"):
        return "invalid_datetime", "Must be an ISO 8601 date-time, such as 2026-11-01T09:00:00Z."
    if code == "timezone_aware":
        return code, "Must include a time zone (Z or +hh:mm)."
    if code == "value_error":
        return code, "Value " + str(item["msg"]).removeprefix("Value error, ")
    return code, str(item["msg"])


def errors_to_details(error: ValidationError) -> list[dict[str, Any]]:
    """Field-level details, one per field: a union's alternatives are merged into one message."""
    by_field: dict[str, dict[str, Any]] = {}
    for item in error.errors(include_url=False, include_input=True):
        field = _field_path(item["loc"], literal=item["type"] == "extra_forbidden")
        code, message = _message(item)
        known = by_field.get(field)
        if known is None:
            by_field[field] = {"field": field, "code": code, "message": message}
        elif message not in known["message"]:
            known["message"] = known["message"].rstrip(".") + "; or " + message[:1].lower() + message[1:]
    return list(by_field.values())


#: Arrays and objects nested deeper than this are refused before parsing (no body here needs 5).
MAX_JSON_DEPTH = 32
_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``raw`` nests arrays/objects more than ``limit`` deep (brackets in strings don't count).

    Linear in the body; bodies with few brackets skip the scan.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    skip_until = -1
    for match in _STRUCTURE.finditer(raw):
        position = match.start()
        if position < skip_until:
            continue  # the character a backslash escapes
        char = raw[position]
        if in_string:
            if char == 0x5C:  # backslash
                skip_until = position + 2
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif char in (0x5D, 0x7D):
            depth -= 1
    return False


def _depth_error() -> Invalid:
    return validation_error([{"field": "body", "code": "too_deep",
                              "message": f"The body nests arrays or objects more than {MAX_JSON_DEPTH} "
                                         f"levels deep; the limit is {MAX_JSON_DEPTH}."}])


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Decode a JSON object body or raise a 422 that says what is wrong with it."""
    if not raw:
        raise validation_error([{"field": "body", "code": "missing", "message": "A JSON body is required."}])
    if json_depth_exceeds(raw):
        raise _depth_error()
    try:
        data = json.loads(raw)
    except RecursionError:  # a nesting the scan couldn't see (UTF-16/32 bodies)
        raise _depth_error() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise validation_error(
            [{"field": "body", "code": "invalid_json", "message": f"The body is not valid JSON: {exc}"}]
        ) from None
    if not isinstance(data, dict):
        raise validation_error(
            [{"field": "body", "code": "invalid_type", "message": "The body must be a JSON object."}]
        )
    return data


def parse_comment(raw: bytes, *, max_length: int) -> CommentIn:
    data = parse_json_body(raw)
    try:
        return CommentIn.model_validate(data, context={"max_length": max_length})
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None


def parse_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 200 or not value.isprintable():
        raise ApiError(422, "validation_error", "The request is invalid.", [
            {"field": "header.Idempotency-Key", "code": "invalid",
             "message": "Idempotency-Key must be 1-200 printable characters."}])
    return value

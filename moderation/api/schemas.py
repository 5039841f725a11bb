"""Request schemas and their translation into the one field-level error shape."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

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
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError("is not a valid IPv4 or IPv6 address") from None


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
    article_url: Annotated[Text, StringConstraints(max_length=2000)] | None = None
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



def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def errors_to_details(error: ValidationError) -> list[dict[str, Any]]:
    details = []
    for item in error.errors(include_url=False, include_input=False):
        code = item["type"]
        message = item["msg"]
        if code == "missing":
            message = "This field is required."
        elif code == "extra_forbidden":
            code, message = "unknown_field", "Unknown field."
        elif code == "value_error":
            message = "Value " + message.removeprefix("Value error, ")
        details.append({"field": _field_path(item["loc"]), "code": code, "message": message})
    return details


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Decode a JSON object body or raise a 422 that says what is wrong with it."""
    if not raw:
        raise validation_error([{"field": "body", "code": "missing", "message": "A JSON body is required."}])
    try:
        data = json.loads(raw)
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

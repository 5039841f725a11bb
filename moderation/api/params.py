"""Query-string parsing for list endpoints, with the one 422 field-error shape."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask import request

from moderation.api.schemas import DATE_WINDOW_MESSAGE, date_in_window
from moderation.errors import validation_error

#: The largest id or number a query may carry (the databases' 32-bit integer columns).
MAX_INT = 2_147_483_647
#: The OpenAPI schema of such an id.
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_INT}


class QueryParams:
    """Reads typed query parameters, collecting every problem; :meth:`done` raises a 422."""

    def __init__(self, allowed: Sequence[str]) -> None:
        self.details: list[dict[str, Any]] = []
        for name in request.args:
            if name not in allowed:
                self._fail(name, "unknown_parameter", "Unknown query parameter.")

    def _fail(self, name: str, code: str, message: str) -> None:
        self.details.append({"field": f"query.{name}", "code": code, "message": message})

    def text(self, name: str, max_length: int = 200) -> str | None:
        value = request.args.get(name)
        if value is None or value == "":
            return None
        if len(value) > max_length or "\x00" in value:
            self._fail(name, "invalid", f"Must be at most {max_length} characters.")
            return None
        return value

    def choice(self, name: str, choices: Sequence[str], default: str | None = None) -> str | None:
        value = request.args.get(name)
        if value is None or value == "":
            return default
        if value not in choices:
            self._fail(name, "invalid_choice", f"Must be one of: {', '.join(choices)}.")
            return default
        return value

    def integer(self, name: str, *, minimum: int = 1, maximum: int = MAX_INT,
                default: int | None = None) -> int | None:
        value = request.args.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            self._fail(name, "invalid_integer", "Must be an integer.")
            return default
        if number < minimum or number > maximum:
            self._fail(name, "out_of_range", f"Must be between {minimum} and {maximum}.")
            return default
        return number

    def number(self, name: str, *, minimum: float = 0.0, maximum: float = 1.0) -> float | None:
        value = request.args.get(name)
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except ValueError:
            self._fail(name, "invalid_number", "Must be a number.")
            return None
        if not minimum <= number <= maximum:
            self._fail(name, "out_of_range", f"Must be between {minimum} and {maximum}.")
            return None
        return number

    def timestamp(self, name: str) -> datetime | None:
        value = request.args.get(name)
        if value is None or value == "":
            return None
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self._fail(name, "invalid_datetime", "Must be an ISO 8601 date or date-time.")
            return None
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
        if not date_in_window(when):
            self._fail(name, "out_of_range", DATE_WINDOW_MESSAGE)
            return None
        return when

    def boolean(self, name: str, default: bool) -> bool:
        value = request.args.get(name)
        if value is None or value == "":
            return default
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        self._fail(name, "invalid_boolean", "Must be true or false.")
        return default

    def done(self) -> None:
        if self.details:
            raise validation_error(self.details, "The query parameters are invalid.")

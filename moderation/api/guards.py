"""Request-wide input guards that no single schema should have to remember.

PostgreSQL text columns can't hold NUL characters, so a NUL anywhere in a JSON body
or a query parameter is refused up front with a field-level 422, whatever the
endpoint, instead of failing deep in the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Flask, request

from moderation.api.schemas import json_depth_exceeds
from moderation.errors import validation_error


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield f"{path}.{key!r}" if path else repr(key)
            yield from _nul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}" if path else str(index))


def _reject_nul_characters() -> None:
    fields = [f"query.{name}" for name, value in request.args.items(multi=True)
              if "\x00" in name or "\x00" in value]
    raw = request.get_data(cache=True)
    if raw and (b"\\u0000" in raw or b"\x00" in raw) and not json_depth_exceeds(raw):
        try:
            fields += list(_nul_paths(json.loads(raw), ""))
        except (ValueError, UnicodeDecodeError, RecursionError):
            pass  # not JSON, or nested too deep: the endpoint's own parser reports that
    if fields:
        raise validation_error(
            [{"field": field, "code": "nul_character",
              "message": "Text must not contain NUL characters."} for field in fields]
        )


def init_app(app: Flask) -> None:
    app.before_request(_reject_nul_characters)

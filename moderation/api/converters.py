"""URL converters: ids beyond the INTEGER key range can't exist, so they are 404s, not 500s."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

#: Primary keys are INTEGER columns: 32-bit signed on PostgreSQL.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` limited to the range a database integer key can hold."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter

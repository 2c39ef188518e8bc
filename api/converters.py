"""Typed URL converters: the id half of the request-decoding layer.

Every id column is a 32-bit ``INTEGER`` (PostgreSQL's ``integer``; SQLite is wider but the
schema is the same), so an id outside 1..2**31-1 names nothing we store: the route does not
match and the answer is a 404, instead of PostgreSQL's "integer out of range" as a 500.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map, UnicodeConverter, ValidationError

MAX_ID = 2**31 - 1


def fits_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id (1..2**31-1)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID)


class KeyConverter(UnicodeConverter):
    """The default ``<name>`` converter: an id or a slug.

    An all-digit segment is read as an id by the catalogue, so one that cannot be an id is a
    404 here; a NUL never reaches a query (the middleware refuses it before routing too).
    """

    def to_python(self, value: str) -> str:
        if "\x00" in value:
            raise ValidationError()
        digits = value.strip()
        if digits.isascii() and digits.isdigit():
            significant = digits.lstrip("0")
            if len(significant) > 10 or not fits_id(int(significant or "0")):
                raise ValidationError()
        return value


def install(url_map: Map) -> None:
    """Register before any route is added: rules bind their converters when created."""
    url_map.converters["default"] = KeyConverter
    url_map.converters["string"] = KeyConverter
    url_map.converters["id"] = IdConverter

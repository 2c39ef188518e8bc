"""The body half of the request-decoding layer: every view reads bodies through this class.

Two things a client can send that no view should have to think about:

- a body the server cannot read to its end (a malformed chunked encoding: gunicorn raises
  ``ChunkMissingTerminator``/``InvalidChunkSize`` from inside the read), which would surface
  as a 500 from whichever view happened to read it;
- JSON strings that are not storable text: ``"\\u0000"`` (PostgreSQL text and psycopg refuse
  NUL) and lone UTF-16 surrogates such as ``"\\ud800"`` (Python parses them into a ``str``
  that cannot be encoded as UTF-8, so hashing, storing or logging it raises).

Both become a 400 problem here, in ``get_data``, which Flask's ``get_json`` and webargs'
JSON loader both go through, so every JSON endpoint is covered without a per-view check.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Request

from api.errors import Problem

# A cheap pre-filter over the raw body: only bodies that spell a NUL or a surrogate escape
# are parsed and walked. Raw control characters and invalid UTF-8 are already JSON syntax
# errors (the views' existing 400).
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2}|[dD][c-fC-F][0-9a-fA-F]{2})")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_REPORTED = 10


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    if not value.isascii() and _SURROGATE.search(value):
        return "contains a lone UTF-16 surrogate, which is not a Unicode character"
    return None


def find_undecodable(value: Any, path: str = "json") -> list[dict[str, str]]:
    """Field paths of every string (key or value) that is not storable text."""
    found: list[dict[str, str]] = []
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack and len(found) < _MAX_REPORTED:
        item, where = stack.pop()
        if isinstance(item, str):
            why = _bad_text(item)
            if why:
                found.append({"field": where, "message": why})
        elif isinstance(item, dict):
            for key, sub in item.items():
                why = _bad_text(key)
                if why:
                    found.append({"field": f"{where}.<key>", "message": why})
                    continue
                stack.append((sub, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((sub, f"{where}.{i}") for i, sub in enumerate(item))
    return found


class DecodingRequest(Request):
    def get_data(  # type: ignore[override]
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        already = getattr(self, "_cached_data", None) is not None
        try:
            data = super().get_data(cache=True, as_text=False, parse_form_data=parse_form_data)
        except OSError as exc:
            if isinstance(exc, TimeoutError) or type(exc).__name__ == "ClientTooSlow":
                # The worker's read deadline (api/gunicorn_worker.py) ran out mid-body.
                raise Problem(
                    408, "The request body arrived too slowly.", headers={"Connection": "close"}
                ) from exc
            raise Problem(400, "The request body could not be read to its end.") from exc
        except Exception as exc:
            # gunicorn's chunked-body errors derive from its ParseException, not OSError.
            if type(exc).__module__.startswith("gunicorn."):
                raise Problem(
                    400, f"The request body is malformed ({type(exc).__name__})."
                ) from exc
            raise
        if not already and self.is_json and _SUSPECT.search(data):
            self._check_json(data)
        if not cache:
            self._cached_data = None  # type: ignore[assignment]
        return data.decode(self.charset_or_utf8(), "replace") if as_text else data

    def charset_or_utf8(self) -> str:
        return self.mimetype_params.get("charset", "utf-8")

    def _check_json(self, data: bytes) -> None:
        try:
            parsed = json.loads(data)
        except ValueError:
            return  # not JSON: the view answers its own 400
        errors = find_undecodable(parsed)
        if errors:
            raise Problem(
                400,
                "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                title="Undecodable text",
                errors=errors,
            )

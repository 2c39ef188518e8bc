"""JSON text for the probe write path, encoded by orjson.

A probe post encodes its facts, diagnosis, match, aggregate rows and answer (about 14 kB of
JSON): the standard library's encoder took about 0.1 ms of the post's CPU, orjson a tenth
of that (#14). The text is compact (Flask's own answers are too) and UTF-8 rather than
``\\u`` escapes; a JSON reader sees the same document either way.

Only for text whose bytes nothing depends on: the content hash and the stored artefacts keep
the standard library's canonical form (virtcompat.ingest.canonical), since idempotency
compares them across releases. A value orjson refuses (an integer beyond 64 bits, a key
that is not a string, a type it does not know) goes through the standard library instead,
so this never fails where ``json.dumps`` would not.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """``value`` as JSON text (compact)."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

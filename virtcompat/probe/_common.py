"""Plumbing shared by the probe parsers: bounded decoding, line splitting and JSON views.

Every parser promises to accept *anything* (a probe body is attacker-controlled) and to run in
time linear in a capped input, so the capping and decoding live here, in one place.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterator, Mapping
from typing import Any

#: Lines longer than this are cut before any regex sees them. Real kernel log lines stay under
#: 1 KiB (printk's LOG_LINE_MAX is 1024 minus the prefix); a cpuinfo ``flags`` line is ~1.5 KiB
#: on current CPUs, so 4 KiB keeps every real line whole.
MAX_LINE_CHARS = 4096

#: Cap on the number of warnings one parser reports; a hostile input must not be able to turn
#: the warnings list into the unbounded part of the result.
MAX_WARNINGS = 32

_SURROGATE_RE = re.compile("[\ud800-\udfff]")


class Warnings:
    """An append-only, bounded list of warning strings."""

    __slots__ = ("_items", "_dropped")

    def __init__(self) -> None:
        self._items: list[str] = []
        self._dropped = 0

    def add(self, message: str) -> None:
        if len(self._items) < MAX_WARNINGS:
            self._items.append(message)
        else:
            self._dropped += 1

    def extend(self, messages: Iterator[str] | list[str] | tuple[str, ...]) -> None:
        for message in messages:
            self.add(message)

    def freeze(self) -> tuple[str, ...]:
        if self._dropped:
            return (*self._items, f"{self._dropped} further warnings not shown")
        return tuple(self._items)


def decode_input(data: object, limit: int, warnings: Warnings) -> tuple[str, bool]:
    """Turn ``str | bytes`` into text of at most ``limit`` UTF-8 bytes.

    Returns ``(text, truncated)``. Anything that is not text-like yields ``""`` and a warning.
    Invalid UTF-8 and lone surrogates become U+FFFD; NUL characters are removed (they carry no
    meaning in any artefact and PostgreSQL text cannot hold them).
    """
    if type(data) is str and data.isascii() and len(data) <= limit and "\x00" not in data:
        return data, False  # what the round trip below gives back for such a string
    raw: bytes
    if isinstance(data, str):
        # Slicing first keeps a huge str from being encoded whole; a char is >= 1 byte, so
        # limit + 1 chars is enough to know whether the byte cap is exceeded.
        head = data[: limit + 1]
        try:
            raw = head.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates (JSON "\ud800") cannot be stored or encoded: one U+FFFD each.
            warnings.add("lone surrogate characters replaced")
            raw = _SURROGATE_RE.sub("\ufffd", head).encode("utf-8")
    elif isinstance(data, bytes | bytearray):
        raw = bytes(data[: limit + 1])
    elif isinstance(data, memoryview):
        try:
            raw = data.cast("B")[: limit + 1].tobytes()
        except (TypeError, ValueError, NotImplementedError):
            warnings.add("unreadable memoryview input; ignored")
            return "", False
    elif data is None:
        return "", False
    else:
        warnings.add(f"expected text, got {type(data).__name__}; ignored")
        return "", False

    truncated = len(raw) > limit
    if truncated:
        raw = raw[:limit]
        warnings.add(f"input larger than {limit} bytes; only the first {limit} bytes were read")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            # The cut landed inside a multi-byte character: drop the partial character.
            text = raw[: exc.start].decode("utf-8", "replace")
        else:
            text = raw.decode("utf-8", "replace")
            warnings.add("input is not valid UTF-8; invalid bytes were replaced")
    if "\x00" in text:
        warnings.add(f"{text.count(chr(0))} NUL characters removed")
        text = text.replace("\x00", "")
    return text, truncated


def iter_lines(
    text: str, max_chars: int = MAX_LINE_CHARS, warnings: Warnings | None = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` (1-based), each line without its ``\\r\\n`` and capped.

    Only ``\\n`` separates lines: ``str.splitlines`` would also split on form feeds and
    U+2028, which would make line numbers disagree with ``grep -n`` on the same artefact.
    Lines cut at ``max_chars`` are counted into one warning.
    """
    start = 0
    number = 0
    cut = 0
    length = len(text)
    while start < length:
        end = text.find("\n", start)
        if end < 0:
            end = length
        number += 1
        if end - start > max_chars:
            cut += 1
        line = text[start : min(end, start + max_chars)]
        if line.endswith("\r"):
            line = line[:-1]
        yield number, line
        start = end + 1
    if cut and warnings is not None:
        warnings.add(f"{cut} lines longer than {max_chars} characters were cut")


def split_lines(text: str, max_chars: int = MAX_LINE_CHARS) -> tuple[list[str], int]:
    """The lines :func:`iter_lines` yields, as a list, and how many were cut (the caller adds
    the warning): the same lines at C speed, for parsers that read every line."""
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()  # text ends with "\n" (or is empty): no line after it
    cut = 0
    if lines and max(map(len, lines)) > max_chars:
        cut = sum(1 for line in lines if len(line) > max_chars)
        lines = [line[:max_chars] for line in lines]
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    return lines, cut


def clip(value: str, limit: int) -> str:
    """Cap a string for storage in a result, marking the cut with an ellipsis."""
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


_PLAIN = (str, int, float, type(None))  # bool is an int
# Exactly these types are returned as they are (subclasses, enums among them, take the long way).
_SCALARS = frozenset((str, int, float, bool, type(None)))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(obj: Any) -> tuple[str, ...]:
    """The dataclass field names of ``obj``'s class (dataclasses.fields, once per class)."""
    cls = type(obj)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(obj))
    return names


_STR_ONLY = frozenset((str,))


def jsonable(value: Any) -> Any:
    """A JSON-ready view of a parser result: sets become sorted lists, enums their values."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    # Exact built-in containers take the branch the chain below would give them.
    if kind is tuple or kind is list:
        return [v if type(v) in _SCALARS else jsonable(v) for v in value]
    if kind is frozenset or kind is set:
        return _sorted_set(value)
    if isinstance(value, _PLAIN) and not isinstance(value, enum.Enum):
        return value
    # A class seen as a dataclass before (_field_names caches only those).
    if kind in _FIELD_NAMES or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        as_dict = getattr(value, "as_dict", None)
        if callable(as_dict):
            return as_dict()
        return {name: jsonable(getattr(value, name)) for name in _field_names(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return _sorted_set(value)
    if isinstance(value, tuple | list):
        return [v if type(v) in _SCALARS else jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): v if type(v) in _SCALARS else jsonable(v) for k, v in value.items()}
    return value


def _sorted_set(value: frozenset[Any] | set[Any]) -> list[Any]:
    if set(map(type, value)) <= _STR_ONLY:  # flags: hundreds of plain strings
        return sorted(value)
    return sorted(jsonable(v) for v in value)


def fields_as_dict(obj: Any, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``as_dict`` for a dataclass: every field through :func:`jsonable`, except the fields
    ``given`` already has a JSON value for (same key order either way)."""
    if not given:
        return {name: jsonable(getattr(obj, name)) for name in _field_names(obj)}
    return {
        name: given[name] if name in given else jsonable(getattr(obj, name))
        for name in _field_names(obj)
    }


def parse_version(release: str | None) -> tuple[int, int, int] | None:
    """``"6.17.0-14-generic"`` -> ``(6, 17, 0)``; ``"3.13"`` -> ``(3, 13, 0)``; else None."""
    if not release:
        return None
    parts: list[int] = []
    current = ""
    for char in release[:32]:
        if char.isdigit() and char.isascii():
            current += char
            continue
        if not current:
            break
        parts.append(int(current[:6]))
        current = ""
        if char != "." or len(parts) == 3:
            break
    else:
        if current:
            parts.append(int(current[:6]))
    if len(parts) < 2:
        return None
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]

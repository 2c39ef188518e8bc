"""Xen release numbers as given by callers ("3.4", "4.17", "4.17.2", "3.4.0-rc3")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Bounded quantifiers only: the pattern is linear on any input (and input is capped first).
_VERSION_RE = re.compile(
    r"(\d{1,3})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?(?:[-+~][0-9A-Za-z.\-+~]{1,32})?"
)


@dataclass(frozen=True, slots=True)
class XenVersion:
    """A Xen release; ``parts`` has as many components as the caller gave (1 to 3)."""

    parts: tuple[int, ...]
    text: str

    def at_least(self, other: str) -> bool:
        """True when this release is ``other`` or later.

        A caller who says "3.0" means the 3.0 series, so the comparison stops at the
        precision the caller gave: "3.0" is at least "3.0.3".
        """
        return _at_least(self.parts, other)

    def before(self, other: str) -> bool:
        return not self.at_least(other)

    def __str__(self) -> str:
        return self.text


# Rules ask the same few questions ("4.13"?) of the handful of releases callers send.
@lru_cache(maxsize=1024)
def _at_least(parts: tuple[int, ...], other: str) -> bool:
    req = parse_version(other).parts
    return parts >= req[: len(parts)]


def parse_version(text: str) -> XenVersion:
    """Parse a Xen version; raise ``ValueError`` for anything that is not one."""
    if not isinstance(text, str) or len(text) > 48:
        raise ValueError(f"not a Xen version: {text!r}")
    return _parse_version(text)


# Rules compare against the same few release strings ("4.13", "3.4") on every config, and
# callers send a handful of versions: parse each once. Errors are not cached (they raise).
@lru_cache(maxsize=256)
def _parse_version(text: str) -> XenVersion:
    stripped = text.strip()
    m = _VERSION_RE.fullmatch(stripped)
    if m is None:
        raise ValueError(f"not a Xen version: {text!r} (expected e.g. '3.4' or '4.17')")
    parts = tuple(int(g) for g in m.groups() if g is not None)
    # Xen releases run 2.x (xend) to 4.x today; anything else is a caller mistake.
    if not 2 <= parts[0] <= 9:
        raise ValueError(f"not a Xen version: {text!r} (major version must be 2-9)")
    return XenVersion(parts=parts, text=stripped)

"""Keeping passwords out of every output (XEN-CONFIG.md §6; xend's own ``scrub_password``).

Three layers: values of password-like keys are never shown; ``k=v`` specs (vfb strings)
have their password-like fields masked; and a final pass over every message masks any
``passwd=...`` field plus the literal secret values seen in the config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

MASK = "***"

# Substrings that make a key password-like: vncpasswd, spicepasswd, any *password*, ...
_SECRET_MARKERS = ("passwd", "password", "passphrase", "secret", "token")

# A password-like field inside a "k=v,k=v" spec or a message. Bounded, non-nested
# quantifiers only, so the scan is linear.
_FIELD_RE = re.compile(
    r"(?i)\b([a-z0-9_]*(?:passw(?:or)?d|passphrase|secret|token)[a-z0-9_]*)(\s*=\s*)([^,\s'\"\]]*)"
)

# Too short a secret would mask innocent text ("1" in a line number).
_MIN_LITERAL = 4


# Asked for every key of every config, mostly the same few hundred option names; bounded so
# a flood of distinct keys cannot grow it.
@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(m in lowered for m in _SECRET_MARKERS)


def _may_hold_secret(text: str) -> bool:
    """A cheap pre-test for _FIELD_RE: every match contains one of these (case-folded).
    Almost no value or message does, and this runs on each of them per request: one C-level
    search of the lowered text instead of a Python loop over the markers."""
    return _FIELD_MARKERS.search(text.lower()) is not None


_FIELD_MARKERS = re.compile("passwd|password|passphrase|secret|token")


def mask_fields(text: str) -> str:
    """Mask password-like ``k=v`` fields: ``vncpasswd=abc`` -> ``vncpasswd=***``."""
    if not _may_hold_secret(text):
        return text
    return _FIELD_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def spec_secrets(text: str) -> list[str]:
    """The values of password-like fields in a spec string (to mask them elsewhere too)."""
    if not _may_hold_secret(text):
        return []
    return [m.group(3) for m in _FIELD_RE.finditer(text) if m.group(3)]


class Scrubber:
    """Masks known secret values and password-like fields in free text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so a secret containing another is masked whole.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_LITERAL}, key=len, reverse=True
        )

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return mask_fields(text)

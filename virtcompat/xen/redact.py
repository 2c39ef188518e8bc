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

# Substrings (any case) that make a key password-like, and that every password-like field
# name contains: passwd, password, passphrase, secret, token (vncpasswd, spicepasswd, any
# *password*, ...). _has_marker tests for them.

# A password-like field inside a "k=v,k=v" spec or a message. Bounded, non-nested
# quantifiers only, so the scan is linear.
_FIELD_RE = re.compile(
    r"(?i)\b([a-z0-9_]*(?:passw(?:or)?d|passphrase|secret|token)[a-z0-9_]*)(\s*=\s*)([^,\s'\"\]]*)"
)

# Too short a secret would mask innocent text ("1" in a line number).
_MIN_LITERAL = 4


def _has_marker(text: str) -> bool:
    """Does ``text`` contain one of the markers, ignoring case? A few C substring searches:
    cheaper than a Python loop over the markers, and than a regex alternation, which tries
    every position that starts with p, s or t (4.7 us on a 770-character config, 0.8 us)."""
    low = text.lower()
    return (
        ("pass" in low and ("passwd" in low or "password" in low or "passphrase" in low))
        or "secret" in low
        or "token" in low
    )


# Asked for every key of every config, mostly the same few hundred option names; bounded so
# a flood of distinct keys cannot grow it.
@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    return _has_marker(key)


def may_hold_secret(text: str) -> bool:
    """A cheap pre-test for _FIELD_RE: every match contains one of the markers (case-folded).
    Almost no value or message does, and this runs on each of them per request."""
    return _has_marker(text)


def mask_fields(text: str) -> str:
    """Mask password-like ``k=v`` fields: ``vncpasswd=abc`` -> ``vncpasswd=***``."""
    if not _has_marker(text):
        return text
    return _FIELD_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def spec_secrets(text: str) -> list[str]:
    """The values of password-like fields in a spec string (to mask them elsewhere too)."""
    if not _has_marker(text):
        return []
    return [m.group(3) for m in _FIELD_RE.finditer(text) if m.group(3)]


class Scrubber:
    """Masks known secret values and password-like fields in free text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so a secret containing another is masked whole.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_LITERAL}, key=len, reverse=True
        )
        # Has literal secrets to mask (without, it only masks password-like fields).
        self.active = bool(self._secrets)

    def __call__(self, text: str) -> str:
        if self._secrets:
            text = self.literals(text)
        if not _has_marker(text):  # mask_fields, inline: this runs for every message
            return text
        return mask_fields(text)

    def literals(self, text: str) -> str:
        """Only the known secret values masked: all of __call__ for a text without a
        password-like field (masking a literal cannot make one: it writes '***')."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

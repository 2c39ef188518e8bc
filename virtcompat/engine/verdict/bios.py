"""BIOS release versions: the comparable part, and "at least" against a documented minimum."""

from __future__ import annotations

from virtcompat.text import is_decimal


def bios_build(version: str | None) -> str | None:
    """The comparable part of a BIOS version.

    Intel desktop boards name releases ``CBQ4510H.86A.0061.2009.0324.1639``: the field after
    ``86A`` is the build number that Intel's notes quote ("BIOS 0061"). Other vendors' plain
    versions compare as they are.
    """
    if not version:
        return None
    v = version.strip()
    parts = v.split(".")
    for i, part in enumerate(parts[:-1]):
        if part.upper() == "86A" and is_decimal(parts[i + 1]):
            return parts[i + 1]
    return v


def bios_at_least(version: str, minimum: str) -> bool | None:
    """True/False when the two releases compare; None when they cannot be compared."""
    a, b = bios_build(version), bios_build(minimum)
    if a is None or b is None:
        return None
    if is_decimal(a) and is_decimal(b):
        return int(a) >= int(b)
    if a.lower() == b.lower():
        return True
    return None

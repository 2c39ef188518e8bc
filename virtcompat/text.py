"""Text helpers shared by the catalogue loader and name resolution."""

from __future__ import annotations

import re
import unicodedata

# Anything that is not a letter or a digit (in any script) separates words.
_SEPARATORS = re.compile(r"[\W_]+")


def normalize_name(s: str) -> str:
    """Fold a vendor, board or product name to a comparison key.

    DMI strings for one board differ only in case, punctuation and spacing
    ("ASUSTeK Computer INC." vs "ASUSTeK COMPUTER INC.", "GA-EX58-UD5" vs "GA EX58 UD5"),
    so the key is the NFKC form, casefolded, with every run of non-alphanumeric
    characters collapsed to one space and the ends stripped.
    """
    folded = unicodedata.normalize("NFKC", s).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def processor_number_key(number: str) -> str:
    """Fold a processor number to its lookup key: "i5-12400", "I5 12400" and "i512400"
    match, as do ARK's "E5-2440V2" and the common "E5-2440 v2"."""
    return normalize_name(number).replace(" ", "")


_MAX_ID_DIGITS = 18  # fits a signed 64-bit integer column on every backend


def parse_id(value: str) -> int | None:
    """``value`` as a row id if it is a plain ASCII decimal that fits a 64-bit column.

    ``str.isdigit`` alone accepts superscripts and other Unicode digits that ``int`` rejects.
    """
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= _MAX_ID_DIGITS:
        return int(text)
    return None


def is_decimal(value: str) -> bool:
    """ASCII digits only (a BIOS build number, a CPUID stepping)."""
    return value.isascii() and value.isdigit()

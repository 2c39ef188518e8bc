"""SKU → code name lists (toUpperCase78/intel-processors): placement only.

A row gives the product, launch quarter, code name, segment and socket; it says nothing
about virtualization, so it carries no facts: the engine judges such a SKU by inference
from its microarchitecture, and says so.
"""

from __future__ import annotations

import re

from virtcompat import microarch
from virtcompat.catalogue.records import CpuRecord, Parsed, ParseError, csv_dicts, decode

_SUFFIX = re.compile(r"\s*\((?:with IPU|[^)]*)\)\s*$")


def _number(product: str) -> str | None:
    """The processor number of a list product ("Core i5-12400" → "i5-12400",
    "Core Ultra 7 155H" → "155H", "Xeon Gold 6430" → "6430")."""
    words = product.split()
    if len(words) < 2:
        return None
    last = words[-1]
    return last if any(ch.isdigit() for ch in last) else None


def parse(data: bytes, name: str) -> Parsed:
    rows = csv_dicts(decode(data), ("Product", "Release Date", "Code Name"))
    parsed = Parsed(
        kind="codenames",
        exported=None,
        source_title=f"Intel processor code-name list {name} (toUpperCase78/intel-processors)",
        source_url="https://github.com/toUpperCase78/intel-processors",
    )
    for i, row in enumerate(rows, start=2):
        product = _SUFFIX.sub("", row["Product"]).strip()
        if not product:
            parsed.rejected.append((f"row {i}", "no product name"))
            continue
        code = row["Code Name"] or None
        ma = microarch.from_code_name(code) if code else None
        if code and ma is None:
            parsed.rejected.append((f"row {i} ({product})", f"unknown code name {code!r}"))
        socket = row.get("Sockets Supported") or None
        parsed.cpus.append(
            CpuRecord(
                record=f"row {i} ({product})",
                vendor="intel",
                brand=product,
                processor_number=_number(product),
                code_name=code,
                microarch=ma.slug if ma else None,
                launch=row["Release Date"] or None,
                segment=row.get("Vertical Segment") or None,
                socket=None if socket in (None, "N/A") else socket,
                isa=ma.isa if ma else "x86",
            )
        )
    if not parsed.cpus and not parsed.rejected:
        raise ParseError("no rows")
    return parsed

"""AMD's processor specification export (amd.com, via warichter1/processors).

Positive evidence only: "Virtualization" in Supported Technologies is AMD-V, "IOMMU" is
AMD-Vi; a row that does not mention them says nothing about the part.
"""

from __future__ import annotations

import re

from virtcompat import microarch
from virtcompat.catalogue.records import CpuRecord, Fact, Parsed, clean_name, csv_dicts, decode

# The model name ends before its graphics ("A4-7300 with Radeon HD 8470D": the number is
# A4-7300, never the GPU's 8470D) and before "APU" / "Mobile".
_TAIL = re.compile(r"\s+(?:with\s+Radeon|w/\s+Radeon|APU\b|Mobile\b).*$", re.IGNORECASE)


def _number(brand: str) -> str | None:
    words = _TAIL.sub("", brand).split()
    if words and any(ch.isdigit() for ch in words[-1]):
        return words[-1]
    return None


def parse(data: bytes, name: str) -> Parsed:
    rows = csv_dicts(decode(data), ("Model", "Supported Technologies"))
    parsed = Parsed(
        kind="amd",
        exported=None,
        source_title=f"AMD processor specifications {name} (amd.com export)",
        source_url="https://www.amd.com/en/products/specifications/processors",
    )
    for i, row in enumerate(rows, start=2):
        brand = clean_name(row["Model"])
        if brand.startswith("AMD "):
            brand = brand[4:]
        if not brand:
            parsed.rejected.append((f"row {i}", "no model name"))
            continue
        number = _number(brand)
        tech = row["Supported Technologies"]
        launch = row.get("Launch Date") or None
        rec = CpuRecord(
            record=f"row {i} ({brand})",
            vendor=microarch.AMD,
            brand=brand,
            processor_number=number,
            launch=launch,
            segment=row.get("Platform") or None,
            socket=row.get("CPU Socket") or None,
        )
        where = f"{name}, row {i} ({brand}): Supported Technologies"
        if "Virtualization" in tech:
            rec.facts["vtx"] = Fact("yes", f"{where} lists AMD Virtualization (AMD-V)")
        if "IOMMU" in tech:
            rec.facts["vtd"] = Fact("yes", f"{where} lists IOMMU (AMD-Vi)")
        parsed.cpus.append(rec)
    return parsed

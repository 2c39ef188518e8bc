"""Qubes HCL machine reports: what one machine showed with one BIOS release.

Observations of a board and BIOS, never spec facts: they become evidence tallied per board
x BIOS release, each cited with the report's link. "yes"/"no" count; blank, "partial" and
free text say nothing.
"""

from __future__ import annotations

from virtcompat.catalogue.records import Observation, Parsed, csv_dicts, decode, yes_no

_CAPS = {"hvm": "hvm", "iommu": "vtd", "slat": "slat", "remap": "irq_remap"}


def parse(data: bytes, name: str) -> Parsed:
    rows = csv_dicts(decode(data), ("file", "brand", "model", "bios", "hvm", "iommu", "link"))
    parsed = Parsed(
        kind="qubes-hcl",
        exported=None,
        source_title=f"Qubes OS HCL reports {name} (QubesOS/qubes-hcl)",
        source_url="https://www.qubes-os.org/hcl/",
    )
    seen: set[str] = set()
    for row in rows:
        rec_id = row["file"][:200] or "?"
        vendor, model = row["brand"].strip(), row["model"].strip()
        if not vendor or not model:
            parsed.rejected.append((rec_id, "no board vendor or model"))
            continue
        link = row["link"].strip() or rec_id
        if link in seen:
            link = f"{link}#{rec_id}"
        seen.add(link)
        obs = Observation(
            report=link[:500],
            vendor=vendor[:200],
            model=model[:200],
            bios=row["bios"].strip()[:100],
            kind=row.get("type", ""),
        )
        for column, cap in _CAPS.items():
            value = yes_no(row.get(column))
            if value is not None:
                obs.observed[cap] = value
        if not obs.observed:
            parsed.rejected.append((rec_id, "the report states no hvm/iommu/slat/remap result"))
            continue
        parsed.observations.append(obs)
    return parsed

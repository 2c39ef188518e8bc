"""flashrom's LPC/eSPI bridge ids → chipset names. Names only: no IOMMU facts."""

from __future__ import annotations

import re

from virtcompat.catalogue.records import ChipsetName, Parsed, csv_dicts, decode

_HEX4 = re.compile(r"^[0-9a-fA-F]{4}$")


def parse(data: bytes, name: str) -> Parsed:
    rows = csv_dicts(decode(data), ("vendor_id", "device_id", "vendor", "chipset"))
    parsed = Parsed(
        kind="lpc-ids",
        exported=None,
        source_title=f"flashrom chipset_enable.c LPC bridge ids {name}",
        source_url="https://github.com/flashrom/flashrom/blob/main/chipset_enable.c",
    )
    for i, row in enumerate(rows, start=2):
        vid, did = row["vendor_id"], row["device_id"]
        if not (_HEX4.match(vid) and _HEX4.match(did)) or not row["chipset"]:
            parsed.rejected.append(
                (f"row {i}", "needs a 4-hex-digit vendor and device id and a name")
            )
            continue
        parsed.chipsets.append(
            ChipsetName(
                record=f"row {i}",
                vendor=row["vendor"] or vid,
                name=row["chipset"][:100],
                pci_id=f"{vid.lower()}:{did.lower()}",
            )
        )
    return parsed

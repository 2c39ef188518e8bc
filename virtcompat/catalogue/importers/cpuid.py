"""InstLatx64 CPUID dumps (AIDA64): signature, brand string and virtualization flags.

Evidence per microarchitecture and stepping, not per SKU: a dump only adds a signature and
positive flags to the catalogue CPU its brand string names. A missing flag proves nothing
(a dump taken under a hypervisor hides VMX/SVM), so only set flags become facts.
"""

from __future__ import annotations

import re

from virtcompat import microarch
from virtcompat.catalogue.records import CpuRecord, Fact, Parsed, csv_dicts, decode

_BRAND_NOISE = re.compile(
    r"\b(?:Intel|AMD|CPU|Processor|\d+-Core|Eight-Core|Six-Core|Quad-Core|Dual-Core|"
    r"with Radeon.*|w/ Radeon.*)\b|@.*$|\(R\)|\(TM\)|\(tm\)",
    re.IGNORECASE,
)


def _number(brand: str) -> str | None:
    words = _BRAND_NOISE.sub(" ", brand).split()
    for w in reversed(words):
        if any(ch.isdigit() for ch in w) and not w.endswith("GHz"):
            return w
    return None


def _int(v: str) -> int | None:
    return int(v) if v.isascii() and v.isdigit() else None


def parse(data: bytes, name: str) -> Parsed:
    rows = csv_dicts(
        decode(data), ("file", "vendor", "brand", "family", "model", "stepping", "vmx_cpuid")
    )
    parsed = Parsed(
        kind="cpuid",
        exported=None,
        source_title=f"InstLatx64 CPUID dumps {name}",
        source_url="https://github.com/InstLatx64/InstLatx64",
    )
    for row in rows:
        rec_id = row["file"][:200] or "?"
        vendor = microarch.vendor_key(row["vendor"])
        brand = " ".join(row["brand"].split())
        if vendor is None or not brand:
            parsed.rejected.append((rec_id, "not an Intel/AMD dump with a brand string"))
            continue
        number = _number(brand)
        if number is None:
            parsed.rejected.append((rec_id, f"no processor number in {brand!r}"))
            continue
        family, model, stepping = _int(row["family"]), _int(row["model"]), _int(row["stepping"])
        ma = microarch.from_cpuid(vendor, family, model, stepping)
        rec = CpuRecord(
            record=rec_id,
            vendor=vendor,
            brand=brand,
            processor_number=number,
            family=family,
            model=model,
            microarch=ma.slug if ma else None,
            match_only=True,
        )
        where = f"{name}, dump {rec_id} ({brand}, CPUID {row.get('cpuid_rev', '')})"
        flags = {
            "vtx": row.get("vmx_cpuid") == "True" or row.get("svm_cpuid") == "True",
            "slat": row.get("ept_msr") == "True" or row.get("npt_cpuid") == "True",
        }
        words = {"vtx": "VMX/SVM", "slat": "EPT/NPT"}
        for fact, seen in flags.items():
            if seen:
                rec.facts[fact] = Fact("yes", f"{where}: {words[fact]} flag set")
        parsed.cpus.append(rec)
    return parsed

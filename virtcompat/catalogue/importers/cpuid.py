"""InstLatx64 CPUID dumps (AIDA64): signature, brand string and virtualization flags.

Evidence per microarchitecture and stepping, not per SKU: a dump adds its signature and
positive flags to the catalogue CPU its brand string names, and creates a row only for a
part no other source lists (Ryzen 9 9950X), placed by that signature. A missing flag proves
nothing (a dump taken under a hypervisor hides VMX/SVM), so only set flags become facts.
"""

from __future__ import annotations

import re

from virtcompat import microarch
from virtcompat.catalogue.records import CpuRecord, Fact, Parsed, clean_name, csv_dicts, decode

# What a CPUID brand string adds around the catalogue name: "12th Gen Intel(R) Core(TM)
# i5-12400", "Intel(R) Core(TM) i7-2600 CPU @ 3.40GHz", "AMD Ryzen 9 9950X 16-Core Processor",
# "AMD A10-7850K Radeon R7, 12 Compute Cores 4C+8G".
_BRAND_EXTRA = re.compile(
    r"@.*$|\bCPU\b|\b\d+(?:st|nd|rd|th) Gen\b|\b(?:\d+|Dual|Quad|Six|Eight)-Cores?\b"
    r"|\b(?:with|w/) Radeon.*$|\s+(?:Radeon\s+)?R\d+\b.*$|,.*$|\bAPU\b"
    r"|^(?:Genuine\s+)?(?:Intel|AMD)\b-?|\s+(?:Intel|AMD)\s+",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"[A-Za-z0-9 .+-]+")
_CLOCK = re.compile(r"[\d.]+\s*[GM]Hz$", re.IGNORECASE)


def catalogue_brand(brand: str) -> str:
    """The catalogue's spelling of a dump's brand string ("Core i5-12400", "Ryzen 9 9950X",
    "FX-8150", "Opteron 2210 HE", "Xeon E5-2660 v3")."""
    s = clean_name(brand)
    for _ in range(2):  # "Dual-Core AMD Opteron": the count, then the vendor
        s = _BRAND_EXTRA.sub(" ", s).strip()
    s = re.sub(r"\s+-", "-", s)  # "FX(tm)-8150" -> "FX -8150" -> "FX-8150"
    return " ".join(s.split())


def _number(brand: str) -> str | None:
    """The processor number in a catalogue brand: its last word with a digit ("i5-12400",
    "9950X", "3800+", "E5-2660 v3"); never a clock, a lone digit ("Core 2 Quad",
    "Pentium 4 2.40GHz") or an engineering sample's zeros."""
    words = brand.split()
    for i in range(len(words) - 1, -1, -1):
        w = words[i]
        if re.fullmatch(r"v\d", w, re.IGNORECASE) and i > 0:
            prev = _number(" ".join(words[:i]))
            return f"{prev} {w}" if prev == words[i - 1] else None
        if not any(ch.isdigit() for ch in w) or _CLOCK.search(w):
            continue
        if len(w) < 3 or not w.strip("0"):
            return None
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
        raw = " ".join(row["brand"].split())
        if vendor is None or not raw:
            parsed.rejected.append((rec_id, "not an Intel/AMD dump with a brand string"))
            continue
        brand = catalogue_brand(raw)
        # engineering samples and garbled strings ("Athlon XP (Palomin\x7f?00+") name no part
        clean = _PLAIN.fullmatch(brand) and "sample" not in brand.casefold()
        number = _number(brand) if clean else None
        if number is None:
            parsed.rejected.append((rec_id, f"no processor number in {raw!r}"))
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
            new_number_only=True,
        )
        where = f"{name}, dump {rec_id} ({raw}, CPUID {row.get('cpuid_rev', '')})"
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

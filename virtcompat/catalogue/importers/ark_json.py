"""ARK records as JSON (divinity76/intel-cpu-database): ``{ark id: {name, section: {...}}}``.

Each record's Advanced Technologies section holds the VT-x / VT-d / EPT lines. A missing
line is no statement; "See Ordering Info" (Core 2 Duo E7400) means the sSpec decides, so it
is no statement either, recorded in the claim of no fact.
"""

from __future__ import annotations

import json
from typing import Any

from virtcompat.catalogue.importers.ark import TITLE, label_key
from virtcompat.catalogue.records import (
    MAX_RECORDS,
    CpuRecord,
    Fact,
    Parsed,
    ParseError,
    clean_name,
    decode,
    yes_no,
)

_FACTS = {
    "intel virtualization technology (vt-x)": ("vtx", "VT-x"),
    "intel virtualization technology for directed i/o (vt-d)": ("vtd", "VT-d"),
    "intel vt-x with extended page tables (ept)": ("slat", "EPT"),
    "intel virtualization technology for itanium (vt-i)": ("vti", "VT-i"),
}


def _flatten(rec: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for section in rec.values():
        if isinstance(section, dict):
            for k, v in section.items():
                if isinstance(k, str) and isinstance(v, str):
                    out.setdefault(label_key(k), v.strip())
    return out


def _brand(name: str) -> str:
    base = name.split("(")[0]
    brand = clean_name(base)
    for prefix in ("Intel ", "64-bit Intel "):
        if brand.startswith(prefix):
            brand = brand[len(prefix) :]
    return brand.strip()


def parse(data: bytes, name: str) -> Parsed:
    try:
        doc = json.loads(decode(data))
    except json.JSONDecodeError as exc:
        raise ParseError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(doc, dict):
        raise ParseError("expected an object of ARK id -> record")
    if len(doc) > MAX_RECORDS:
        raise ParseError("too many records")
    parsed = Parsed(
        kind="ark-json",
        exported=None,
        source_title=f"ARK records {name} (divinity76/intel-cpu-database, public domain)",
        source_url="https://github.com/divinity76/intel-cpu-database",
    )
    for ark_id, rec in doc.items():
        if not isinstance(rec, dict) or not isinstance(rec.get("name"), str):
            parsed.rejected.append((str(ark_id)[:40], "record has no name"))
            continue
        attrs = _flatten(rec)
        number = attrs.get("processor number") or None
        brand = _brand(rec["name"])
        if not brand:
            parsed.rejected.append((str(ark_id)[:40], "empty product name"))
            continue
        text = " ".join(
            (rec["name"], attrs.get("instruction set", ""), attrs.get("product collection", ""))
        )
        isa = "ia64" if "itanium" in text.casefold() else "x86"
        out = CpuRecord(
            record=str(ark_id),
            vendor="intel",
            brand=brand,
            processor_number=number,
            code_name=attrs.get("code name") or None,
            launch=attrs.get("launch date") or None,
            segment=attrs.get("vertical segment") or None,
            socket=attrs.get("sockets supported") or None,
            isa=isa,
        )
        where = f"{name}, ARK record {ark_id} ({rec['name'][:120]})"
        for label, (fact, word) in _FACTS.items():
            raw = attrs.get(label, "")
            value = yes_no(raw)
            if value is None:
                continue
            if isa == "ia64":
                if fact in ("vtx", "vti"):
                    out.facts["vtx"] = Fact(value, f"{where}: VT-i {raw} (the '{word}' line)")
                continue
            if fact != "vti":
                out.facts[fact] = Fact(value, f"{where}: {word} {raw}")
        parsed.cpus.append(out)
    return parsed


__all__ = ["TITLE", "parse"]

"""ARK's "Product Specification Comparison" export (CSV), the format Intel's site downloads.

Layout: a title line, a date line ("08/24/2023 08:11:45 PM"), then attributes as rows and
products as columns. The header row holds the product names, which may contain unquoted
commas ("… Processor (9M Cache, up to 4.10 GHz)"), so records are keyed on the
``Processor Number`` row, never on the header. An attribute may appear twice (exports that
merge two comparison tables): a blank cell never overrides a value.

A blank cell is no statement, never "No". On Itanium (IA-64) rows ARK prints VT-i on the
"VT-x" line; the record says so and carries ``isa="ia64"``.
"""

from __future__ import annotations

import datetime as dt
import re

from virtcompat.catalogue.records import (
    CpuRecord,
    Fact,
    Parsed,
    ParseError,
    clean_name,
    csv_rows,
    decode,
    yes_no,
)

TITLE = "Product Specification Comparison"

# attribute label (normalised) -> our field; matched on the label without ®/™/‡
_VTX = "intel virtualization technology (vt-x)"
_VTD = "intel virtualization technology for directed i/o (vt-d)"
_EPT = "intel vt-x with extended page tables (ept)"
_VTI = "intel virtualization technology for itanium (vt-i)"
_FACT_LABELS = {_VTX: "vtx", _VTD: "vtd", _EPT: "slat", _VTI: "vti"}
_FACT_WORDS = {"vtx": "VT-x", "vtd": "VT-d", "slat": "EPT", "vti": "VT-i"}


def label_key(label: str) -> str:
    """An attribute label without marks or spacing differences ("ECC Memory Supported   ‡")."""
    return re.sub(r"\s+", " ", re.sub(r"[®™‡†*]", " ", label)).strip().casefold()


def export_date(line: str) -> str | None:
    try:
        return dt.datetime.strptime(line.strip().split(" ")[0], "%m/%d/%Y").date().isoformat()
    except ValueError:
        return None


def _header_names(header: list[str], count: int) -> list[str] | None:
    """Product names from the header, re-joining names that an unquoted comma split.

    Every ARK product name begins with "Intel" (or "Mobile Intel", "64-bit Intel"); a
    fragment that does not continues the previous name. ``None`` when that does not give
    exactly one name per record.
    """
    names: list[str] = []
    for frag in header[1:]:
        if _NAME_START.match(frag) or not names:
            names.append(frag.strip())
        else:
            names[-1] = f"{names[-1]},{frag}".strip()
    names = [n for n in names if n]
    return names if len(names) == count else None


_NAME_START = re.compile(r"^\s*(?:Mobile\s+|64-bit\s+)?Intel\b")


def _brand(name: str | None, number: str, collection: str) -> str:
    """The catalogue brand: the header's product name without marks, the word Processor,
    the parenthesised specs and ARK's bundle suffixes, e.g. "Core i5-8500"."""
    if name:
        base = re.sub(r"\(.*$", "", name)
        base = re.sub(r"\bincludes\b.*$", "", base)
        brand = clean_name(base)
        brand = re.sub(r"^(Mobile\s+|64-bit\s+)?Intel\s+", r"\1", brand).strip()
        # "Core i5+8500" (an Optane bundle) is the i5-8500
        brand = brand.replace("+", "-")
        if not number or _compact(number) in _compact(brand):
            return brand
    family = clean_name(collection)
    family = re.sub(r"^\d+(?:st|nd|rd|th) Generation\s+", "", family)
    family = re.sub(r"^(?:Legacy\s+)?Intel\s+", "", family)
    family = re.sub(r"\s+(?:Series|Family|X-series)$", "", family).strip()
    return f"{family} {number}".strip()


def _compact(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.casefold())


def parse(data: bytes, name: str) -> Parsed:
    text = decode(data)
    rows = csv_rows(text)
    if len(rows) < 4 or not rows[0] or TITLE not in rows[0][0]:
        raise ParseError(f"not an ARK comparison export (first line must say {TITLE!r})")
    date_line = rows[1][0] if rows[1] else ""
    exported = export_date(date_line)
    parsed = Parsed(
        kind="ark",
        exported=exported,
        source_title=f"Intel ARK comparison export {name} ({date_line.strip() or 'undated'})",
        source_url="https://ark.intel.com/content/www/us/en/ark/compare.html",
    )
    attrs: dict[str, list[str]] = {}
    for row in rows[3:]:
        if not row or not row[0].strip():
            continue
        key = label_key(row[0])
        values = [c.strip() for c in row[1:]]
        have = attrs.get(key)
        if have is None:
            attrs[key] = values
            continue
        # the same attribute twice: fill blanks, never override a value
        for i, v in enumerate(values):
            if i >= len(have):
                have.append(v)
            elif v and not have[i]:
                have[i] = v
    numbers = attrs.get("processor number")
    if numbers is None:
        raise ParseError("no 'Processor Number' row: records cannot be keyed")
    count = len(numbers)
    while count and not numbers[count - 1]:
        count -= 1
    header_names = _header_names(rows[2], count)

    def cell(label: str, i: int) -> str:
        values = attrs.get(label, [])
        return values[i] if i < len(values) else ""

    for i in range(count):
        number = numbers[i]
        col = header_names[i] if header_names else f"column {i + 1}"
        if not number and not header_names:
            parsed.rejected.append((col, "neither a Processor Number nor a readable header"))
            continue
        collection = cell("product collection", i)
        instruction_set = cell("instruction set", i)
        isa = "ia64" if "itanium" in (instruction_set + collection + col).casefold() else "x86"
        brand = _brand(header_names[i] if header_names else None, number, collection)
        rec = CpuRecord(
            record=number or col,
            vendor="intel",
            brand=brand,
            processor_number=number or None,
            launch=cell("launch date", i) or None,
            segment=cell("vertical segment", i) or None,
            socket=cell("sockets supported", i) or None,
            isa=isa,
        )
        what = f"Processor Number {number}" if number else f"column {col!r}"
        where = f"{name}, {what}, exported {exported or date_line.strip()}"
        for label, fact in _FACT_LABELS.items():
            raw = cell(label, i)
            value = yes_no(raw)
            if value is None:
                continue  # blank: ARK shows no line, which is no statement
            word = _FACT_WORDS[fact]
            if isa == "ia64":
                if fact in ("vtx", "vti"):
                    # ARK's "VT-x" line on an IA-64 part is VT-i
                    rec.facts["vtx"] = Fact(
                        value, f"{where}: VT-i {raw} (ARK prints it as the '{word}' line)"
                    )
                continue
            if fact == "vti":
                continue
            rec.facts[fact] = Fact(value, f"{where}: {word} {raw}")
        parsed.cpus.append(rec)
    return parsed

"""What the bulk-source parsers produce: plain records, before any database work.

A parser reads one file's bytes and returns a ``Parsed``: the records it understood, the
ones it rejected (with the reason), the file's own date and a description of the source.
Parsers never raise on bad input; a file that is not the format at all is a ``ParseError``
the importer reports as one rejected file.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from virtcompat.text import normalize_name

# A bulk source is at most a few MB; anything much larger is not one of ours.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_RECORDS = 50_000


class ParseError(ValueError):
    """The file is not in the format its importer reads."""


@dataclass(slots=True)
class Fact:
    value: str  # "yes" | "no"
    claim: str  # what the source says, in its own terms, with the record


@dataclass(slots=True)
class CpuRecord:
    record: str  # how the source names the record: ARK column / processor number / row
    vendor: str  # "intel" | "amd"
    brand: str
    processor_number: str | None = None
    facts: dict[str, Fact] = field(default_factory=dict)  # vtx | vtd | slat
    code_name: str | None = None
    microarch: str | None = None
    family: int | None = None
    model: int | None = None
    stepping: int | None = None
    launch: str | None = None  # as the source prints it ("Q1'22")
    segment: str | None = None
    socket: str | None = None
    isa: str = "x86"
    # CPUID dumps: add to the row of this part; create one only for a processor number no
    # catalogue row carries (a dump names a real part, placed by its signature)
    new_number_only: bool = False


@dataclass(slots=True)
class Observation:
    report: str  # the report's link (or file name)
    vendor: str  # board vendor as the report spells it
    model: str
    bios: str
    kind: str  # laptop | motherboard | desktop …
    observed: dict[str, str] = field(default_factory=dict)  # hvm|vtd|slat|irq_remap -> yes|no


@dataclass(slots=True)
class ChipsetName:
    record: str
    vendor: str
    name: str
    pci_id: str  # "8086:3a18"


@dataclass(slots=True)
class Parsed:
    kind: str
    exported: str | None  # the file's own date, ISO if known
    source_title: str
    source_url: str | None
    cpus: list[CpuRecord] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    chipsets: list[ChipsetName] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (record, reason)


def decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ParseError(f"file is larger than {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start})") from None


def csv_rows(text: str) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ParseError(f"not CSV: {exc}") from None
    if len(rows) > MAX_RECORDS * 2:
        raise ParseError("too many rows")
    return rows


def csv_dicts(text: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    rows = csv_rows(text)
    if not rows:
        raise ParseError("empty file")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ParseError(f"missing column(s): {', '.join(missing)}")
    return [
        {h: (r[i].strip() if i < len(r) else "") for i, h in enumerate(header)} for r in rows[1:]
    ]


_MARKS = re.compile(r"[®™‡†©]|\(R\)|\(TM\)|\(tm\)")
_SPACES = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """A product name without trademark signs and the word "Processor"
    ("Intel® Core™2 Duo Processor P7350" → "Intel Core 2 Duo P7350")."""
    # marks first: NFKC would spell ™ out as "TM"
    s = unicodedata.normalize("NFKC", _MARKS.sub(" ", name))
    s = re.sub(r"\bProcessors?\b", " ", s)
    s = re.sub(r"\bCore\s*2\b", "Core 2", s)
    return _SPACES.sub(" ", s).strip()


def slugify(text: str, max_len: int = 100) -> str:
    slug = normalize_name(text).replace(" ", "-")
    return slug[:max_len].strip("-") or "x"


def yes_no(value: str | None) -> str | None:
    """ARK's explicit "Yes"/"No"; anything else (blank, "See Ordering Info") says nothing."""
    v = (value or "").strip().casefold()
    return {"yes": "yes", "no": "no"}.get(v)

"""Writes parsed bulk-source records into the catalogue, one file per transaction.

The rules (issue 9):
* every imported fact is a citation of the file's source with the record and a confidence;
* a curated row (seed/, the API) is never changed: where an import disagrees with it, both
  are kept, the import's side as a ``conflict`` note; where the curated row says
  ``unknown`` the import's statement is cited beside it;
* an importer-created row takes a fact the first time one is stated; a later disagreeing
  statement (another file, or a duplicate record) becomes a ``conflict`` note as well;
* identity columns (processor number, code name, microarch, launch…) are only filled where
  empty, so the order of files never flips a value back and forth;
* a second run over the same file changes nothing.

Bulk work is preloaded into dictionaries and citations are inserted with one executemany,
so importing the shipped sources stays a matter of seconds.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, lazyload

from virtcompat import microarch
from virtcompat.catalogue.records import (
    ChipsetName,
    CpuRecord,
    Observation,
    Parsed,
    slugify,
)
from virtcompat.models import (
    Board,
    Chipset,
    ChipsetPciId,
    Citation,
    Confidence,
    Cpu,
    IommuKind,
    IommuLocation,
    IommuSupport,
    Note,
    NoteKind,
    NoteSeverity,
    PciRole,
    SlatKind,
    Source,
    Tri,
    Vendor,
)
from virtcompat.models import Observation as ObservationRow
from virtcompat.text import normalize_name, processor_number_key

# What a source's statement is worth: ARK and AMD's own spec pages are explicit records;
# a CPUID dump is one machine's observation of a positive flag.
CONFIDENCE = {
    "ark": Confidence.HIGH,
    "ark-json": Confidence.HIGH,
    "codenames": Confidence.HIGH,  # for placement only: it states no capability
    "amd": Confidence.HIGH,
    "cpuid": Confidence.MEDIUM,
    "qubes-hcl": Confidence.MEDIUM,
    "lpc-ids": Confidence.HIGH,
}

_FACT_WORDS = {"vtx": "VT-x", "vtd": "VT-d", "slat": "SLAT (EPT/NPT)"}
_IDENTITY = (
    "processor_number",
    "code_name",
    "microarch",
    "family",
    "model",
    "stepping",
    "launch_year",
    "launch_quarter",
    "segment",
    "socket",
)
# Nehalem/Westmere platforms whose IOMMU is in the CPU package (the rest use an IOH).
_IOMMU_IN_PACKAGE = ("lynnfield", "clarksfield", "clarkdale", "arrandale", "jasper forest")


@dataclass
class FileSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    conflicts: int = 0

    def as_dict(self) -> dict[str, Any]:
        reasons = Counter(reason for _, reason in self.rejected)
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "conflicts": self.conflicts,
            "rejected_reasons": dict(reasons.most_common(10)),
            "rejected_examples": [f"{r}: {why}" for r, why in self.rejected[:10]],
        }

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


def derive_iommu_in_cpu(
    vendor: str | None, slug: str | None, code_name: str | None, launch_year: int | None
) -> bool:
    """Whether the platform's IOMMU is in the CPU package, so the CPU's VT-d is a layer."""
    ma = microarch.get(slug)
    if ma is None:
        # Every Intel platform launched from 2012 on has its IOMMU in the CPU or SoC.
        return vendor == microarch.INTEL and launch_year is not None and launch_year >= 2012
    if ma.vendor == microarch.AMD:
        return ma.line == "amd" and ma.at_least("zen")
    if ma.line == "core":
        if ma.at_least("sandy-bridge"):
            return True
        name = (code_name or "").casefold()
        return ma.slug in ("nehalem", "westmere") and any(p in name for p in _IOMMU_IN_PACKAGE)
    if ma.line == "atom":
        return ma.at_least("silvermont")
    return ma.line == "xeon-phi"


def _family_word(brand: str) -> str:
    words = normalize_name(brand).split()
    return words[0] if words else ""


# Words that name no product line: "Intel Processor N100" is ARK's "N100".
_NO_LINE = frozenset({"intel", "amd", "processor", "processors", "cpu"})


def _line(brand: str, number: str) -> str | None:
    """The product line a brand puts before its processor number, without vendor words
    ("Core i5-12400" → "core", "Intel Processor N100" and "N100" → ""); ``None`` when the
    brand does not contain the number."""
    words = normalize_name(brand).split()
    num = normalize_name(number).split()
    n = len(num)
    for start in range(len(words) - n, -1, -1):
        if words[start : start + n] == num:
            return " ".join(w for w in words[:start] if w not in _NO_LINE)
    return None


def same_part(brand: str, other: str, number: str) -> bool:
    """Whether two brands with one processor number name one part: the same family word
    ("Pentium 570" is not "Celeron 570") and both or neither a PRO part ("Ryzen 9 PRO
    7940HS" is its own SKU), or one of them names no line at all (ARK's N-series export
    says "N100" where the code-name list says "Intel Processor N100")."""
    lines = (_line(brand, number), _line(other, number))
    if "" in lines:
        return True
    pro = {"pro" in (line or "").split() for line in lines}
    return _family_word(brand) == _family_word(other) and len(pro) == 1


class CpuIndex:
    """The CPU rows and their notes, loaded once per import run and kept current by the
    writers, so 80 files do not each re-read 5,000 rows (the session must not expire
    objects on commit while it is in use: see ``run.importing``)."""

    def __init__(self, session: Session) -> None:
        cpus = list(session.scalars(select(Cpu).options(lazyload(Cpu.vendor))))
        self.by_slug = {c.slug: c for c in cpus}
        self.by_brand = {(c.vendor_id, normalize_name(c.brand)): c for c in cpus}
        self.by_number: dict[tuple[int, str], list[Cpu]] = defaultdict(list)
        for c in cpus:
            if c.processor_number:
                self.add_number(c)
        self.notes = {
            n.slug: n for n in session.scalars(select(Note).where(Note.cpu_id.is_not(None)))
        }
        self.curated_conflicts = {
            (n.cpu_id, n.capability)
            for n in self.notes.values()
            if n.kind == NoteKind.CONFLICT and not n.slug.startswith("import-")
        }

    def add_number(self, c: Cpu) -> None:
        assert c.processor_number is not None
        key = (c.vendor_id, processor_number_key(c.processor_number))
        if c not in self.by_number[key]:
            self.by_number[key].append(c)


class Context:
    """State shared by the writers of one import run (see ``CpuIndex``)."""

    def __init__(self) -> None:
        self.vendors: dict[str, Vendor] = {}
        self.cpus: CpuIndex | None = None

    def reset(self) -> None:
        self.vendors = {}
        self.cpus = None

    def load_vendors(self, session: Session) -> None:
        if self.vendors:
            return
        for v in session.scalars(select(Vendor)):
            for name in (v.slug, v.name, *v.aliases):
                self.vendors.setdefault(normalize_name(name), v)

    def cpu_index(self, session: Session) -> CpuIndex:
        if self.cpus is None:
            self.cpus = CpuIndex(session)
        return self.cpus


class Writer:
    """Applies one parsed file; the caller owns the transaction."""

    def __init__(
        self, session: Session, parsed: Parsed, source: Source, ctx: Context | None = None
    ) -> None:
        self.s = session
        self.parsed = parsed
        self.source = source
        self.ctx = ctx or Context()
        self.confidence = CONFIDENCE.get(parsed.kind, Confidence.MEDIUM)
        self.summary = FileSummary(rejected=list(parsed.rejected))
        self._vendors = self.ctx.vendors
        self._pending_cites: list[dict[str, Any]] = []

    # -- vendors --------------------------------------------------------------------------

    def _load_vendors(self) -> None:
        self.ctx.load_vendors(self.s)

    def vendor(self, name: str) -> Vendor:
        key = normalize_name(name)
        v = self._vendors.get(key)
        if v is None:
            for known, row in self._vendors.items():
                # "Intel Corporation", "ASUSTeK Computer INC." -> the known first word
                if key.split(" ")[0] == known and len(known) > 2:
                    v = row
                    break
        if v is None:
            slug = slugify(name)
            taken = {x.slug for x in self._vendors.values()}
            base, n = slug, 2
            while slug in taken:
                slug, n = f"{base[:95]}-{n}", n + 1
            v = Vendor(slug=slug, name=name[:200], aliases=[])
            self.s.add(v)
        self._vendors[key] = v
        return v

    # -- CPUs -----------------------------------------------------------------------------

    def run(self) -> FileSummary:
        self._load_vendors()
        if self.parsed.cpus:
            self._cpus()
        if self.parsed.observations:
            self._observations()
        if self.parsed.chipsets:
            self._chipsets()
        if self._pending_cites:
            self.s.execute(insert(Citation), self._pending_cites)
        self.s.flush()
        return self.summary

    def _cite(self, subject: str, subject_id: int, fld: str | None, claim: str) -> None:
        self._pending_cites.append(
            {
                "source_id": self.source.id,
                "confidence": self.confidence,
                "field": fld,
                "claim": claim[:4000],
                "vendor_id": None,
                "chipset_id": None,
                "cpu_id": None,
                "board_id": None,
                "bios_release_id": None,
                "note_id": None,
                f"{subject}_id": subject_id,
            }
        )

    def _cpus(self) -> None:
        s = self.s
        ix = self.ctx.cpu_index(s)
        by_slug, by_brand, by_number = ix.by_slug, ix.by_brand, ix.by_number
        # (cpu id, field) -> claim already cited from this source
        cited: dict[tuple[int, str | None], str | None] = {
            (cpu_id, fld): claim
            for cpu_id, fld, claim in s.execute(
                select(Citation.cpu_id, Citation.field, Citation.claim).where(
                    Citation.source_id == self.source.id, Citation.cpu_id.is_not(None)
                )
            )
            if cpu_id is not None
        }
        notes, curated_conflicts = ix.notes, ix.curated_conflicts
        new_rows: list[tuple[Cpu, CpuRecord]] = []
        touched: list[tuple[Cpu, CpuRecord, bool]] = []
        for rec in self.parsed.cpus:
            vendor = self.vendor(rec.vendor)
            if vendor in s.new:
                s.flush()
            slug = slugify(f"{vendor.slug} {rec.brand}")
            row = by_slug.get(slug) or by_brand.get((vendor.id, normalize_name(rec.brand)))
            numbered: list[Cpu] = []
            if row is None and rec.processor_number:
                numbered = by_number.get(
                    (vendor.id, processor_number_key(rec.processor_number)), []
                )
                same = [
                    c
                    for c in numbered
                    # same number and line: "Pentium 570" is not "Celeron 570"
                    if c.isa == rec.isa and same_part(c.brand, rec.brand, rec.processor_number)
                ]
                row = same[0] if len(same) == 1 else None
            if row is None:
                if rec.new_number_only and numbered:
                    self.summary.rejected.append(
                        (rec.record, "its processor number names other catalogue CPUs")
                    )
                    continue
                if slug in by_slug:  # brand differs only in spelling from another row
                    slug = f"{slug[:88]}-{hashlib.sha1(rec.brand.encode()).hexdigest()[:8]}"
                row = Cpu(
                    slug=slug,
                    vendor_id=vendor.id,
                    brand=rec.brand[:200],
                    isa=rec.isa,
                    curated=False,
                    iommu_in_cpu=False,
                    vtx=Tri.UNKNOWN,
                    vtd=Tri.UNKNOWN,
                    slat=Tri.UNKNOWN,
                    slat_kind=SlatKind.UNKNOWN,
                )
                s.add(row)
                by_slug[slug] = row
                by_brand[(vendor.id, normalize_name(rec.brand))] = row
                new_rows.append((row, rec))
                self._apply_identity(row, rec)
                touched.append((row, rec, True))
            else:
                changed = self._apply_identity(row, rec)
                touched.append((row, rec, changed))
            if row.processor_number:
                ix.add_number(row)
        s.flush()
        fresh = {id(row) for row, _ in new_rows}
        for row, rec, changed in touched:
            vendor_key = microarch.INTEL if rec.vendor == microarch.INTEL else rec.vendor
            if not row.curated:
                wanted = derive_iommu_in_cpu(
                    vendor_key, row.microarch, row.code_name, row.launch_year
                )
                if row.iommu_in_cpu != wanted:
                    row.iommu_in_cpu = wanted
                    changed = True
            changed |= self._apply_facts(row, rec, cited, notes, curated_conflicts)
            if id(row) in fresh:
                fresh.discard(id(row))
                self.summary.added += 1
            elif changed:
                self.summary.updated += 1
            else:
                self.summary.unchanged += 1

    def _apply_identity(self, row: Cpu, rec: CpuRecord) -> bool:
        parsed_launch = microarch.parse_launch(rec.launch)
        ma_slug = rec.microarch
        if ma_slug is None and rec.code_name:
            ma = microarch.from_code_name(rec.code_name, rec.vendor)
            ma_slug = ma.slug if ma else None
        values: dict[str, Any] = {
            "processor_number": rec.processor_number,
            "code_name": rec.code_name[:100] if rec.code_name else None,
            "microarch": ma_slug,
            "family": rec.family,
            "model": rec.model,
            "stepping": rec.stepping,
            "launch_year": parsed_launch[0] if parsed_launch else None,
            "launch_quarter": microarch.launch_quarter(rec.launch),
            "segment": rec.segment[:40] if rec.segment else None,
            "socket": rec.socket[:200] if rec.socket else None,
        }
        changed = False
        for name in _IDENTITY:
            value = values[name]
            if value is not None and getattr(row, name) is None:
                setattr(row, name, value)
                changed = True
        if not row.curated and rec.isa == "ia64" and row.isa != "ia64":
            row.isa = "ia64"
            changed = True
        return changed

    def _apply_facts(
        self,
        row: Cpu,
        rec: CpuRecord,
        cited: dict[tuple[int, str | None], str | None],
        notes: dict[str, Note],
        curated_conflicts: set[tuple[int | None, str | None]],
    ) -> bool:
        changed = False
        if not rec.facts:
            # placement only (code-name lists): cite where the identity came from
            claim = self._placement_claim(rec)
            if claim and (row.id, "microarch") not in cited:
                self._cite("cpu", row.id, "microarch", claim)
                cited[(row.id, "microarch")] = claim
                changed = True
            return changed
        for fld, fact in rec.facts.items():
            current = Tri(getattr(row, fld))
            if (row.id, fld) not in cited:
                self._cite("cpu", row.id, fld, fact.claim)
                cited[(row.id, fld)] = fact.claim
                changed = True
            if current.value == fact.value:
                continue
            if current == Tri.UNKNOWN:
                if not row.curated:
                    setattr(row, fld, Tri(fact.value))
                    if fld == "slat":
                        row.slat_kind = self._slat_kind(rec, fact.value)
                    changed = True
                continue
            # both explicit and different: keep both sides
            if row.curated and (row.id, fld) in curated_conflicts:
                continue
            changed |= self._conflict_note(row, fld, current.value, fact.value, fact.claim, notes)
        return changed

    @staticmethod
    def _slat_kind(rec: CpuRecord, value: str) -> SlatKind:
        if value == "no":
            return SlatKind.NONE
        return SlatKind.NPT if rec.vendor == microarch.AMD else SlatKind.EPT

    @staticmethod
    def _placement_claim(rec: CpuRecord) -> str | None:
        parts = [
            f"code name {rec.code_name}" if rec.code_name else "",
            f"launched {rec.launch}" if rec.launch else "",
            f"segment {rec.segment}" if rec.segment else "",
            f"socket {rec.socket}" if rec.socket else "",
        ]
        text = ", ".join(p for p in parts if p)
        return f"{rec.record}: {text}" if text else None

    def _conflict_note(
        self, row: Cpu, fld: str, have: str, says: str, claim: str, notes: dict[str, Note]
    ) -> bool:
        digest = hashlib.sha1(f"{row.slug}|{fld}|{self.source.slug}".encode()).hexdigest()[:10]
        slug = f"import-conflict-{row.slug[:80]}-{fld}-{digest}"
        side = "the curated catalogue" if row.curated else "another imported source"
        text = (
            f"{self.source.title} says {_FACT_WORDS[fld]} {says!r} for {row.brand}, but "
            f"{side} says {have!r}. Both are kept; a probe of a real machine settles it."
        )
        note = notes.get(slug)
        if note is not None:
            if note.text == text:
                return False
            note.text = text
            return True
        note = Note(
            slug=slug,
            kind=NoteKind.CONFLICT,
            severity=NoteSeverity.WARNING,
            capability=fld,
            text=text,
            cpu_id=row.id,
        )
        self.s.add(note)
        self.s.flush()
        notes[slug] = note
        self._cite("note", note.id, fld, claim)
        self.summary.conflicts += 1
        return True

    # -- boards from machine reports ------------------------------------------------------

    def _observations(self) -> None:
        s = self.s
        boards = list(s.scalars(select(Board)))
        by_key = {(b.vendor.slug, normalize_name(b.model)): b for b in boards}
        slugs = {b.slug for b in boards}
        fresh: set[int] = set()
        # first pass: every board, created without a flush per row
        placed: list[tuple[Observation, Board]] = []
        for obs in self.parsed.observations:
            vendor = self.vendor(obs.vendor)
            key = (vendor.slug, normalize_name(obs.model))
            board = by_key.get(key)
            if board is None:
                slug = slugify(f"{vendor.slug} {obs.model}")
                if slug in slugs:
                    slug = f"{slug[:88]}-{hashlib.sha1(obs.model.encode()).hexdigest()[:8]}"
                board = Board(
                    slug=slug, vendor=vendor, model=obs.model, vtd_status="unknown", curated=False
                )
                s.add(board)
                slugs.add(slug)
                by_key[key] = board
                fresh.add(id(board))
            placed.append((obs, board))
        s.flush()
        have = {
            (o.record, o.capability): o
            for o in s.scalars(
                select(ObservationRow).where(ObservationRow.source_id == self.source.id)
            )
        }
        cited_boards = set(
            s.scalars(
                select(Citation.board_id).where(
                    Citation.source_id == self.source.id, Citation.board_id.is_not(None)
                )
            )
        )
        new_obs: list[dict[str, Any]] = []
        for obs, board in placed:
            changed = False
            if board.id not in cited_boards:
                self._cite(
                    "board",
                    board.id,
                    None,
                    f"machine report {obs.report} ({obs.kind or 'machine'} {obs.vendor} "
                    f"{obs.model}, BIOS {obs.bios or 'not given'})",
                )
                cited_boards.add(board.id)
                changed = True
            for cap, value in obs.observed.items():
                row = have.get((obs.report, cap))
                wanted: dict[str, Any] = {
                    "board_id": board.id,
                    "bios_version": obs.bios,
                    "observed": Tri(value),
                }
                if row is None:
                    new_obs.append(
                        {"source_id": self.source.id, "record": obs.report, "capability": cap}
                        | wanted
                    )
                    changed = True
                    continue
                for k, v in wanted.items():
                    if getattr(row, k) != v:
                        setattr(row, k, v)
                        changed = True
            if id(board) in fresh:
                fresh.discard(id(board))
                self.summary.added += 1
            elif changed:
                self.summary.updated += 1
            else:
                self.summary.unchanged += 1
        if new_obs:
            s.execute(insert(ObservationRow), new_obs)

    # -- chipset names from LPC ids -------------------------------------------------------

    def _chipsets(self) -> None:
        s = self.s
        chipsets = list(s.scalars(select(Chipset)))
        by_name = {(c.vendor.slug, normalize_name(c.name)): c for c in chipsets}
        slugs = {c.slug for c in chipsets}
        known_ids: dict[str, str] = {}
        for pci_id, slug in s.execute(select(ChipsetPciId.pci_id, Chipset.slug).join(Chipset)):
            known_ids.setdefault(pci_id, slug)
        fresh: set[int] = set()
        placed: list[tuple[ChipsetName, Chipset]] = []
        for rec in self.parsed.chipsets:
            owner = known_ids.get(rec.pci_id)
            vendor = self.vendor(rec.vendor)
            key = (vendor.slug, normalize_name(rec.name))
            chip = by_name.get(key)
            if owner is not None:
                # already named: a second name for one id would make it ambiguous
                if chip is not None and chip.slug == owner:
                    self.summary.unchanged += 1
                else:
                    self.summary.rejected.append(
                        (f"{rec.record} {rec.pci_id}", f"id already names chipset {owner}")
                    )
                continue
            if chip is None:
                slug = slugify(f"{vendor.slug} {rec.name}")
                if slug in slugs:
                    slug = f"{slug[:88]}-{hashlib.sha1(rec.name.encode()).hexdigest()[:8]}"
                chip = Chipset(
                    slug=slug,
                    vendor=vendor,
                    name=rec.name,
                    curated=False,
                    iommu_support=IommuSupport.UNKNOWN,
                    iommu_kind=IommuKind.UNKNOWN,
                    iommu_location=IommuLocation.UNKNOWN,
                )
                s.add(chip)
                slugs.add(slug)
                by_name[key] = chip
                fresh.add(id(chip))
            known_ids[rec.pci_id] = chip.slug
            placed.append((rec, chip))
        s.flush()
        cited = set(
            s.scalars(
                select(Citation.chipset_id).where(
                    Citation.source_id == self.source.id, Citation.chipset_id.is_not(None)
                )
            )
        )
        ids: list[dict[str, Any]] = []
        for rec, chip in placed:
            ids.append(
                {
                    "chipset_id": chip.id,
                    "pci_id": rec.pci_id,
                    "role": PciRole.LPC,
                    "label": rec.name,
                }
            )
            if chip.id not in cited:
                self._cite("chipset", chip.id, "pci_ids", f"{rec.record}: {rec.pci_id} {rec.name}")
                cited.add(chip.id)
            if id(chip) in fresh:
                fresh.discard(id(chip))
                self.summary.added += 1
            else:
                self.summary.updated += 1
        if ids:
            s.execute(insert(ChipsetPciId), ids)

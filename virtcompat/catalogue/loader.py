"""The idempotent seed loader: a validated seed directory upserted into the catalogue.

The loader upserts by natural key and never deletes catalogue rows: rows dropped from the
seed stay (they may be referenced by probes or have been added through the API); only a
subject's citations are replaced, and only when the seed's set for it differs. Running it
twice changes nothing the second time, so no ``updated_at`` moves and the catalogue
version is not bumped. It never commits; the caller does.

This module imports SQLAlchemy but never Flask.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from virtcompat import microarch
from virtcompat.catalog import bump_version, catalog_version
from virtcompat.catalogue.checks import validate_seed_dir
from virtcompat.catalogue.types import (
    BoardSpec,
    ChipsetSpec,
    Cite,
    CpuSpec,
    NoteSpec,
    SeedData,
)
from virtcompat.models import (
    BiosRelease,
    Board,
    BoardAlias,
    Chipset,
    ChipsetPciId,
    Citation,
    Confidence,
    Cpu,
    CpuStepping,
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

__all__ = ["KindCount", "SeedReport", "load_seed"]


REPORT_KINDS = (
    "sources",
    "vendors",
    "chipsets",
    "chipset_pci_ids",
    "cpus",
    "cpu_steppings",
    "boards",
    "board_aliases",
    "bios_releases",
    "notes",
    "citations",
)


@dataclass(slots=True)
class KindCount:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # citations only: a subject's changed set replaces the old one


def _empty_counts() -> dict[str, KindCount]:
    return {kind: KindCount() for kind in REPORT_KINDS}


@dataclass(slots=True)
class SeedReport:
    counts: dict[str, KindCount] = dataclasses.field(default_factory=_empty_counts)
    # The catalogue version after loading; None when nothing changed (no bump).
    catalog_version: int | None = None

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.deleted for c in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": {k: dataclasses.asdict(v) for k, v in self.counts.items()},
            "changed": self.changed,
            "catalog_version": self.catalog_version,
        }

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        lines = [
            f"{kind}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
            + (f", {c.deleted} deleted" if c.deleted else "")
            for kind, c in self.counts.items()
        ]
        return "\n".join(lines)


_M = TypeVar("_M")
_CiteKey = tuple[int, str, str | None, str | None]
_Subject = tuple[str, int]


def _sync(obj: object, values: Mapping[str, object]) -> bool:
    """Set only the attributes that differ, so an unchanged row is never flushed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class _Loader:
    def __init__(self, session: Session, report: SeedReport) -> None:
        self.session = session
        self.report = report
        self.sources: dict[str, Source] = {}
        self.vendors: dict[str, Vendor] = {}
        self.chipsets: dict[str, Chipset] = {}
        self.cpus: dict[str, Cpu] = {}
        self.boards: dict[str, Board] = {}
        self.notes: dict[str, Note] = {}
        self.seed_source_slugs: set[str] = set()
        # (subject kind, subject id) -> desired citations, filled while rows are upserted
        self.wanted_cites: list[tuple[_Subject, Sequence[Cite]]] = []

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        c = self.report.counts[kind]
        setattr(c, outcome, getattr(c, outcome) + n)

    def upsert(
        self,
        kind: str,
        existing: dict[str, _M],
        slug: str,
        factory: Callable[..., _M],
        values: Mapping[str, object],
    ) -> _M:
        obj = existing.get(slug)
        if obj is None:
            obj = factory(slug=slug, **values)
            self.session.add(obj)
            existing[slug] = obj
            self.count(kind, "created")
        elif _sync(obj, values):
            self.count(kind, "updated")
        else:
            self.count(kind, "unchanged")
        return obj

    def child(self, kind: str, obj: object | None, values: Mapping[str, object]) -> bool:
        """Count a keyed child row; returns True when it must be created."""
        if obj is None:
            self.count(kind, "created")
            return True
        self.count(kind, "updated" if _sync(obj, values) else "unchanged")
        return False

    def run(self, data: SeedData) -> None:
        s = self.session
        self.sources = {x.slug: x for x in s.scalars(select(Source))}
        self.vendors = {x.slug: x for x in s.scalars(select(Vendor))}
        self.chipsets = {x.slug: x for x in s.scalars(select(Chipset))}
        self.cpus = {x.slug: x for x in s.scalars(select(Cpu))}
        self.boards = {x.slug: x for x in s.scalars(select(Board))}
        self.notes = {x.slug: x for x in s.scalars(select(Note))}

        self.seed_source_slugs = {src.slug for src in data.sources}
        for src in data.sources:
            self.upsert(
                "sources",
                self.sources,
                src.slug,
                Source,
                {
                    "title": src.title,
                    "url": src.url,
                    "document_id": src.document_id,
                    "published": src.published,
                    "kind": src.kind,
                },
            )
        for v in data.vendors:
            self.upsert(
                "vendors",
                self.vendors,
                v.slug,
                Vendor,
                {"name": v.name, "aliases": list(v.aliases)},
            )
        s.flush()
        for v in data.vendors:
            self.wanted_cites.append((("vendor", self.vendors[v.slug].id), v.cites))

        for c in data.chipsets:
            self.load_chipset(c)
        for cpu in data.cpus:
            self.load_cpu(cpu)
        s.flush()
        for b in data.boards:
            self.load_board(b)
        s.flush()

        for c in data.chipsets:
            self.load_notes("chipset", self.chipsets[c.slug].id, c.notes)
            self.wanted_cites.append((("chipset", self.chipsets[c.slug].id), c.cites))
        for cpu in data.cpus:
            self.load_notes("cpu", self.cpus[cpu.slug].id, cpu.notes)
            self.wanted_cites.append((("cpu", self.cpus[cpu.slug].id), cpu.cites))
        for b in data.boards:
            board = self.boards[b.slug]
            self.load_notes("board", board.id, b.notes)
            self.wanted_cites.append((("board", board.id), b.cites))
            releases = {r.version: r for r in board.bios_releases}
            for r in b.bios:
                rid = releases[r.version].id
                self.load_notes("bios_release", rid, r.notes)
                self.wanted_cites.append((("bios_release", rid), r.cites))
        s.flush()
        for n in self.all_notes(data):
            self.wanted_cites.append((("note", self.notes[n.slug].id), n.cites))

        self.load_citations()
        s.flush()

    @staticmethod
    def all_notes(data: SeedData) -> Iterator[NoteSpec]:
        for _, note in data.iter_notes():
            yield note

    def load_chipset(self, c: ChipsetSpec) -> None:
        chipset = self.upsert(
            "chipsets",
            self.chipsets,
            c.slug,
            Chipset,
            {
                "vendor_id": self.vendors[c.vendor].id,
                "name": c.name,
                "family": c.family,
                "iommu_support": IommuSupport(c.iommu_support),
                "iommu_kind": IommuKind(c.iommu_kind),
                "iommu_location": IommuLocation(c.iommu_location),
            },
        )
        have = {(p.pci_id, p.role.value): p for p in chipset.pci_ids} if chipset.id else {}
        for p in c.pci_ids:
            if self.child("chipset_pci_ids", have.get((p.id, p.role)), {"label": p.label}):
                chipset.pci_ids.append(
                    ChipsetPciId(pci_id=p.id, role=PciRole(p.role), label=p.label)
                )

    def load_cpu(self, c: CpuSpec) -> None:
        cpu = self.upsert(
            "cpus",
            self.cpus,
            c.slug,
            Cpu,
            {
                "vendor_id": self.vendors[c.vendor].id,
                "brand": c.brand,
                "family": c.family,
                "model": c.model,
                "microarchitecture": c.code_name,
                **_cpu_identity(c),
                "vtx": Tri(c.vtx),
                "vtd": Tri(c.vtd),
                "slat": Tri(c.slat),
                "slat_kind": SlatKind(c.slat_kind),
                "iommu_in_cpu": c.iommu_in_cpu,
            },
        )
        have = {st.name: st for st in cpu.steppings} if cpu.id else {}
        for st in c.steppings:
            values = {"cpuid_stepping": st.cpuid_stepping, "vtx": Tri(st.vtx)}
            if self.child("cpu_steppings", have.get(st.name), values):
                cpu.steppings.append(
                    CpuStepping(name=st.name, cpuid_stepping=st.cpuid_stepping, vtx=Tri(st.vtx))
                )

    def load_board(self, b: BoardSpec) -> None:
        board = self.upsert(
            "boards",
            self.boards,
            b.slug,
            Board,
            {
                "vendor_id": self.vendors[b.vendor].id,
                "chipset_id": self.chipsets[b.chipset_slug].id
                if b.chipset_slug is not None
                else None,
                "model": b.model,
                "vtd_status": b.vtd_status,
            },
        )
        aliases = {(a.kind, a.normalized): a for a in board.aliases} if board.id else {}
        for a in b.aliases:
            key = a.normalized
            if self.child(
                "board_aliases", aliases.get((a.kind, key)), {"vendor": a.vendor, "name": a.name}
            ):
                board.aliases.append(
                    BoardAlias(kind=a.kind, vendor=a.vendor, name=a.name, normalized=key)
                )
        releases = {r.version: r for r in board.bios_releases} if board.id else {}
        for r in b.bios:
            values = {
                "released": r.released,
                "vtx_option": Tri(r.vtx_option),
                "vtd_option": Tri(r.vtd_option),
                "vtd_works": Tri(r.vtd_works),
            }
            if self.child("bios_releases", releases.get(r.version), values):
                board.bios_releases.append(BiosRelease(version=r.version, **values))

    def load_notes(self, subject: str, subject_id: int, notes: Sequence[NoteSpec]) -> None:
        for n in notes:
            values: dict[str, object] = {
                "kind": NoteKind(n.kind),
                "severity": NoteSeverity(n.severity),
                "capability": n.capability,
                "text": n.text,
                "min_bios_version": n.min_bios_version,
                "chipset_id": None,
                "board_id": None,
                "bios_release_id": None,
                "cpu_id": None,
            }
            values[f"{subject}_id"] = subject_id
            self.upsert("notes", self.notes, n.slug, Note, values)

    def load_citations(self) -> None:
        have: dict[_Subject, list[Citation]] = {}
        seed_sources = {self.sources[slug].id for slug in self.seed_source_slugs}
        for cit in self.session.scalars(select(Citation)):
            have.setdefault(_citation_subject(cit), []).append(cit)
        for subject, cites in self.wanted_cites:
            kind, subject_id = subject
            wanted: list[_CiteKey] = [
                (self.sources[c.source_slug].id, Confidence(c.confidence).value, c.field, c.claim)
                for c in cites
            ]
            # Importers cite their own sources on seed rows; those are not the seed's to drop.
            old = [c for c in have.get(subject, []) if c.source_id in seed_sources]
            current: list[_CiteKey] = [
                (c.source_id, Confidence(c.confidence).value, c.field, c.claim) for c in old
            ]
            if Counter(current) == Counter(wanted):
                self.count("citations", "unchanged", len(wanted))
                continue
            for cit in old:
                self.session.delete(cit)
            self.count("citations", "deleted", len(old))
            for source_id, confidence, field, claim in wanted:
                self.session.add(
                    Citation(
                        source_id=source_id,
                        confidence=Confidence(confidence),
                        field=field,
                        claim=claim,
                        **{f"{kind}_id": subject_id},
                    )
                )
            self.count("citations", "created", len(wanted))


_PAREN = re.compile(r"^(.*?)\s*\((.*)\)\s*$")


def _cpu_identity(c: CpuSpec) -> dict[str, object]:
    """Identity columns a seed row implies: the processor number is the brand's last word
    unless given, the microarchitecture comes from the CPUID signature (or else from the
    code name the seed writes, "Penryn (Yorkfield)"), and every seed CPU is x86."""
    number = c.processor_number
    if number is None:
        last = c.brand.split()[-1]
        number = last if any(ch.isdigit() for ch in last) else None
    code_name = c.code_name
    ma = microarch.from_cpuid(c.vendor, c.family, c.model)
    if ma is None and code_name:
        m = _PAREN.match(code_name)
        parts = [m.group(2), m.group(1)] if m else [code_name]
        for part in parts:
            ma = microarch.from_code_name(part, microarch.vendor_key(c.vendor) or "")
            if ma is not None:
                break
    return {
        "processor_number": number,
        "code_name": code_name,
        "microarch": ma.slug if ma else None,
        "isa": ma.isa if ma else "x86",
    }


def _citation_subject(c: Citation) -> _Subject:
    for kind in ("vendor", "chipset", "cpu", "board", "bios_release", "note"):
        value: int | None = getattr(c, f"{kind}_id")
        if value is not None:
            return (kind, value)
    raise ValueError(f"citation {c.id} has no subject")


def load_seed(session: Session, path: str | Path) -> SeedReport:
    """Validate ``path`` and upsert it into ``session``; the caller commits.

    Rows are matched by slug (BIOS releases by board and version, aliases by board, kind
    and ``alias_key(vendor, name)``, PCI ids by chipset, id and role, steppings by CPU and
    name). A subject's citations are replaced only when the seed's set differs. The
    catalogue version is bumped (``virtcompat.catalog.bump_version``, which creates the
    row if missing) only when something changed.
    """
    data = validate_seed_dir(path)
    report = SeedReport()
    _Loader(session, report).run(data)
    if report.changed:
        bump_version(session)
        report.catalog_version = catalog_version(session)
    return report

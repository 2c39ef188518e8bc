"""The catalogue's vocabulary: one frozen, slotted type per kind of row.

The same types carry a row the seed describes (``virtcompat.catalogue.schemas`` builds them
from ``seed/*.yaml``, ``virtcompat.catalogue.loader`` writes them) and a row the snapshot
read back (``virtcompat.engine.snapshot``, read on every verdict). A field only one side
knows has a default the other side leaves alone:

- ``id`` is the database id; a row not stored yet (a seed entry, a CPU only a log names)
  has ``0``.
- ``Cite`` names its source by slug; the snapshot also resolves the source's title, URL and
  document id (the seed leaves them empty: the loader looks the source up by slug).
- ``BoardSpec.aliases`` are the DMI names as written; ``alias_names`` their comparison keys.

Plain dataclasses, no SQLAlchemy and no Flask: the verdict engine reads these attributes on
the hot path, so they stay slotted and flat (no properties, no nesting to walk).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from virtcompat.capability import Evidence
from virtcompat.text import normalize_name

__all__ = [
    "AliasSpec",
    "BiosSpec",
    "BoardSpec",
    "ChipsetSpec",
    "Cite",
    "CpuSpec",
    "NoteSpec",
    "PciIdSpec",
    "SeedData",
    "SourceSpec",
    "SteppingSpec",
    "VendorSpec",
    "alias_key",
]


@dataclass(frozen=True, slots=True)
class Cite:
    """One source's word on a row (``field``: the column it supports; None for the row)."""

    source_slug: str
    title: str
    url: str | None
    confidence: str
    field: str | None
    claim: str | None
    document_id: str | None = None

    def evidence(self, kind: str, row_id: str | int | None) -> Evidence:
        label = self.title
        if self.document_id and self.document_id not in label:
            label = f"{label} [{self.document_id}]"
        if self.url:
            label = f"{label} <{self.url}>"
        return Evidence(
            kind=kind,
            id=row_id,
            source=f"{label} (confidence {self.confidence})",
            confidence=self.confidence,
        )


def _cite_evidence(
    cites: tuple[Cite, ...], row: str, fields: tuple[str, ...]
) -> tuple[Evidence, ...]:
    """Citations that support ``fields`` (or the row as a whole); never an empty tuple."""
    chosen = [c for c in cites if c.field is None or not fields or c.field in fields]
    if not chosen:
        chosen = list(cites)
    if not chosen:
        return (Evidence(kind="spec", id=row, source=None),)
    return tuple(c.evidence("spec", row) for c in chosen)


@dataclass(frozen=True, slots=True)
class NoteSpec:
    id: int
    slug: str
    kind: str
    severity: str
    capability: str | None
    text: str
    min_bios_version: str | None
    cites: tuple[Cite, ...]

    def evidence(self) -> tuple[Evidence, ...]:
        if not self.cites:
            return (Evidence(kind="note", id=self.slug, source=None),)
        return tuple(c.evidence("note", self.slug) for c in self.cites)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    slug: str
    title: str
    kind: str
    url: str | None = None
    document_id: str | None = None
    published: str | None = None


@dataclass(frozen=True, slots=True)
class VendorSpec:
    slug: str
    name: str
    aliases: tuple[str, ...]
    cites: tuple[Cite, ...]


class PciIdSpec(NamedTuple):
    """A PCI function that identifies a chipset (``role``: host_bridge, lpc, iommu…)."""

    id: str  # "8086:2e10"
    role: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ChipsetSpec:
    id: int
    slug: str
    name: str
    vendor: str
    iommu_support: str
    iommu_kind: str
    iommu_location: str
    pci_ids: tuple[PciIdSpec, ...]
    cites: tuple[Cite, ...]
    notes: tuple[NoteSpec, ...]
    family: str | None = None

    def evidence(self, fields: tuple[str, ...] = ()) -> tuple[Evidence, ...]:
        return _cite_evidence(self.cites, f"chipset:{self.slug}", fields)


@dataclass(frozen=True, slots=True)
class SteppingSpec:
    name: str
    cpuid_stepping: int | None
    vtx: str


@dataclass(frozen=True, slots=True)
class CpuSpec:
    id: int
    slug: str
    brand: str
    vendor: str
    family: int | None
    model: int | None
    vtx: str
    vtd: str
    slat: str
    slat_kind: str
    iommu_in_cpu: bool
    steppings: tuple[SteppingSpec, ...]
    cites: tuple[Cite, ...]
    notes: tuple[NoteSpec, ...]
    # Identity (virtcompat.microarch): ``microarch`` is its slug, ``isa`` "x86" or "ia64";
    # ``code_name`` as the source writes it ("Penryn (Yorkfield)").
    processor_number: str | None = None
    code_name: str | None = None
    microarch: str | None = None
    stepping: int | None = None
    launch_year: int | None = None
    launch_quarter: str | None = None  # "Q1'22"
    segment: str | None = None
    socket: str | None = None
    isa: str = "x86"
    curated: bool = True

    def evidence(self, fields: tuple[str, ...] = ()) -> tuple[Evidence, ...]:
        return _cite_evidence(self.cites, f"cpu:{self.slug}", fields)


@dataclass(frozen=True, slots=True)
class BiosSpec:
    """A BIOS release of one board and what its setup offers and does."""

    id: int
    version: str
    vtx_option: str
    vtd_option: str
    vtd_works: str
    cites: tuple[Cite, ...]
    notes: tuple[NoteSpec, ...]
    released: dt.date | None = None


def alias_key(vendor: str | None, name: str) -> str:
    """The comparison key of a DMI alias: ``normalize_name("<vendor> <name>")``."""
    return normalize_name(f"{vendor or ''} {name}")


@dataclass(frozen=True, slots=True)
class AliasSpec:
    kind: str  # board | product
    name: str
    vendor: str | None = None

    @property
    def normalized(self) -> str:
        """``BoardAlias.normalized``: vendor and name folded together, as the API stores it."""
        return alias_key(self.vendor, self.name)


@dataclass(frozen=True, slots=True)
class BoardSpec:
    id: int
    slug: str
    model: str
    vendor: str
    chipset_slug: str | None
    vtd_status: str
    alias_names: tuple[str, ...]  # the aliases' comparison keys (AliasSpec.normalized)
    bios: tuple[BiosSpec, ...]
    cites: tuple[Cite, ...]
    notes: tuple[NoteSpec, ...]
    aliases: tuple[AliasSpec, ...] = ()

    def evidence(self, fields: tuple[str, ...] = ()) -> tuple[Evidence, ...]:
        return _cite_evidence(self.cites, f"board:{self.slug}", fields)


@dataclass(frozen=True, slots=True)
class SeedData:
    """A validated seed directory: every slug unique, every reference resolvable."""

    sources: tuple[SourceSpec, ...]
    vendors: tuple[VendorSpec, ...]
    chipsets: tuple[ChipsetSpec, ...]
    cpus: tuple[CpuSpec, ...]
    boards: tuple[BoardSpec, ...]

    def iter_notes(self) -> Iterator[tuple[str, NoteSpec]]:
        """Every note with a readable path of its subject ("boards.yaml:intel-dq45cb")."""
        for c in self.chipsets:
            for n in c.notes:
                yield f"chipsets.yaml:{c.slug}", n
        for cpu in self.cpus:
            for n in cpu.notes:
                yield f"cpus.yaml:{cpu.slug}", n
        for b in self.boards:
            for n in b.notes:
                yield f"boards.yaml:{b.slug}", n
            for r in b.bios:
                for n in r.notes:
                    yield f"boards.yaml:{b.slug}:bios {r.version}", n

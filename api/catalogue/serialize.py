"""Catalogue rows -> plain dicts, batching the citation and note look-ups per page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from virtcompat import catalog
from virtcompat.models import (
    BiosRelease,
    Board,
    Chipset,
    Citation,
    Cpu,
    Note,
    Source,
    UnverifiedHardware,
    Vendor,
)


def ref(obj: Vendor | Chipset | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.id, "slug": obj.slug, "name": obj.name}


def source(s: Source) -> dict[str, Any]:
    return {
        "id": s.id,
        "slug": s.slug,
        "title": s.title,
        "url": s.url,
        "document_id": s.document_id,
        "published": s.published,
        "kind": s.kind,
    }


def citation(c: Citation) -> dict[str, Any]:
    return {
        "source": source(c.source),
        "confidence": str(c.confidence),
        "field": c.field,
        "claim": c.claim,
    }


def _subject(n: Note) -> dict[str, Any]:
    for kind, value in (
        ("chipset", n.chipset_id),
        ("board", n.board_id),
        ("bios_release", n.bios_release_id),
        ("cpu", n.cpu_id),
    ):
        if value is not None:
            return {"type": kind, "id": value}
    return {}


def notes(session: Session, rows: Sequence[Note]) -> list[dict[str, Any]]:
    cites = catalog.citations_for(session, Note, [n.id for n in rows])
    return [
        {
            "id": n.id,
            "slug": n.slug,
            "kind": str(n.kind),
            "severity": str(n.severity),
            "capability": n.capability,
            "text": n.text,
            "min_bios_version": n.min_bios_version,
            "subject": _subject(n),
            "sources": [citation(c) for c in cites[n.id]],
        }
        for n in rows
    ]


def vendors(_session: Session, rows: Sequence[Vendor]) -> list[dict[str, Any]]:
    return [{"id": v.id, "slug": v.slug, "name": v.name, "aliases": v.aliases} for v in rows]


def sources(_session: Session, rows: Sequence[Source]) -> list[dict[str, Any]]:
    return [source(s) for s in rows]


def chipsets(
    session: Session, rows: Sequence[Chipset], detail: bool = False
) -> list[dict[str, Any]]:
    ids = [c.id for c in rows]
    cites = catalog.citations_for(session, Chipset, ids)
    note_map = catalog.notes_for(session, Chipset, ids) if detail else {}
    out = []
    for c in rows:
        item: dict[str, Any] = {
            "id": c.id,
            "slug": c.slug,
            "name": c.name,
            "vendor": ref(c.vendor),
            "family": c.family,
            "iommu": {
                "support": str(c.iommu_support),
                "kind": str(c.iommu_kind),
                "location": str(c.iommu_location),
            },
            "pci_ids": [
                {"pci_id": p.pci_id, "role": str(p.role), "label": p.label} for p in c.pci_ids
            ],
            "sources": [citation(x) for x in cites[c.id]],
        }
        if detail:
            item["notes"] = notes(session, note_map[c.id])
        out.append(item)
    return out


def cpus(session: Session, rows: Sequence[Cpu], detail: bool = False) -> list[dict[str, Any]]:
    ids = [c.id for c in rows]
    cites = catalog.citations_for(session, Cpu, ids)
    note_map = catalog.notes_for(session, Cpu, ids) if detail else {}
    out = []
    for c in rows:
        item: dict[str, Any] = {
            "id": c.id,
            "slug": c.slug,
            "brand": c.brand,
            "vendor": ref(c.vendor),
            "family": c.family,
            "model": c.model,
            "microarchitecture": c.microarchitecture,
            "processor_number": c.processor_number,
            "code_name": c.code_name,
            "microarch": c.microarch,
            "stepping": c.stepping,
            "launch_year": c.launch_year,
            "launch_quarter": c.launch_quarter,
            "segment": c.segment,
            "socket": c.socket,
            "isa": c.isa,
            "curated": c.curated,
            "vtx": str(c.vtx),
            "vtd": str(c.vtd),
            "slat": str(c.slat),
            "slat_kind": str(c.slat_kind),
            "iommu_in_cpu": c.iommu_in_cpu,
            "steppings": [
                {"name": s.name, "cpuid_stepping": s.cpuid_stepping, "vtx": str(s.vtx)}
                for s in c.steppings
            ],
            "sources": [citation(x) for x in cites[c.id]],
        }
        if detail:
            item["notes"] = notes(session, note_map[c.id])
        out.append(item)
    return out


def _bios(session: Session, rows: Sequence[BiosRelease]) -> list[dict[str, Any]]:
    ids = [b.id for b in rows]
    cites = catalog.citations_for(session, BiosRelease, ids)
    note_map = catalog.notes_for(session, BiosRelease, ids)
    return [
        {
            "id": b.id,
            "version": b.version,
            "released": b.released,
            "vtx_option": str(b.vtx_option),
            "vtd_option": str(b.vtd_option),
            "vtd_works": str(b.vtd_works),
            "notes": notes(session, note_map[b.id]),
            "sources": [citation(x) for x in cites[b.id]],
        }
        for b in rows
    ]


def boards(
    session: Session,
    rows: Sequence[Board],
    detail: bool = False,
    evidence: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    ids = [b.id for b in rows]
    cites = catalog.citations_for(session, Board, ids)
    note_map = catalog.notes_for(session, Board, ids) if detail else {}
    out = []
    for b in rows:
        item: dict[str, Any] = {
            "id": b.id,
            "slug": b.slug,
            "model": b.model,
            "vendor": ref(b.vendor),
            "chipset": chipsets(session, [b.chipset])[0] if b.chipset is not None else None,
            "vtd_status": b.vtd_status,
            "aliases": [{"kind": a.kind, "vendor": a.vendor, "name": a.name} for a in b.aliases],
            "sources": [citation(x) for x in cites[b.id]],
        }
        if detail:
            item["chipset"] = (
                chipsets(session, [b.chipset], detail=True)[0] if b.chipset is not None else None
            )
            item["bios_releases"] = _bios(session, b.bios_releases)
            item["notes"] = notes(session, note_map[b.id])
            item["evidence"] = evidence or []
        out.append(item)
    return out


def unverified(_session: Session, rows: Sequence[UnverifiedHardware]) -> list[dict[str, Any]]:
    return [
        {
            "id": u.id,
            "kind": u.kind,
            "key": u.key,
            "details": u.details,
            "probe_count": u.probe_count,
            "first_probe_id": u.first_probe_id,
        }
        for u in rows
    ]

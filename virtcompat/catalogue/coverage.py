"""What the catalogue covers: CPU counts by vendor x microarchitecture x confidence, the
newest parts, and every imported source file with its own date.

A CPU's confidence is the best confidence among its citations for a capability (VT-x,
VT-d, SLAT); a CPU with none (placed by a code-name list only) can only be judged by
inference, which is ``low``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from virtcompat import microarch
from virtcompat.models import (
    Board,
    Chipset,
    Citation,
    Confidence,
    Cpu,
    Observation,
    Source,
    SourceFile,
    Vendor,
)

_RANK = {Confidence.HIGH.value: 3, Confidence.MEDIUM.value: 2, Confidence.LOW.value: 1}


def coverage(session: Session) -> dict[str, Any]:
    best: dict[int, str] = {}
    stmt = select(Citation.cpu_id, Citation.confidence).where(
        Citation.cpu_id.is_not(None), Citation.field.in_(("vtx", "vtd", "slat"))
    )
    for cpu_id, conf in session.execute(stmt):
        value = Confidence(conf).value
        if cpu_id is not None and _RANK[value] > _RANK.get(best.get(cpu_id, ""), 0):
            best[cpu_id] = value
    vendors = {vid: slug for vid, slug in session.execute(select(Vendor.id, Vendor.slug))}
    counts: Counter[tuple[str, str, str]] = Counter()
    newest: dict[str, tuple[int, int, str, str, str]] = {}
    rows = session.execute(
        select(
            Cpu.id, Cpu.vendor_id, Cpu.microarch, Cpu.slug, Cpu.brand, Cpu.launch_year,
            Cpu.launch_quarter,
        )
    )  # fmt: skip
    total = 0
    for cpu_id, vendor_id, ma, slug, brand, year, quarter in rows:
        total += 1
        vendor = vendors.get(vendor_id, "?")
        counts[(vendor, ma or "unplaced", best.get(cpu_id, Confidence.LOW.value))] += 1
        if year is not None:
            q = int(quarter[1]) if quarter else 0
            key = (year, q, slug, brand, quarter or str(year))
            if vendor not in newest or key[:2] > newest[vendor][:2]:
                newest[vendor] = key
    by = [
        {
            "vendor": v,
            "microarch": ma,
            "microarch_name": (m.name if (m := microarch.get(ma)) else None),
            "first_year": m.first_year if m else None,
            "confidence": conf,
            "count": n,
        }
        for (v, ma, conf), n in sorted(counts.items(), key=lambda kv: (kv[0][0], _order(kv[0])))
    ]
    files = session.execute(
        select(
            SourceFile.kind, SourceFile.name, SourceFile.exported, SourceFile.sha256,
            SourceFile.imported_at, SourceFile.summary,
        ).order_by(SourceFile.kind, SourceFile.name)
    )  # fmt: skip
    sources = [
        {
            "kind": kind,
            "file": name,
            "date": exported,
            "sha256": sha,
            "imported_at": imported.isoformat() if imported else None,
            "rows": {k: summary.get(k, 0) for k in ("added", "updated", "unchanged", "rejected")},
        }
        for kind, name, exported, sha, imported, summary in files
    ]
    curated_boards = session.scalar(select(func.count()).where(Board.curated.is_(True))) or 0
    boards = session.scalar(select(func.count()).select_from(Board)) or 0
    return {
        "cpus": {"total": total, "by": by},
        "newest": [
            {"vendor": v, "slug": n[2], "brand": n[3], "launch": n[4]}
            for v, n in sorted(newest.items())
        ],
        "boards": {
            "total": boards,
            "curated": curated_boards,
            "from_reports": boards - curated_boards,
        },
        "chipsets": {"total": session.scalar(select(func.count()).select_from(Chipset)) or 0},
        "observations": session.scalar(select(func.count()).select_from(Observation)) or 0,
        "curated_sources": session.scalar(
            select(func.count()).select_from(Source).where(Source.kind != "database")
        )
        or 0,
        "sources": sources,
    }


def _order(key: tuple[str, str, str]) -> tuple[int, int, str, int]:
    ma = microarch.get(key[1])
    year = ma.first_year if ma and ma.first_year else 9999
    return (year, ma.order if ma else 999, key[1], -_RANK.get(key[2], 0))

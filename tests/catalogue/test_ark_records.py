"""Issue 9's acceptance: asked by processor number, every SKU of the shipped ARK exports
resolves in the engine snapshot, and its CPU row's VT-x / VT-d / EPT matches every explicit
Yes/No of its record. The expected values are read from the ARK files themselves.

Where a record disagrees with the curated seed or with another ARK record, the row keeps
one side and carries a ``conflict`` note on that capability (the rule of issue 9); where
the curated row deliberately says ``unknown`` (Core 2 VT-d: "works with a VT-d chipset")
the record is cited on that field beside it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from virtcompat.catalogue.importers import ark
from virtcompat.catalogue.types import CpuSpec
from virtcompat.engine.snapshot import Snapshot, load_snapshot
from virtcompat.text import normalize_name, processor_number_key

SOURCES = Path(__file__).resolve().parents[2] / "seed" / "sources"


def _find(snap: Snapshot, number: str, brand: str) -> CpuSpec | None:
    slugs = snap.cpus_by_number.get(processor_number_key(number), ())
    cands = [snap.cpus[s] for s in slugs]
    exact = [c for c in cands if normalize_name(c.brand) == normalize_name(brand)]
    if exact:
        return exact[0]
    return cands[0] if len(cands) == 1 else None


def _accounted(cpu: CpuSpec, fld: str, value: str, claim: str) -> bool:
    actual = getattr(cpu, fld)
    if actual == value:
        return True
    if any(n.kind == "conflict" and n.capability == fld for n in cpu.notes):
        return True
    # a curated "unknown" with the record cited beside it (never silently dropped)
    return cpu.curated and actual == "unknown" and any(c.claim == claim for c in cpu.cites)


def test_every_ark_export_sku_resolves_and_matches_its_record(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    checked = 0
    problems: list[str] = []
    files = sorted((SOURCES / "intel-ark-2023").glob("*.csv"))
    assert len(files) == 75
    for path in files:
        parsed = ark.parse(path.read_bytes(), f"intel-ark-2023/{path.name}")
        for rec in parsed.cpus:
            if not rec.processor_number:
                continue
            cpu = _find(snap, rec.processor_number, rec.brand)
            if cpu is None:
                problems.append(f"{path.name} {rec.processor_number}: does not resolve")
                continue
            if rec.isa == "ia64" and cpu.isa != "ia64":
                problems.append(f"{path.name} {rec.processor_number}: Itanium not ia64")
            for fld, fact in rec.facts.items():
                checked += 1
                if not _accounted(cpu, fld, fact.value, fact.claim):
                    problems.append(
                        f"{path.name} {rec.processor_number} ({cpu.slug}): {fld} is "
                        f"{getattr(cpu, fld)}, record says {fact.value}"
                    )
    assert not problems, problems[:20]
    assert checked > 4000  # about 1,900 SKUs with up to three explicit lines each


def test_curated_rows_keep_the_seed_value_beside_a_conflict(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    exceptions = []
    for path in sorted((SOURCES / "intel-ark-2023").glob("*.csv")):
        for rec in ark.parse(path.read_bytes(), path.name).cpus:
            cpu = _find(snap, rec.processor_number or "", rec.brand)
            if cpu is None or not cpu.curated:
                continue
            for fld, fact in rec.facts.items():
                if getattr(cpu, fld) not in ("unknown", fact.value):
                    exceptions.append((cpu.slug, fld))
                    assert any(n.kind == "conflict" and n.capability == fld for n in cpu.notes)
    # the curated catalogue and ARK 2023 agree wherever both state a value
    assert exceptions == []

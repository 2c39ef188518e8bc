"""One vocabulary: the seed's rows and the snapshot's rows are the same types, and a curated
row reaches the verdict engine as the seed states it (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import inspect

from sqlalchemy.orm import Session

from virtcompat.catalogue import types
from virtcompat.catalogue.checks import validate_seed_dir
from virtcompat.config import ROOT
from virtcompat.engine import snapshot
from virtcompat.engine.snapshot import load_snapshot


def test_no_module_redefines_a_catalogue_type() -> None:
    # the snapshot uses the catalogue's types; it defines only its own aggregates
    own = {
        name
        for name, obj in vars(snapshot).items()
        if inspect.isclass(obj) and obj.__module__ == snapshot.__name__
    }
    assert own.isdisjoint(types.__all__)
    for name in ("NoteSpec", "ChipsetSpec", "SteppingSpec", "CpuSpec", "BoardSpec", "Cite"):
        cls = getattr(types, name)
        # frozen and slotted: the verdict engine reads these on every request
        assert dataclasses.is_dataclass(cls) and "__slots__" in vars(cls)
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_curated_rows_reach_the_snapshot_as_the_seed_states_them(db_session: Session) -> None:
    seed = validate_seed_dir(ROOT / "seed")
    snap = load_snapshot(db_session)
    # importers never change a curated row (virtcompat/catalogue/store.py); they may only
    # add citations, notes and aliases beside it
    for b in seed.boards:
        got = snap.boards[b.slug]
        assert type(got) is type(b)
        assert (got.model, got.vendor, got.chipset_slug, got.vtd_status) == (
            b.model,
            b.vendor,
            b.chipset_slug,
            b.vtd_status,
        )
        assert set(b.alias_names) <= set(got.alias_names)
        assert {a.normalized for a in b.aliases} <= {a.normalized for a in got.aliases}
        have = {r.version: r for r in got.bios}
        for r in b.bios:
            stored = have[r.version]
            assert (stored.vtx_option, stored.vtd_option, stored.vtd_works, stored.released) == (
                r.vtx_option,
                r.vtd_option,
                r.vtd_works,
                r.released,
            )
        assert {n.slug for n in b.notes} <= {n.slug for n in got.notes}
    for c in seed.chipsets:
        got_c = snap.chipsets[c.slug]
        assert (got_c.iommu_support, got_c.iommu_kind, got_c.iommu_location, got_c.family) == (
            c.iommu_support,
            c.iommu_kind,
            c.iommu_location,
            c.family,
        )
        assert set(c.pci_ids) <= set(got_c.pci_ids)
    for cpu in seed.cpus:
        got_cpu = snap.cpus[cpu.slug]
        assert (got_cpu.vtx, got_cpu.vtd, got_cpu.slat, got_cpu.iommu_in_cpu) == (
            cpu.vtx,
            cpu.vtd,
            cpu.slat,
            cpu.iommu_in_cpu,
        )
        assert got_cpu.curated
        if cpu.code_name is not None:  # an import may fill an empty identity column
            assert got_cpu.code_name == cpu.code_name
        assert {(s.name, s.cpuid_stepping, s.vtx) for s in cpu.steppings} <= {
            (s.name, s.cpuid_stepping, s.vtx) for s in got_cpu.steppings
        }
        seed_sources = {c.source_slug for c in cpu.cites}
        assert seed_sources <= {c.source_slug for c in got_cpu.cites}

"""CPU identity columns reach the engine snapshot (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from virtcompat.engine.snapshot import load_snapshot


def test_seed_cpu_identity_reaches_the_snapshot(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    q9400 = snap.cpus["intel-core-2-quad-q9400"]
    # seed: family 6 model 23 = 0x17, INTEL_FAM6_CORE2_PENRYN in intel-family.h
    assert (q9400.processor_number, q9400.microarch, q9400.isa) == ("Q9400", "penryn", "x86")
    assert snap.cpus_by_number["q9400"] == ("intel-core-2-quad-q9400",)
    # model 42 = 0x2A, INTEL_FAM6_SANDYBRIDGE
    assert snap.cpus["intel-core-i7-2600k"].microarch == "sandy-bridge"
    # AMD family 15h model 1: Bulldozer (FX-8150, Zambezi)
    assert snap.cpus["amd-fx-8150"].microarch == "bulldozer"

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


def test_a_probe_rebuilds_only_the_tallies_a_catalogue_write_rebuilds_all(
    db_session: Session,
) -> None:
    from tests.api.test_probes_api import dq45cb_probe
    from virtcompat.catalog import bump_version
    from virtcompat.ingest import ingest

    before = load_snapshot(db_session)
    ingest(
        db_session,
        dq45cb_probe(),
        idempotency_key=None,
        token_id=None,
        salt="salt",
        snapshot=before,
    )
    db_session.commit()
    after = load_snapshot(db_session)
    # The probe's tallies are seen (DQ45CB gains a VT-d tally) under a new version ...
    assert after.version > before.version
    dq45cb = after.boards["intel-dq45cb"].id
    assert after.evidence.get(dq45cb) != before.evidence.get(dq45cb)
    # ... and the imported catalogue part is the one already built, not read again.
    assert after.cpus is before.cpus and after.boards is before.boards

    bump_version(db_session)  # any catalogue write
    db_session.commit()
    rebuilt = load_snapshot(db_session)
    assert rebuilt.version > after.version and rebuilt.cpus is not after.cpus
    assert rebuilt.evidence == after.evidence

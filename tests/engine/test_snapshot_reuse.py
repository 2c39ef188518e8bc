"""A probe's evidence write keeps the resolver's index; a catalogue write rebuilds it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from virtcompat.catalog import bump_version
from virtcompat.engine import resolve
from virtcompat.engine.snapshot import load_snapshot
from virtcompat.models import Board, Cpu, EvidenceCount


def test_evidence_only_write_keeps_the_resolver_index(db_session: Session) -> None:
    before = load_snapshot(db_session)
    index = resolve._index(before)
    board = db_session.scalar(select(Board).where(Board.slug == "gigabyte-g1-sniper-m3"))
    assert board is not None
    db_session.add(
        EvidenceCount(
            board_id=board.id, bios_version="F10c", capability="vtd", confirm=2, contradict=1
        )
    )
    bump_version(db_session, spec=False)
    db_session.flush()

    after = load_snapshot(db_session)
    assert after is not before and after.version == before.version + 1
    tallies = {(t.bios_version, t.capability): t for t in after.evidence.get(board.id, ())}
    assert (tallies[("F10c", "vtd")].confirm, tallies[("F10c", "vtd")].contradict) == (2, 1)
    # Built from the same catalogue mappings: not rebuilt for a probe.
    assert resolve._index(after) is index


def test_catalogue_write_rebuilds_the_resolver_index(db_session: Session) -> None:
    before = load_snapshot(db_session)
    index = resolve._index(before)
    cpu = db_session.scalar(select(Cpu).where(Cpu.slug == "intel-core-2-quad-q9400"))
    assert cpu is not None
    cpu.brand = "Core 2 Quad Q9400 (renamed)"
    bump_version(db_session)
    db_session.flush()

    rebuilt = load_snapshot(db_session)
    assert resolve._index(rebuilt) is not index
    assert resolve.resolve_cpu(rebuilt, "Core 2 Quad Q9400 (renamed)").slug == cpu.slug

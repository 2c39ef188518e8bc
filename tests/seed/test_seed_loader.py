"""load_seed against a migrated database (the ``db_session`` fixture, already seeded)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from virtcompat.catalog import catalog_version
from virtcompat.catalogue.checks import SeedError, validate_seed_dir
from virtcompat.catalogue.loader import load_seed
from virtcompat.catalogue.schemas import read_seed_file
from virtcompat.models import (
    BiosRelease,
    Board,
    Chipset,
    ChipsetPciId,
    Citation,
    Cpu,
    Note,
    Source,
    Vendor,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed"

_TIMESTAMPED: tuple[type[Any], ...] = (Source, Vendor, Chipset, Cpu, Board, BiosRelease, Note)


def _stamps(session: Session) -> dict[tuple[str, int], dt.datetime]:
    """Every catalogue row's updated_at, read back from the database."""
    session.expire_all()
    return {
        (model.__name__, row.id): row.updated_at
        for model in _TIMESTAMPED
        for row in session.scalars(select(model))
    }


def _citation_ids(session: Session) -> set[int]:
    return set(session.scalars(select(Citation.id)))


def test_load_seed_twice_changes_nothing(db_session: Session) -> None:
    # The fixture database was seeded once already; loading again must be a no-op, twice.
    data = validate_seed_dir(SEED)
    stamps, cites = _stamps(db_session), _citation_ids(db_session)
    version = catalog_version(db_session)
    for _ in range(2):
        report = load_seed(db_session, SEED)
        assert not report.changed, report.summary()
        assert report.catalog_version is None
        for kind, count in report.counts.items():
            assert (count.created, count.updated, count.deleted) == (0, 0, 0), kind
        assert report.counts["sources"].unchanged == len(data.sources)
        assert report.counts["chipsets"].unchanged == len(data.chipsets)
        assert report.counts["cpus"].unchanged == len(data.cpus)
        assert report.counts["boards"].unchanged == len(data.boards)
        assert report.counts["notes"].unchanged == sum(1 for _ in data.iter_notes())
        assert _stamps(db_session) == stamps
        assert _citation_ids(db_session) == cites
        assert catalog_version(db_session) == version


def test_loaded_dq43ap_has_q43_chipset_and_sourced_trap(db_session: Session) -> None:
    board = db_session.scalars(select(Board).where(Board.slug == "intel-dq43ap")).one()
    assert board.chipset is not None and board.chipset.slug == "intel-q43"
    assert board.vtd_status == "absent"
    assert [(a.kind, a.vendor, a.name) for a in board.aliases] == [
        ("board", "Intel Corporation", "DQ43AP")
    ]
    trap = db_session.scalars(
        select(Note).where(Note.board_id == board.id, Note.kind == "trap")
    ).one()
    assert (trap.capability, trap.severity.value) == ("vtd", "error")
    cites = db_session.scalars(select(Citation).where(Citation.note_id == trap.id)).all()
    assert {(c.source.slug, c.confidence.value) for c in cites} == {
        ("intel-4-series-datasheet-319970", "high"),
        ("seed-blog-2009", "low"),
    }


def test_loaded_pci_id_2e10_belongs_to_q45_and_q43(db_session: Session) -> None:
    rows = db_session.scalars(select(ChipsetPciId).where(ChipsetPciId.pci_id == "8086:2e10"))
    assert {(r.chipset.slug, r.role.value) for r in rows} == {
        ("intel-q45", "host_bridge"),
        ("intel-q43", "host_bridge"),
    }


def test_loaded_dq45cb_requires_bios_0061(db_session: Session) -> None:
    board = db_session.scalars(select(Board).where(Board.slug == "intel-dq45cb")).one()
    assert board.chipset is not None and board.chipset.slug == "intel-q45"
    req = db_session.scalars(
        select(Note).where(Note.board_id == board.id, Note.kind == "requirement")
    ).one()
    assert (req.capability, req.min_bios_version) == ("vtd", "0061")
    releases = {r.version: r.vtd_works.value for r in board.bios_releases}
    assert releases == {"CBQ4510H.86A.0061": "yes", "CBQ4510H.86A.0109": "unknown"}


def _edit(seed_dir: Path, name: str, change: Any) -> None:
    path = seed_dir / name
    entries = read_seed_file(path)
    change(entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), "utf-8")


def _entry(entries: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    return next(e for e in entries if e["slug"] == slug)


def test_load_seed_updates_only_what_changed(db_session: Session, tmp_path: Path) -> None:
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED, seed_dir)

    def change_chipsets(entries: list[dict[str, Any]]) -> None:
        _entry(entries, "intel-q45")["family"] = "4 Series GMCH 82Q45 (edited)"
        _entry(entries, "intel-q43")["sources"][0]["confidence"] = "medium"

    def add_board(entries: list[dict[str, Any]]) -> None:
        entries.append(
            {
                "slug": "intel-dq45cb-test-twin",
                "vendor": "intel",
                "model": "DQ45CB test twin",
                "chipset": "intel-q45",
                "vtd_status": "unknown",
                "aliases": [{"kind": "board", "vendor": "Intel Corporation", "name": "X-TWIN"}],
                "bios_releases": [
                    {
                        "version": "T1",
                        "released": "2009-07-02",
                        "vtx_option": "yes",
                        "vtd_option": "unknown",
                        "vtd_works": "unknown",
                        "sources": [{"source": "seed-blog-2009", "confidence": "low"}],
                    }
                ],
                "sources": [{"source": "seed-blog-2009", "confidence": "low"}],
            }
        )

    _edit(seed_dir, "chipsets.yaml", change_chipsets)
    _edit(seed_dir, "boards.yaml", add_board)

    q43 = db_session.scalars(select(Chipset).where(Chipset.slug == "intel-q43")).one()
    old_q43_cites = set(
        db_session.scalars(select(Citation.id).where(Citation.chipset_id == q43.id))
    )
    stamps = _stamps(db_session)
    version = catalog_version(db_session)

    report = load_seed(db_session, seed_dir)
    counts = report.counts
    assert (counts["chipsets"].updated, counts["chipsets"].created) == (1, 0)
    assert (counts["boards"].created, counts["boards"].updated) == (1, 0)
    assert counts["board_aliases"].created == 1
    assert counts["bios_releases"].created == 1
    assert counts["citations"].deleted == len(old_q43_cites)
    # the q43 set is rewritten, plus the new board's and release's one citation each
    assert counts["citations"].created == len(old_q43_cites) + 2
    assert report.catalog_version == version + 1 == catalog_version(db_session)

    after = _stamps(db_session)
    changed = {key for key, stamp in stamps.items() if after[key] != stamp}
    q45_id = db_session.scalars(select(Chipset.id).where(Chipset.slug == "intel-q45")).one()
    assert changed == {("Chipset", q45_id)}
    new_q43_cites = db_session.scalars(select(Citation).where(Citation.chipset_id == q43.id))
    assert "medium" in {c.confidence.value for c in new_q43_cites}

    twin = db_session.scalars(select(Board).where(Board.slug == "intel-dq45cb-test-twin")).one()
    assert twin.aliases[0].normalized == "intel corporation x twin"
    assert twin.bios_releases[0].released == dt.date(2009, 7, 2)

    again = load_seed(db_session, seed_dir)
    assert not again.changed, again.summary()
    assert catalog_version(db_session) == version + 1


def test_invalid_seed_writes_nothing(db_session: Session, tmp_path: Path) -> None:
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED, seed_dir)
    _edit(seed_dir, "sources.yaml", lambda es: es.append({"slug": "Bad Slug"}))
    version = catalog_version(db_session)
    with pytest.raises(SeedError):
        load_seed(db_session, seed_dir)
    assert not db_session.new and not db_session.dirty
    assert catalog_version(db_session) == version

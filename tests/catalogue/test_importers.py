"""The bulk importers: parsing rules (no database) and what an import writes (SQLite and
PostgreSQL). Expected values come from the shipped source files and their README."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from virtcompat.catalogue import import_bytes, import_paths
from virtcompat.catalogue.importers import PARSERS, ark
from virtcompat.catalogue.records import ParseError
from virtcompat.engine.snapshot import load_snapshot
from virtcompat.models import Cpu, Note

SOURCES = Path(__file__).resolve().parents[2] / "seed" / "sources"

# A miniature ARK comparison export: the second product's header name carries unquoted
# commas, the third column's EPT cell is blank, VT-d appears twice (merged tables).
MINI = (
    "\ufeffARK | Intel® Product Specification Comparison\n"
    "08/24/2023 08:11:45 PM\n"
    " ,Intel® Core™ i5-1240P Processor ,Intel® Core™ i5+8500 Processor (9M Cache, up to "
    "4.10 GHz) includes Intel® Optane™ Memory ,Intel® Celeron® Processor J1900 \n"
    "Essentials\n"
    "Product Collection,12th Generation Intel® Core™ i5 Processors,8th Generation Intel® "
    "Core™ i5 Processors,Intel® Celeron® Processor J Series\n"
    "Processor Number,i5-1240P,i5-8500,J1900\n"
    "Launch Date,Q1'22,Q2'18,Q4'13\n"
    "Security & Reliability\n"
    "Intel® Virtualization Technology (VT-x) ‡,Yes,Yes,Yes\n"
    "Intel® Virtualization Technology for Directed I/O (VT-d) ‡,Yes,,No\n"
    "Intel® VT-x with Extended Page Tables (EPT) ‡,Yes,Yes,\n"
    "Intel® Virtualization Technology for Directed I/O (VT-d) ‡,,Yes,\n"
).encode()


def test_ark_records_are_keyed_on_the_processor_number_row() -> None:
    parsed = ark.parse(MINI, "mini.csv")
    assert parsed.exported == "2023-08-24"
    by_number = {r.processor_number: r for r in parsed.cpus}
    assert list(by_number) == ["i5-1240P", "i5-8500", "J1900"]
    # the comma-split header still gives one name per record, in order
    assert by_number["i5-8500"].brand == "Core i5-8500"
    assert by_number["J1900"].brand == "Celeron J1900"
    assert by_number["i5-1240P"].launch == "Q1'22"


def test_ark_blank_cell_is_no_statement_and_repeated_rows_fill_blanks() -> None:
    recs = {r.processor_number: r for r in ark.parse(MINI, "mini.csv").cpus}
    facts = {n: {k: f.value for k, f in r.facts.items()} for n, r in recs.items()}
    # J1900's EPT cell is blank: no "slat" fact at all, never "no"
    assert facts["J1900"] == {"vtx": "yes", "vtd": "no"}
    # i5-8500's VT-d is blank in the first VT-d row and "Yes" in the repeated one
    assert facts["i5-8500"] == {"vtx": "yes", "vtd": "yes", "slat": "yes"}
    claim = recs["i5-8500"].facts["vtd"].claim
    assert "mini.csv" in claim and "i5-8500" in claim and "2023-08-24" in claim


def test_itanium_vtx_line_is_vt_i() -> None:
    path = SOURCES / "intel-ark-2023" / "IntelItanium9300.csv"
    recs = {r.processor_number: r for r in ark.parse(path.read_bytes(), path.name).cpus}
    rec = recs["9350"]
    assert rec.isa == "ia64"
    assert rec.facts["vtx"].value == "yes" and "VT-i" in rec.facts["vtx"].claim
    assert "slat" not in rec.facts


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize(
    "data", [b"", b"\xff\xfe\x00garbage", b"a,b,c\n1,2,3\n", b'{"x": 1', b"\x00" * 100]
)
def test_parsers_reject_foreign_bytes_with_a_clear_error(kind: str, data: bytes) -> None:
    try:
        parsed = PARSERS[kind](data, "x")
    except ParseError as exc:
        assert str(exc)
    else:
        assert not parsed.cpus and not parsed.observations and not parsed.chipsets


def test_unreadable_file_writes_nothing(db_session: Session) -> None:
    before = db_session.scalar(select(Cpu.id).order_by(Cpu.id.desc()).limit(1))
    result = import_bytes(db_session, "ark", "bad.csv", b"not, an, ark, export\n")
    assert result.status == "failed" and "ARK comparison export" in (result.error or "")
    assert db_session.scalar(select(Cpu.id).order_by(Cpu.id.desc()).limit(1)) == before


def test_reimport_changes_nothing(db_session: Session) -> None:
    # The fixture database already imported every shipped file; read two again for real.
    paths = [SOURCES / "intel-ark-2023" / "IntelCore2.csv", SOURCES / "qubes-hcl" / "reports.csv"]
    for kind, path in zip(("ark", "qubes-hcl"), paths, strict=True):
        name = path.relative_to(SOURCES).as_posix()
        result = import_bytes(db_session, kind, name, path.read_bytes(), force=True)
        assert result.status == "imported"
        assert (result.summary["added"], result.summary["updated"]) == (0, 0), result.line()
        assert result.summary["unchanged"] > 0
        skipped = import_bytes(db_session, kind, name, path.read_bytes())
        assert skipped.status == "skipped"


def test_import_paths_reports_a_missing_file(db_session: Session, tmp_path: Path) -> None:
    (result,) = import_paths(db_session, "ark", [tmp_path / "absent.csv"])
    assert result.status == "failed"


def test_p7350_ark_no_is_a_conflict_beside_the_curated_yes(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    cpu = snap.cpus["intel-core-2-duo-p7350"]
    assert cpu.curated and cpu.vtx == "yes"  # the seed's observed VMX bit stays
    conflicts = [n for n in cpu.notes if n.kind == "conflict" and n.capability == "vtx"]
    assert conflicts
    # ARK record 36750 is cited on the conflict: "VT-x No"
    assert any(
        "36750" in (c.claim or "") and "No" in (c.claim or "") for n in conflicts for c in n.cites
    )
    assert not [n for n in cpu.notes if n.kind == "qualification" and n.capability == "vtx"]


def test_imported_sku_carries_identity_and_cited_facts(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    (slug,) = snap.cpus_by_number["i51240p"]
    cpu = snap.cpus[slug]
    # IntelCorei5-23.csv: i5-1240P, Q1'22, VT-x/VT-d/EPT Yes; code-name list: Alder Lake
    assert (cpu.vtx, cpu.vtd, cpu.slat) == ("yes", "yes", "yes")
    assert (cpu.microarch, cpu.launch_year, cpu.launch_quarter) == ("alder-lake", 2022, "Q1'22")
    assert cpu.iommu_in_cpu and not cpu.curated
    vtd = cpu.evidence(("vtd",))
    assert any("IntelCorei5-23.csv" in (e.source or "") for e in vtd)


def test_blank_ark_cells_stay_unknown(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    (slug,) = snap.cpus_by_number["s1260"]
    # IntelAtomS.csv: Atom S1260 has a VT-x "Yes" line and no VT-d or EPT line at all
    cpu = snap.cpus[slug]
    assert cpu.vtx == "yes" and cpu.slat == "unknown" and cpu.vtd == "unknown"


def test_itanium_rows_are_ia64_with_vt_i(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    (slug,) = snap.cpus_by_number["9350"]
    cpu = snap.cpus[slug]
    assert (cpu.isa, cpu.vtx) == ("ia64", "yes")
    assert any("VT-i" in (c.claim or "") for c in cpu.cites)


def test_code_name_only_skus_are_placed_without_facts(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    # Core Ultra 9 285K: only in the code-name lists (no ARK record, no InstLatx64 dump)
    (slug,) = snap.cpus_by_number["285k"]
    cpu = snap.cpus[slug]
    assert (cpu.microarch, cpu.vtx, cpu.vtd, cpu.slat) == (
        "arrow-lake",
        "unknown",
        "unknown",
        "unknown",
    )


def test_hcl_reports_are_tallied_per_board_and_bios(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    k4 = next(b for b in snap.boards.values() if b.model == "X370 Gaming K4")
    vtd = {t.bios_version: (t.saw, t.missed) for t in snap.reports[k4.id] if t.capability == "vtd"}
    # sources README: "ASRock X370 Gaming K4: no at P2.20, yes at P4.80"
    assert vtd == {"P2.20": (0, 1), "P4.80": (1, 0)}
    optiplex = snap.boards["dell-optiplex-755"]
    (a17,) = [t for t in snap.reports[optiplex.id] if t.capability == "vtd"]
    assert (a17.bios_version, a17.saw, a17.missed) == ("A17", 0, 1)
    assert "RTghmHA3fFI" in a17.evidence(optiplex.slug).source  # the report's own link
    # observations, never spec facts: the curated board's VT-d claim is unchanged
    assert optiplex.vtd_status == "works"


def test_conflict_notes_are_not_duplicated_by_a_rerun(db_session: Session) -> None:
    count = len(db_session.scalars(select(Note.id).where(Note.slug.like("import-%"))).all())
    path = SOURCES / "intel-cpu-database" / "ark-records-to-2012.json"
    import_bytes(
        db_session,
        "ark-json",
        "intel-cpu-database/ark-records-to-2012.json",
        path.read_bytes(),
        force=True,
    )
    assert len(db_session.scalars(select(Note.id).where(Note.slug.like("import-%"))).all()) == count


def test_coverage_counts_and_dates(client: FlaskClient) -> None:
    resp = client.get("/api/v1/catalogue/coverage")
    assert resp.status_code == 200
    body = resp.get_json()
    cells = {(c["vendor"], c["microarch"], c["confidence"]): c["count"] for c in body["cpus"]["by"]}
    assert sum(cells.values()) == body["cpus"]["total"]
    # ARK 2023 records Alder Lake SKUs explicitly; Meteor Lake is only in the code-name lists
    assert cells[("intel", "alder-lake", "high")] > 0
    assert ("intel", "meteor-lake", "high") not in cells
    assert cells[("intel", "meteor-lake", "low")] > 0
    ark = [x for x in body["sources"] if x["kind"] == "ark"]
    assert len(ark) == 75 and {x["date"] for x in ark} == {"2023-08-24"}
    hcl = next(x for x in body["sources"] if x["kind"] == "qubes-hcl")
    assert hcl["date"] == "2025-06"
    newest_intel = next(n for n in body["newest"] if n["vendor"] == "intel")
    assert newest_intel["launch"] == "Q1'25"  # code-name lists end at Q1 2025
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/catalogue/coverage" in spec["paths"]


def test_a_shipped_file_imported_by_hand_is_the_same_source(db_session: Session) -> None:
    path = SOURCES / "intel-ark-2023" / "IntelCore2.csv"
    (result,) = import_paths(db_session, "ark", [path], root=SOURCES)
    assert (result.name, result.status) == ("intel-ark-2023/IntelCore2.csv", "skipped")

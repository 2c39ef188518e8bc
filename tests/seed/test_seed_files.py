"""The seed files: schema-valid, every fact sourced, and every research row present."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from virtcompat.catalogue.checks import SeedError, validate_seed_dir
from virtcompat.catalogue.schemas import SCHEMAS, SEED_FILES, read_seed_file
from virtcompat.catalogue.types import SeedData

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed"
FACTS = ROOT.parent / "shared" / "facts"


@pytest.fixture(scope="module")
def data() -> SeedData:
    return validate_seed_dir(SEED)


@pytest.mark.parametrize("name", SEED_FILES)
def test_seed_file_matches_its_schema(name: str) -> None:
    raw = read_seed_file(SEED / name)
    assert isinstance(raw, list) and raw
    SCHEMAS[name](many=True).load(raw)  # raises ValidationError on any problem


def test_seed_dir_validates(data: SeedData) -> None:
    assert len(data.sources) >= 50
    assert {v.slug for v in data.vendors} >= {"intel", "amd", "asus", "gigabyte", "supermicro"}


def test_every_fact_has_a_source(data: SeedData) -> None:
    unsourced: list[str] = []
    rows: list[tuple[str, Any]] = [
        *(("vendors", v) for v in data.vendors),
        *(("chipsets", c) for c in data.chipsets),
        *(("cpus", c) for c in data.cpus),
        *(("boards", b) for b in data.boards),
    ]
    for kind, row in rows:
        if not row.cites:
            unsourced.append(f"{kind}:{row.slug}")
    for b in data.boards:
        for r in b.bios:
            if not r.cites:
                unsourced.append(f"boards:{b.slug}:bios {r.version}")
    for where, note in data.iter_notes():
        if not note.cites:
            unsourced.append(f"{where}:note {note.slug}")
    assert unsourced == []


def test_every_citation_names_a_known_source(data: SeedData) -> None:
    known = {s.slug for s in data.sources}
    cited: set[str] = set()
    rows: list[Any] = [*data.vendors, *data.chipsets, *data.cpus, *data.boards]
    for row in rows:
        cited.update(c.source_slug for c in row.cites)
    for b in data.boards:
        for r in b.bios:
            cited.update(c.source_slug for c in r.cites)
    for _, note in data.iter_notes():
        cited.update(c.source_slug for c in note.cites)
    assert cited <= known
    assert known <= cited  # no orphan source entries


def _csv(name: str) -> list[dict[str, str]]:
    path = FACTS / name
    if not path.is_file():
        pytest.skip(f"{path} not available")
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _plain(name: str) -> str:
    # "Core 2 Duo P7350 (mobile)" -> "Core 2 Duo P7350"; the seed keeps annotations out of names
    return re.sub(r"\s*\((?:mobile|rev [0-9.]+)\)$", "", name.strip())


def test_every_chipsets_csv_row_is_in_the_seed(data: SeedData) -> None:
    have = {(c.vendor, c.name) for c in data.chipsets}
    missing = [
        f"{r['vendor']} {r['chipset']}"
        for r in _csv("chipsets.csv")
        if (r["vendor"].lower(), r["chipset"]) not in have
    ]
    assert missing == []


def test_every_cpus_csv_row_is_in_the_seed(data: SeedData) -> None:
    have = {(c.vendor, c.brand) for c in data.cpus}
    missing = [
        f"{r['vendor']} {r['model']}"
        for r in _csv("cpus.csv")
        if (r["vendor"].lower(), _plain(r["model"])) not in have
    ]
    assert missing == []


def test_every_boards_csv_row_is_in_the_seed(data: SeedData) -> None:
    have = {b.model.casefold() for b in data.boards} | {
        _plain(b.model).casefold() for b in data.boards
    }
    missing = []
    for r in _csv("boards.csv"):
        # one research row may name several boards ("X8DTi / X8DTN+")
        for model in r["board_model"].split(" / "):
            if _plain(model).casefold() not in have:
                missing.append(f"{r['vendor']} {model}")
    assert missing == []


def test_dq43ap_trap_note_cites_datasheet_and_seed_blog(data: SeedData) -> None:
    board = next(b for b in data.boards if b.slug == "intel-dq43ap")
    assert board.chipset_slug == "intel-q43"
    trap = next(n for n in board.notes if n.kind == "trap")
    assert (trap.capability, trap.severity) == ("vtd", "error")
    cites = {(c.source_slug, c.confidence) for c in trap.cites}
    assert ("intel-4-series-datasheet-319970", "high") in cites
    assert ("seed-blog-2009", "low") in cites


def test_shared_pci_ids_are_listed_on_every_chipset(data: SeedData) -> None:
    by_id: dict[str, set[str]] = {}
    for c in data.chipsets:
        for p in c.pci_ids:
            by_id.setdefault(p.id, set()).add(c.slug)
    assert by_id["8086:2e10"] == {"intel-q45", "intel-q43"}
    assert by_id["8086:29e0"] == {"intel-x38", "intel-x48"}
    assert {"intel-g33", "intel-p35"} <= by_id["8086:29c0"]
    assert {"amd-990fx", "amd-970"} <= by_id["1002:5a14"]


# ----------------------------------------------------------------- rejected seed dirs


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seed"
    shutil.copytree(SEED, target)
    return target


def _edit(seed_dir: Path, name: str, change: Any) -> None:
    path = seed_dir / name
    entries = read_seed_file(path)
    change(entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), "utf-8")


def _problems(seed_dir: Path) -> list[str]:
    with pytest.raises(SeedError) as exc_info:
        validate_seed_dir(seed_dir)
    return [str(p) for p in exc_info.value.problems]


def _entry(entries: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    return next(e for e in entries if e["slug"] == slug)


def test_seed_missing_a_row_source_is_rejected(seed_copy: Path) -> None:
    _edit(seed_copy, "boards.yaml", lambda es: _entry(es, "intel-dq45cb").update(sources=[]))
    assert _problems(seed_copy) == [
        "boards.yaml: intel-dq45cb: sources: at least one source is required"
    ]


def test_seed_missing_a_bios_release_source_is_rejected(seed_copy: Path) -> None:
    def drop(entries: list[dict[str, Any]]) -> None:
        del _entry(entries, "intel-dq45cb")["bios_releases"][0]["sources"]

    _edit(seed_copy, "boards.yaml", drop)
    problems = _problems(seed_copy)
    assert len(problems) == 1
    assert problems[0].startswith("boards.yaml: intel-dq45cb: bios_releases[0].sources: ")


def test_seed_note_without_source_is_rejected(seed_copy: Path) -> None:
    def strip(entries: list[dict[str, Any]]) -> None:
        _entry(entries, "intel-q43")["notes"][0]["sources"] = []

    _edit(seed_copy, "chipsets.yaml", strip)
    assert _problems(seed_copy) == [
        "chipsets.yaml: intel-q43: notes[0].sources: at least one source is required"
    ]


def test_seed_structural_errors_are_all_reported(seed_copy: Path) -> None:
    def break_chipsets(entries: list[dict[str, Any]]) -> None:
        q45 = _entry(entries, "intel-q45")
        q45["pci_ids"][0]["id"] = "8086:2E10"  # ids are lower-case hex
        q45["iommu"]["support"] = "maybe"
        _entry(entries, "intel-q35")["sources"][0]["source"] = "no-such-source"
        _entry(entries, "intel-q43")["vendor"] = "nobody"
        entries.append(dict(_entry(entries, "intel-q35")))  # duplicate slug

    _edit(seed_copy, "chipsets.yaml", break_chipsets)
    problems = _problems(seed_copy)
    # an invalid entry is reported where it is, not again by the rows that refer to it
    assert not any(p.startswith("boards.yaml") for p in problems)
    assert any(p.startswith("chipsets.yaml: intel-q45: pci_ids[0].id: ") for p in problems)
    assert any(p.startswith("chipsets.yaml: intel-q45: iommu.support: ") for p in problems)
    assert "chipsets.yaml: intel-q35: sources[0].source: unknown source 'no-such-source'" in (
        problems
    )
    assert "chipsets.yaml: intel-q43: vendor: unknown vendor 'nobody'" in problems
    assert "chipsets.yaml: intel-q35: duplicate slug 'intel-q35'" in problems


def test_seed_unknown_field_and_bad_reference_are_rejected(seed_copy: Path) -> None:
    def break_boards(entries: list[dict[str, Any]]) -> None:
        dq43ap = _entry(entries, "intel-dq43ap")
        dq43ap["chipset"] = "intel-q99"
        dq43ap["vtd_status"] = "works-ish"
        dq43ap["colour"] = "blue"

    _edit(seed_copy, "boards.yaml", break_boards)
    problems = _problems(seed_copy)
    assert "boards.yaml: intel-dq43ap: colour: Unknown field." in problems
    assert any(p.startswith("boards.yaml: intel-dq43ap: vtd_status: ") for p in problems)


def test_yes_no_stay_words_and_versions_must_be_strings(seed_copy: Path) -> None:
    text = (seed_copy / "boards.yaml").read_text("utf-8")
    assert read_seed_file(seed_copy / "boards.yaml")[0]["vtd_status"] == "works"
    # An unquoted all-digit version is an int in YAML: the schema must refuse it.
    text = text.replace('version: "4801"', "version: 4801", 1)
    (seed_copy / "boards.yaml").write_text(text, "utf-8")
    problems = _problems(seed_copy)
    assert problems == [
        "boards.yaml: asus-sabertooth-x79: bios_releases[0].version: Not a valid string."
    ]

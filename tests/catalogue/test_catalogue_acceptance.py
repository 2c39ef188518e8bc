"""Issue 9's "Done when", run over the real shipped catalogue (the conftest seeds it).

Expected values come from the source files and from the inference rules as the sources
README states them, never from the code's output: VT-x on every Core i3/i5/i7/i9/Ultra and
Xeon E3/E5/E7/E/W/Scalable/D part; EPT from Nehalem on; VT-d on every Core, Pentium/Celeron
G and Xeon launched 2016 or later.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from virtcompat.catalogue import import_shipped
from virtcompat.catalogue.importers import ark, ark_json, cpuid
from virtcompat.engine.snapshot import load_snapshot
from virtcompat.ingest import diagnose
from virtcompat.models import Base
from virtcompat.text import normalize_name, processor_number_key

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "seed" / "sources"
CPUINFO = ROOT / "tests" / "data" / "probe" / "cpuinfo"


# -- 1. SKUs only the code-name lists know ---------------------------------------------------


def _numbers_with_records() -> set[str]:
    """Processor numbers some source states VT-x/VT-d/EPT for (ARK, ARK records, dumps)."""
    keys: set[str] = set()
    for path in (SOURCES / "intel-ark-2023").glob("*.csv"):
        for rec in ark.parse(path.read_bytes(), path.name).cpus:
            keys.add(processor_number_key(rec.processor_number or rec.brand))
    path = SOURCES / "intel-cpu-database" / "ark-records-to-2012.json"
    for rec in ark_json.parse(path.read_bytes(), path.name).cpus:
        keys.add(processor_number_key(rec.processor_number or rec.brand))
    path = SOURCES / "instlatx64" / "cpuid-virt.csv"
    for rec in cpuid.parse(path.read_bytes(), path.name).cpus:
        if rec.facts:
            keys.add(processor_number_key(rec.processor_number or rec.brand))
    return keys


def _code_name_only() -> list[tuple[str, str, str, str]]:
    """(product, code name, release date, file) of the Core Ultra, 14th-gen Core and Xeon
    5th/6th-gen rows (launched after ARK's 2023 export) that no explicit record or CPUID
    dump covers, as the code-name lists print them."""
    recorded = _numbers_with_records()
    out: dict[str, tuple[str, str, str, str]] = {}
    for name in (
        "Intel_Core_Ultra_Processors_v1_9.csv",
        "intel_core_processors_v1_8.csv",
        "intel_xeon_processors_v1_8.csv",
    ):
        with (SOURCES / "intel-codenames" / name).open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                launch = re.fullmatch(r"Q([1-4])'(\d\d)", row["Release Date"].strip())
                # launched after ARK's 2023 export (08/24/2023): Q4'23 on
                if launch is None or (int(launch[2]), int(launch[1])) < (23, 4):
                    continue
                product = re.sub(r"\s*\([^)]*\)\s*$", "", row["Product"]).strip()
                number = product.split()[-1]
                key = processor_number_key(number)
                if key in recorded or not any(ch.isdigit() for ch in number):
                    continue
                out.setdefault(key, (product, row["Code Name"], row["Release Date"], name))
    return sorted(out.values())


CODE_NAME_ONLY = _code_name_only()
_VTX_CLASS = re.compile(
    r"^(?:core (?:(?:i[3579]|ultra)\b|[3579] \d{3})|"
    r"xeon (?:e[357]\b|e \d|w\d?\b|d \d|bronze|silver|gold|platinum|max\b|6\d{3}))"
)
# The code-name lists' names of microarchitectures from Nehalem on (EPT present).
_NEHALEM_ON = re.compile(
    r"nehalem|lynnfield|clarkdale|arrandale|bloomfield|gainestown|westmere|gulftown|"
    r"sandy|ivy|haswell|broadwell|skylake|kaby|coffee|whiskey|amber|comet|cannon|ice|"
    r"tiger|rocket|alder|raptor|meteor|arrow|lunar|cooper|cascade|sapphire|emerald|"
    r"granite|sierra|jasper forest|beckton|bartlett|cedar island|purley",
    re.IGNORECASE,
)


def test_code_name_only_set_is_the_modern_gap() -> None:
    # Core Ultra, 14th gen and Xeon 5th/6th gen exist only in the code-name lists.
    numbers = {processor_number_key(p.split()[-1]) for p, *_ in CODE_NAME_ONLY}
    assert {"285k", "i914900k", "6548y"} - numbers == set()
    assert "155h" not in numbers  # InstLatx64 has a dump of it: VMX and EPT observed
    assert len(CODE_NAME_ONLY) > 50


@pytest.mark.parametrize(("product", "code", "released", "source"), CODE_NAME_ONLY)
def test_code_name_only_sku_resolves_and_is_judged_by_inference(
    client: FlaskClient, product: str, code: str, released: str, source: str
) -> None:
    number = product.split()[-1]
    resp = client.get("/api/v1/compat", query_string={"cpu": number})
    body = resp.get_json()
    if resp.status_code == 422:
        # a bare number some other line shares (Core i5 vs Core Ultra 5 "245") is listed as
        # ambiguous, never picked; the full product name resolves
        assert body["unresolved"][0]["reason"] == "ambiguous", body
        assert any(product in c for c in body["unresolved"][0]["candidates"])
        body = client.get("/api/v1/compat", query_string={"cpu": product}).get_json()
    resolved = body["resolved"]["cpu"]
    assert resolved is not None and normalize_name(resolved["name"]) == normalize_name(product)
    caps = body["capabilities"]
    brand = normalize_name(product)
    expect_vtx = bool(_VTX_CLASS.match(brand))
    expect_ept = bool(_NEHALEM_ON.search(code))
    year = 2000 + int(released[-2:]) if re.search(r"'\d\d$", released) else None
    expect_vtd = year is not None and year >= 2016
    for cap, expected, rule in (
        ("vtx", expect_vtx, "HW-INFER-INTEL-VTX"),
        ("slat", expect_ept, "HW-INFER-INTEL-EPT"),
        ("vtd", expect_vtd, "HW-INFER-INTEL-VTD"),
    ):
        cpu = [r for r in caps[cap]["reasons"] if r["layer"] == "cpu" and not r["advisory"]]
        if not expected:
            continue  # the rule makes no statement about this class
        assert [(r["rule"], r["status"]) for r in cpu] == [(rule, "supported")], (cap, cpu)
        assert "inferred" in cpu[0]["message"]
        assert cpu[0]["confidence"] == "low"
        assert caps[cap]["confidence"] == "low"


# -- 2. the parts a buyer asks about -----------------------------------------------------------

# name asked -> catalogue slug
CURRENT_PARTS = {
    "Core i5-12400": "intel-core-i5-12400",
    "i7-13700K": "intel-core-i7-13700k",
    "Core Ultra 7 155H": "intel-core-ultra-7-155h",
    "Xeon Silver 4314": "intel-xeon-silver-4314",
    "Xeon E-2388G": "intel-xeon-e-2388g",
    "Celeron N5105": "intel-celeron-n5105",
    "N100": "intel-n100",
    "Ryzen 7 5800X": "amd-ryzen-7-5800x",
    "Ryzen 9 7950X": "amd-ryzen-9-7950x",
    "EPYC 7443P": "amd-epyc-7443p",
    "Core i9-14900K": "intel-core-i9-14900k",
    "Core Ultra 9 285K": "intel-core-ultra-9-285k",
    "Ryzen 9 9950X": "amd-ryzen-9-9950x",
    "Xeon Gold 6430": "intel-xeon-gold-6430",
}


@pytest.mark.parametrize("name", sorted(CURRENT_PARTS))
def test_current_part_resolves_with_cpu_layer_verdicts(client: FlaskClient, name: str) -> None:
    resp = client.get("/api/v1/compat", query_string={"cpu": name})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["resolved"]["cpu"]["slug"] == CURRENT_PARTS[name]
    assert body["unresolved"] == []
    for cap in ("vtx", "slat"):
        cpu = [
            r
            for r in body["capabilities"][cap]["reasons"]
            if r["layer"] == "cpu" and not r["advisory"]
        ]
        # every one of these parts has VT-x/AMD-V and EPT/NPT (ARK, a dump, or the rules)
        assert [r["status"] for r in cpu] == ["supported"], (cap, cpu)


def test_n100_is_one_part_with_both_sources_cited(db_session: Session) -> None:
    snap = load_snapshot(db_session)
    assert snap.cpus_by_number["n100"] == ("intel-n100",)
    cpu = snap.cpus["intel-n100"]
    # IntelN-series.csv: N100 VT-x, VT-d and EPT "Yes"; the code-name list: Alder Lake-N
    assert (cpu.vtx, cpu.vtd, cpu.slat) == ("yes", "yes", "yes")
    assert cpu.code_name == "Alder Lake-N" and cpu.microarch == "gracemont"
    docs = {c.document_id for c in cpu.cites}
    assert "intel-ark-2023/IntelN-series.csv" in docs
    assert "intel-codenames/Intel_Processors_v1_9.csv" in docs


def test_unknown_cpu_keeps_the_board_verdict(client: FlaskClient) -> None:
    alone = client.get("/api/v1/compat", query_string={"board": "DQ45CB"}).get_json()
    body = client.get(
        "/api/v1/compat", query_string={"board": "DQ45CB", "cpu": "Core i5-12499"}
    ).get_json()
    assert body["resolved"]["board"]["slug"] == "intel-dq45cb"
    [item] = body["unresolved"]
    assert (item["field"], item["value"], item["reason"]) == ("cpu", "Core i5-12499", "unknown")
    # offered 12th-gen Core i5 parts only, and told what to do next
    assert item["candidates"] and all("i5-12" in c for c in item["candidates"])
    assert "probe" in item["next_step"] and "ARK" in item["next_step"]

    def layers(doc: dict[str, Any], layer: str) -> list[tuple[str, str]]:
        return [
            (r["rule"], r["status"])
            for r in doc["capabilities"]["vtd"]["reasons"]
            if r["layer"] == layer
        ]

    for layer in ("chipset", "board"):
        assert layers(body, layer) == layers(alone, layer) != []
    cpu = [r for r in body["capabilities"]["vtx"]["reasons"] if r["layer"] == "cpu"]
    assert [r["status"] for r in cpu] == ["unknown"]


def test_a_shared_bare_number_is_ambiguous(client: FlaskClient) -> None:
    # "940": ARK's Pentium D 940 (IntelPentiumLegacy.csv), AMD's Phenom II X4 940 and
    # Athlon X4 940; none is picked
    resp = client.get("/api/v1/compat", query_string={"cpu": "940"})
    assert resp.status_code == 422
    [item] = resp.get_json()["unresolved"]
    assert item["reason"] == "ambiguous"
    joined = " ".join(item["candidates"])
    assert "Phenom II X4 940" in joined and "Athlon X4 940" in joined and "Pentium 940" in joined


def test_920_is_pentium_d_or_core_i7(client: FlaskClient) -> None:
    # The issue's own example: "920" names the Pentium D 920 (Presler, seed/cpus.yaml) and the
    # Core i7-920 (Bloomfield); neither is picked, and each resolves by its full name.
    resp = client.get("/api/v1/compat", query_string={"cpu": "920"})
    assert resp.status_code == 422
    [item] = resp.get_json()["unresolved"]
    assert item["reason"] == "ambiguous"
    joined = " ".join(item["candidates"])
    assert "Pentium D 920" in joined and "Core i7-920" in joined
    pentium = client.get("/api/v1/compat", query_string={"cpu": "Pentium D 920"}).get_json()
    # Presler: VT-x on the 9x0 models (Wikipedia 'Pentium D'); NetBurst has no EPT
    assert pentium["capabilities"]["vtx"]["status"] == "supported"
    assert pentium["capabilities"]["slat"]["status"] == "unsupported"


@pytest.mark.parametrize(
    ("board", "chipset"),
    [("PRIME B550-PLUS", "amd-b550"), ("X11SCH-F", "intel-c246")],
)
def test_buyer_boards_resolve_with_their_chipset(
    client: FlaskClient, board: str, chipset: str
) -> None:
    resp = client.get("/api/v1/compat", query_string={"board": board})
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc.get("unresolved", []) == []
    assert doc["resolved"]["chipset"]["slug"] == chipset
    # the board's documented VT-d is judged; the missing CPU stays the one unjudged layer
    vtd = doc["capabilities"]["vtd"]
    assert vtd["layers"] == {"judged": ["chipset", "board"], "unjudged": ["cpu"]}
    assert [r["status"] for r in vtd["reasons"] if r["rule"] == "HW-VTD-BOARD"] == ["supported"]


# -- 3. a probe from a modern host -------------------------------------------------------------


def test_alder_lake_probe_matches_its_catalogue_cpu(db_session: Session) -> None:
    sample = CPUINFO / "intel-core-i5-12400-alderlake-baremetal-vmx-ept.cpuinfo"
    snap = load_snapshot(db_session)
    obs, matched, caps = diagnose(snap, {"cpuinfo": sample.read_text()}, "salt", "probe")
    assert matched.cpu is not None and matched.cpu.slug == "intel-core-i5-12400"
    # the catalogue row carries the signature InstLatx64's i5-12400 dump reports
    # (00090672h: family 6, model 0x97), the family and model this host's cpuinfo prints
    assert (matched.cpu.family, matched.cpu.model) == (6, 151)
    assert obs.cpuinfo is not None and (obs.cpuinfo.family, obs.cpuinfo.model) == (6, 151)
    assert caps["vtx"].status.value == "supported" and caps["slat"].status.value == "supported"


# -- 4. re-import is a no-op -------------------------------------------------------------------


def _dump(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in ("source_files", "catalog_state"):
            continue  # the bookkeeping of the run itself
        rows = session.execute(select(table)).all()
        out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def test_reimporting_every_shipped_file_changes_no_row(db_session: Session) -> None:
    before = _dump(db_session)
    results = import_shipped(db_session, SOURCES, force=True)
    assert len(results) == 87
    for r in results:
        assert r.status == "imported", r.line()
        assert (r.summary["added"], r.summary["updated"], r.summary["conflicts"]) == (0, 0, 0), (
            r.line()
        )
    assert _dump(db_session) == before
    skipped = import_shipped(db_session, SOURCES)
    assert {r.status for r in skipped} == {"skipped"}
    assert db_session.execute(text("SELECT 1")).scalar() == 1


# -- 5. CONTRACT.md's additions in the OpenAPI document ---------------------------------------


def _schema(spec: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in obj:
        node: Any = spec
        for part in obj["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        obj = node
    if "allOf" in obj:
        merged: dict[str, Any] = {"properties": {}}
        for sub in obj["allOf"]:
            merged["properties"].update(_schema(spec, sub).get("properties", {}))
        return merged
    return obj


def _response_schema(spec: dict[str, Any], path: str, method: str, code: str) -> dict[str, Any]:
    resp = _schema(spec, spec["paths"][path][method]["responses"][code])
    content = resp["content"]
    media = "application/json" if "application/json" in content else next(iter(content))
    return _schema(spec, content[media]["schema"])


def test_openapi_documents_confidence_unresolved_and_coverage(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    compat = _response_schema(spec, "/api/v1/compat", "get", "200")
    props = compat["properties"]
    unresolved = _schema(spec, _schema(spec, props["unresolved"])["items"])["properties"]
    assert {"field", "value", "candidates", "next_step"} <= set(unresolved)
    vtx = _schema(spec, _schema(spec, props["capabilities"])["properties"]["vtx"])
    assert "confidence" in vtx["properties"] and "layers" in vtx["properties"]
    assert set(_schema(spec, vtx["properties"]["confidence"])["enum"]) == {
        "high",
        "medium",
        "low",
    }
    # a 422 problem (nothing resolved) carries the same list
    problem = _response_schema(spec, "/api/v1/compat", "get", "422")
    assert "unresolved" in problem.get("properties", {}) or problem.get("additionalProperties")
    coverage = _response_schema(spec, "/api/v1/catalogue/coverage", "get", "200")
    assert {"cpus", "sources", "newest"} <= set(coverage["properties"])
    csv_head = client.get(
        "/api/v1/compat", query_string={"cpu": "N100"}, headers={"Accept": "text/csv"}
    ).get_data(as_text=True)
    assert "vtx_confidence" in next(csv.reader(io.StringIO(csv_head)))

"""/api/v1/compat against the seeded catalogue: the issue's acceptance combinations."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask.testing import FlaskClient


def compat(client: FlaskClient, **query: str) -> dict[str, Any]:
    resp = client.get("/api/v1/compat", query_string=query)
    assert resp.status_code == 200, resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def reasons(doc: dict[str, Any], cap: str, rule: str | None = None) -> list[dict[str, Any]]:
    return [r for r in doc["capabilities"][cap]["reasons"] if rule is None or r["rule"] == rule]


@pytest.mark.parametrize(
    ("query", "cap", "status"),
    [
        ({"board": "DQ43AP", "cpu": "Core 2 Quad Q9550"}, "vtx", "supported"),
        ({"board": "DQ43AP", "cpu": "Core 2 Quad Q9550"}, "vtd", "unsupported"),
        ({"board": "DQ45CB", "bios": "0061"}, "vtd", "supported"),
        ({"board": "DQ45CB", "bios": "CBQ4510H.86A.0061.2009.0324.1639"}, "vtd", "supported"),
        ({"board": "DQ45CB", "bios": "0055"}, "vtd", "unsupported"),
        ({"board": "DQ45CB"}, "vtd", "unknown"),
        ({"cpu": "Core i7-2600K", "chipset": "Q67"}, "vtd", "unsupported"),
        ({"cpu": "Core 2 Duo E7200"}, "vtx", "unsupported"),
        ({"cpu": "Core 2 Duo E7400"}, "vtx", "unknown"),
        ({"cpu": "Core 2 Duo E7400", "stepping": "R0"}, "vtx", "supported"),
        ({"cpu": "Core 2 Duo E7400", "stepping": "M0"}, "vtx", "unsupported"),
        ({"chipset": "8086:2e10"}, "vtd", "unknown"),
        ({"board": "DX38BT"}, "vtd", "supported"),
        ({"board": "DQ35JO"}, "vtd", "supported"),
        ({"cpu": "Core i7-920"}, "slat", "supported"),
        ({"cpu": "Core 2 Quad Q9550"}, "slat", "unsupported"),
        ({"board": "DQ43AP", "cpu": "Core 2 Quad Q9550"}, "pci_passthrough", "unsupported"),
        # Linux's GM45 VT-d quirks vs the seed's "Core 2 VT-d only on Q35/Q45": kept as a conflict
        ({"chipset": "GM45"}, "vtd", "conflict"),
    ],
)
def test_seeded_combinations(
    client: FlaskClient, query: dict[str, str], cap: str, status: str
) -> None:
    assert compat(client, **query)["capabilities"][cap]["status"] == status


def test_conflict_cites_both_sides(client: FlaskClient) -> None:
    doc = compat(client, chipset="GM45")
    conflict = reasons(doc, "vtd", "HW-SOURCE-CONFLICT")[0]
    assert conflict["status"] == "conflict" and len(conflict["evidence"]) >= 2


def test_dq43ap_trap_names_q43_and_cites_the_datasheet(client: FlaskClient) -> None:
    doc = compat(client, board="DQ43AP", cpu="Core 2 Quad Q9550")
    trap = reasons(doc, "vtd", "HW-VTD-BIOS-OPTION-TRAP")
    assert trap and trap[0]["status"] == "unsupported" and trap[0]["layer"] == "firmware"
    assert "Q43" in trap[0]["message"] and "not evidence" in trap[0]["message"]
    sources = " ".join(e["source"] or "" for e in trap[0]["evidence"])
    assert "319970" in sources


def test_dq45cb_cites_cpu_chipset_and_firmware_layers(client: FlaskClient) -> None:
    doc = compat(client, board="DQ45CB", bios="0061")
    layers = {r["layer"] for r in reasons(doc, "vtd") if r["status"] == "supported"}
    assert {"cpu", "chipset", "firmware"} <= layers


def test_old_dq45cb_bios_hint_names_0061(client: FlaskClient) -> None:
    doc = compat(client, board="DQ45CB", bios="0055")
    req = reasons(doc, "vtd", "HW-VTD-MIN-BIOS")[0]
    assert req["status"] == "unsupported" and req["hint"] == {"bios_update": "0061"}


def test_i7_2600_is_not_unsupported_for_the_cpu_layer(client: FlaskClient) -> None:
    doc = compat(client, cpu="Core i7-2600", chipset="Q67")
    cpu_layer = [r for r in reasons(doc, "vtd", "HW-VTD-CPU")]
    assert cpu_layer and cpu_layer[0]["status"] == "supported"
    assert doc["capabilities"]["vtd"]["status"] != "unsupported"


def test_e7400_without_stepping_hints_how_to_settle(client: FlaskClient) -> None:
    doc = compat(client, cpu="E7400")
    r = reasons(doc, "vtx", "HW-VTX-STEPPING")[0]
    assert r["hint"]["give"] == "cpu stepping" and r["hint"]["steppings"] == ["M0", "R0"]


def test_shared_pci_id_names_both_candidates(client: FlaskClient) -> None:
    doc = compat(client, chipset="8086:2e10")
    assert set(doc["resolved"]["chipset_candidates"]) == {"intel-q43", "intel-q45"}
    amb = reasons(doc, "vtd", "HW-CHIPSET-AMBIGUOUS")[0]
    assert "Q43" in amb["message"] and "Q45" in amb["message"]


@pytest.mark.parametrize(
    "name", ["DQ43AP", "dq43ap", "intel-dq43ap", "Intel Corporation DQ43AP", " Intel  DQ43AP "]
)
def test_board_names_are_tolerant(client: FlaskClient, name: str) -> None:
    assert compat(client, board=name)["resolved"]["board"]["slug"] == "intel-dq43ap"


def test_cpuinfo_brand_string_resolves(client: FlaskClient) -> None:
    doc = compat(client, cpu="Intel(R) Core(TM) i7-2600 CPU @ 3.40GHz")
    assert doc["resolved"]["cpu"]["slug"] == "intel-core-i7-2600"


def test_unknown_name_lists_candidates(client: FlaskClient) -> None:
    resp = client.get("/api/v1/compat?board=DQ43AB")
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert any("DQ43AP" in c for c in body["candidates"])
    assert body["errors"][0]["field"] == "board"


def test_query_without_hardware_is_422(client: FlaskClient) -> None:
    resp = client.get("/api/v1/compat?hypervisor=xen")
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"


def test_every_cited_rule_is_published(client: FlaskClient) -> None:
    published = {r["id"] for r in client.get("/api/v1/rules?per_page=200").get_json()["items"]}
    for query in (
        {"board": "DQ43AP", "cpu": "Q9550"},
        {"board": "DQ45CB", "bios": "0055"},
        {"cpu": "E7400"},
        {"chipset": "8086:2e10"},
        {"board": "X8DTi"},
    ):
        doc = compat(client, **query)
        for cap in doc["capabilities"].values():
            for r in cap["reasons"]:
                assert r["rule"] in published
                assert client.get(f"/api/v1/rules/{r['rule']}").status_code == 200


def test_batch_of_500_in_order_with_errors_in_place(client: FlaskClient) -> None:
    pattern = [
        {"board": "DQ43AP"},
        {"cpu": "E7200"},
        {"board": "no such board"},
        {"board": "DQ45CB", "bios": "0061"},
        {"hypervisor": "xen"},
    ]
    items = [pattern[i % len(pattern)] for i in range(500)]
    resp = client.post("/api/v1/compat/batch", json={"items": items})
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    assert len(results) == 500
    for i, result in enumerate(results):
        kind = i % len(pattern)
        if kind in (2, 4):
            assert result["error"]["status"] == 422 and result["error"]["index"] == i
        else:
            assert result["query"] == pattern[kind]


def test_batch_over_500_is_422(client: FlaskClient) -> None:
    resp = client.post("/api/v1/compat/batch", json={"items": [{"cpu": "E7200"}] * 501})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"


def test_csv_for_single_and_batch(client: FlaskClient) -> None:
    one = client.get("/api/v1/compat?board=DQ43AP&cpu=Q9550", headers={"Accept": "text/csv"})
    assert one.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(one.get_data(as_text=True))))
    assert len(rows) == 1 and rows[0]["vtd_status"] == "unsupported"
    assert rows[0]["resolved_board"] == "intel-dq43ap"
    batch = client.post(
        "/api/v1/compat/batch",
        json={"items": [{"cpu": "E7200"}, {"board": "=HYPERLINK(1)"}]},
        headers={"Accept": "text/csv"},
    )
    rows = list(csv.DictReader(io.StringIO(batch.get_data(as_text=True))))
    assert [r["vtx_status"] for r in rows] == ["unsupported", ""]
    assert rows[1]["error"] and rows[1]["board"].startswith("'=")


def test_compat_etag(client: FlaskClient) -> None:
    first = client.get("/api/v1/compat?cpu=E7200")
    again = client.get("/api/v1/compat?cpu=E7200", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_cached_answers_follow_catalogue_writes(client: FlaskClient, auth: Any) -> None:
    url = "/api/v1/compat?cpu=Core%202%20Duo%20E7200"
    assert client.get(url).get_json()["capabilities"]["vtx"]["status"] == "unsupported"
    assert client.get(url).get_json()["capabilities"]["vtx"]["status"] == "unsupported"
    patched = client.patch(
        "/api/v1/cpus/intel-core-2-duo-e7200", json={"vtx": "yes"}, headers=auth("catalog:write")
    )
    assert patched.status_code == 200
    assert client.get(url).get_json()["capabilities"]["vtx"]["status"] == "supported"


# -- confidence, layers, unresolved names (issue #9) -------------------------------------------


def test_cpu_alone_is_not_supported_with_high_confidence(client: FlaskClient) -> None:
    # The README's promise: no layer judged but the CPU, so the firmware (whether the BIOS
    # lets VT-x be enabled) is open and the verdict cannot be "high".
    vtx = compat(client, cpu="Core 2 Quad Q9550")["capabilities"]["vtx"]
    assert vtx["status"] == "supported"
    assert vtx["confidence"] in ("medium", "low")
    assert vtx["layers"] == {"judged": ["cpu"], "unjudged": ["firmware"]}


def test_every_capability_carries_confidence_and_layers(client: FlaskClient) -> None:
    doc = compat(client, board="DQ45CB", bios="0061", cpu="Q9550")
    for cap in doc["capabilities"].values():
        assert cap["confidence"] in ("high", "medium", "low")
        assert set(cap["layers"]) == {"judged", "unjudged"}
    # Intel's note (DQ45CB, BIOS 0061), the Q45 datasheet and the board's documented VT-d
    # settle every hardware layer of VT-d.
    vtd = doc["capabilities"]["vtd"]
    assert vtd["status"] == "supported" and vtd["layers"]["unjudged"] == []
    assert {"cpu", "chipset", "firmware"} <= set(vtd["layers"]["judged"])


def test_unknown_status_is_low_confidence(client: FlaskClient) -> None:
    vtd = compat(client, board="DQ45CB")["capabilities"]["vtd"]
    assert vtd["status"] == "unknown" and vtd["confidence"] == "low"
    assert "firmware" in vtd["layers"]["unjudged"]  # the BIOS release decides (0061)


def test_unknown_cpu_keeps_the_boards_verdict(client: FlaskClient) -> None:
    doc = compat(client, board="DQ45CB", bios="0061", cpu="Core i5-99999X")
    assert doc["resolved"]["board"]["slug"] == "intel-dq45cb" and doc["resolved"]["cpu"] is None
    # Q45 keeps VT-d in the MCH: the board and BIOS settle it without the CPU.
    assert doc["capabilities"]["vtd"]["status"] == "supported"
    assert doc["capabilities"]["vtx"]["status"] == "unknown"
    [item] = doc["unresolved"]
    assert item["field"] == "cpu" and item["value"] == "Core i5-99999X"
    assert item["reason"] == "unknown" and "probe" in item["next_step"]


def test_nothing_resolved_is_422_with_the_next_step(client: FlaskClient) -> None:
    resp = client.get("/api/v1/compat", query_string={"cpu": "Core i5-99999X"})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["unresolved"][0]["field"] == "cpu"
    assert "probe" in body["detail"] and "ARK" in body["detail"]


def test_batch_items_keep_what_resolved(client: FlaskClient) -> None:
    resp = client.post(
        "/api/v1/compat/batch",
        json={"items": [{"board": "DQ45CB", "bios": "0061", "cpu": "Core i5-99999X"}]},
    )
    [result] = resp.get_json()["results"]
    assert result["capabilities"]["vtd"]["status"] == "supported"
    assert result["unresolved"][0]["field"] == "cpu"


def test_csv_carries_confidence_and_unresolved(client: FlaskClient) -> None:
    resp = client.get(
        "/api/v1/compat",
        query_string={"board": "DQ45CB", "bios": "0061", "cpu": "Core i5-99999X"},
        headers={"Accept": "text/csv"},
    )
    [row] = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert row["vtd_status"] == "supported" and row["vtd_confidence"] in ("high", "medium")
    assert row["vtx_confidence"] == "low"
    assert row["unresolved"] == "cpu=Core i5-99999X (unknown)"


def test_min_confidence_high_withholds_weaker_verdicts(client: FlaskClient) -> None:
    doc = compat(client, cpu="Core 2 Quad Q9550", min_confidence="high")
    vtx = doc["capabilities"]["vtx"]
    assert vtx["status"] == "unknown"
    assert vtx["withheld"]["status"] == "supported" and vtx["withheld"]["confidence"] != "high"
    first = vtx["reasons"][0]
    assert first["rule"] == "HW-CONFIDENCE-BELOW" and not first["advisory"]
    assert all(r["advisory"] for r in vtx["reasons"][1:])
    # Without the demand the same query answers as before.
    assert compat(client, cpu="Core 2 Quad Q9550")["capabilities"]["vtx"]["status"] == "supported"


def test_min_confidence_keeps_what_meets_it(client: FlaskClient) -> None:
    doc = compat(client, board="DQ45CB", bios="0061", cpu="Q9550", min_confidence="high")
    vtd = doc["capabilities"]["vtd"]
    assert vtd["status"] == "supported" and "withheld" not in vtd


def test_min_confidence_must_be_a_level(client: FlaskClient) -> None:
    resp = client.get("/api/v1/compat", query_string={"cpu": "Q9550", "min_confidence": "sure"})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"

"""/api/v1/validate/domain-config, /api/v1/xen/options and ``flask validate``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

XEN_DATA = Path(__file__).resolve().parents[1] / "data" / "xen"
HVM_PCI = "builder = 'hvm'\nname = 'g'\nmemory = 512\npci = ['0000:00:1b.0']\n"


def validate(client: FlaskClient, **body: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/validate/domain-config", json=body)
    assert resp.status_code == 200, resp.get_json()
    doc: dict[str, Any] = resp.get_json()
    return doc


def hardware_errors(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["severity"] == "error" and f["related"]]


def test_pci_passthrough_on_dq43ap_cites_the_vtd_trap(client: FlaskClient) -> None:
    doc = validate(
        client, config=HVM_PCI, format="xm", xen_version="3.4", target={"board": "DQ43AP"}
    )
    assert doc["valid"] is False
    errors = hardware_errors(doc)
    assert errors and errors[0]["key"] == "pci"
    cited = {r["rule"] for r in errors[0]["related"]}
    assert "HW-VTD-BIOS-OPTION-TRAP" in cited


def test_pci_passthrough_on_dq45cb_0061_has_no_hardware_error(client: FlaskClient) -> None:
    doc = validate(
        client,
        config=HVM_PCI,
        format="xm",
        xen_version="3.4",
        target={"board": "DQ45CB", "bios": "0061"},
    )
    assert hardware_errors(doc) == []
    assert doc["target"]["capabilities"]["vtd"] == "supported"


def test_without_target_lists_requirements(client: FlaskClient) -> None:
    doc = validate(client, config=HVM_PCI, format="xm")
    assert {"hvm", "pci_passthrough"} <= set(doc["requires"])
    assert doc["target"] is None


def test_explicit_capabilities_target(client: FlaskClient) -> None:
    doc = validate(
        client,
        config=HVM_PCI,
        format="xm",
        target={"capabilities": {"hvm": "supported", "pci_passthrough": "disabled"}},
    )
    assert any(f["key"] == "pci" and f["severity"] == "error" for f in doc["findings"])


def test_text_plain_body_with_query_parameters(client: FlaskClient) -> None:
    resp = client.post(
        "/api/v1/validate/domain-config?format=xl&xen_version=4.17",
        data='name = "g"\nrtc_timeoffset = -3600\n',
        content_type="text/plain",
    )
    doc = resp.get_json()
    assert resp.status_code == 200 and doc["format"] == "xl" and doc["valid"] is False
    rtc = [f for f in doc["findings"] if f["key"] == "rtc_timeoffset" and f["severity"] == "error"]
    assert rtc and (rtc[0]["line"], rtc[0]["column"]) == (2, 18)


def test_quoted_negative_offset_is_valid_xl(client: FlaskClient) -> None:
    doc = validate(
        client,
        config='name = "g"\nkernel = "/boot/vmlinuz"\nrtc_timeoffset = "-3600"\n',
        format="xl",
    )
    assert not [
        f for f in doc["findings"] if f["key"] == "rtc_timeoffset" and f["severity"] == "error"
    ]


def test_localtime_offset_by_version(client: FlaskClient) -> None:
    cfg = "name='w'\nbuilder='hvm'\nlocaltime=1\nrtc_timeoffset=32400\n"
    old = validate(client, config=cfg, format="xm", xen_version="3.3")
    new = validate(client, config=cfg, format="xm", xen_version="3.4")
    assert any(f["rule"] == "XEN-RTC-001" and f["severity"] == "warning" for f in old["findings"])
    assert any(f["rule"] == "XEN-RTC-001" and f["severity"] == "info" for f in new["findings"])


def test_sarif_output(client: FlaskClient) -> None:
    resp = client.post(
        "/api/v1/validate/domain-config",
        json={"config": "usbdevice='mouse'\nbuilder='hvm'\nname='g'\n"},
        headers={"Accept": "application/sarif+json"},
    )
    sarif = resp.get_json()
    assert resp.mimetype == "application/sarif+json" and sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"XEN-USB-003"}


def test_every_finding_rule_is_published(client: FlaskClient) -> None:
    published = {r["id"] for r in client.get("/api/v1/rules").get_json()["items"]}
    for path in sorted((XEN_DATA / "xm").glob("*.cfg")) + sorted((XEN_DATA / "xl").glob("*.cfg")):
        doc = validate(client, config=path.read_text())
        assert {f["rule"] for f in doc["findings"]} <= published, path.name


def test_oversized_config_is_413(client: FlaskClient) -> None:
    resp = client.post(
        "/api/v1/validate/domain-config", json={"config": "#" * (256 * 1024 + 1) + "\n"}
    )
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "xl"}, "json.config"),
        ({"config": "a=1", "format": "yaml"}, "json.format"),
        ({"config": "a=1", "xen_version": "four"}, "json.xen_version"),
        ({"config": "a=1", "target": {"board": "DQ43AP", "probe_id": 1}}, "json.target._schema"),
    ],
)
def test_malformed_request_is_422(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    resp = client.post("/api/v1/validate/domain-config", json=body)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert field in {e["field"] for e in resp.get_json()["errors"]}


def test_unknown_target_board_lists_candidates(client: FlaskClient) -> None:
    resp = client.post(
        "/api/v1/validate/domain-config", json={"config": HVM_PCI, "target": {"board": "DQ43AB"}}
    )
    assert resp.status_code == 422 and resp.get_json()["candidates"]


def test_missing_probe_target_is_404(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    body = {"config": HVM_PCI, "target": {"probe_id": 999999}}
    url = "/api/v1/validate/domain-config"
    assert client.post(url, json=body).status_code == 401  # a probe target needs a token
    resp = client.post(url, json=body, headers=auth("probe:write"))
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_wrong_media_type_is_415(client: FlaskClient) -> None:
    resp = client.post("/api/v1/validate/domain-config", data="a=1", content_type="application/xml")
    assert resp.status_code == 415


def test_xen_options_catalogue(client: FlaskClient) -> None:
    listing = client.get("/api/v1/xen/options").get_json()
    assert listing["total"] >= 100
    one = client.get("/api/v1/xen/options/rtc_timeoffset")
    assert one.status_code == 200
    assert client.get("/api/v1/xen/options/no_such_option").status_code == 404


def test_cli_validate_exit_codes(app: Flask, tmp_path: Path) -> None:
    good = tmp_path / "good.cfg"
    good.write_text('name = "g"\nkernel = "/boot/vmlinuz"\nmemory = 256\n')
    bad = tmp_path / "bad.cfg"
    bad.write_text('name = "g"\nkernel = "/boot/vmlinuz"\nrtc_timeoffset = -3600\n')
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["validate", str(good), "--format", "xl"])
    assert ok.exit_code == 0, ok.output
    failed = runner.invoke(args=["validate", str(bad), "--format", "xl", "--xen-version", "4.17"])
    assert failed.exit_code == 1
    assert f"{bad}:3: error XEN-RTC-002" in failed.output
    missing = runner.invoke(args=["validate", str(tmp_path / "nope.cfg")])
    assert missing.exit_code == 2

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
    published = {r["id"] for r in client.get("/api/v1/rules?per_page=200").get_json()["items"]}
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
    resp = client.post(
        "/api/v1/validate/domain-config", data="a=1", content_type="application/octet-stream"
    )
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


# ---- libvirt domain XML --------------------------------------------------------------------

KVM_HOSTDEV = (
    "<domain type='kvm'>\n  <name>g</name>\n  <memory unit='MiB'>1024</memory>\n"
    "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n  <features><acpi/></features>\n"
    "  <devices>\n    <serial type='pty'/>\n"
    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
    "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n"
    "    </hostdev>\n  </devices>\n</domain>\n"
)


def test_libvirt_hostdev_on_dq43ap_cites_the_vtd_trap(client: FlaskClient) -> None:
    doc = validate(client, config=KVM_HOSTDEV, format="libvirt", target={"board": "DQ43AP"})
    assert doc["format"] == "libvirt" and doc["valid"] is False
    errors = [e for e in hardware_errors(doc) if e["rule"] == "XEN-PCI-001"]
    assert errors and errors[0]["key"] == "devices/hostdev[1]" and errors[0]["line"] == 8
    assert "HW-VTD-BIOS-OPTION-TRAP" in {r["rule"] for r in errors[0]["related"]}


def test_libvirt_hostdev_on_dx58so_i7_920_has_no_hardware_error(client: FlaskClient) -> None:
    doc = validate(
        client,
        config=KVM_HOSTDEV,
        format="libvirt",
        target={"board": "DX58SO", "cpu": "Core i7-920"},
    )
    assert hardware_errors(doc) == []
    assert {"hvm", "pci_passthrough"} <= set(doc["requires"])


@pytest.mark.parametrize("mimetype", ["application/xml", "text/xml"])
def test_raw_xml_body_is_libvirt(client: FlaskClient, mimetype: str) -> None:
    resp = client.post(
        "/api/v1/validate/domain-config?board=DQ43AP",
        data=KVM_HOSTDEV.encode(),
        content_type=mimetype,
    )
    assert resp.status_code == 200, resp.get_json()
    doc = resp.get_json()
    assert doc["format"] == "libvirt" and doc["options"]["pci"] == ["0000:01:00.0"]


def test_auto_recognises_a_domain_root(client: FlaskClient) -> None:
    assert validate(client, config=KVM_HOSTDEV)["format"] == "libvirt"


def test_libvirt_sarif(client: FlaskClient) -> None:
    resp = client.post(
        "/api/v1/validate/domain-config",
        json={"config": KVM_HOSTDEV, "target": {"board": "DQ43AP"}},
        headers={"Accept": "application/sarif+json"},
    )
    assert resp.status_code == 200
    run = resp.get_json()["runs"][0]
    assert run["artifacts"][0]["location"]["uri"] == "domain.xml"
    assert any(r["ruleId"] == "XEN-PCI-001" for r in run["results"])


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<domain type='kvm'>&x;</domain>",
        b"<domain type='kvm'>" + b"<a>" * 50_000,
        b"\xff\xfe<\x00d\x00\x00\xd8",
    ],
    ids=["xxe", "deep", "utf16"],
)
def test_hostile_xml_is_a_4xx_problem(client: FlaskClient, body: bytes) -> None:
    resp = client.post("/api/v1/validate/domain-config", data=body, content_type="application/xml")
    assert 400 <= resp.status_code < 500
    assert resp.mimetype == "application/problem+json"
    assert "root:" not in resp.get_data(as_text=True)


def test_cli_validates_xml_files(app: Flask, tmp_path: Path) -> None:
    good = tmp_path / "guest.xml"
    good.write_text(KVM_HOSTDEV)
    runner = app.test_cli_runner()
    res = runner.invoke(args=["validate", str(good)])
    assert res.exit_code == 0, res.output
    bad = tmp_path / "bad.xml"
    bad.write_text(
        KVM_HOSTDEV.replace("<features><acpi/></features>", "").replace(
            "<serial type='pty'/>",
            "<controller type='usb' model='none'/><input type='tablet' bus='usb'/>",
        )
    )
    res = runner.invoke(args=["validate", str(bad)])
    assert res.exit_code == 1 and "DOM-USB-001" in res.output
    hostile = tmp_path / "x.xml"
    hostile.write_bytes(b'<!DOCTYPE d [<!ENTITY a "b">]><domain/>')
    assert runner.invoke(args=["validate", str(hostile)]).exit_code == 2
    res = runner.invoke(args=["validate", "--sarif", str(good)])
    assert res.exit_code == 0 and '"version": "2.1.0"' in res.output

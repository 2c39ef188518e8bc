"""POST /api/v1/probes: auth, idempotency, diagnosis, evidence, redaction, deletion."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from virtcompat.models import EvidenceCount, Probe, UnverifiedHardware

DATA = Path(__file__).resolve().parents[1] / "data" / "probe"

SERIAL = "SN-7XJ4KQ1-UNIQUE"
UUID = "4c4c4544-0058-4a10-8034-b7c04f4b5131"
MAC = "d4:be:d9:a1:b2:c3"


def sample(kind: str, name: str) -> str:
    return (DATA / kind / name).read_text(encoding="utf-8", errors="replace")


def dq45cb_probe(bios: str = "CBQ4510H.86A.0061.2009.0324.1639") -> dict[str, Any]:
    """A bare-metal DQ45CB with DMAR and an active IOMMU (synthetic, built from known lines)."""
    return {
        "agent": {"name": "test-agent", "version": "1.0"},
        "collected_at": "2026-11-26T10:00:00Z",
        "artefacts": {
            "cpuinfo": sample("cpuinfo", "intel-core-i7-2600-baremetal.cpuinfo").replace(
                "Core(TM) i7-2600 CPU @ 3.40GHz", "Core(TM)2 Quad CPU    Q9550  @ 2.83GHz"
            ),
            "dmesg": "\n".join(
                [
                    "[    0.000000] Linux version 5.15.0-91-generic (buildd@host) #101",
                    "[    0.000000] ACPI: DMAR 0x00000000CAFE0000 0000E8 (v01 INTEL EGL 1 INTL 1)",
                    "[    0.412345] DMAR: Intel(R) Virtualization Technology for Directed I/O",
                    f"[    2.100000] e1000e 0000:00:19.0 eth0: (PCI Express:2.5GT/s) {MAC}",
                    f"[    2.200000] usb 1-1.4: SerialNumber: {SERIAL}",
                ]
            ),
            "dmi": {
                "board_vendor": "Intel Corporation",
                "board_name": "DQ45CB",
                "bios_version": bios,
                "product_serial": SERIAL,
                "product_uuid": UUID,
            },
            "lspci": (
                "00:00.0 Host bridge [0600]: Intel Corporation 4 Series Chipset DRAM "
                "Controller [8086:2e10] (rev 03)\n"
                "00:1f.0 ISA bridge [0601]: Intel Corporation 82801JDO (ICH10DO) LPC "
                "Interface Controller [8086:3a14] (rev 02)\n"
            ),
            "cmdline": f"BOOT_IMAGE=/vmlinuz root=UUID={UUID} ro intel_iommu=on",
            "kernel_release": "5.15.0-91-generic",
            "acpi_tables": ["APIC", "DMAR", "DSDT", "FACP"],
            "iommu_groups": 9,
            "dev_kvm": True,
        },
    }


@pytest.fixture
def probe_auth(auth: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return auth("probe:write")


def post(
    client: FlaskClient, body: dict[str, Any], headers: dict[str, Any], key: str | None = None
) -> Any:
    h = dict(headers)
    if key:
        h["Idempotency-Key"] = key
    return client.post("/api/v1/probes", json=body, headers=h)


def test_probe_needs_token_and_scope(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    assert post(client, dq45cb_probe(), {}).status_code == 401
    resp = post(client, dq45cb_probe(), auth("catalog:write"))
    assert resp.status_code == 403 and resp.mimetype == "application/problem+json"


def test_probe_body_limit_is_413(client: FlaskClient, probe_auth: dict[str, Any]) -> None:
    body = dq45cb_probe()
    body["artefacts"]["dmesg"] = "x" * (2 * 1024 * 1024 + 10)
    resp = post(client, body, probe_auth)
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"


def test_probe_envelope_is_validated(client: FlaskClient, probe_auth: dict[str, Any]) -> None:
    resp = post(client, {"artefacts": "nope"}, probe_auth)
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert {"json.agent", "json.artefacts"} <= fields


def test_dq45cb_probe_is_diagnosed_and_matched(
    client: FlaskClient, probe_auth: dict[str, Any]
) -> None:
    resp = post(client, dq45cb_probe(), probe_auth)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["delete_token"].startswith("del_")
    assert body["matched"]["board"]["slug"] == "intel-dq45cb"
    assert [c["slug"] for c in body["matched"]["chipsets"]] == ["intel-q45"]
    caps = body["diagnosis"]["capabilities"]
    assert caps["vtx"]["status"] == "supported"
    assert caps["vtd"]["status"] == "supported"
    assert caps["pci_passthrough"]["status"] == "supported"
    fetched = client.get(f"/api/v1/probes/{body['id']}", headers=probe_auth).get_json()
    assert fetched["diagnosis"] == body["diagnosis"] and "delete_token" not in fetched


def test_kvm_guest_cpuinfo_is_masked(client: FlaskClient, probe_auth: dict[str, Any]) -> None:
    body = {
        "agent": {"name": "t", "version": "1"},
        "artefacts": {
            "cpuinfo": sample("cpuinfo", "kvm-guest-amd-ryzen7-2700x-no-svm.cpuinfo"),
            "kernel_release": "4.18.16-300.fc29.x86_64",
        },
    }
    caps = post(client, body, probe_auth).get_json()["diagnosis"]["capabilities"]
    assert caps["vtx"]["status"] == "masked"
    assert any(r["rule"] == "HW-VTX-MASKED" for r in caps["vtx"]["reasons"])


def test_x240_log_vtx_disabled_and_missing_dmar_not_called_unsupported(
    client: FlaskClient, probe_auth: dict[str, Any]
) -> None:
    body = {
        "agent": {"name": "t", "version": "1"},
        "artefacts": {
            "dmesg": sample(
                "dmesg", "thinkpad-x240-haswell-no-dmar-table-kvm-disabled-by-bios.dmesg"
            ),
        },
    }
    caps = post(client, body, probe_auth).get_json()["diagnosis"]["capabilities"]
    assert caps["vtx"]["status"] == "disabled"
    bios = [r for r in caps["vtx"]["reasons"] if r["rule"] == "HW-VTX-BIOS-DISABLED"]
    assert bios and bios[0]["hint"]["bios_setting"]
    # SOURCES.md: VT-d is off in the firmware. The smpboot line names an i5-4300U, which ARK's
    # export (IntelCorei5-23.csv) gives VT-d: the missing DMAR table is the BIOS switch, so
    # "disabled" with the setting to change, never unsupported.
    assert caps["vtd"]["status"] == "disabled"
    fw = [r for r in caps["vtd"]["reasons"] if r["rule"] == "HW-VTD-FIRMWARE-TABLE"]
    assert fw and fw[0]["status"] == "disabled"
    assert "VT-d" in fw[0]["hint"]["bios_setting"]


def test_same_key_twice_is_one_row(
    client: FlaskClient, probe_auth: dict[str, Any], db_session: Session
) -> None:
    first = post(client, dq45cb_probe(), probe_auth, key="retry-1")
    again = post(client, dq45cb_probe(), probe_auth, key="retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert "delete_token" not in again.get_json()
    count = db_session.scalar(select(text("count(*)")).select_from(Probe))
    assert count == 1


def test_same_body_without_key_is_deduplicated_by_content(
    client: FlaskClient, probe_auth: dict[str, Any]
) -> None:
    first = post(client, dq45cb_probe(), probe_auth)
    again = post(client, dq45cb_probe(), probe_auth)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]


def test_key_reused_for_other_body_is_409(client: FlaskClient, probe_auth: dict[str, Any]) -> None:
    post(client, dq45cb_probe(), probe_auth, key="k")
    other = post(client, dq45cb_probe(bios="CBQ4510H.86A.0055"), probe_auth, key="k")
    assert other.status_code == 409 and other.mimetype == "application/problem+json"


def _all_stored_text(db_session: Session) -> str:
    chunks = []
    conn = db_session.connection()
    for table in inspect(conn).get_table_names():
        for row in conn.execute(text(f'SELECT * FROM "{table}"')):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    raw = bytes(value)
                    try:
                        raw = zlib.decompress(raw)
                    except zlib.error:
                        pass
                    chunks.append(raw.decode("utf-8", "replace"))
                    chunks.append(base64.b64encode(raw).decode())
                else:
                    chunks.append(str(value))
    return "\n".join(chunks)


def test_nothing_stored_contains_serials_uuids_or_macs(
    client: FlaskClient, probe_auth: dict[str, Any], db_session: Session
) -> None:
    assert post(client, dq45cb_probe(), probe_auth, key=f"key-{SERIAL}").status_code == 201
    stored = _all_stored_text(db_session).lower()
    for secret in (SERIAL, UUID, MAC, MAC.replace(":", "-")):
        assert secret.lower() not in stored, secret


def test_probe_evidence_feeds_compat_and_delete_undoes_it(
    client: FlaskClient, probe_auth: dict[str, Any], db_session: Session
) -> None:
    created = post(client, dq45cb_probe(), probe_auth).get_json()
    doc = client.get("/api/v1/compat?board=DQ45CB&bios=0061").get_json()
    ev = [r for r in doc["capabilities"]["vtd"]["reasons"] if r["rule"] == "HW-PROBE-EVIDENCE"]
    assert ev and ev[0]["message"].startswith("1 probe on BIOS 0061 saw")
    board = client.get("/api/v1/boards/intel-dq45cb").get_json()
    assert {
        "bios_version": "0061",
        "capability": "vtd",
        "confirm": 1,
        "contradict": 0,
        "inconclusive": 0,
    } in board["evidence"]

    wrong = client.delete(f"/api/v1/probes/{created['id']}", headers={"X-Delete-Token": "nope"})
    assert wrong.status_code == 404  # like a missing probe: ids reveal nothing
    gone = client.delete(
        f"/api/v1/probes/{created['id']}", headers={"X-Delete-Token": created["delete_token"]}
    )
    assert gone.status_code == 204
    assert client.get(f"/api/v1/probes/{created['id']}", headers=probe_auth).status_code == 404
    counts = db_session.scalars(select(EvidenceCount)).all()
    assert all(c.confirm == 0 and c.contradict == 0 and c.inconclusive == 0 for c in counts)
    doc = client.get("/api/v1/compat?board=DQ45CB&bios=0061").get_json()
    assert not [
        r for r in doc["capabilities"]["vtd"]["reasons"] if r["rule"] == "HW-PROBE-EVIDENCE"
    ]


def test_unknown_hardware_is_an_unverified_candidate_not_a_fact(
    client: FlaskClient,
    probe_auth: dict[str, Any],
    db_session: Session,
    auth: Callable[..., dict[str, Any]],
) -> None:
    body = dq45cb_probe()
    body["artefacts"]["dmi"] = {"board_vendor": "Acme", "board_name": "Roadrunner 9000"}
    created = post(client, body, probe_auth).get_json()
    assert created["matched"]["board"] is None
    cand = db_session.scalars(
        select(UnverifiedHardware).where(UnverifiedHardware.kind == "board")
    ).one()
    assert cand.key == "acme roadrunner 9000" and cand.probe_count == 1
    assert client.get("/api/v1/boards?q=Roadrunner").get_json()["total"] == 0
    assert client.get("/api/v1/unverified-hardware").status_code == 401
    listed = client.get(
        "/api/v1/unverified-hardware?kind=board", headers=auth("catalog:write")
    ).get_json()
    assert [u["key"] for u in listed["items"]] == ["acme roadrunner 9000"]


def test_each_unknown_component_counts_each_probe_once(
    client: FlaskClient, probe_auth: dict[str, Any], db_session: Session
) -> None:
    for n in (1, 2):
        body = dq45cb_probe()
        body["collected_at"] = f"2026-11-26T10:00:0{n}Z"  # two distinct probes
        body["artefacts"]["dmi"] = {"board_vendor": "Acme", "board_name": "Roadrunner 9000"}
        body["artefacts"]["cpuinfo"] = body["artefacts"]["cpuinfo"].replace(
            "Core(TM)2 Quad CPU    Q9550  @ 2.83GHz", "Acme(R) Coyote 7000 CPU @ 9.99GHz"
        )
        created = post(client, body, probe_auth)
        assert created.status_code == 201
        unverified = created.get_json()["matched"]["unverified"]
        assert {u["kind"] for u in unverified} >= {"board", "cpu"}
    rows = {(u.kind, u.key): u.probe_count for u in db_session.scalars(select(UnverifiedHardware))}
    assert rows[("board", "acme roadrunner 9000")] == 2
    assert [k for k in rows if k[0] == "cpu"] and all(n == 2 for n in rows.values())


def test_reprocess_recomputes_without_double_counting(
    app: Flask, client: FlaskClient, probe_auth: dict[str, Any], db_session: Session
) -> None:
    post(client, dq45cb_probe(), probe_auth)
    result = app.test_cli_runner().invoke(args=["probes", "reprocess"])
    assert result.exit_code == 0 and "reprocessed 1 probe" in result.output
    counts = {
        (c.bios_version, c.capability): (c.confirm, c.contradict)
        for c in db_session.scalars(select(EvidenceCount))
    }
    assert counts[("0061", "vtd")] == (1, 0)


def test_validate_against_probe_target(client: FlaskClient, probe_auth: dict[str, Any]) -> None:
    guest = {
        "agent": {"name": "t", "version": "1"},
        "artefacts": {
            "cpuinfo": sample("cpuinfo", "kvm-guest-amd-ryzen7-2700x-no-svm.cpuinfo"),
        },
    }
    probe_id = post(client, guest, probe_auth).get_json()["id"]
    resp = client.post(
        "/api/v1/validate/domain-config",
        json={
            "config": "builder = 'hvm'\nmemory = 512\nname = 'g'\n",
            "format": "xm",
            "target": {"probe_id": probe_id},
        },
        headers=probe_auth,
    )
    body = resp.get_json()
    assert resp.status_code == 200 and body["valid"] is False
    assert body["target"]["capabilities"]["hvm"] == "masked"


def test_stats_count_probes_by_dimension_and_deletion_undoes_them(
    client: FlaskClient, probe_auth: dict[str, Any]
) -> None:
    created = post(client, dq45cb_probe(), probe_auth).get_json()
    guest = {
        "agent": {"name": "t", "version": "1"},
        "artefacts": {
            "cpuinfo": sample("cpuinfo", "kvm-guest-amd-ryzen7-2700x-no-svm.cpuinfo"),
        },
    }
    post(client, guest, probe_auth)
    everything = client.get("/api/v1/stats/probes").get_json()
    assert everything["items"][0]["probes"] == 2
    assert everything["items"][0]["capabilities"]["vtx"] == {"supported": 1, "masked": 1}
    by_board = client.get("/api/v1/stats/probes?by=board").get_json()
    assert [(i["key"], i["probes"]) for i in by_board["items"]] == [("intel-dq45cb", 1)]
    by_vendor = client.get("/api/v1/stats/probes?by=cpu_vendor").get_json()
    assert {i["key"] for i in by_vendor["items"]} == {"intel", "amd"}
    client.delete(
        f"/api/v1/probes/{created['id']}", headers={"X-Delete-Token": created["delete_token"]}
    )
    assert client.get("/api/v1/stats/probes?by=board").get_json()["items"] == []
    assert client.get("/api/v1/stats/probes?by=nope").status_code == 422


def test_support_matrix_lists_every_board_with_its_vtd_verdict(
    client: FlaskClient, probe_auth: dict[str, Any]
) -> None:
    post(client, dq45cb_probe(), probe_auth)
    matrix = client.get("/api/v1/stats/support-matrix").get_json()
    # every board, the imported ones (Qubes HCL reports) too: page through them all
    rows: dict[str, Any] = {}
    for page in range(1, matrix["total"] // 200 + 2):
        got = client.get(f"/api/v1/stats/support-matrix?per_page=200&page={page}").get_json()
        rows.update({r["board"]["slug"]: r for r in got["items"]})
    assert matrix["total"] == len(rows)
    assert matrix["total"] == client.get("/api/v1/boards").get_json()["total"]
    assert rows["intel-dq43ap"]["vtd"] == {"status": "unsupported", "rule": "HW-VTD-CHIPSET"}
    assert rows["intel-dq45cb"]["probes"] == {"confirm": 1, "contradict": 0}
    only = client.get("/api/v1/stats/support-matrix?vtd=unsupported").get_json()
    assert only["items"] and all(r["vtd"]["status"] == "unsupported" for r in only["items"])


def test_idempotency_keys_are_scoped_to_the_token(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    first = post(client, dq45cb_probe(), auth("probe:write"), key="1")
    other = post(client, dq45cb_probe(bios="CBQ4510H.86A.0109"), auth("probe:write"), key="1")
    assert (first.status_code, other.status_code) == (201, 201)
    assert first.get_json()["id"] != other.get_json()["id"]


def test_post_answer_is_the_json_of_its_fields(
    client: FlaskClient, probe_auth: dict[str, Any]
) -> None:
    """The 201 body splices in the diagnosis ingest already encoded (PostgreSQL): byte for byte
    what encoding the whole answer would give; the replay (200) encodes it whole. Compact
    JSON either way, as Flask's own answers."""
    import json

    headers = {**probe_auth, "Idempotency-Key": "answer-bytes"}
    for status in (201, 200):
        resp = client.post("/api/v1/probes", json=dq45cb_probe(), headers=headers)
        assert resp.status_code == status
        compact = json.dumps(resp.get_json(), separators=(",", ":"), ensure_ascii=False)
        assert resp.get_data(as_text=True) == compact
        assert list(resp.get_json())[4] == "diagnosis"

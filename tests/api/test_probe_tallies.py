"""One probe never flips the catalogue (issue #10, item 7).

An absence-only probe (VT-d off in BIOS: no DMAR table, on an i5-3570 the catalogue does not
know) is tallied as inconclusive and leaves /compat for its board unchanged; a contradiction
that rules out firmware and kernel causes, planted against the board's documented VT-d,
surfaces as `conflict` citing both sides with their counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from virtcompat.catalog import bump_version
from virtcompat.models import Board, EvidenceCount

FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov vmx smx est tm2 ssse3 cx16 "
    "xtpr pdcm pcid sse4_1 sse4_2 popcnt aes xsave avx f16c rdrand lahf_lm tpr_shadow vnmi "
    "flexpriority ept vpid"
)
CPUINFO = (
    "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 58\n"
    "model name\t: Intel(R) Core(TM) i5-3570 CPU @ 3.40GHz\nstepping\t: 9\n"
    f"flags\t\t: {FLAGS}\n"
)

# VT-d switched off in setup: the firmware leaves DMAR out of the table list.
DMESG = "\n".join(
    [
        "[    0.000000] Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) #101-Ubuntu",
        "[    0.000000] DMI: Gigabyte Technology Co., Ltd. To be filled by O.E.M./G1.Sniper M3, "
        "BIOS F10c 09/12/2013",
        "[    0.004000] ACPI: RSDP 0x00000000000F0490 000024 (v02 ALASKA)",
        "[    0.004000] ACPI: XSDT 0x00000000DD9E1078 00006C (v01 ALASKA A M I    01072009 AMI "
        " 00010013)",
        "[    0.004000] ACPI: FACP 0x00000000DD9EB8C0 0000F4 (v04 ALASKA A M I    01072009 AMI "
        " 00010013)",
        "[    0.004000] ACPI: DSDT 0x00000000DD9E1180 00A73B (v02 ALASKA A M I    00000A10 INTL "
        "20051117)",
        "[    0.004000] ACPI: APIC 0x00000000DD9EB9B8 000072 (v03 ALASKA A M I    01072009 AMI "
        " 00010013)",
        "[    1.800000] Run /init as init process",
    ]
)


def _absence_only_probe() -> dict[str, Any]:
    return {
        "agent": {"name": "t", "version": "1"},
        "artefacts": {
            "cpuinfo": CPUINFO,
            "dmesg": DMESG,
            "dmi": {"board_vendor": "Gigabyte Technology Co., Ltd.", "board_name": "G1.Sniper M3",
                    "bios_version": "F10c"},
            "kernel_release": "5.15.0-91-generic",
            "acpi_tables": ["APIC", "DSDT", "FACP", "FACS", "HPET", "MCFG", "SSDT"],
            "iommu_groups": 0,
        },
    }  # fmt: skip


def _compat(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/compat", query_string={"board": "G1.Sniper M3"})
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def _vtd(body: dict[str, Any]) -> dict[str, Any]:
    caps = body.get("capabilities") or body["result"]["capabilities"]
    vtd: dict[str, Any] = caps["vtd"]
    return vtd


def test_absence_only_probe_is_inconclusive_and_changes_nothing(
    client: FlaskClient, auth: Callable[..., dict[str, Any]], db_session: Session
) -> None:
    before = _vtd(_compat(client))
    posted = client.post("/api/v1/probes", json=_absence_only_probe(), headers=auth("probe:write"))
    assert posted.status_code == 201, posted.get_json()
    diagnosis = posted.get_json()["diagnosis"]["capabilities"]["vtd"]
    # The probe itself: no DMAR table on a CPU the catalogue does not know is not
    # "unsupported".
    assert diagnosis["status"] != "unsupported"

    board = db_session.scalar(select(Board).where(Board.slug == "gigabyte-g1-sniper-m3"))
    assert board is not None
    counts = {
        (c.bios_version, c.capability): (c.confirm, c.contradict, c.inconclusive)
        for c in db_session.scalars(select(EvidenceCount).where(EvidenceCount.board_id == board.id))
    }
    assert counts[("", "vtd")] == (0, 0, 1)
    assert counts[("F10c", "vtd")] == (0, 0, 1)

    after = _vtd(_compat(client))
    assert after["status"] == before["status"]
    cited = [r for r in after["reasons"] if r["rule"] == "HW-PROBE-EVIDENCE"]
    assert cited and "1 probe on this board inconclusive" in cited[0]["message"]
    assert cited[0]["status"] == before["status"]


def test_planted_contradiction_is_a_conflict_citing_both_sides(
    client: FlaskClient, db_session: Session
) -> None:
    board = db_session.scalar(select(Board).where(Board.slug == "gigabyte-g1-sniper-m3"))
    assert board is not None
    db_session.add(
        EvidenceCount(
            board_id=board.id,
            bios_version="",
            capability="vtd",
            confirm=0,
            contradict=2,
            inconclusive=3,
        )
    )
    bump_version(db_session)
    db_session.commit()
    vtd = _vtd(_compat(client))
    assert vtd["status"] == "conflict"
    cited = [r for r in vtd["reasons"] if r["rule"] == "HW-PROBE-EVIDENCE"]
    assert cited and cited[0]["status"] == "conflict"
    message = cited[0]["message"]
    assert "the catalogue documents it" in message
    assert "2 probes on this board showed the hardware without it" in message
    assert "3 probes on this board inconclusive" in message

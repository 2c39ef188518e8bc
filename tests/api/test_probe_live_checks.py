"""Probe posts carrying the agent's live checks: a working /dev/kvm is honoured, per-device
passthrough readiness comes back, and an older agent's post (none of these fields) stays
valid."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

DATA = Path(__file__).resolve().parents[1] / "data" / "probe"
GUEST_CPUINFO = (DATA / "cpuinfo" / "kvm-guest-amd-ryzen7-2700x-no-svm.cpuinfo").read_text()


def _post(client: FlaskClient, headers: dict[str, Any], artefacts: dict[str, Any]) -> Any:
    body = {"agent": {"name": "virtcompat-probe", "version": "0.2.0"}, "artefacts": artefacts}
    response = client.post("/api/v1/probes", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_working_dev_kvm_from_a_software_kvm_is_honoured(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    # This development machine: a KVM guest without svm whose /dev/kvm is kvm_pvm's.
    doc = _post(
        client,
        auth("probe:write"),
        {
            "cpuinfo": GUEST_CPUINFO,
            "dev_kvm": True,
            "kvm_module": "kvm_pvm",
            "kvm_check": {"usable": True, "api_version": 12, "module": "kvm_pvm", "error": None},
            "devices": {"/dev/net/tun": True, "/dev/vhost-net": False},
        },
    )
    caps = doc["diagnosis"]["capabilities"]
    # The CPU extension stays masked (kvm_pvm needs none) ...
    assert caps["vtx"]["status"] == "masked"
    # ... but KVM guests run: not "KVM unusable".
    assert caps["hvm"]["status"] == "supported"
    usable = caps["hvm"]["reasons"][0]
    assert usable["rule"] == "HW-KVM-USABLE" and "kvm_pvm" in usable["message"]
    assert "Xen HVM still needs" in usable["message"]
    # virt-host-validate's device checks ride along as advice, never as the verdict.
    advice = [r for r in caps["hvm"]["reasons"] if r["rule"] == "HW-KVM-HOST-DEVICES"]
    assert [a["hint"] for a in advice] == [{"command": "modprobe vhost_net"}]
    assert all(a["advisory"] for a in advice)


def test_kvm_intel_working_proves_vtx_without_cpuinfo_flags(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    doc = _post(
        client,
        auth("probe:write"),
        {
            "kernel_release": "6.8.0-45-generic",
            "kvm_check": {"usable": True, "api_version": 12, "module": "kvm_intel"},
            "kvm_params": {"nested": "Y", "ept": "Y", "unrestricted_guest": "Y"},
        },
    )
    caps = doc["diagnosis"]["capabilities"]
    assert caps["vtx"]["status"] == "supported"
    assert [r["rule"] for r in caps["vtx"]["reasons"] if not r["advisory"]] == ["HW-KVM-USABLE"]
    assert caps["slat"]["status"] == "supported"
    assert caps["slat"]["reasons"][0]["rule"] == "HW-KVM-PARAMS"


def test_firmware_lock_msr_says_disabled(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    cpuinfo = (DATA / "cpuinfo" / "intel-core-i7-2600-baremetal.cpuinfo").read_text()
    doc = _post(
        client,
        auth("probe:write"),
        {
            "cpuinfo": cpuinfo,
            "kernel_release": "4.15.0-20-generic",
            # IA32_FEATURE_CONTROL = 1: locked, VMX outside SMX off. The agent's own
            # "locked_off" is not trusted; the server recomputes it from the value.
            "msr_feature_control": {"vendor": "intel", "value": 1, "locked_off": False},
        },
    )
    vtx = doc["diagnosis"]["capabilities"]["vtx"]
    assert vtx["status"] == "disabled"
    lock = [r for r in vtx["reasons"] if r["rule"] == "HW-FIRMWARE-LOCK-MSR"]
    assert lock and lock[0]["message"].startswith("IA32_FEATURE_CONTROL=0x1")
    assert lock[0]["hint"]["bios_setting"]


def test_devices_come_back_with_their_passthrough_verdicts(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    doc = _post(
        client,
        auth("probe:write"),
        {
            "lspci": (
                "01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA104 "
                "[GeForce RTX 3070] [10de:2484] (rev a1)\n"
                "01:00.1 Audio device [0403]: NVIDIA Corporation GA104 High Definition Audio "
                "Controller [10de:228b] (rev a1)\n"
            ),
            "iommu_group_devices": [
                {"group": 14, "address": "0000:01:00.0", "reset_method": "flr bus"},
                {"group": 14, "address": "0000:01:00.1", "reset_method": "flr"},
            ],
        },
    )
    devices = {d["address"]: d for d in doc["diagnosis"]["devices"]}
    gpu = devices["0000:01:00.0"]
    assert (gpu["group"], gpu["verdict"], gpu["rule"]) == (14, "pass-group", "HW-PT-DEVICE")
    assert gpu["group_mates"] == ["01:00.1"] and gpu["resettable"] is True


def test_an_older_agents_post_stays_valid(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    doc = _post(client, auth("probe:write"), {"cpuinfo": GUEST_CPUINFO, "dev_kvm": True})
    assert "devices" not in doc["diagnosis"]
    assert not [w for w in doc["warnings"] if w.startswith("checks:")]
    assert doc["diagnosis"]["capabilities"]["vtx"]["status"] == "masked"


def test_cpu_identity_from_dmidecode_processor_information(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    # dmidecode -t system,baseboard,bios,processor of a Core 2 Duo E8400 desktop: no
    # cpuinfo, no kernel log. Family 6 model 23 is Penryn (Wolfdale): no EPT.
    dmi = "\n".join(
        [
            "Handle 0x0004, DMI type 4, 35 bytes",
            "Processor Information",
            "\tSocket Designation: LGA 775",
            "\tType: Central Processor",
            "\tFamily: Core 2 Duo",
            "\tManufacturer: Intel",
            "\tSignature: Type 0, Family 6, Model 23, Stepping 10",
            "\tVersion: Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz",
        ]
    )
    doc = _post(client, auth("probe:write"), {"dmi": dmi})
    slat = doc["diagnosis"]["capabilities"]["slat"]
    assert slat["status"] == "unsupported"
    assert slat["reasons"][0]["rule"] == "HW-SLAT-MICROARCH"
    assert "DMI processor signature" in slat["reasons"][0]["message"]
    assert "Penryn" in slat["reasons"][0]["message"]

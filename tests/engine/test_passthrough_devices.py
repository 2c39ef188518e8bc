"""Per-device passthrough readiness from IOMMU groups, lspci -nn and reset_method."""

from __future__ import annotations

from typing import Any

from virtcompat.engine.passthrough import device_readiness
from virtcompat.probe.artefacts import parse_artefacts

LSPCI = """\
00:00.0 Host bridge [0600]: Intel Corporation Xeon E3-1200 v2/3rd Gen Core processor DRAM Controller [8086:0150] (rev 09)
00:01.0 PCI bridge [0604]: Intel Corporation Xeon E3-1200 v2/3rd Gen Core processor PCI Express Root Port [8086:0151] (rev 09)
00:1f.0 ISA bridge [0601]: Intel Corporation Z77 Express Chipset LPC Controller [8086:1e44] (rev 04)
00:1f.2 SATA controller [0106]: Intel Corporation 7 Series/C210 Series Chipset Family 6-port SATA Controller [AHCI mode] [8086:1e02] (rev 04)
00:1f.3 SMBus [0c05]: Intel Corporation 7 Series/C216 Chipset Family SMBus Controller [8086:1e22] (rev 04)
01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GP104 [GeForce GTX 1080] [10de:1b80] (rev a1)
01:00.1 Audio device [0403]: NVIDIA Corporation GP104 High Definition Audio Controller [10de:10f0] (rev a1)
02:00.0 Ethernet controller [0200]: Intel Corporation I210 Gigabit Network Connection [8086:1533] (rev 03)
04:00.0 USB controller [0c03]: ASMedia Technology Inc. ASM1042 SuperSpeed USB Host Controller [1b21:1042]
05:00.0 Non-Volatile memory controller [0108]: Samsung Electronics Co Ltd NVMe SSD Controller SM981/PM981/PM983 [144d:a808]
"""  # noqa: E501

GROUPS: list[dict[str, Any]] = [
    {"group": 0, "address": "0000:00:00.0", "reset_method": ""},
    {"group": 1, "address": "0000:00:01.0", "reset_method": "pm"},
    {"group": 1, "address": "0000:01:00.0", "reset_method": "flr bus"},
    {"group": 1, "address": "0000:01:00.1", "reset_method": "flr"},
    {"group": 7, "address": "0000:00:1f.0", "reset_method": ""},
    {"group": 7, "address": "0000:00:1f.2", "reset_method": ""},
    {"group": 7, "address": "0000:00:1f.3", "reset_method": ""},
    {"group": 7, "address": "0000:04:00.0", "reset_method": "bus"},
    {"group": 12, "address": "0000:02:00.0", "reset_method": "flr"},
    {"group": 13, "address": "0000:05:00.0", "reset_method": ""},
]


def _by_address() -> dict[str, Any]:
    obs = parse_artefacts({"lspci": LSPCI, "iommu_group_devices": GROUPS})
    return {d.address: d for d in device_readiness(obs)}


def test_gpu_goes_with_its_audio_function() -> None:
    gpu = _by_address()["0000:01:00.0"]
    assert gpu.group == 1 and gpu.bridge is False and gpu.resettable is True
    assert gpu.group_mates == ("00:01.0", "01:00.1")
    assert gpu.verdict == "pass-group"
    assert "pass the whole group (01:00.0 with 01:00.1 audio)" in gpu.message


def test_device_sharing_a_group_with_the_sata_controller_needs_acs() -> None:
    usb = _by_address()["0000:04:00.0"]
    assert usb.verdict == "needs-acs"
    assert "shares IOMMU group with the host's SATA controller (00:1f.2)" in usb.message
    assert "needs ACS isolation or another slot" in usb.message


def test_alone_in_its_group_is_ready_and_reset_matters() -> None:
    devices = _by_address()
    nic, nvme = devices["0000:02:00.0"], devices["0000:05:00.0"]
    assert (nic.verdict, nic.resettable, nic.group_mates) == ("ready", True, ())
    assert nvme.verdict == "ready" and nvme.resettable is False
    assert "no reset method" in nvme.message


def test_bridges_are_marked_and_stay_with_the_host() -> None:
    devices = _by_address()
    assert devices["0000:00:01.0"].bridge is True
    assert devices["0000:00:01.0"].verdict == "bridge"
    assert devices["0000:00:1f.0"].verdict == "bridge"


def test_no_groups_no_entries() -> None:
    assert device_readiness(parse_artefacts({"lspci": LSPCI})) == []

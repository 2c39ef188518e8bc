"""Probe bodies for the stats tests: every corpus sample, and a planted BIOS regression.

The regression is built from the DQ45CB probe of the probes API tests: three hosts on BIOS
0061 publish the DMAR table with an active IOMMU (VT-d supported), two on BIOS 0070 publish
no DMAR table at all. Q45 has VT-d, so a missing table means the firmware switched it off:
the verdict rule HW-VTD-FIRMWARE-TABLE makes that "disabled".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "probe"
MAC = "d4:be:d9:a1:b2:c3"


def corpus_probes() -> list[dict[str, Any]]:
    """One probe per real cpuinfo / dmesg sample of tests/data/probe."""
    bodies = []
    for kind in ("cpuinfo", "dmesg"):
        for path in sorted((DATA / kind).glob(f"*.{kind}")):
            text = path.read_text(encoding="utf-8", errors="replace")
            bodies.append(
                {"agent": {"name": path.stem[:90], "version": "1"}, "artefacts": {kind: text}}
            )
    return bodies


def dq45cb(bios_build: str, *, dmar: bool, host: int) -> dict[str, Any]:
    cpuinfo = (DATA / "cpuinfo" / "intel-core-i7-2600-baremetal.cpuinfo").read_text()
    dmesg = ["[    0.000000] Linux version 5.15.0-91-generic (buildd@host) #101"]
    if dmar:
        dmesg += [
            "[    0.000000] ACPI: DMAR 0x00000000CAFE0000 0000E8 (v01 INTEL EGL 1 INTL 1)",
            "[    0.412345] DMAR: Intel(R) Virtualization Technology for Directed I/O",
        ]
    dmesg.append(f"[    2.100000] e1000e 0000:00:19.0 eth0: (PCI Express:2.5GT/s) {MAC}")
    dmesg.append("[    5.000000] systemd[1]: Started Journal Service.")
    return {
        "agent": {"name": f"host-{host}", "version": "1.0"},
        "artefacts": {
            "cpuinfo": cpuinfo.replace(
                "Core(TM) i7-2600 CPU @ 3.40GHz", "Core(TM)2 Quad CPU    Q9550  @ 2.83GHz"
            ),
            "dmesg": "\n".join(dmesg),
            "dmi": {
                "board_vendor": "Intel Corporation",
                "board_name": "DQ45CB",
                "bios_version": f"CBQ4510H.86A.{bios_build}.2009.0324.1639",
            },
            "lspci": (
                "00:00.0 Host bridge [0600]: Intel Corporation 4 Series Chipset DRAM "
                "Controller [8086:2e10] (rev 03)\n"
                "00:1f.0 ISA bridge [0601]: Intel Corporation 82801JDO (ICH10DO) LPC "
                "Interface Controller [8086:3a14] (rev 02)\n"
            ),
            "cmdline": "BOOT_IMAGE=/vmlinuz ro intel_iommu=on",
            "kernel_release": "5.15.0-91-generic",
            "acpi_tables": ["APIC", "DMAR", "DSDT", "FACP"] if dmar else ["APIC", "DSDT", "FACP"],
            "iommu_groups": 9 if dmar else 0,
            "dev_kvm": True,
        },
    }


def planted_regression() -> list[dict[str, Any]]:
    return [dq45cb("0061", dmar=True, host=i) for i in range(3)] + [
        dq45cb("0070", dmar=False, host=10 + i) for i in range(2)
    ]

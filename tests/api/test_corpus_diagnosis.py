"""Every real sample of the corpus, diagnosed end to end (parsers + catalogue + rules).

The expectations are written by hand from each sample's SOURCES.md description, so a change
in parsing, matching or rules that alters a real-world verdict shows up here by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from virtcompat.engine.snapshot import load_snapshot
from virtcompat.ingest import diagnose

DATA = Path(__file__).resolve().parents[1] / "data" / "probe"

# file -> (vtx, vtd, deciding vtx rule)
EXPECTED = {
    "cpuinfo/amd-ryzen7-2700x-baremetal-svm-npt.cpuinfo": ("supported", "unknown", "HW-VTX-FLAG"),
    "cpuinfo/aws-ec2-xeon-8259cl-guest.cpuinfo": ("masked", "unknown", "HW-VTX-MASKED"),
    "cpuinfo/azure-guest-xeon-e5-2673v3.cpuinfo": ("masked", "unknown", "HW-VTX-MASKED"),
    "cpuinfo/digitalocean-guest-nested-vmx-vmxflags.cpuinfo": (
        "supported",
        "unknown",
        "HW-VTX-FLAG",
    ),
    # Bay Trail has VT-x and EPT but no VT-d (the catalogue's CPU row decides the VT-d layer).
    "cpuinfo/intel-celeron-j1900-baytrail-vmx-ept.cpuinfo": (
        "supported",
        "unsupported",
        "HW-VTX-FLAG",
    ),
    "cpuinfo/intel-core-i7-2600-baremetal.cpuinfo": ("supported", "unknown", "HW-VTX-FLAG"),
    # No vmx, but no kernel release either: a BIOS lock (>= 5.6) cannot be ruled out.
    "cpuinfo/intel-xeon-netburst-2.40-novmx.cpuinfo": ("unknown", "unknown", "HW-VTX-FLAG"),
    "cpuinfo/kvm-guest-amd-ryzen7-2700x-no-svm.cpuinfo": ("masked", "unknown", "HW-VTX-MASKED"),
    "cpuinfo/pine64-aarch64-cortex-a53-android.cpuinfo": ("unknown", "unknown", "HW-VTX-FLAG"),
    "cpuinfo/qemu-virtual-cpu-amd-guest-svm.cpuinfo": ("supported", "unknown", "HW-VTX-FLAG"),
    # SOURCES.md: no DMAR table because VT-d is off in the BIOS. The log names neither the CPU
    # nor a chipset the catalogue knows, so the service cannot tell "off" from "absent": a
    # missing table is `unknown` here, never `unsupported` (that needs a spec fact).
    "dmesg/asus-prime-z270a-kabylake-no-dmar-table-vtd-off.dmesg": (
        "unknown",
        "unknown",
        "HW-VTX-FLAG",
    ),
    # DMAR present, but the excerpt ends before intel_iommu_init: not provably off.
    "dmesg/honor-magicbook14-2026-core-ultra-ptl-kernel6.17-journal-kernel-prefix.dmesg": (
        "unknown",
        "unknown",
        "HW-VTX-FLAG",
    ),
    "dmesg/msi-ms7721-amd-a8-6500-ivrs-amdvi-enabled.dmesg": (
        "unknown",
        "supported",
        "HW-VTX-FLAG",
    ),
    "dmesg/proxmox-ryzen7-5700u-amdvi-unknown-option-on-iommu-pt.dmesg": (
        "unknown",
        "supported",
        "HW-VTX-FLAG",
    ),
    "dmesg/surface-book-i5-6300u-dmar-irq-remap-only-no-intel_iommu.dmesg": (
        "unknown",
        "unknown",
        "HW-VTX-FLAG",
    ),
    "dmesg/thinkpad-21bv-alderlake-nixos-6.18-acpi-table-list-dmar.dmesg": (
        "unknown",
        "unknown",
        "HW-VTX-FLAG",
    ),
    # SOURCES.md: VT-x and VT-d both off in firmware. 'kvm: disabled by bios' proves the VT-x
    # lock; the missing DMAR table is `unknown` for the same reason as the Z270 above.
    "dmesg/thinkpad-x240-haswell-no-dmar-table-kvm-disabled-by-bios.dmesg": (
        "disabled",
        "unknown",
        "HW-VTX-BIOS-DISABLED",
    ),
    "dmesg/virtualbox-guest-kvm-paravirt-pentium-g640-no-iommu.dmesg": (
        "unknown",
        "masked",
        "HW-VTX-FLAG",
    ),
}


def test_every_corpus_sample_has_an_expectation() -> None:
    samples = {
        f"{p.parent.name}/{p.name}"
        for kind in ("cpuinfo", "dmesg")
        for p in (DATA / kind).glob(f"*.{kind}")
    }
    assert samples == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_sample_diagnosis(db_session: Session, name: str) -> None:
    kind = name.split("/", 1)[0]
    text = (DATA / name).read_text(encoding="utf-8", errors="replace")
    _, _, caps = diagnose(load_snapshot(db_session), {kind: text}, "salt", "probe")
    vtx, vtd, rule = EXPECTED[name]
    assert (caps["vtx"].status.value, caps["vtd"].status.value) == (vtx, vtd)
    deciding = [
        r.rule for r in caps["vtx"].reasons if not r.advisory and r.status == caps["vtx"].status
    ]
    assert deciding and deciding[0] == rule


def test_full_log_without_activation_line_is_disabled(db_session: Session) -> None:
    log = "\n".join(
        [
            "[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1",
            "[    0.010000] ACPI: DMAR 0x000000008E002000 000088 (v02 LENOVO TP-N3M 1 PTEC 2)",
            "[    0.050000] DMAR: Host address width 39",
            "[    1.500000] Run /init as init process",
        ]
    )
    _, _, caps = diagnose(load_snapshot(db_session), {"dmesg": log}, "salt", "probe")
    kernel = [r for r in caps["vtd"].reasons if r.rule == "HW-VTD-KERNEL"]
    assert kernel and kernel[0].status.value == "disabled"
    assert kernel[0].hint == {"kernel_cmdline_add": "intel_iommu=on"}

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
    # Bare-metal Alder Lake with vmx: VT-x from the flag; nothing here shows an IOMMU.
    "cpuinfo/intel-core-i5-12400-alderlake-baremetal-vmx-ept.cpuinfo": (
        "supported",
        "unknown",
        "HW-VTX-FLAG",
    ),
    "cpuinfo/intel-core-i7-2600-baremetal.cpuinfo": ("supported", "unknown", "HW-VTX-FLAG"),
    # No vmx, but no kernel release either: a BIOS lock (>= 5.6) cannot be ruled out.
    "cpuinfo/intel-xeon-netburst-2.40-novmx.cpuinfo": ("unknown", "unknown", "HW-VTX-FLAG"),
    "cpuinfo/kvm-guest-amd-ryzen7-2700x-no-svm.cpuinfo": ("masked", "unknown", "HW-VTX-MASKED"),
    "cpuinfo/pine64-aarch64-cortex-a53-android.cpuinfo": ("unknown", "unknown", "HW-VTX-FLAG"),
    "cpuinfo/qemu-virtual-cpu-amd-guest-svm.cpuinfo": ("supported", "unknown", "HW-VTX-FLAG"),
    # SOURCES.md: no DMAR table because VT-d is off in the BIOS. The log's own smpboot line
    # names a Celeron G3930 (family 6 model 0x9e: Kaby Lake, launched Q1'17; ARK lists VT-d
    # "Yes"). The catalogue has no row for it, but HW-INFER-INTEL-VTD covers it (every
    # Pentium/Celeron G launched 2016 or later has VT-d, in the CPU package), so the missing
    # table is `disabled` at low confidence, citing that rule.
    "dmesg/asus-prime-z270a-kabylake-no-dmar-table-vtd-off.dmesg": (
        "unknown",
        "disabled",
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
    # lock. The smpboot line names an i5-4300U (Haswell): ARK's export (IntelCorei5-23.csv)
    # gives it VT-d, so the missing DMAR table means the BIOS switched it off.
    "dmesg/thinkpad-x240-haswell-no-dmar-table-kvm-disabled-by-bios.dmesg": (
        "disabled",
        "disabled",
        "HW-VTX-BIOS-DISABLED",
    ),
    # The guest's CPU is a Pentium G640, which has no VT-d at all (ARK record 53486,
    # seed/sources/intel-cpu-database: "VT-d No"), so not merely masked by the hypervisor.
    "dmesg/virtualbox-guest-kvm-paravirt-pentium-g640-no-iommu.dmesg": (
        "unknown",
        "unsupported",
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


def test_guest_cpu_with_svm_but_no_npt_is_masked(db_session: Session) -> None:
    # SOURCES.md: "QEMU Virtual CPU version 2.5+" with `hypervisor` and `svm` but no `npt`.
    # Its family 0xf model 0x6b is qemu64's made-up signature (a K8 on paper), so neither the
    # missing flag nor the signature says anything of the host: the hypervisor hides NPT.
    name = "cpuinfo/qemu-virtual-cpu-amd-guest-svm.cpuinfo"
    text = (DATA / name).read_text(encoding="utf-8")
    _, _, caps = diagnose(load_snapshot(db_session), {"cpuinfo": text}, "salt", "probe")
    assert caps["slat"].status.value == "masked"
    assert [r.rule for r in caps["slat"].reasons if not r.advisory] == ["HW-SLAT-CPU"]


def test_host_cpu_with_vmx_but_no_ept_stays_unsupported(db_session: Session) -> None:
    # The same flags on bare metal are the silicon's own word (a Core 2 has vmx, no ept).
    info = "\n".join(
        [
            "processor\t: 0",
            "vendor_id\t: GenuineIntel",
            "cpu family\t: 6",
            "model\t\t: 42",
            "model name\t: Intel(R) Core(TM) i5-2400 CPU @ 3.10GHz",
            "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge vmx sse sse2",
            "",
        ]
    )
    _, _, caps = diagnose(load_snapshot(db_session), {"cpuinfo": info}, "salt", "probe")
    assert caps["slat"].status.value == "unsupported"


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


# file -> the ARK export whose explicit "Intel VT-d: Yes" row is the CPU layer of a CPU the
# log names only in its smpboot line (both read in the CSVs under seed/sources/intel-ark-2023).
LOGGED_CPU_ARK = {
    # 'smpboot: CPU0: Intel(R) Celeron(R) CPU G3930 @ 2.90GHz'
    "dmesg/asus-prime-z270a-kabylake-no-dmar-table-vtd-off.dmesg": "IntelCeleronG.csv",
    # 'smpboot: CPU0: Intel(R) Core(TM) i5-4300U CPU @ 1.90GHz'
    "dmesg/thinkpad-x240-haswell-no-dmar-table-kvm-disabled-by-bios.dmesg": "IntelCorei5-23.csv",
}


@pytest.mark.parametrize("name", sorted(LOGGED_CPU_ARK))
def test_logged_cpu_vtd_layer_is_the_ark_record(db_session: Session, name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8", errors="replace")
    _, _, caps = diagnose(load_snapshot(db_session), {"dmesg": text}, "salt", "probe")
    cpu = [r for r in caps["vtd"].reasons if r.layer.value == "cpu"]
    assert [(r.rule, r.status.value) for r in cpu] == [("HW-VTD-CPU", "supported")]
    assert LOGGED_CPU_ARK[name] in cpu[0].evidence[0].source
    # Known VT-d silicon with no DMAR table: the BIOS switched it off.
    assert caps["vtd"].status.value == "disabled"

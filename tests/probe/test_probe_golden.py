"""Parsed facts of every corpus sample against reviewed golden files.

Regenerate with ``VIRTCOMPAT_REGEN_GOLDEN=1 .venv/bin/pytest tests/probe/test_probe_golden.py``
and review the diff against the sample and its SOURCES.md. The key facts each golden file was
reviewed for are also pinned below, so a careless regeneration cannot quietly change them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from virtcompat.probe import parse_cpuinfo, parse_kernel_log

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"
GOLDEN = DATA / "golden"
REGEN = os.environ.get("VIRTCOMPAT_REGEN_GOLDEN") == "1"
SAMPLES = sorted((DATA / "cpuinfo").glob("*.cpuinfo")) + sorted((DATA / "dmesg").glob("*.dmesg"))


def _facts(sample: Path) -> dict[str, Any]:
    data = sample.read_bytes()
    result = parse_cpuinfo(data) if sample.suffix == ".cpuinfo" else parse_kernel_log(data)
    # Round-trip through JSON so tuples and lists compare equal to the stored file.
    loaded: dict[str, Any] = json.loads(json.dumps(result.as_dict()))
    return loaded


def test_corpus_is_complete() -> None:
    assert len(SAMPLES) == 19
    assert (DATA / "cpuinfo" / "SOURCES.md").is_file()
    assert (DATA / "dmesg" / "SOURCES.md").is_file()


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_parse_matches_golden(sample: Path) -> None:
    golden = GOLDEN / f"{sample.name}.json"
    facts = _facts(sample)
    if REGEN:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    assert golden.is_file(), f"missing {golden.name}: run with VIRTCOMPAT_REGEN_GOLDEN=1"
    assert json.loads(golden.read_text()) == facts


# The facts each sample was reviewed for (SOURCES.md "what it shows").
CPUINFO_FACTS: dict[str, dict[str, Any]] = {
    "amd-ryzen7-2700x-baremetal-svm-npt.cpuinfo": dict(
        arch="x86", vendor="amd", family=23, model=8, stepping=2, logical_cpus=16,
        has_svm=True, has_npt=True, has_vmx=False, hypervisor=False, vmx_flags=None,
    ),
    "aws-ec2-xeon-8259cl-guest.cpuinfo": dict(
        vendor="intel", model=85, logical_cpus=2, hypervisor=True, has_vmx=False, has_svm=False,
    ),
    "azure-guest-xeon-e5-2673v3.cpuinfo": dict(
        vendor="intel", model=63, logical_cpus=1, hypervisor=True, has_vmx=False,
        microcode="0xffffffff",
    ),
    "digitalocean-guest-nested-vmx-vmxflags.cpuinfo": dict(
        hypervisor=True, has_vmx=True, has_ept=True, has_vpid=True,
        has_unrestricted_guest=True, model_name="DO-Regular",
    ),
    "intel-celeron-j1900-baytrail-vmx-ept.cpuinfo": dict(
        logical_cpus=4, has_vmx=True, has_ept=True, hypervisor=False, vmx_flags=None,
        has_unrestricted_guest=None,
    ),
    "intel-core-i5-12400-alderlake-baremetal-vmx-ept.cpuinfo": dict(
        vendor="intel", family=6, model=151, stepping=5, logical_cpus=12, has_vmx=True,
        has_ept=True, has_vpid=True, has_unrestricted_guest=True, hypervisor=False,
        model_name="12th Gen Intel(R) Core(TM) i5-12400",
    ),
    "intel-core-i7-2600-baremetal.cpuinfo": dict(
        family=6, model=42, stepping=7, logical_cpus=8, has_vmx=True, has_ept=True,
        has_smx=True, hypervisor=False,
    ),
    "intel-xeon-netburst-2.40-novmx.cpuinfo": dict(
        family=15, model=2, logical_cpus=1, has_vmx=False, has_lm=False, hypervisor=False,
        microcode=None,
    ),
    "kvm-guest-amd-ryzen7-2700x-no-svm.cpuinfo": dict(
        vendor="amd", logical_cpus=1, hypervisor=True, has_svm=False, has_npt=False,
    ),
    "pine64-aarch64-cortex-a53-android.cpuinfo": dict(
        arch="aarch64", vendor=None, logical_cpus=1, has_vmx=False, has_svm=False,
        model_name="AArch64 Processor rev 4 (aarch64)",
    ),
    "qemu-virtual-cpu-amd-guest-svm.cpuinfo": dict(
        vendor="amd", family=15, model=107, hypervisor=True, has_svm=True, has_npt=False,
        logical_cpus=2,
    ),
}  # fmt: skip

DMESG_FACTS: dict[str, dict[str, Any]] = {
    "asus-prime-z270a-kabylake-no-dmar-table-vtd-off.dmesg": dict(
        kernel_release="4.16.3+", acpi_table_list_seen=True, dmar_table_seen=False,
        iommu_active=False, kvm_disabled_by_bios=False,
    ),
    "honor-magicbook14-2026-core-ultra-ptl-kernel6.17-journal-kernel-prefix.dmesg": dict(
        kernel_release="6.17.0-14-generic", log_format="journal", dmar_table_seen=True,
        irq_remapping_enabled=True, iommu_active=False, iommu_cmdline_echo=False,
        cpu_model=0xCC,
    ),
    "msi-ms7721-amd-a8-6500-ivrs-amdvi-enabled.dmesg": dict(
        kernel_release="4.4.5-1-ARCH", ivrs_table_seen=True, iommu_active=True,
        irq_remapping_enabled=True, dmar_table_seen=False, iommu_groups_logged=10,
    ),
    "proxmox-ryzen7-5700u-amdvi-unknown-option-on-iommu-pt.dmesg": dict(
        kernel_release=None, ivrs_table_seen=True, iommu_active=True,
        iommu_passthrough_default=True, irq_remapping_enabled=True, firmware_bugs=[],
    ),
    "surface-book-i5-6300u-dmar-irq-remap-only-no-intel_iommu.dmesg": dict(
        dmar_table_seen=True, irq_remapping_enabled=True, iommu_active=False,
        iommu_cmdline_echo=False, kernel_release="4.4.0-21-generic",
    ),
    "thinkpad-21bv-alderlake-nixos-6.18-acpi-table-list-dmar.dmesg": dict(
        kernel_release="6.18.2", dmar_table_seen=True, iommu_active=False,
        irq_remapping_enabled=False,
    ),
    "thinkpad-x240-haswell-no-dmar-table-kvm-disabled-by-bios.dmesg": dict(
        kernel_release="3.13.6-1-ARCH", kvm_disabled_by_bios=True, dmar_table_seen=False,
        acpi_table_list_seen=True, iommu_active=False, kvm_no_hw_support=False,
    ),
    "virtualbox-guest-kvm-paravirt-pentium-g640-no-iommu.dmesg": dict(
        hypervisor_detected=True, hypervisor_name="KVM",
        hypervisor_names=["KVM", "VirtualBox"], dmar_table_seen=False, ivrs_table_seen=False,
        iommu_active=False,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CPUINFO_FACTS))
def test_cpuinfo_reviewed_facts(name: str) -> None:
    facts = _facts(DATA / "cpuinfo" / name)
    for key, expected in CPUINFO_FACTS[name].items():
        assert facts[key] == expected, key


@pytest.mark.parametrize("name", sorted(DMESG_FACTS))
def test_dmesg_reviewed_facts(name: str) -> None:
    facts = _facts(DATA / "dmesg" / name)
    for key, expected in DMESG_FACTS[name].items():
        assert facts[key] == expected, key


def test_every_sample_has_reviewed_facts() -> None:
    assert {p.name for p in SAMPLES} == set(CPUINFO_FACTS) | set(DMESG_FACTS)


def test_x240_event_is_the_kvm_line() -> None:
    name = "thinkpad-x240-haswell-no-dmar-table-kvm-disabled-by-bios.dmesg"
    log = parse_kernel_log((DATA / "dmesg" / name).read_bytes())
    assert [(e.code, e.line_no, e.era) for e in log.events] == [
        ("kvm.disabled_by_bios", 47, "2.6.20 .. ~v5.15")
    ]


def test_proxmox_reports_the_invalid_amd_iommu_option() -> None:
    name = "proxmox-ryzen7-5700u-amdvi-unknown-option-on-iommu-pt.dmesg"
    log = parse_kernel_log((DATA / "dmesg" / name).read_bytes())
    (event,) = log.events_for("amdvi.unknown_option")
    assert event.get("value") == "on"
    assert log.cmdline is not None and "amd_iommu=on iommu=pt" in log.cmdline

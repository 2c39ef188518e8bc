"""Kernel log parser: every facts-file pattern, every log format, the summary semantics."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from virtcompat.probe import EVENT_CODES, EVENT_SPECS, parse_kernel_log

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"

# printf conversions of the facts files -> a plausible rendered value.
_PRINTF = [
    ("%#016Lx", "0x000000fed90000"),
    ("%#018Lx", "0x000000003e2e0000"),
    ("%#x", "0x1"),
    ("%llx", "fed90000"),
    ("%02x", "00"),
    ("%d", "0"),
    ("%x", "0"),
    ("%s", "X"),
]


def _render(pattern: str) -> str:
    for spec, value in _PRINTF:
        pattern = pattern.replace(spec, value)
    return (
        pattern.replace("[n]", "[4]")
        .replace("x2apic|xapic", "x2apic")
        .replace(", ...", ", not supported by this CPU")
    )


def _lines(cell: str) -> list[str]:
    return [_render(part.strip()) for part in re.split(r" / | \| | -> ", cell) if part.strip()]


# Row of dmesg_patterns.csv (0-based, header excluded) -> the codes its lines must produce.
PATTERN_CODES: dict[int, set[str]] = {
    0: {"dmar.remapping_active"},
    1: {"dmar.remapping_active"},
    2: {"dmar.cmdline_enabled_echo"},
    3: {"dmar.cmdline_enabled_echo"},
    4: {"dmar.cmdline_disabled"},
    5: {"dmar.platform_optin_forced"},
    6: {"dmar.tboot_forced"},
    7: {"dmar.table_present"},
    8: {"dmar.no_devices", "dmar.table_parse_failed"},
    9: {"dmar_ir.enabled"},
    10: {"amdvi.found_iommu", "amdvi.passthrough_mode"},
    11: {"amdvi.found_iommu"},
    12: {"amdvi.ir_enabled", "amdvi.lazy_flush", "amdvi.perf_counters"},
    13: {"amdvi.ivrs_ioapic_missing"},
    14: {"amdvi.no_southbridge_ioapic", "amdvi.ir_disabled"},
    15: {"kvm.no_hardware_support"},
    16: {"kvm.disabled_by_bios"},
    17: {"kvm.no_hardware_support", "kvm.disabled_by_bios"},
    18: {"kvm_intel.vmx_unsupported", "kvm_intel.vmx_disabled_by_bios"},
    19: {"kvm_amd.svm_unsupported", "kvm_amd.svm_disabled_by_bios"},
    20: {"x86cpu.vmx_disabled_by_bios"},
    21: {"svm.disabled_by_bios"},
    22: {"kvm.txt_disable"},
}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_pattern_table_rows_are_all_mapped() -> None:
    assert set(PATTERN_CODES) == set(range(len(_rows("dmesg_patterns.csv"))))


@pytest.mark.parametrize("row", sorted(PATTERN_CODES))
@pytest.mark.parametrize("prefix", ["", "[    1.370253] ", "Apr 23 20:21:52 host kernel: "])
def test_every_dmesg_pattern_is_recognised(row: int, prefix: str) -> None:
    cell = _rows("dmesg_patterns.csv")[row]["pattern"]
    codes: set[str] = set()
    for line in _lines(cell):
        log = parse_kernel_log(prefix + line + "\n")
        assert len(log.events) == 1, (line, log.events)
        codes.add(log.events[0].code)
        assert log.events[0].line_no == 1
    assert codes == PATTERN_CODES[row], cell


QUIRK_CODES: dict[str, str] = {
    "Forcing write-buffer flush capability": "dmar.quirk_rwbf",
    "Disabling IOMMU for graphics on this chipset": "dmar.quirk_igfx_disabled",
    "BIOS has allocated no shadow GTT": "dmar.quirk_calpella_no_shadow_gtt",
    "Disabling batched IOTLB flush on Ironlake": "dmar.quirk_ironlake_batched_flush",
    "Skip IOMMU disabling for graphics": "dmar.quirk_igfx_skip_te_disable",
    "DMA routed to ISOCH DMAR unit": "firmware_bug.tylersburg_isoch_no_tlb",
    "Recommended TLB entries": "dmar.tylersburg_isoch_tlb",
    "contains an erratum": "dmar_ir.erratum_disabled",
    "incorrect VT-d unit": "firmware_bug.ioat_snb_vtd_unit",
    "returns all ones": "firmware_bug.dmar_all_ones",
    "address 0!": "firmware_bug.dmar_bad_address",
    "bad RMRR": "firmware_bug.dmar_bad_rmrr",
    "RHSA refers": "firmware_bug.dmar_rhsa_bad_unit",
    "ANDD object name": "firmware_bug.dmar_andd_name",
    "No DRHD structure": "firmware_bug.dmar_no_drhd",
    "Invalid DMAR haw": "firmware_bug.dmar_invalid_haw",
    "is broken - applying workaround": "firmware_bug.dmar_rmrr_entry_broken",
}


def _quirk_lines() -> list[str]:
    lines = []
    for row in _rows("kernel_quirks.csv"):
        message = row["kernel_message"]
        if message.startswith("("):
            continue  # "(silent)", "(n/a)"
        for part in _lines(message):
            if part.startswith("...address 0!"):
                part = "[Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!"
            lines.append(part)
    return lines


@pytest.mark.parametrize("line", _quirk_lines())
def test_every_kernel_quirk_message_is_recognised(line: str) -> None:
    expected = [code for key, code in QUIRK_CODES.items() if key in line]
    assert expected, f"no expectation for {line!r}"
    log = parse_kernel_log(f"[    0.420000] DMAR: {line}\n")
    assert [e.code for e in log.events] == expected[:1]


def test_bios_identity_line_after_a_broken_bios_warning() -> None:
    log = parse_kernel_log(
        "[    0.1] DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x3e2e0000-0x3e2fffff]\n"
        "[    0.1] BIOS vendor: American Megatrends Inc.; Ver: 0061; Product Version: DQ45CB\n"
    )
    assert [e.code for e in log.events] == [
        "firmware_bug.dmar_bad_rmrr",
        "firmware_bug.bios_identity",
    ]
    assert log.events[1].get("version") == "0061"
    assert log.firmware_bugs == ("firmware_bug.bios_identity", "firmware_bug.dmar_bad_rmrr")
    assert log.dmar_table_seen


def test_event_specs_cover_every_code() -> None:
    assert EVENT_CODES == set(EVENT_SPECS)
    for spec in EVENT_SPECS.values():
        assert spec.meaning and spec.source


@pytest.mark.parametrize(
    ("line", "fmt"),
    [
        ("kvm: disabled by bios", "plain"),
        ("[    1.370253] kvm: disabled by bios", "dmesg"),
        ("[Mon Apr 23 20:21:52 2018] kvm: disabled by bios", "dmesg-T"),
        ("Apr 23 20:21:52 myhost kernel: kvm: disabled by bios", "journal"),
        ("Apr  3 20:21:52 myhost kernel: kvm: disabled by bios", "journal"),
        # /var/log/kern.log: syslog's stamp, then the kernel's own
        ("Sep 15 07:15:15 webapps kernel: [    0.438529] kvm: disabled by bios", "journal"),
        ("2018-04-23T20:21:52+0200 myhost kernel: kvm: disabled by bios", "journal"),
        ("[    1.370253] myhost kernel: kvm: disabled by bios", "journal"),
        ("[    1.370253] kernel: kvm: disabled by bios", "journal"),
        ("<4>[    1.370253] kvm: disabled by bios", "dmesg"),
        ("kern  :warn  : [    1.370253] kvm: disabled by bios", "dmesg-x"),
        ("2018-04-23T20:21:52,123456+02:00 kvm: disabled by bios", "iso"),
        ("[    1.370253] kvm: disabled by bios\r", "dmesg"),
        ("Apr 23 20:21:52 <redacted:host:0a1b2c3d> kernel: kvm: disabled by bios", "journal"),
        ("Apr 23 20:21:52 <redacted:host> kernel: kvm: disabled by bios", "journal"),
    ],
)
def test_log_prefixes(line: str, fmt: str) -> None:
    log = parse_kernel_log(line + "\n")
    assert log.kvm_disabled_by_bios
    assert log.log_format == fmt
    assert log.events[0].text == "kvm: disabled by bios"


def test_cmdline_echo_is_not_activation() -> None:
    log = parse_kernel_log(
        "[    0.0] Linux version 5.4.0 (x@y) #1\n"
        "[    0.0] Kernel command line: root=/dev/sda1 intel_iommu=on\n"
        "[    0.0] DMAR: IOMMU enabled\n"
        "[    0.1] DMAR: Host address width 39\n"
    )
    assert log.iommu_cmdline_echo
    assert log.dmar_table_seen
    assert not log.iommu_active


def test_remapping_line_is_activation() -> None:
    for line in (
        "DMAR: Intel(R) Virtualization Technology for Directed I/O",
        "PCI-DMA: Intel(R) Virtualization Technology for Directed I/O",
        "pci 0000:00:00.2: AMD-Vi: Found IOMMU cap 0x40",
        "AMD-Vi: Found IOMMU at 0000:00:00.2 cap 0x40",
        "AMD-Vi: Initialized for Passthrough Mode",
        "pci 0000:00:02.0: Adding to iommu group 1",
    ):
        assert parse_kernel_log(f"[    0.8] {line}\n").iommu_active, line


def test_eras_distinguish_spellings() -> None:
    def era(line: str) -> str:
        return parse_kernel_log(line).events[0].era

    assert "2.6.20" in era("kvm: no hardware support")
    assert "5.16" in era("kvm: no hardware support for 'kvm_intel'")
    assert "6.2+" in era("no hardware support for 'kvm_amd'")
    assert "6.3" in era("kvm_intel: VMX not supported by CPU 3")
    assert "intermediate" in era("kvm_intel: CPU doesn't support VMX")
    assert "4.1" in era("Intel-IOMMU: enabled")
    assert "older" in era("[Firmware Bug]: AMD-Vi: IOAPIC[4] not in IVRS table")
    assert "newer" in era("AMD-Vi: [Firmware Bug]: : IOAPIC[4] not in IVRS table")


def test_vendor_and_cpu_details() -> None:
    log = parse_kernel_log("kvm: support for 'kvm_amd' disabled by bios\n")
    assert log.events[0].get("vendor") == "kvm_amd"
    log = parse_kernel_log("kvm_amd: SVM disabled (by BIOS) in MSR_VM_CR on CPU 7\n")
    assert log.events[0].code == "kvm_amd.svm_disabled_by_bios"
    assert log.events[0].get("cpu") == "7"
    assert log.kvm_disabled_by_bios and not log.svm_disabled_by_bios
    log = parse_kernel_log("SVM disabled (by BIOS) in MSR_VM_CR\n")
    assert log.svm_disabled_by_bios and not log.kvm_disabled_by_bios
    log = parse_kernel_log("x86/cpu: VMX (outside TXT) disabled by BIOS\n")
    assert log.vmx_disabled_by_bios
    assert log.events[0].get("txt") == "outside"


def test_other_uses_of_disabled_by_bios_are_not_kvm() -> None:
    log = parse_kernel_log("[    0.1] x86/cpu: SGX disabled by BIOS.\n")
    assert not log.kvm_disabled_by_bios
    assert log.events == ()


def test_hypervisor_detection() -> None:
    log = parse_kernel_log("[    0.0] Booting paravirtualized kernel on bare hardware\n")
    assert not log.hypervisor_detected
    assert log.codes == {"hypervisor.bare_hardware"}
    log = parse_kernel_log(
        "[    0.0] Booting paravirtualized kernel on Xen\n[    0.0] Xen version: 4.17.3\n"
    )
    assert log.hypervisor_names == ("Xen",)
    log = parse_kernel_log(
        "[    0.0] DMI: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2 04/01/2014\n"
    )
    assert log.hypervisor_name == "QEMU"
    log = parse_kernel_log(
        "[    0.0] DMI: Amazon EC2 m5.metal/Not Specified, BIOS 1.0 10/16/2017\n"
    )
    assert not log.hypervisor_detected


def test_multiple_boots_summarise_the_last() -> None:
    log = parse_kernel_log(
        "[    0.0] Linux version 5.4.0-1 (a@b) #1\n"
        "[    1.3] kvm: disabled by bios\n"
        "[    0.0] Linux version 5.4.0-2 (a@b) #1\n"
        "[    0.5] DMAR: Intel(R) Virtualization Technology for Directed I/O\n"
    )
    assert log.boots == 2
    assert log.kernel_release == "5.4.0-2"
    assert not log.kvm_disabled_by_bios
    assert log.iommu_active
    assert log.event_counts["kvm.disabled_by_bios"] == 1
    assert [e.boot for e in log.events] == [0, 1]
    assert any("2 boots" in w for w in log.warnings)


def test_group_lines_are_counted_not_listed() -> None:
    text = "".join(
        f"[    0.4] pci 0000:00:{n % 32:02x}.{n % 8}: Adding to iommu group {n % 50}\n"
        for n in range(1000)
    )
    log = parse_kernel_log(text)
    assert len(log.events_for("iommu.group_added")) == 1
    assert log.event_counts["iommu.group_added"] == 1000
    assert log.iommu_groups_logged == 50


def test_events_per_code_are_capped() -> None:
    log = parse_kernel_log("[Firmware Bug]: something\n" * 500)
    assert len(log.events) == 32
    assert log.event_counts["firmware_bug.other"] == 500
    assert log.firmware_bugs == ()


def test_kept_text_is_redacted() -> None:
    log = parse_kernel_log(
        "[    0.0] Command line: root=UUID=864c54c6-961a-4ad9-8c23-35eb8e0f24fb ro\n"
        "[    2.0] [Firmware Bug]: e1000e eth0 d4:be:d9:12:34:56 is odd\n",
        salt="s",
    )
    assert log.cmdline is not None and "864c54c6" not in log.cmdline
    assert "<redacted:uuid:" in log.cmdline
    assert "d4:be:d9" not in log.events[0].text
    assert "<redacted:mac:" in log.events[0].text


def test_acpi_table_list_formats() -> None:
    log = parse_kernel_log(
        "ACPI: DMAR 0x000000008BFD0000 000138 (v01 MSFT   MSFT     00000001 INTL 00000001)\n"
        "ACPI: IVRS 00000000dcefe014 000070 (v02 AMD    ANNAPURN 00000001 AMD  00000000)\n"
        "ACPI: FACP CFF4D000, 00F4 (r4 INTEL  DQ45CB   0000005A MSFT 01000013)\n"
        "ACPI: Reserving TPM2 table memory at [mem 0x8f893000-0x8f89304b]\n"
        "ACPI: Local APIC address 0xfee00000\n"
        "ACPI: 10 ACPI AML tables successfully acquired and loaded\n"
    )
    assert log.acpi_tables == ("DMAR", "IVRS", "FACP", "TPM2")
    assert log.dmar_table_seen and log.ivrs_table_seen and log.acpi_table_list_seen


def test_xen_console_lines() -> None:
    log = parse_kernel_log(
        "(XEN) HVM: VMX enabled\n"
        "(XEN) HVM: Hardware Assisted Paging (HAP) detected\n"
        "(XEN) I/O virtualisation enabled\n"
        "(XEN) Intel VT-d Interrupt Remapping enabled.\n"
    )
    assert log.codes == {
        "xen.hvm_enabled",
        "xen.hap_enabled",
        "xen.iommu_enabled",
        "xen.intremap_enabled",
    }


def test_smpboot_cpu_line() -> None:
    log = parse_kernel_log(
        "[    0.05] smpboot: CPU0: Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz "
        "(family: 0x6, model: 0x4e, stepping: 0x3)\n"
    )
    assert (log.cpu_family, log.cpu_model, log.cpu_stepping) == (6, 0x4E, 3)
    assert log.cpu_model_name == "Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz"


@pytest.mark.parametrize(
    ("line", "name", "signature"),
    [
        # 2.6.32 (RHEL 6): print_cpu_info() after a bare "CPU0: ", brand and stepping only
        (
            "CPU0: Intel(R) Xeon(R) CPU           X3440  @ 2.53GHz stepping 05",
            "Intel(R) Xeon(R) CPU X3440 @ 2.53GHz",
            (None, None, 5),
        ),
        (
            "[    0.265595] CPU0: Dual-Core AMD Opteron(tm) Processor 2220 SE stepping 02",
            "Dual-Core AMD Opteron(tm) Processor 2220 SE",
            (None, None, 2),
        ),
        (
            "Sep 15 07:15:15 webapps kernel: [    0.438529] CPU0: Quad-Core AMD Opteron(tm) "
            "Processor 8347 HE stepping 03",
            "Quad-Core AMD Opteron(tm) Processor 8347 HE",
            (None, None, 3),
        ),
        # 3.x before the "smpboot: " prefix: the (fam: ...) form after a bare "CPU0: "
        (
            "[    0.14] CPU0: Intel(R) Core(TM) i7 CPU 920 @ 2.67GHz (fam: 06, model: 1a, "
            "stepping: 04)",
            "Intel(R) Core(TM) i7 CPU 920 @ 2.67GHz",
            (6, 0x1A, 4),
        ),
    ],
)
def test_old_cpu0_line(line: str, name: str, signature: tuple[int | None, ...]) -> None:
    log = parse_kernel_log("CPU0: Thermal monitoring enabled (TM1)\n" + line + "\n")
    assert log.cpu_model_name == name
    assert (log.cpu_family, log.cpu_model, log.cpu_stepping) == signature


@pytest.mark.parametrize(
    "line",
    [
        "CPU0: Thermal monitoring enabled (TM2)",
        "CPU0: thread -1, cpu 0, socket 0, mpidr 80000000",  # arm
        "CPU0: " + "x" * 500 + " stepping 05",
        "CPU0: \x00\ufffd stepping zz",
        "CPU0:  stepping 05",
    ],
)
def test_cpu0_lines_that_name_no_cpu(line: str) -> None:
    log = parse_kernel_log(line + "\n")
    assert log.cpu_model_name is None and log.cpu_stepping is None


@pytest.mark.parametrize("data", [b"", "", None, 42, b"\xff\xfe\x00garbage", ["kvm: no"]])
def test_odd_inputs(data: object) -> None:
    log = parse_kernel_log(data)
    assert log.events == ()
    assert not log.iommu_active


def test_invalid_utf8_is_replaced_and_reported() -> None:
    log = parse_kernel_log(b"[    1.0] kvm: disabled by bios\n[    1.1] \xff\xfe odd\n")
    assert log.kvm_disabled_by_bios
    assert any("UTF-8" in w for w in log.warnings)


def test_oversized_log_is_truncated_with_a_warning() -> None:
    big = b"[    1.0] kvm: disabled by bios\n" + b"x" * (5 << 20)
    log = parse_kernel_log(big)
    assert log.kvm_disabled_by_bios
    assert any("truncated" in w for w in log.warnings)

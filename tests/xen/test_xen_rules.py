"""One config that makes each XEN rule fire, and a close neighbour that keeps it quiet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.xen.conftest import XEN_DATA
from virtcompat.capability import Capability
from virtcompat.xen import rules as R
from virtcompat.xen import validate as V
from virtcompat.xen.rules import XEN_RULES
from virtcompat.xen.validate import ValidationResult, validate_config

HostFactory = Callable[..., dict[str, Capability]]

XL_PV = 'name = "g"\nkernel = "/boot/vmlinuz"\n'
XL_HVM = 'name = "g"\ntype = "hvm"\n'
XM_PV = "kernel = '/boot/vmlinuz'\non_crash = 'restart'\n"
XM_HVM = "builder = 'hvm'\non_crash = 'restart'\n"


@dataclass(frozen=True)
class Case:
    rule: str
    fmt: str
    config: str | bytes
    version: str | None = None
    host: dict[str, str] | None = field(default=None)
    severity: str | None = None  # expected severity of the finding, when it matters


FIRE: list[Case] = [
    Case("XEN-FMT-001", "xl", XL_PV + "memory = 512 vcpus = 2\n"),
    Case("XEN-FMT-002", "xm", XM_PV + "import os\n"),
    Case("XEN-FMT-003", "xl", XL_PV + "memory = 256\nmemory = 512\n", severity="warning"),
    Case("XEN-FMT-004", "xl", XL_PV + "memroy = 512\n", severity="warning"),
    Case("XEN-FMT-005", "xl", XL_PV + "Memory = 512\n"),
    Case("XEN-FMT-006", "xl", XL_PV + 'extra = "a\\qb"\n'),
    Case("XEN-FMT-007", "xl", XL_PV + 'memory = "lots"\n'),
    Case("XEN-FMT-008", "xm", XM_HVM + "acpi = False\n", severity="warning"),
    Case("XEN-FMT-009", "xl", XL_PV + 'extra = "a"\nextra += " b"\n', version="4.12"),
    Case("XEN-FMT-010", "xl", XL_PV + "extra = '" + "x" * 5000 + "'\n"),
    Case("XEN-FMT-011", "xl", XL_PV.encode() + b'extra = "caf\xe9"\n', severity="warning"),
    Case("XEN-FMT-012", "xl", XL_PV + "vcpu_avail = 3\n", severity="warning"),
    Case("XEN-VER-001", "xm", XM_PV, version="4.5"),
    Case("XEN-VER-002", "xl", XL_PV + "localtime = 1\n", version="4.1"),
    Case("XEN-VER-003", "xl", XL_HVM + "stdvga = 1\n", version="4.3", severity="info"),
    Case("XEN-NAME-001", "xl", 'kernel = "/boot/vmlinuz"\n'),
    Case("XEN-VAL-001", "xl", XL_HVM + 'vga = "vesa"\n'),
    Case("XEN-TYPE-001", "xl", XL_PV + 'type = "h"\n'),
    Case("XEN-TYPE-002", "xl", 'name = "g"\nbuilder = "hvm"\n', severity="info"),
    Case("XEN-TYPE-003", "xl", 'name = "g"\n'),
    Case("XEN-TYPE-004", "xm", XM_PV + "acpi = 1\n", severity="warning"),
    Case("XEN-TYPE-005", "xl", XL_HVM + 'device_model = "/usr/lib/xen/bin/qemu-dm"\n'),
    Case("XEN-MEM-001", "xl", XL_PV + "memory = 512\nmaxmem = 256\n"),
    Case("XEN-MEM-002", "xl", XL_HVM + "memory = 512\nmaxmem = 1024\n"),
    Case("XEN-CPU-001", "xl", XL_PV + "vcpus = 4\nmaxvcpus = 2\n"),
    Case("XEN-CPU-002", "xm", XM_PV + "vcpus = 2\ncpus = ['1']\n"),
    Case("XEN-CPU-003", "xl", XL_PV + "cpu_weight = 0\n"),
    Case("XEN-CPU-004", "xl", XL_HVM + "apic = 0\nvcpus = 2\n", severity="info"),
    Case("XEN-LIFE-001", "xm", XM_PV + "on_reboot = 'coredump-destroy'\n"),
    Case("XEN-LIFE-002", "xm", "kernel = '/boot/vmlinuz'\n", severity="info"),
    Case("XEN-LIFE-003", "xl", XL_PV + "paused = 1\n", severity="warning"),
    Case("XEN-RTC-001", "xm", XM_HVM + "localtime = 1\nrtc_timeoffset = 32400\n", "3.3"),
    Case("XEN-RTC-002", "xl", XL_PV + "rtc_timeoffset = -3600\n", severity="error"),
    Case("XEN-RTC-003", "xm", XM_PV + "rtc_timeoffset = 3600\n"),
    Case("XEN-RTC-004", "xl", XL_PV + "rtc_timeoffset = 4294967296\n"),
    Case("XEN-RTC-005", "xl", XL_HVM + "viridian = 1\n", severity="info"),
    Case("XEN-GFX-001", "xl", XL_HVM + "nographic = 1\n"),
    Case("XEN-GFX-002", "xl", XL_HVM + 'vnclisten = "0.0.0.0:1"\nvncdisplay = 1\n'),
    Case("XEN-GFX-003", "xl", XL_HVM + 'vnclisten = "0.0.0.0"\n'),
    Case("XEN-GFX-004", "xl", XL_HVM + 'vga = "stdvga"\nvideoram = 8\n'),
    Case("XEN-GFX-005", "xm", XM_PV + "vnc = 1\n"),
    Case("XEN-USB-001", "xm", XM_PV + "usb = 1\n", severity="warning"),
    Case("XEN-USB-002", "xm", XM_HVM + "usbdevice = 'tablet'\n"),
    Case("XEN-USB-003", "xm", XM_HVM + "usb = 1\nusbdevice = 'joystick'\n", severity="error"),
    Case("XEN-USB-004", "xl", XL_HVM + "usb = 1\nusbversion = 2\n"),
    Case(
        "XEN-PCI-001",
        "xm",
        XM_HVM + "pci = ['0000:00:1b.0']\n",
        host={"pci_passthrough": "unsupported"},
        severity="error",
    ),
    Case(
        "XEN-PCI-002",
        "xl",
        XL_PV + "pci = ['0000:00:1b.0']\n",
        "4.17",
        {"pci_passthrough": "unsupported"},
        "error",
    ),
    Case("XEN-PCI-003", "xm", XM_HVM + "pci = ['0000:00:1b.9']\n"),
    Case("XEN-PCI-004", "xl", XL_HVM + 'passthrough = "disabled"\npci = ["00:1b.0"]\n'),
    Case("XEN-PCI-005", "xl", XL_HVM + 'memory = 512\nmaxmem = 1024\npci = ["00:1b.0"]\n'),
    Case("XEN-PCI-006", "xl", XL_PV + "pci_permissive = 1\n"),
    Case("XEN-PCI-007", "xm", XM_HVM + "pci = ['00:1b.0']\n", severity="info"),
    Case("XEN-PCI-008", "xm", XM_PV + "pci_power_mgmt = 1\n"),
    Case("XEN-HVM-001", "xl", XL_HVM, host={"hvm": "disabled"}, severity="error"),
    Case("XEN-HVM-002", "xl", XL_HVM, host={"hvm": "masked"}, severity="info"),
    Case("XEN-HAP-001", "xl", XL_HVM + "hap = 1\n", "4.17", {"slat": "unsupported"}, "error"),
    Case("XEN-HAP-002", "xl", XL_HVM + "hap = 0\n", severity="info"),
    Case("XEN-NEST-001", "xl", XL_PV + "nestedhvm = 1\n"),
    Case("XEN-NEST-002", "xl", XL_HVM + 'nestedhvm = 1\naltp2m = "mixed"\n'),
    Case("XEN-PAE-001", "xm", XM_HVM + "pae = 0\n"),
    Case("XEN-DISK-001", "xm", XM_PV + "disk = ['phy:/dev/sda,xvda']\n"),
    Case("XEN-VIF-001", "xm", XM_PV + "vif = ['colour=red']\n"),
    Case("XEN-DM-001", "xl", XL_HVM + 'device_model_version = "qemu-xen-traditional"\n', "4.21"),
    Case("XEN-TIME-001", "xl", XL_PV + 'timer_mode = "no_delay_for_missed_ticks"\n'),
    Case("XEN-SEC-001", "xl", 'name = "g"\nbootloader = "/usr/local/bin/mybl"\n'),
    Case("XEN-SEC-002", "xl", XL_HVM + 'vncpasswd = "abc"\n', severity="info"),
]

QUIET: list[Case] = [
    Case("XEN-FMT-001", "xl", XL_PV + "memory = 512; vcpus = 2\n"),
    Case("XEN-FMT-002", "xm", XM_PV + "memory = 512\n"),
    Case("XEN-FMT-003", "xl", XL_PV + "memory = 512\n"),
    Case("XEN-FMT-004", "xl", XL_PV + "memory = 512\n"),
    Case("XEN-FMT-005", "xl", XL_PV + "memory = 512\n"),
    Case("XEN-FMT-006", "xl", XL_PV + 'extra = "a\\tb \\"q\\""\n'),
    Case("XEN-FMT-007", "xl", XL_PV + 'memory = "0x200"\n'),
    Case("XEN-FMT-008", "xm", XM_HVM + "acpi = 0\n"),
    Case("XEN-FMT-009", "xl", XL_PV + 'extra = "a"\nextra += " b"\n', version="4.13"),
    Case("XEN-FMT-010", "xl", XL_PV + "extra = '" + "x" * 4000 + "'\n"),
    Case("XEN-FMT-011", "xl", XL_PV.encode() + 'extra = "café"\n'.encode()),
    Case("XEN-FMT-012", "xm", XM_PV + "vcpu_avail = 3\n"),
    Case("XEN-VER-001", "xm", XM_PV, version="3.4"),
    Case("XEN-VER-002", "xl", XL_PV + "localtime = 1\n", version="4.2"),
    Case("XEN-VER-003", "xl", XL_HVM + "stdvga = 1\n", version="4.2"),
    Case("XEN-NAME-001", "xl", XL_PV),
    Case("XEN-VAL-001", "xl", XL_HVM + 'vga = "stdvga"\n'),
    Case("XEN-TYPE-001", "xl", XL_PV + 'type = "hvm"\n'),
    Case("XEN-TYPE-002", "xl", XL_HVM),
    Case("XEN-TYPE-003", "xl", XL_PV),
    Case("XEN-TYPE-004", "xm", XM_HVM + "acpi = 1\n"),
    Case("XEN-TYPE-005", "xl", XL_HVM + 'device_model_version = "qemu-xen"\n'),
    Case("XEN-MEM-001", "xl", XL_PV + "memory = 512\nmaxmem = 1024\n"),
    Case("XEN-MEM-002", "xl", XL_PV + "memory = 512\nmaxmem = 1024\n"),
    Case("XEN-CPU-001", "xl", XL_PV + "vcpus = 4\nmaxvcpus = 8\n"),
    Case("XEN-CPU-002", "xm", XM_PV + "vcpus = 2\ncpus = ['1', '2']\n"),
    Case("XEN-CPU-003", "xl", XL_PV + "cpu_weight = 256\ncap = 100\n"),
    Case("XEN-CPU-004", "xl", XL_HVM + "apic = 0\nvcpus = 1\n"),
    Case("XEN-LIFE-001", "xm", XM_PV + "on_crash = 'coredump-destroy'\n"),
    Case("XEN-LIFE-002", "xm", XM_PV),
    Case("XEN-LIFE-003", "xl", XL_PV),
    Case("XEN-RTC-001", "xm", XM_HVM + "localtime = 0\nrtc_timeoffset = 32400\n", "3.3"),
    Case("XEN-RTC-002", "xl", XL_PV + 'rtc_timeoffset = "-3600"\n'),
    Case("XEN-RTC-003", "xm", XM_HVM + "rtc_timeoffset = 3600\n"),
    Case("XEN-RTC-004", "xl", XL_PV + "rtc_timeoffset = 32400\n"),
    Case("XEN-RTC-005", "xl", XL_HVM + "viridian = 1\nlocaltime = 1\n"),
    Case("XEN-GFX-001", "xl", XL_HVM + "nographic = 1\nvnc = 0\n"),
    Case("XEN-GFX-002", "xl", XL_HVM + 'vnclisten = "0.0.0.0:1"\n'),
    Case("XEN-GFX-003", "xl", XL_HVM + 'vnclisten = "0.0.0.0"\nvncpasswd = "pw"\n'),
    Case("XEN-GFX-004", "xl", XL_HVM + 'vga = "stdvga"\nvideoram = 16\n'),
    Case("XEN-GFX-005", "xm", XM_HVM + "vnc = 1\n"),
    Case("XEN-USB-001", "xm", XM_HVM + "usb = 1\n"),
    Case("XEN-USB-002", "xm", XM_HVM + "usb = 1\nusbdevice = 'tablet'\n"),
    Case("XEN-USB-003", "xm", XM_HVM + "usb = 1\nusbdevice = 'tablet'\n"),
    Case("XEN-USB-004", "xl", XL_HVM + "usbversion = 2\n"),
    Case(
        "XEN-PCI-001",
        "xm",
        XM_HVM + "pci = ['0000:00:1b.0']\n",
        host={"pci_passthrough": "supported"},
    ),
    Case(
        "XEN-PCI-002",
        "xl",
        XL_PV + "pci = ['0000:00:1b.0']\n",
        "4.17",
        {"pci_passthrough": "supported"},
    ),
    Case("XEN-PCI-003", "xm", XM_HVM + "pci = ['0000:00:1b.0@3,msitranslate=0']\n"),
    Case("XEN-PCI-004", "xl", XL_HVM + 'passthrough = "enabled"\npci = ["00:1b.0"]\n'),
    Case("XEN-PCI-005", "xl", XL_HVM + 'memory = 1024\nmaxmem = 1024\npci = ["00:1b.0"]\n'),
    Case("XEN-PCI-006", "xl", XL_PV + "pci_permissive = 0\n"),
    Case("XEN-PCI-007", "xm", XM_HVM + "pci = ['00:1b.0']\npci_msitranslate = 1\n"),
    Case("XEN-PCI-008", "xm", XM_HVM + "pci_power_mgmt = 1\n"),
    Case("XEN-HVM-001", "xl", XL_HVM, host={"hvm": "supported"}),
    Case("XEN-HVM-002", "xl", XL_HVM, host={"hvm": "unsupported"}),
    Case("XEN-HAP-001", "xl", XL_HVM + "hap = 1\n", "4.17", {"slat": "supported"}),
    Case("XEN-HAP-002", "xl", XL_HVM + "hap = 1\n"),
    Case("XEN-NEST-001", "xl", XL_HVM + "nestedhvm = 1\n"),
    Case("XEN-NEST-002", "xl", XL_HVM + 'nestedhvm = 1\naltp2m = "disabled"\n'),
    Case("XEN-PAE-001", "xm", XM_HVM + "pae = 1\n"),
    Case("XEN-DISK-001", "xm", XM_PV + "disk = ['phy:/dev/sda,xvda,w', ',hdc:cdrom,r']\n"),
    Case("XEN-VIF-001", "xm", XM_PV + "vif = ['type=ioemu, bridge=xenbr0', '']\n"),
    Case("XEN-DM-001", "xl", XL_HVM + 'device_model_version = "qemu-xen-traditional"\n', "4.20"),
    Case("XEN-TIME-001", "xl", XL_HVM + 'timer_mode = "no_delay_for_missed_ticks"\n'),
    Case("XEN-SEC-001", "xl", 'name = "g"\nbootloader = "/usr/bin/pygrub"\n'),
    Case("XEN-SEC-002", "xl", XL_HVM + 'vncpasswd = ""\n'),
]


def _run(case: Case, make_host: HostFactory) -> ValidationResult:
    host = make_host(**case.host) if case.host is not None else None
    return validate_config(case.config, fmt=case.fmt, xen_version=case.version, host=host)


@pytest.mark.parametrize("case", FIRE, ids=lambda c: c.rule)
def test_rule_fires(case: Case, host: HostFactory) -> None:
    result = _run(case, host)
    hits = [f for f in result.findings if f.rule == case.rule]
    assert hits, f"{case.rule} did not fire: {[f.as_dict() for f in result.findings]}"
    if case.severity is not None:
        assert case.severity in {f.severity for f in hits}


@pytest.mark.parametrize("case", QUIET, ids=lambda c: c.rule)
def test_rule_stays_quiet(case: Case, host: HostFactory) -> None:
    result = _run(case, host)
    hits = [f.as_dict() for f in result.findings if f.rule == case.rule]
    assert not hits


def test_every_rule_has_a_firing_and_a_quiet_case() -> None:
    assert {c.rule for c in FIRE} == set(XEN_RULES)
    assert {c.rule for c in QUIET} == set(XEN_RULES)


def test_every_finding_names_a_registered_rule() -> None:
    for case in FIRE + QUIET:
        result = validate_config(case.config, fmt=case.fmt, xen_version=case.version)
        for f in result.findings:
            assert f.rule in XEN_RULES


def test_registry_lists_the_xen_rules() -> None:
    from virtcompat.rules.registry import get_rule

    for rule_id, rule in XEN_RULES.items():
        assert get_rule(rule_id) is rule
        assert rule.applies_to.value == "domain-config"
        assert rule.sources and rule.explanation


# ---- finer points of individual rules -----------------------------------------------------


def test_unknown_key_suggests_the_catalogue_name() -> None:
    result = validate_config(XL_PV + "memroy = 512\n", fmt="xl")
    (f,) = [f for f in result.findings if f.rule == "XEN-FMT-004"]
    assert f.hint is not None and "memory" in f.hint
    assert (f.line, f.column, f.key) == (3, 1, "memroy")


def test_other_toolstack_key_names_the_renamed_option() -> None:
    result = validate_config(XL_PV + "cpu_cap = 50\n", fmt="xl")
    (f,) = [f for f in result.findings if f.rule == "XEN-FMT-012"]
    assert f.hint == "xl calls it cap"


def test_xl_type_prefix_quirk_and_contradiction() -> None:
    empty = validate_config('name = "g"\ntype = ""\n', fmt="xl")
    assert any("prefix" in f.message for f in empty.findings if f.rule == "XEN-TYPE-001")
    assert "hvm" in empty.requires  # "" reads as hvm
    both = validate_config('name = "g"\ntype = "pv"\nbuilder = "hvm"\nkernel = "/k"\n', fmt="xl")
    assert any("Contradicting" in f.message for f in both.findings)


def test_xl_builder_linux_depends_on_version() -> None:
    cfg = 'name = "g"\nbuilder = "linux"\nkernel = "/k"\n'
    old = validate_config(cfg, fmt="xl", xen_version="4.9")
    assert not [f for f in old.findings if f.rule == "XEN-TYPE-001"]
    new = validate_config(cfg, fmt="xl", xen_version="4.10")
    assert any(f.rule == "XEN-TYPE-001" and f.severity == "error" for f in new.findings)


def test_hvm_only_keys_in_pv_name_the_guest_type() -> None:
    result = validate_config(XM_PV + "acpi = 1\nstdvga = 1\n", fmt="xm")
    msgs = [f.message for f in result.findings if f.rule == "XEN-TYPE-004"]
    assert len(msgs) == 2 and all("PV" in m for m in msgs)


def test_xl_timer_mode_integer_is_deprecated_not_wrong() -> None:
    result = validate_config(XL_HVM + "timer_mode = 1\n", fmt="xl")
    (f,) = [f for f in result.findings if f.rule == "XEN-TIME-001"]
    assert f.severity == "info" and "no_delay_for_missed_ticks" in (f.hint or "")


def test_xl_plus_assign_on_numeric_key_is_ignored_with_warning() -> None:
    result = validate_config(XL_PV + "memory = 512\nmemory += 512\n", fmt="xl")
    (f,) = [f for f in result.findings if f.rule == "XEN-FMT-009"]
    assert f.severity == "warning"
    assert "memory" not in result.options


def test_xl_plus_assign_concatenates() -> None:
    cfg = XL_PV + 'disk = ["a,raw,xvda,rw"]\ndisk += ["b,raw,xvdb,rw"]\nextra = "x"\nextra += "y"\n'
    result = validate_config(cfg, fmt="xl", xen_version="4.13")
    assert result.options["disk"] == ["a,raw,xvda,rw", "b,raw,xvdb,rw"]
    assert result.options["extra"] == "xy"


def test_duplicate_key_last_value_wins_and_is_reported_once() -> None:
    result = validate_config(XL_PV + "memory = 1\nmemory = 2\nmemory = 3\n", fmt="xl")
    assert result.options["memory"] == 3
    assert len([f for f in result.findings if f.rule == "XEN-FMT-003"]) == 1


def test_xm_dropped_boolean_leaves_the_default() -> None:
    result = validate_config(XM_HVM + "acpi = 0\nacpi = False\n", fmt="xm")
    assert "acpi" not in result.options or result.options["acpi"] is not False
    (f,) = [f for f in result.findings if f.rule == "XEN-FMT-008"]
    assert "dropped" in f.message


def test_xm_yes_string_for_a_flag() -> None:
    result = validate_config(XM_HVM + "usb = 'yes'\n", fmt="xm")
    assert any(f.rule == "XEN-FMT-008" and "int()" in f.message for f in result.findings)


def test_xl_numbers_follow_strtol() -> None:
    ok = validate_config(XL_PV + "memory = 0x200\nvcpus = 010\n", fmt="xl")
    assert ok.options["memory"] == 512 and ok.options["vcpus"] == 8
    bad = validate_config(XL_PV + "memory = 08\n", fmt="xl")
    assert any(f.rule == "XEN-FMT-007" for f in bad.findings)


def test_pci_bdf_variants() -> None:
    for spec in ("00:1b.0", "0000:00:1b.7@1f", "0000:00:02.*,permissive=1", "bdf=00:02.0"):
        result = validate_config(XL_HVM + f'pci = ["{spec}"]\n', fmt="xl")
        assert not [f for f in result.findings if f.rule == "XEN-PCI-003"], spec
    for spec in ("00:20.0", "00:1b", "zz:1b.0", "00:1b.0,bogus=1"):
        result = validate_config(XL_HVM + f'pci = ["{spec}"]\n', fmt="xl")
        assert [f for f in result.findings if f.rule == "XEN-PCI-003"], spec


def test_pv_passthrough_without_iommu_is_a_warning_before_413(host: HostFactory) -> None:
    caps = host(pci_passthrough="unsupported")
    cfg = XL_PV + "pci = ['0000:00:1b.0']\n"
    old = validate_config(cfg, fmt="xl", xen_version="4.12", host=caps)
    assert [f.severity for f in old.findings if f.rule == "XEN-PCI-002"] == ["warning"]
    assert "pci_passthrough" not in old.requires
    new = validate_config(cfg, fmt="xl", xen_version="4.13", host=caps)
    assert [f.severity for f in new.findings if f.rule == "XEN-PCI-002"] == ["error"]
    assert "pci_passthrough" in new.requires


def test_hap_fallback_before_413_is_a_warning(host: HostFactory) -> None:
    cfg = XL_HVM + "hap = 1\n"
    old = validate_config(cfg, fmt="xl", xen_version="4.12", host=host(slat="unsupported"))
    assert [f.severity for f in old.findings if f.rule == "XEN-HAP-001"] == ["warning"]
    xm = validate_config(XM_HVM, fmt="xm", xen_version="3.4", host=host(slat="unsupported"))
    assert [f.severity for f in xm.findings if f.rule == "XEN-HAP-001"] == ["warning"]


@pytest.mark.parametrize(
    ("status", "severity"),
    [
        ("unknown", "warning"),
        ("conflict", "warning"),
        ("unsupported", "error"),
        ("disabled", "error"),
        ("masked", "error"),
    ],
)
def test_hardware_status_maps_to_severity(status: str, severity: str, host: HostFactory) -> None:
    result = validate_config(XL_HVM, fmt="xl", host=host(hvm=status))
    assert [f.severity for f in result.findings if f.rule == "XEN-HVM-001"] == [severity]


def test_missing_capability_counts_as_unknown() -> None:
    result = validate_config(XL_HVM, fmt="xl", host={})
    assert [f.severity for f in result.findings if f.rule == "XEN-HVM-001"] == ["warning"]


def test_requires_without_host() -> None:
    cfg = XL_HVM + 'pci = ["0000:00:1b.0"]\nhap = 1\n'
    result = validate_config(cfg, fmt="xl")
    assert result.requires == ("hvm", "pci_passthrough", "slat")
    assert validate_config(XL_PV, fmt="xl").requires == ()


def test_windows_guest_detected_by_name() -> None:
    result = validate_config('name = "win2008-dc"\ntype = "hvm"\n', fmt="xl")
    assert any(f.rule == "XEN-RTC-005" for f in result.findings)


def test_vfb_open_vnc_and_unknown_vfb_key() -> None:
    cfg = XM_PV + "vfb = ['vnc=1,vnclisten=0.0.0.0', 'type=vnc,colour=blue']\n"
    result = validate_config(cfg, fmt="xm")
    assert any(f.rule == "XEN-GFX-003" for f in result.findings)
    assert any(f.rule == "XEN-GFX-005" and "colour" in f.message for f in result.findings)


def test_skipping_checks_by_their_keys_changes_nothing(
    host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate skips a check when none of its TRIGGERS keys is set (and a domain rule by
    MODEL_TRIGGERS): every corpus config and rule case reads the same with every check run."""
    corpus = sorted((XEN_DATA / "xm").glob("*.cfg")) + sorted((XEN_DATA / "xl").glob("*.cfg"))
    runs: list[tuple[str | bytes, str, str | None, dict[str, Capability] | None]] = []
    for path in corpus:
        text = path.read_text(encoding="utf-8")
        for fmt in ("xl", "xm"):
            for version in (None, "3.4", "4.17"):
                runs.append((text, fmt, version, None))
                runs.append((text, fmt, version, host(pci_passthrough="unsupported")))
    for case in FIRE + QUIET:
        made = host(**case.host) if case.host is not None else None
        runs += [(case.config, case.fmt, case.version, made), (case.config, "auto", None, None)]

    def results() -> list[ValidationResult]:
        return [validate_config(c, fmt=f, xen_version=v, host=h) for c, f, v, h in runs]

    skipping = results()
    monkeypatch.setattr(R, "TRIGGERS", {})
    monkeypatch.setattr(V, "MODEL_TRIGGERS", {})
    assert results() == skipping

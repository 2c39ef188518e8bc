"""The ``artefacts`` object of a probe body -> :class:`Observations` (all parsers in one call).

Types are checked loosely: a wrong type gives a warning and the field is ignored, so a probe
from an older or buggy agent still yields whatever facts it does carry. Warnings are prefixed
with the artefact name (``"cpuinfo: ..."``).

Artefact fields (the CONTRACT.md ones plus those the agent adds):

==================== ================================================================
cpuinfo              str: /proc/cpuinfo
dmesg                str: kernel log (dmesg, journalctl -k or /var/log/dmesg)
dmesg_source         str: "dmesg", "journalctl" or "/var/log/dmesg"
dmi                  object: /sys/class/dmi/id file name -> contents (or text)
lspci                str: ``lspci -nn`` output
pci_devices          list of :data:`~virtcompat.probe.lspci.SysfsPciDevice` (no lspci)
cmdline              str: /proc/cmdline
kernel_release       str: /proc/sys/kernel/osrelease
acpi_tables          list of str: names in /sys/firmware/acpi/tables
iommu_groups         int: entries in /sys/kernel/iommu_groups (absent: no such dir)
dev_kvm              bool: /dev/kvm exists
kvm_nested           bool: /sys/module/kvm_{intel,amd}/parameters/nested
kvm_module           str: "kvm_intel", "kvm_amd" or another kvm_* module (e.g. "kvm_pvm")
xl_info              str: ``xl info`` output
collection_warnings  list of str: what the agent could not collect, and why
(live checks)        see :mod:`virtcompat.probe.hostchecks` (kvm_check, kvm_params,
                     msr_feature_control, devices, cgroup_controllers, iommu_classes,
                     secure_guests, iommu_group_devices, hypervisor_type, xen_capabilities)
==================== ================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from virtcompat.probe._common import Warnings, clip, fields_as_dict, parse_version
from virtcompat.probe.acpi import AcpiTables, parse_acpi_tables
from virtcompat.probe.cmdline import Cmdline, parse_cmdline
from virtcompat.probe.cpuinfo import CpuInfo, parse_cpuinfo
from virtcompat.probe.dmi import Dmi, parse_dmi
from virtcompat.probe.hostchecks import HOST_CHECK_FIELDS, HostChecks, parse_host_checks
from virtcompat.probe.kernlog import KernelLog, parse_kernel_log
from virtcompat.probe.limits import ARTEFACT_ITEM_LIMITS, ARTEFACT_LIMITS
from virtcompat.probe.lspci import PciDevices, parse_lspci
from virtcompat.probe.xlinfo import XlInfo, parse_xl_info

__all__ = ["ARTEFACT_FIELDS", "ARTEFACT_LIMITS", "Observations", "parse_artefacts"]

ARTEFACT_FIELDS: frozenset[str] = frozenset(
    {
        "cpuinfo",
        "dmesg",
        "dmesg_source",
        "dmi",
        "lspci",
        "pci_devices",
        "cmdline",
        "kernel_release",
        "acpi_tables",
        "iommu_groups",
        "dev_kvm",
        "kvm_nested",
        "kvm_module",
        "xl_info",
        "collection_warnings",
        *HOST_CHECK_FIELDS,
    }
)

_DMESG_SOURCES = frozenset({"dmesg", "journalctl", "/var/log/dmesg"})
_KVM_MODULE_RE = re.compile(r"^kvm_[a-z0-9]{1,16}$")


@dataclass(frozen=True, slots=True)
class Observations:
    """Everything parsed from one probe; None where the artefact was absent or unusable."""

    cpuinfo: CpuInfo | None
    kernel_log: KernelLog | None
    dmi: Dmi | None
    pci: PciDevices | None
    cmdline: Cmdline | None
    #: "artefact", "kernel_log" (the log's "Command line:"), or None
    cmdline_source: str | None
    acpi_tables: AcpiTables | None
    xl_info: XlInfo | None
    #: the kernel_release artefact, else the log's "Linux version"
    kernel_release: str | None
    kernel_version: tuple[int, int, int] | None
    iommu_groups: int | None
    dev_kvm: bool | None
    kvm_nested: bool | None
    kvm_module: str | None
    dmesg_source: str | None
    checks: HostChecks
    warnings: tuple[str, ...]

    @property
    def dmar_table(self) -> bool | None:
        """ACPI DMAR present: True/False when sysfs or the log's table list tells, else None."""
        return self._table("DMAR", self.kernel_log.dmar_table_seen if self.kernel_log else False)

    @property
    def ivrs_table(self) -> bool | None:
        return self._table("IVRS", self.kernel_log.ivrs_table_seen if self.kernel_log else False)

    def _table(self, signature: str, log_saw_it: bool) -> bool | None:
        if self.acpi_tables is not None and self.acpi_tables.names:
            return self.acpi_tables.has(signature) or log_saw_it
        if log_saw_it:
            return True
        if self.kernel_log is not None and self.kernel_log.acpi_table_list_seen:
            return False
        return None

    def as_dict(self) -> dict[str, Any]:
        data = fields_as_dict(self)
        data.update(dmar_table=self.dmar_table, ivrs_table=self.ivrs_table)
        return data


def _text(artefacts: Mapping[str, Any], name: str, warnings: Warnings) -> str | bytes | None:
    value = artefacts.get(name)
    if value is None:
        return None
    if isinstance(value, str | bytes):
        return value
    warnings.add(f"{name}: expected a string, got {type(value).__name__}; ignored")
    return None


def _prefixed(name: str, messages: tuple[str, ...], warnings: Warnings) -> None:
    for message in messages:
        warnings.add(f"{name}: {message}")


def parse_artefacts(artefacts: Mapping[str, Any] | Any, *, salt: str | None = None) -> Observations:
    """Run every parser over a probe's ``artefacts``; never raises.

    ``salt`` is handed to the parsers that keep text (kernel log events, command line, xl
    info), which scrub it once more; the server scrubs the artefacts before this anyway.
    """
    warnings = Warnings()
    if not isinstance(artefacts, Mapping):
        warnings.add(f"artefacts: expected an object, got {type(artefacts).__name__}")
        artefacts = {}
    unknown = sorted(str(k)[:32] for k in artefacts if k not in ARTEFACT_FIELDS)
    if unknown:
        warnings.add(f"artefacts: unknown fields ignored: {', '.join(unknown[:8])}")

    cpuinfo = None
    if (raw := _text(artefacts, "cpuinfo", warnings)) is not None:
        cpuinfo = parse_cpuinfo(raw)
        _prefixed("cpuinfo", cpuinfo.warnings, warnings)

    kernel_log = None
    if (raw := _text(artefacts, "dmesg", warnings)) is not None:
        kernel_log = parse_kernel_log(raw, salt=salt)
        _prefixed("dmesg", kernel_log.warnings, warnings)

    dmi = None
    raw_dmi = artefacts.get("dmi")
    if isinstance(raw_dmi, Mapping | str | bytes):
        dmi = parse_dmi(raw_dmi)
        _prefixed("dmi", dmi.warnings, warnings)
    elif raw_dmi is not None:
        warnings.add(f"dmi: expected an object, got {type(raw_dmi).__name__}; ignored")

    pci = None
    if (raw := _text(artefacts, "lspci", warnings)) is not None:
        pci = parse_lspci(raw)
        _prefixed("lspci", pci.warnings, warnings)
    raw_devices = artefacts.get("pci_devices")
    if isinstance(raw_devices, list):
        if pci is None or not pci.devices:
            pci = parse_lspci(raw_devices)
            _prefixed("pci_devices", pci.warnings, warnings)
    elif raw_devices is not None:
        warnings.add(f"pci_devices: expected a list, got {type(raw_devices).__name__}; ignored")

    cmdline = None
    cmdline_source = None
    if (raw := _text(artefacts, "cmdline", warnings)) is not None:
        cmdline = parse_cmdline(raw, salt=salt)
        cmdline_source = "artefact"
        _prefixed("cmdline", cmdline.warnings, warnings)
    elif kernel_log is not None and kernel_log.cmdline is not None:
        cmdline = parse_cmdline(kernel_log.cmdline, salt=salt)
        cmdline_source = "kernel_log"
        warnings.add("cmdline: not sent; taken from the kernel log's 'Command line:'")
        _prefixed("cmdline", cmdline.warnings, warnings)

    acpi = None
    raw_acpi = artefacts.get("acpi_tables")
    if isinstance(raw_acpi, list | str | bytes):
        acpi = parse_acpi_tables(raw_acpi)
        _prefixed("acpi_tables", acpi.warnings, warnings)
    elif raw_acpi is not None:
        warnings.add(f"acpi_tables: expected a list, got {type(raw_acpi).__name__}; ignored")

    xl_info = None
    if (raw := _text(artefacts, "xl_info", warnings)) is not None:
        xl_info = parse_xl_info(raw, salt=salt)
        _prefixed("xl_info", xl_info.warnings, warnings)

    iommu_groups = _int(artefacts, "iommu_groups", warnings)
    dev_kvm = _bool(artefacts, "dev_kvm", warnings)
    kvm_nested = _nested(artefacts.get("kvm_nested"), warnings)
    kvm_module = artefacts.get("kvm_module")
    if kvm_module is not None and not (
        isinstance(kvm_module, str) and _KVM_MODULE_RE.match(kvm_module)
    ):
        warnings.add("kvm_module: expected a kvm_* module name; ignored")
        kvm_module = None
    checks = parse_host_checks(artefacts)
    _prefixed("checks", checks.warnings, warnings)
    dmesg_source = _choice(artefacts, "dmesg_source", _DMESG_SOURCES, warnings)

    release = None
    raw_release = _text(artefacts, "kernel_release", warnings)
    if isinstance(raw_release, bytes):
        raw_release = raw_release.decode("utf-8", "replace")
    if raw_release is not None and raw_release.strip():
        release = clip(raw_release.strip().splitlines()[0], ARTEFACT_LIMITS["kernel_release"])
    log_release = kernel_log.kernel_release if kernel_log else None
    if release and log_release and release != log_release:
        warnings.add(
            f"dmesg: the log is from kernel {log_release}, not the running {release} "
            "(an old /var/log/dmesg?)"
        )
    release = release or log_release

    raw_notes = artefacts.get("collection_warnings")
    if isinstance(raw_notes, list):
        for note in raw_notes[: ARTEFACT_ITEM_LIMITS["collection_warnings"]]:
            if isinstance(note, str):
                warnings.add(f"agent: {clip(note, 256)}")
    elif raw_notes is not None:
        warnings.add("collection_warnings: expected a list of strings; ignored")

    if (
        xl_info is not None
        and cpuinfo is not None
        and not (cpuinfo.has_vmx or cpuinfo.has_svm)
        and cpuinfo.flags_present
    ):
        # Xen hides VMX/SVM from PV guests, dom0 included (XEN-CONFIG.md §4).
        warnings.add(
            "cpuinfo: no vmx/svm flag, but this is a Xen host: Xen masks them in a PV dom0; "
            "xl info's virt_caps is the authority there"
        )

    return Observations(
        cpuinfo=cpuinfo,
        kernel_log=kernel_log,
        dmi=dmi,
        pci=pci,
        cmdline=cmdline,
        cmdline_source=cmdline_source,
        acpi_tables=acpi,
        xl_info=xl_info,
        kernel_release=release,
        kernel_version=parse_version(release),
        iommu_groups=iommu_groups,
        dev_kvm=dev_kvm,
        kvm_nested=kvm_nested,
        kvm_module=kvm_module,
        dmesg_source=dmesg_source,
        checks=checks,
        warnings=warnings.freeze(),
    )


def _int(artefacts: Mapping[str, Any], name: str, warnings: Warnings) -> int | None:
    value = artefacts.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**7:
        return value
    warnings.add(f"{name}: expected a non-negative integer; ignored")
    return None


def _bool(artefacts: Mapping[str, Any], name: str, warnings: Warnings) -> bool | None:
    value = artefacts.get(name)
    if value is None or isinstance(value, bool):
        return value
    warnings.add(f"{name}: expected true or false; ignored")
    return None


def _nested(value: Any, warnings: Warnings) -> bool | None:
    # Also accept the raw sysfs text: kvm_intel prints Y/N, kvm_amd 1/0.
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip() in ("Y", "N", "1", "0"):
        return value.strip() in ("Y", "1")
    warnings.add("kvm_nested: expected true, false, Y/N or 1/0; ignored")
    return None


def _choice(
    artefacts: Mapping[str, Any], name: str, allowed: frozenset[str], warnings: Warnings
) -> str | None:
    value = artefacts.get(name)
    if value is None:
        return None
    if isinstance(value, str) and value in allowed:
        return value
    warnings.add(f"{name}: expected one of {', '.join(sorted(allowed))}; ignored")
    return None

"""The agent's live checks (KVM ioctls, MSR lock bits, device nodes, cgroups, IOMMU groups)
-> :class:`HostChecks`.

Newer agents send these beside the text artefacts; older ones do not, so every field is
optional and absent means "not checked". Types are checked loosely (a wrong type is a
warning, never an error), names are validated against fixed sets, and every list is capped.

====================== ============================================================================
kvm_check              object: ``usable`` (bool), ``api_version`` (int), ``module`` (str),
                       ``error`` (str): /dev/kvm opened read-write, KVM_GET_API_VERSION and
                       KVM_CREATE_VM answered (the VM fd is closed at once; no VM runs)
kvm_params             object: /sys/module/kvm_{intel,amd}/parameters (nested, ept,
                       unrestricted_guest, npt, sev, sev_es, avic) -> raw value
msr_feature_control    object: ``vendor`` ("intel"/"amd"), ``value`` (int), ``locked_off`` (bool):
                       IA32_FEATURE_CONTROL (0x3a) or VM_CR (0xC0010114) read via /dev/cpu/0/msr
devices                object: "/dev/vhost-net", "/dev/net/tun", "/dev/vfio/vfio" -> bool
cgroup_controllers     list of str: /sys/fs/cgroup/cgroup.controllers (cgroup v2)
iommu_classes          list of str: entries of /sys/class/iommu (dmar0, ivhd0, smmu3...)
secure_guests          object: sev, sev_es, sev_snp, tdx -> bool
iommu_group_devices    list of objects: ``group`` (int), ``address`` ("0000:01:00.0"),
                       ``reset_method`` (str or null)
hypervisor_type        str: /sys/hypervisor/type ("xen")
xen_capabilities       str: /proc/xen/capabilities ("control_d" in a dom0)
====================== ============================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from virtcompat.probe._common import Warnings, clip, fields_as_dict

__all__ = ["HOST_CHECK_FIELDS", "GroupDevice", "HostChecks", "parse_host_checks"]

HOST_CHECK_FIELDS: frozenset[str] = frozenset(
    {
        "kvm_check",
        "kvm_params",
        "msr_feature_control",
        "devices",
        "cgroup_controllers",
        "iommu_classes",
        "secure_guests",
        "iommu_group_devices",
        "hypervisor_type",
        "xen_capabilities",
    }
)

_KVM_PARAMS = frozenset(
    {"nested", "ept", "unrestricted_guest", "npt", "sev", "sev_es", "sev_snp", "avic", "tdx"}
)
_DEVICES = frozenset({"/dev/vhost-net", "/dev/net/tun", "/dev/vfio/vfio", "/dev/sev"})
_SECURE = frozenset({"sev", "sev_es", "sev_snp", "tdx"})
_NAME_RE = re.compile(r"^[A-Za-z0-9_.:+\-]{1,64}$")
_MODULE_RE = re.compile(r"^kvm(?:_[a-z0-9]{1,16})?$")
_PCI_ADDR_RE = re.compile(r"^(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")
_MAX_ITEMS = 4096


@dataclass(frozen=True, slots=True)
class GroupDevice:
    group: int
    address: str  # "0000:01:00.0"
    reset_method: str | None  # "flr bus", "" when the kernel lists none, None when not read

    @property
    def short(self) -> str:
        """The address as lspci prints it without -D ("01:00.0")."""
        return self.address[5:] if len(self.address) == 12 else self.address


@dataclass(frozen=True, slots=True)
class HostChecks:
    kvm_usable: bool | None
    kvm_api_version: int | None
    kvm_module: str | None
    kvm_error: str | None
    kvm_params: tuple[tuple[str, str], ...]
    msr_vendor: str | None
    msr_value: int | None
    msr_locked_off: bool | None
    devices: tuple[tuple[str, bool], ...]
    cgroup_controllers: tuple[str, ...] | None
    iommu_classes: tuple[str, ...] | None
    secure_guests: tuple[tuple[str, bool], ...]
    group_devices: tuple[GroupDevice, ...] | None
    hypervisor_type: str | None
    xen_capabilities: str | None
    warnings: tuple[str, ...]

    def device(self, path: str) -> bool | None:
        for name, present in self.devices:
            if name == path:
                return present
        return None

    def as_dict(self) -> dict[str, Any]:
        return fields_as_dict(self)


def _obj(value: Any, name: str, warnings: Warnings) -> Mapping[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    warnings.add(f"{name}: expected an object; ignored")
    return {}


def _str_list(value: Any, name: str, warnings: Warnings) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        warnings.add(f"{name}: expected a list of names; ignored")
        return None
    out = [v for v in value[:_MAX_ITEMS] if isinstance(v, str) and _NAME_RE.match(v)]
    if len(out) != min(len(value), _MAX_ITEMS):
        warnings.add(f"{name}: entries that are not plain names were ignored")
    return tuple(sorted(set(out)))


def _flag_map(
    value: Any, name: str, allowed: frozenset[str], warnings: Warnings
) -> tuple[tuple[str, bool], ...]:
    out = []
    for key, flag in _obj(value, name, warnings).items():
        if key in allowed and isinstance(flag, bool):
            out.append((key, flag))
        else:
            warnings.add(f"{name}: {clip(str(key), 40)!r} ignored")
    return tuple(sorted(out))


def _kvm_check(
    value: Any, warnings: Warnings
) -> tuple[bool | None, int | None, str | None, str | None]:
    data = _obj(value, "kvm_check", warnings)
    if not data:
        return None, None, None, None
    usable = data.get("usable")
    if not isinstance(usable, bool):
        warnings.add("kvm_check: 'usable' must be true or false; ignored")
        return None, None, None, None
    api = data.get("api_version")
    api_version = (
        api if isinstance(api, int) and not isinstance(api, bool) and 0 <= api < 1000 else None
    )
    module = data.get("module")
    if not (isinstance(module, str) and _MODULE_RE.match(module)):
        module = None
    error = data.get("error")
    return usable, api_version, module, clip(error, 200) if isinstance(error, str) else None


def _params(value: Any, warnings: Warnings) -> tuple[tuple[str, str], ...]:
    out = []
    for key, raw in _obj(value, "kvm_params", warnings).items():
        if key in _KVM_PARAMS and isinstance(raw, str) and len(raw) <= 16:
            out.append((key, raw.strip()))
        else:
            warnings.add(f"kvm_params: {clip(str(key), 40)!r} ignored")
    return tuple(sorted(out))


def _msr(value: Any, warnings: Warnings) -> tuple[str | None, int | None, bool | None]:
    data = _obj(value, "msr_feature_control", warnings)
    if not data:
        return None, None, None
    vendor = data.get("vendor")
    raw = data.get("value")
    if vendor not in ("intel", "amd") or not isinstance(raw, int) or isinstance(raw, bool):
        warnings.add("msr_feature_control: expected vendor intel/amd and an integer value")
        return None, None, None
    if not 0 <= raw < 2**64:
        warnings.add("msr_feature_control: value out of range; ignored")
        return None, None, None
    # Decided here from the raw value, not trusted from the agent: Intel IA32_FEATURE_CONTROL
    # bit 0 lock, bit 2 VMXON outside SMX; AMD VM_CR bit 4 SVMDIS (kvm-ok, fwts virt_*.c).
    locked_off = (raw & 0x5) == 0x1 if vendor == "intel" else bool(raw & 0x10)
    return vendor, raw, locked_off


def _group_devices(value: Any, warnings: Warnings) -> tuple[GroupDevice, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        warnings.add("iommu_group_devices: expected a list; ignored")
        return None
    out = []
    for item in value[:_MAX_ITEMS]:
        if not isinstance(item, Mapping):
            continue
        group, address, reset = item.get("group"), item.get("address"), item.get("reset_method")
        if not (isinstance(group, int) and not isinstance(group, bool) and 0 <= group < 10**6):
            continue
        if not (isinstance(address, str) and _PCI_ADDR_RE.match(address)):
            continue
        if len(address) == 7:
            address = "0000:" + address
        method = clip(reset, 64).strip() if isinstance(reset, str) else None
        out.append(GroupDevice(group, address.lower(), method))
    if len(out) != min(len(value), _MAX_ITEMS):
        warnings.add("iommu_group_devices: malformed entries ignored")
    return tuple(sorted(out, key=lambda d: (d.group, d.address)))


def _short_text(value: Any, name: str, warnings: Warnings) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return clip(value.strip(), 128)
    warnings.add(f"{name}: expected a string; ignored")
    return None


def parse_host_checks(artefacts: Mapping[str, Any]) -> HostChecks:
    """The live-check fields of a probe's artefacts; never raises."""
    warnings = Warnings()
    usable, api, module, error = _kvm_check(artefacts.get("kvm_check"), warnings)
    vendor, raw, locked = _msr(artefacts.get("msr_feature_control"), warnings)
    return HostChecks(
        kvm_usable=usable,
        kvm_api_version=api,
        kvm_module=module,
        kvm_error=error,
        kvm_params=_params(artefacts.get("kvm_params"), warnings),
        msr_vendor=vendor,
        msr_value=raw,
        msr_locked_off=locked,
        devices=_flag_map(artefacts.get("devices"), "devices", _DEVICES, warnings),
        cgroup_controllers=_str_list(
            artefacts.get("cgroup_controllers"), "cgroup_controllers", warnings
        ),
        iommu_classes=_str_list(artefacts.get("iommu_classes"), "iommu_classes", warnings),
        secure_guests=_flag_map(artefacts.get("secure_guests"), "secure_guests", _SECURE, warnings),
        group_devices=_group_devices(artefacts.get("iommu_group_devices"), warnings),
        hypervisor_type=_short_text(artefacts.get("hypervisor_type"), "hypervisor_type", warnings),
        xen_capabilities=_short_text(
            artefacts.get("xen_capabilities"), "xen_capabilities", warnings
        ),
        warnings=warnings.freeze(),
    )

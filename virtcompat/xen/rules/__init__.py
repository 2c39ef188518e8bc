"""Xen domain-config rules (XEN-*): registry entries and the checks that cite them.

Ids follow XEN-CONFIG.md §7. Every rule is registered here at import time (the registry
imports this module), and every finding the validator emits names one of these objects,
so no finding can cite an id that is not in ``GET /api/v1/rules``. Each rule's
explanation names the toolstack quirk or document it encodes; each check's docstring
says which.

Checks run in ``CHECKS`` order over a :class:`~virtcompat.xen.context.Ctx`; the syntax
rules (XEN-FMT-001/002/005/006/009/010/011, XEN-RTC-002) are emitted by ``validate`` from
the reader's issues.

One module per family (clock, cpu, devices, display, format, guest, lifecycle, memory,
passthrough, security, usb, versions), each its rules and their checks; ``_base`` holds
what they share. This package re-exports every rule object and check, so callers keep
writing ``rules.FMT_LIMIT``; the format-neutral rules on the DomainSpec live in
``virtcompat.domain.rules``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from virtcompat.rules.registry import Rule
from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import (
    INFO,
    E,
    W,
    require_host,
)
from virtcompat.xen.rules.clock import (
    RTC_LOCALTIME,
    RTC_NEGATIVE,
    RTC_PV,
    RTC_RANGE,
    RTC_WINDOWS,
    TIME_MODE,
    check_clock,
    check_timer_mode,
)
from virtcompat.xen.rules.cpu import (
    CPU_APIC,
    CPU_PIN_LIST,
    CPU_SCHED,
    CPU_VCPUS,
    HAP_HOST,
    HAP_SHADOW,
    HVM_DOM0_MASK,
    HVM_HOST,
    NEST_ALTP2M,
    NEST_REQUIREMENTS,
    PAE_REQUIRED,
    check_scheduler,
    check_vcpus,
)
from virtcompat.xen.rules.devices import (
    DISK_SPEC,
    DM_VERSION,
    VIF_SPEC,
    check_device_model_version,
    check_disks,
    check_vifs,
)
from virtcompat.xen.rules.display import (
    GFX_NOGRAPHIC,
    GFX_OPEN_VNC,
    GFX_PV_XM,
    GFX_VIDEORAM,
    GFX_VNCDISPLAY,
    check_videoram,
    check_vnc,
    check_xm_pv_graphics,
)
from virtcompat.xen.rules.format import (
    FMT_DUPLICATE,
    FMT_ENCODING,
    FMT_ESCAPE,
    FMT_LIMIT,
    FMT_OTHER_TOOLSTACK,
    FMT_PYTHON,
    FMT_SYNTAX,
    FMT_TYPE,
    FMT_UNKNOWN,
    FMT_VERSION_GATE,
    FMT_XL_LEXICAL,
    FMT_XM_DROPPED,
    VAL_ALLOWED,
    check_keys,
    check_shapes,
    check_values,
)
from virtcompat.xen.rules.guest import (
    NAME_REQUIRED,
    TYPE_BUILDER,
    TYPE_BUILDER_DEPRECATED,
    TYPE_IGNORED_FOR_GUEST,
    TYPE_PV_KERNEL,
    TYPE_XL_IGNORES,
    check_boot_source,
    check_guest_applicability,
    check_name,
    check_xl_ignores,
    resolve_guest,
)
from virtcompat.xen.rules.lifecycle import (
    LIFE_ACTION,
    LIFE_DEFAULTS,
    LIFE_PAUSED,
    check_lifecycle,
    check_paused,
)
from virtcompat.xen.rules.memory import (
    MEM_POD,
    MEM_RANGE,
    check_memory,
)
from virtcompat.xen.rules.passthrough import (
    _PCI_KEYS,
    PCI_BDF,
    PCI_DEFAULTS,
    PCI_HVM_IOMMU,
    PCI_HVM_ONLY,
    PCI_PASSTHROUGH_MODE,
    PCI_POD,
    PCI_PV_IOMMU,
    PCI_TRUSTED,
    check_pci,
)
from virtcompat.xen.rules.security import (
    _XL_DANGEROUS_KEYS,
    SEC_DANGEROUS,
    SEC_SECRET,
    check_secrets,
    check_security,
)
from virtcompat.xen.rules.usb import (
    _USB_KEYS,
    USB_DEVICE,
    USB_IMPLICIT,
    USB_PV,
    USB_VERSION,
    check_usb,
)
from virtcompat.xen.rules.versions import (
    VER_DEPRECATED,
    VER_OPTION,
    VER_TOOLSTACK,
    check_versions,
)

Check = Callable[[Ctx], None]

CHECKS: tuple[Check, ...] = (
    resolve_guest,
    check_keys,
    check_shapes,
    check_values,
    check_versions,
    check_name,
    check_boot_source,
    check_guest_applicability,
    check_xl_ignores,
    check_memory,
    check_vcpus,
    check_scheduler,
    check_lifecycle,
    check_paused,
    check_clock,
    check_vnc,
    check_videoram,
    check_xm_pv_graphics,
    check_usb,
    check_pci,
    check_disks,
    check_vifs,
    check_device_model_version,
    check_timer_mode,
    check_security,
    check_secrets,
)

# The keys without which a check can report nothing and changes nothing: every finding (and
# every ctx.requires entry) it makes needs one of them set, as its first lines show. validate
# skips a check when the config sets none of its keys; checks not listed always run (they
# report missing keys, walk every key, or set ctx.guest). tests/xen/test_xen_rules.py runs the
# corpus and the rule cases both ways.
TRIGGERS: Mapping[Check, frozenset[str]] = {
    check_memory: frozenset({"memory", "maxmem"}),
    check_vcpus: frozenset({"vcpus", "maxvcpus", "cpus"}),  # apic only matters with vcpus > 1
    check_scheduler: frozenset({"cpu_weight", "cap", "cpu_cap"}),
    check_paused: frozenset({"paused"}),
    check_clock: frozenset({"rtc_timeoffset", "viridian", "name"}),  # name: a Windows guest
    check_vnc: frozenset({"vnclisten"}),
    check_videoram: frozenset({"videoram"}),
    check_xm_pv_graphics: frozenset({"vnc", "sdl", "nographic", "vfb"}),
    check_usb: _USB_KEYS,
    check_pci: _PCI_KEYS,
    check_disks: frozenset({"disk"}),
    check_vifs: frozenset({"vif"}),
    check_device_model_version: frozenset({"device_model_version"}),
    check_timer_mode: frozenset({"timer_mode"}),
    check_xl_ignores: frozenset({"device_model", "kernel"}),
    check_security: _XL_DANGEROUS_KEYS | {"gfx_passthru", "bootloader", "vif", "disk"},
}

# Every XEN-* rule, for SARIF's tool.driver.rules and for tests.
XEN_RULES: Mapping[str, Rule] = {
    r.id: r for r in list(globals().values()) if isinstance(r, Rule) and r.id.startswith("XEN-")
}

__all__ = [
    "CHECKS",
    "CPU_APIC",
    "CPU_PIN_LIST",
    "CPU_SCHED",
    "CPU_VCPUS",
    "Check",
    "DISK_SPEC",
    "DM_VERSION",
    "E",
    "FMT_DUPLICATE",
    "FMT_ENCODING",
    "FMT_ESCAPE",
    "FMT_LIMIT",
    "FMT_OTHER_TOOLSTACK",
    "FMT_PYTHON",
    "FMT_SYNTAX",
    "FMT_TYPE",
    "FMT_UNKNOWN",
    "FMT_VERSION_GATE",
    "FMT_XL_LEXICAL",
    "FMT_XM_DROPPED",
    "GFX_NOGRAPHIC",
    "GFX_OPEN_VNC",
    "GFX_PV_XM",
    "GFX_VIDEORAM",
    "GFX_VNCDISPLAY",
    "HAP_HOST",
    "HAP_SHADOW",
    "HVM_DOM0_MASK",
    "HVM_HOST",
    "INFO",
    "LIFE_ACTION",
    "LIFE_DEFAULTS",
    "LIFE_PAUSED",
    "MEM_POD",
    "MEM_RANGE",
    "NAME_REQUIRED",
    "NEST_ALTP2M",
    "NEST_REQUIREMENTS",
    "PAE_REQUIRED",
    "PCI_BDF",
    "PCI_DEFAULTS",
    "PCI_HVM_IOMMU",
    "PCI_HVM_ONLY",
    "PCI_PASSTHROUGH_MODE",
    "PCI_POD",
    "PCI_PV_IOMMU",
    "PCI_TRUSTED",
    "RTC_LOCALTIME",
    "RTC_NEGATIVE",
    "RTC_PV",
    "RTC_RANGE",
    "RTC_WINDOWS",
    "SEC_DANGEROUS",
    "SEC_SECRET",
    "TIME_MODE",
    "TRIGGERS",
    "TYPE_BUILDER",
    "TYPE_BUILDER_DEPRECATED",
    "TYPE_IGNORED_FOR_GUEST",
    "TYPE_PV_KERNEL",
    "TYPE_XL_IGNORES",
    "USB_DEVICE",
    "USB_IMPLICIT",
    "USB_PV",
    "USB_VERSION",
    "VAL_ALLOWED",
    "VER_DEPRECATED",
    "VER_OPTION",
    "VER_TOOLSTACK",
    "VIF_SPEC",
    "W",
    "XEN_RULES",
    "check_boot_source",
    "check_clock",
    "check_device_model_version",
    "check_disks",
    "check_guest_applicability",
    "check_keys",
    "check_lifecycle",
    "check_memory",
    "check_name",
    "check_paused",
    "check_pci",
    "check_scheduler",
    "check_secrets",
    "check_security",
    "check_shapes",
    "check_timer_mode",
    "check_usb",
    "check_values",
    "check_vcpus",
    "check_versions",
    "check_videoram",
    "check_vifs",
    "check_vnc",
    "check_xl_ignores",
    "check_xm_pv_graphics",
    "require_host",
    "resolve_guest",
]

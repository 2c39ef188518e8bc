"""Domain rules: checks on a :class:`~virtcompat.domain.spec.DomainSpec`, one module per family.

Each module registers its rules at import time (the registry imports this package) and
exports its checks; each check's docstring names the quirk or document it encodes. A rule
that means the same in xm, xl and libvirt has one id in all three: the new DOM-* rules run on
every format, and the libvirt forms of the Xen rules cite the XEN-* ids.

Families: memory (PoD), passthrough (host devices, vIOMMU), cpu, display/console (``display``),
usb/input (``usb``), clock, lifecycle, security (launch security), format (libvirt syntax).
"""

from __future__ import annotations

from virtcompat.domain.rules import (
    clock,
    cpu,
    display,
    format,
    lifecycle,
    memory,
    passthrough,
    security,
    usb,
)
from virtcompat.domain.rules._common import ModelCheck

MODEL_CHECKS: tuple[ModelCheck, ...] = (
    cpu.check_hw_virt,
    cpu.check_nested,
    cpu.check_hap,
    cpu.check_pae,
    memory.check_memory_given,
    memory.check_pod,
    memory.check_pod_passthrough,
    passthrough.check_duplicate_hostdevs,
    passthrough.check_hostdev_host,
    passthrough.check_viommu,
    usb.check_usb_disabled,
    usb.check_usb_device,
    display.check_nographic,
    display.check_open_console,
    clock.check_clock,
    lifecycle.check_lifecycle,
    security.check_launch_security,
)

__all__ = ["MODEL_CHECKS", "format"]

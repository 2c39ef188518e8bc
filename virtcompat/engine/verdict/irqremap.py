"""Interrupt remapping: whether device assignment is safe once the IOMMU works.

Without interrupt remapping an assigned device can forge MSIs into the host; VFIO then
refuses assignment unless ``vfio_iommu_type1.allow_unsafe_interrupts=1`` (and Xen warns).
The kernel says so in its log: ``DMAR-IR: Enabled IRQ remapping in x2apic|xapic mode``
(drivers/iommu/intel/irq_remapping.c), ``AMD-Vi: Interrupt remapping enabled``
(drivers/iommu/amd/init.c); the IOH erratum and missing IVRS IOAPIC entries switch it off.
"""

from __future__ import annotations

from virtcompat.capability import Capability, Layer, Reason
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.verdict.common import S, info, reason
from virtcompat.rules.registry import Applies, Rule, Severity, register

IRQ_REMAP = register(
    Rule(
        id="HW-PT-IRQ-REMAP",
        title="Interrupt remapping makes device assignment safe",
        severity=Severity.WARNING,
        applies_to=Applies.HARDWARE,
        explanation="An assigned device can write MSIs; only interrupt remapping stops it from "
        "injecting interrupts into the host. Linux logs 'DMAR-IR: Enabled IRQ remapping' "
        "(Intel) or 'AMD-Vi: Interrupt remapping enabled'; VFIO refuses assignment without "
        "it unless vfio_iommu_type1.allow_unsafe_interrupts=1.",
        sources=(
            "torvalds/linux drivers/iommu/intel/irq_remapping.c",
            "torvalds/linux drivers/iommu/amd/init.c",
            "torvalds/linux drivers/vfio/vfio_iommu_type1.c (allow_unsafe_interrupts)",
        ),
    )
)


def interrupt_remapping(f: HostFacts, vtd: Capability) -> list[Reason]:
    """HW-PT-IRQ-REMAP for a probe whose IOMMU works (or may): on, off, or not shown."""
    k = f.kernel
    if not f.observed or vtd.status in (S.UNSUPPORTED, S.MASKED):
        return []
    if k.irq_remapping is True:
        return [
            reason(
                IRQ_REMAP,
                Layer.KERNEL,
                S.SUPPORTED,
                "Interrupt remapping is enabled: assigned devices cannot inject interrupts "
                "into the host.",
                k.evidence,
                hint={},
            )
        ]
    if k.irq_remapping is False:
        return [
            reason(
                IRQ_REMAP,
                Layer.KERNEL,
                S.DISABLED,
                "Interrupt remapping is off (chipset erratum or incomplete firmware tables): "
                "passthrough is not safe, and VFIO refuses it unless "
                "allow_unsafe_interrupts=1.",
                k.evidence,
                hint={
                    "bios_update": "a release that fixes the DMAR/IVRS interrupt-remapping entries",
                    "unsafe_workaround": "vfio_iommu_type1.allow_unsafe_interrupts=1 "
                    "(trusted guests only)",
                },
            )
        ]
    return [
        info(
            reason(
                IRQ_REMAP,
                Layer.KERNEL,
                S.UNKNOWN,
                "The probe does not show interrupt remapping; without it passthrough is not "
                "safe and VFIO refuses it unless allow_unsafe_interrupts=1.",
                k.evidence,
                hint={
                    "check": "dmesg for 'DMAR-IR: Enabled IRQ remapping' or "
                    "'AMD-Vi: Interrupt remapping enabled'"
                },
            )
        )
    ]

"""Verdicts derived from the others: HVM guests and PCI passthrough."""

from __future__ import annotations

from virtcompat.capability import Capability, Layer, Reason
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.verdict.common import (
    S,
    capability,
    feature_of,
    info,
    is_ia64,
    reason,
)
from virtcompat.engine.verdict.irqremap import interrupt_remapping
from virtcompat.engine.verdict.kvm import host_devices, kvm_usable_reason, vfio_device
from virtcompat.engine.verdict.vtd import iommu_name


def why(cap: Capability) -> list[Reason]:
    """The reasons that decided a capability this one depends on, so a derived verdict (and a
    config finding citing it) names the root cause, e.g. the DQ43AP VT-d trap."""
    if cap.status == S.SUPPORTED:
        return []
    return [r for r in cap.reasons if not r.advisory and r.status == cap.status]


def judge_hvm(f: HostFacts, vtx: Capability) -> Capability:
    """HW-HVM: HVM guests need VT-x / AMD-V; HW-KVM-USABLE: unless KVM already works."""
    usable = kvm_usable_reason(f)
    if usable is not None and usable.status == S.SUPPORTED:
        return capability([usable, *[info(r) for r in why(vtx)], *host_devices(f)])
    broken = [info(usable), *host_devices(f)] if usable is not None else host_devices(f)
    guests = (
        "Only IA-64 HVM guests (Xen 3.x), never x86 ones, can run here; they need"
        if is_ia64(f)
        else "HVM guests (Xen HVM, KVM) need"
    )
    return capability(
        broken
        + [
            reason(
                R.HVM,
                Layer.CPU,
                vtx.status,
                f"{guests} {feature_of(f)}, which is {vtx.status.value}.",
                hint=None if vtx.status == S.SUPPORTED else {"see": "vtx"},
            ),
            *why(vtx),
        ]
    )


def _xen_directio(f: HostFacts, vtd: Capability) -> Reason:
    """HW-XEN-VIRT-CAPS: Xen lists hvm_directio when it can assign devices through the IOMMU."""
    assert f.xen is not None
    direct = "hvm_directio" in f.xen.virt_caps
    if direct:
        status = S.SUPPORTED
    else:
        status = vtd.status if vtd.status != S.SUPPORTED else S.DISABLED
    return reason(
        R.XEN_VIRT_CAPS,
        Layer.HYPERVISOR,
        status,
        f"Xen virt_caps {'include' if direct else 'lack'} hvm_directio (IOMMU device assignment).",
        f.xen.evidence,
    )


def _needs_iommu_and_hvm(f: HostFacts, vtd: Capability, hvm: Capability) -> list[Reason]:
    """HW-PT-NEEDS-IOMMU and HW-HVM: assignment needs the IOMMU and an HVM/KVM guest."""
    name = iommu_name(f)
    return [
        reason(
            R.PT_NEEDS_IOMMU,
            Layer.CHIPSET,
            vtd.status,
            f"Device assignment to HVM/KVM guests needs {name}, which is {vtd.status.value}.",
            hint=None if vtd.status == S.SUPPORTED else {"see": "vtd"},
        ),
        *why(vtd),
        reason(
            R.HVM,
            Layer.CPU,
            hvm.status,
            f"The guest itself must be HVM/KVM, which is {hvm.status.value}.",
            hint=None if hvm.status == S.SUPPORTED else {"see": "hvm"},
        ),
    ]


def _xen_pv_fallback(f: HostFacts, vtd: Capability, hypervisor: str | None) -> list[Reason]:
    """HW-PT-XEN-PV-INSECURE: Xen PV passthrough works without an IOMMU, unsafely."""
    if hypervisor not in (None, "xen") or vtd.status == S.SUPPORTED:
        return []
    return [
        reason(
            R.PT_XEN_PV_INSECURE,
            Layer.HYPERVISOR,
            S.SUPPORTED,
            f"Xen can still pass a PCI device to a PV guest without {iommu_name(f)}, but that "
            "guest can then DMA into any host memory: only for fully trusted guests.",
        )
    ]


def judge_passthrough(
    f: HostFacts, vtd: Capability, hvm: Capability, hypervisor: str | None
) -> Capability:
    if f.xen is not None and f.xen.virt_caps:
        reasons = [_xen_directio(f, vtd)]
    else:
        reasons = _needs_iommu_and_hvm(f, vtd, hvm)
    return capability(
        [
            *reasons,
            *interrupt_remapping(f, vtd),
            *vfio_device(f),
            *_xen_pv_fallback(f, vtd, hypervisor),
        ]
    )

"""Hardware virtualization, nested virtualization, paging (HAP) and PAE for libvirt input.

The ids are the Xen ones (XEN-HVM-001, XEN-NEST-001, XEN-HAP-001/002, XEN-PAE-001) because
the requirement is the same whatever file asked for it: ``<domain type='kvm'>`` and an xl
``type="hvm"`` both need VT-x/AMD-V enabled on the target; ``type='qemu'`` (TCG) needs
nothing from the CPU. The xl/xm checks keep reading their own keys.
"""

from __future__ import annotations

from virtcompat.capability import Status
from virtcompat.domain.rules._common import INFO, W, emit, hw_virt, need_host
from virtcompat.domain.spec import DomainSpec
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx

_VENDOR_FEATURE = {"vmx": "intel", "svm": "amd"}


def check_hw_virt(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-HVM-001/002: KVM, and Xen HVM/PVH, need VT-x/AMD-V on and usable on the target.

    Xen hides vmx/svm from a PV dom0's /proc/cpuinfo, so a 'masked' verdict for a Xen
    target is most likely a probe run in dom0 (XEN-HVM-002).
    """
    if not hw_virt(spec):
        return
    if spec.accelerator == "kvm":
        assert spec.accel is not None
        pos = spec.accel.pos
        what = "a KVM guest (domain type='kvm')"
        fix = "enable VT-x/AMD-V in the firmware setup, or use domain type='qemu' (TCG, slow)"
    else:
        assert spec.guest is not None
        pos = spec.guest.pos
        what = f"an {spec.guest.value.upper()} guest"
        fix = "enable VT-x/AMD-V in the firmware setup"
    need_host(ctx, X.HVM_HOST, "hvm", what, pos, fix=fix)
    if ctx.host is None or spec.accelerator != "xen":
        return
    if any(
        (cap := ctx.host.get(name)) is not None and cap.status is Status.MASKED
        for name in ("hvm", "vtx")
    ):
        emit(
            ctx,
            X.HVM_DOM0_MASK,
            "the host verdict says VT-x/AMD-V is masked: if the probe ran in a Xen dom0, "
            "Xen hides vmx/svm from dom0's /proc/cpuinfo on purpose",
            pos,
            hint="check 'xl info' (virt_caps: hvm) on the Xen host instead",
        )


def check_nested(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-NEST-001: a guest that must see vmx/svm needs nested support on the target.

    KVM: the host CPU's own extension must be there and usable (not masked by an outer
    hypervisor), and it must be the right vendor's (vmx is Intel, svm AMD). Xen: libvirt's
    host-passthrough is nestedhvm=1, which needs HAP on Xen >= 4.15 as in xl.
    """
    if spec.fmt != "libvirt" or spec.nested is None or not spec.nested.value:
        return
    pos = spec.nested.pos
    if spec.accelerator == "xen":
        if spec.guest_type == "pv":
            emit(ctx, X.NEST_REQUIREMENTS, "nested HVM needs an HVM (or PVH) guest", pos)
            return
        if spec.hap is not None and not spec.hap.value:
            emit(ctx, X.NEST_REQUIREMENTS, "Nested virt not supported without HAP", pos)
        ctx.requires.add("hvm")
        need_host(ctx, X.NEST_REQUIREMENTS, "slat", "nested HVM (needs HAP on Xen >= 4.15)", pos)
        return
    if spec.accelerator != "kvm":
        return
    feature = spec.nested.shown
    want = _VENDOR_FEATURE.get(feature)
    if want is not None and ctx.host_vendor is not None and ctx.host_vendor != want:
        emit(
            ctx,
            X.NEST_REQUIREMENTS,
            f"the guest requires '{feature}' ({want.upper()}) but the target CPU is "
            f"{ctx.host_vendor.upper()}: KVM can only nest the host's own extension",
            pos,
        )
    need_host(
        ctx,
        X.NEST_REQUIREMENTS,
        "vtx",
        f"nested virtualization (CPU feature '{feature}' required)",
        pos,
        fix="the host must run KVM with nested=1 on a CPU whose VT-x/AMD-V is not masked",
    )


def check_paging(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-HAP-001/002, XEN-PAE-001 for a libvirt Xen HVM domain (<hap>, <pae/>)."""
    if spec.fmt != "libvirt" or spec.accelerator != "xen" or spec.guest_type != "hvm":
        return
    if spec.hap is not None:
        if not spec.hap.value:
            emit(
                ctx,
                X.HAP_SHADOW,
                "<hap state='off'/>: the guest uses shadow paging (slower; needs a "
                "hypervisor built with shadow paging)",
                spec.hap.pos,
                severity=INFO,
            )
        else:
            need_host(
                ctx, X.HAP_HOST, "slat", "<hap/> ('HAP requested but not available')", spec.hap.pos
            )
    if spec.pae is not None and not spec.pae.value:
        emit(
            ctx,
            X.PAE_REQUIRED,
            "no <pae/> in <features>: libvirt's Xen driver sets pae=0, and a 64-bit guest "
            "cannot boot without PAE",
            spec.pae.pos,
            severity=W,
            hint="add <pae/> to <features>",
        )

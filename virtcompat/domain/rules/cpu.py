"""Hardware virtualization, nested virtualization, paging (HAP) and PAE for libvirt input.

The ids are the Xen ones (XEN-HVM-001, XEN-NEST-001, XEN-HAP-001/002, XEN-PAE-001) because
the requirement is the same whatever file asked for it: ``<domain type='kvm'>`` and an xl
``type="hvm"`` both need VT-x/AMD-V enabled on the target; ``type='qemu'`` (TCG) needs
nothing from the CPU. One check per id serves xm, xl and libvirt; the wording follows the
format the user wrote.
"""

from __future__ import annotations

from virtcompat.capability import Status
from virtcompat.domain.rules._common import INFO, W, emit, hw_virt, need_host
from virtcompat.domain.spec import DomainSpec
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import _host_capability as host_capability
from virtcompat.xen.rules._base import require_host

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
    """XEN-NEST-001/002: a guest that must see vmx/svm needs nested support on the target.

    Xen (xl nestedhvm=1, libvirt host-passthrough on a Xen domain): an HVM/PVH guest, HAP
    on Xen >= 4.15 ('Nested virt not supported without HAP'), no altp2m. KVM (a required
    vmx/svm feature): the host CPU's own extension must be there and usable (not masked by
    an outer hypervisor), and it must be the right vendor's (vmx is Intel, svm AMD).
    """
    if spec.nested is None or not spec.nested.value:
        return
    pos = spec.nested.pos
    if spec.accelerator == "xen":
        _nested_xen(spec, ctx)
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


def _nested_xen(spec: DomainSpec, ctx: Ctx) -> None:
    assert spec.nested is not None
    pos, xl = spec.nested.pos, spec.fmt != "libvirt"
    what = "nestedhvm" if xl else "nested HVM"
    if spec.guest_type == "pv":
        emit(ctx, X.NEST_REQUIREMENTS, f"{what} needs an HVM (or PVH) guest", pos)
        return
    strict = ctx.at_least_or_head("4.15")
    if spec.hap is not None and not spec.hap.value and strict:
        hap = " (hap = 0)" if xl else ""
        emit(ctx, X.NEST_REQUIREMENTS, f"Nested virt not supported without HAP{hap}", pos)
    ctx.requires.add("hvm")
    why = "needs HAP on Xen >= 4.15" if strict else "works best with HAP"
    need_host(ctx, X.NEST_REQUIREMENTS, "slat", f"{what} ({why})", pos, hard=strict)
    if spec.altp2m is not None:
        emit(ctx, X.NEST_ALTP2M, "nestedhvm and altp2mhvm cannot be used together", pos)


def _hap_guest(spec: DomainSpec) -> bool:
    """HAP is a Xen HVM (and xl PVH) setting; libvirt's <hap> only reaches HVM domains."""
    if spec.accelerator != "xen":
        return False
    return spec.guest_type == "hvm" or (spec.fmt == "xl" and spec.guest_type == "pvh")


def check_hap(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-HAP-001/002: HAP asked for on a host without EPT/NPT; HAP off needs shadow paging.

    Explicit HAP fails on Xen >= 4.13 ('HAP requested but not available', d0c0ba7d3d) and
    silently falls back to shadow paging before; xm never checked. With HAP unset, xm/xl ask
    for it by default (xl >= 4.13 picks shadow paging itself).
    """
    if not _hap_guest(spec):
        return
    hap, xl = spec.hap, spec.fmt != "libvirt"
    if hap is not None and not hap.value:
        if spec.fmt == "xl":
            msg = "hap = 0: the guest uses shadow paging (slower; needs a hypervisor built with "
            msg += "shadow paging, 'shadow' in virt_caps on 4.13+)"
            emit(ctx, X.HAP_SHADOW, msg, hap.pos)
        elif not xl:
            msg = "<hap state='off'/>: the guest uses shadow paging (slower; needs a hypervisor "
            msg += "built with shadow paging)"
            emit(ctx, X.HAP_SHADOW, msg, hap.pos, severity=INFO)
        return
    if hap is not None:
        if not xl:
            what = "<hap/> ('HAP requested but not available')"
            need_host(ctx, X.HAP_HOST, "slat", what, hap.pos)
            return
        fails = ctx.at_least_or_head("4.13") if spec.fmt == "xl" else False
        if spec.fmt == "xm" and ctx.version is not None and ctx.version.at_least("4.13"):
            fails = True
        how = (
            "'HAP requested but not available' on Xen >= 4.13"
            if fails
            else "silent fallback to shadow paging before Xen 4.13"
        )
        fix = "drop hap = 1 to let xl choose, or use a CPU with EPT/NPT"
        need_host(ctx, X.HAP_HOST, "slat", f"hap = 1 ({how})", hap.pos, hard=fails, fix=fix)
        return
    if not xl or ctx.host is None:
        return
    cap = host_capability(ctx, "slat")
    if cap is None or cap.status in (Status.SUPPORTED, Status.UNKNOWN, Status.CONFLICT):
        return
    if spec.fmt == "xl" and ctx.at_least_or_head("4.13"):
        what, soft = "hardware-assisted paging (xl then picks shadow paging)", INFO
    else:
        what, soft = "the default hap = 1 (Xen silently falls back to shadow paging)", W
    require_host(ctx, X.HAP_HOST, "slat", what, key=None, hard=False, soft=soft)


def check_pae(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-PAE-001: no PAE stops a 64-bit Xen HVM guest; xl's nx=1 needs PAE (XLCFG)."""
    pae = spec.pae
    if spec.accelerator != "xen" or spec.guest_type != "hvm" or pae is None or pae.value:
        return
    if spec.fmt == "libvirt":
        emit(
            ctx,
            X.PAE_REQUIRED,
            "no <pae/> in <features>: libvirt's Xen driver sets pae=0, and a 64-bit guest "
            "cannot boot without PAE",
            pae.pos,
            severity=W,
            hint="add <pae/> to <features>",
        )
        return
    emit(ctx, X.PAE_REQUIRED, "pae = 0: a 64-bit guest cannot boot without PAE", pae.pos)
    if spec.fmt == "xl" and spec.nx is not None and spec.nx.value:
        emit(ctx, X.PAE_REQUIRED, "nx = 1 requires pae = 1", spec.nx.pos)

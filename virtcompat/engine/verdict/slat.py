"""EPT / NPT (second-level address translation): an extension of VT-x / AMD-V."""

from __future__ import annotations

from virtcompat.capability import Capability, Layer, Reason
from virtcompat.catalogue.types import CpuSpec
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.infer import infer_slat, infer_vtx
from virtcompat.engine.verdict.common import (
    S,
    capability,
    combine,
    cpu_missing,
    feature,
    inferred,
    info,
    is_ia64,
    reason,
    source_notes,
    tri,
    vendor,
)
from virtcompat.engine.verdict.kvm import (
    kvm_log_proves_slat,
    microarch_lacks_slat,
    non_x86_arch,
    non_x86_slat,
    paging_param,
)
from virtcompat.engine.verdict.vtd import logged_cpu


def _kind(f: HostFacts) -> str:
    return {"intel": "EPT", "amd": "NPT"}.get(vendor(f) or "", "EPT/NPT")


def _xen_hap(f: HostFacts) -> Reason:
    """HW-XEN-VIRT-CAPS: Xen 4.13+ lists 'hap' in virt_caps when it uses EPT/NPT."""
    assert f.xen is not None
    kind = _kind(f)
    hap = f.xen.hap
    if hap is None:
        return reason(
            R.XEN_VIRT_CAPS,
            Layer.HYPERVISOR,
            S.UNKNOWN,
            f"This Xen's virt_caps predate the 'hap' token (Xen < 4.13), so they do not say "
            f"whether {kind} is in use.",
            f.xen.evidence,
            hint={"check": "xl dmesg for 'HVM: Hardware Assisted Paging (HAP) detected'"},
        )
    return reason(
        R.XEN_VIRT_CAPS,
        Layer.HYPERVISOR,
        S.SUPPORTED if hap else S.UNSUPPORTED,
        f"Xen virt_caps {'include' if hap else 'lack'} hap ({kind}).",
        f.xen.evidence,
        hint={},
    )


def _follows_vtx(f: HostFacts, vtx: Capability) -> Reason | None:
    """HW-SLAT-CPU: no usable VT-x/AMD-V, no usable EPT/NPT."""
    if vtx.status not in (S.UNSUPPORTED, S.DISABLED, S.MASKED):
        return None
    return reason(
        R.SLAT_CPU,
        Layer.CPU,
        vtx.status,
        f"{_kind(f)} is an extension of {feature(vendor(f))}, which is {vtx.status.value}.",
        hint={},
    )


def _observed_flags(f: HostFacts) -> Reason:
    """HW-SLAT-CPU: cpuinfo's ept/npt flag (or the vmx flags line on newer kernels)."""
    flags = (f.cpu.flags or frozenset()) | (f.cpu.vmx_flags or frozenset())
    if "ept" in flags or "npt" in flags:
        return reason(
            R.SLAT_CPU,
            Layer.CPU,
            S.SUPPORTED,
            f"cpuinfo shows {'ept' if 'ept' in flags else 'npt'}.",
            f.cpu.evidence,
        )
    if f.hypervisor.present:
        return _guest_hides(f)
    return reason(
        R.SLAT_CPU,
        Layer.CPU,
        S.UNSUPPORTED,
        f"cpuinfo shows {feature(vendor(f))} without {_kind(f)}: hypervisors fall back to shadow "
        "paging.",
        f.cpu.evidence,
    )


def _guest_hides(f: HostFacts) -> Reason:
    """HW-SLAT-CPU in a guest: a virtual CPU with vmx/svm but no ept/npt says what the
    hypervisor exposes (QEMU's default models and nested setups without EPT-on-EPT), not what
    the host's silicon has."""
    return reason(
        R.SLAT_CPU,
        Layer.HYPERVISOR,
        S.MASKED,
        f"This guest's virtual CPU ({f.hypervisor.name or 'hypervisor'}) shows "
        f"{feature(vendor(f))} without {_kind(f)}: the hypervisor does not pass {_kind(f)} "
        "through; the host's own support cannot be judged from inside the VM.",
        (*f.cpu.evidence, *f.hypervisor.evidence),
        hint={"host_setting": f"expose {_kind(f)} to the guest (e.g. QEMU -cpu host)"},
    )


def _logged(f: HostFacts) -> list[Reason]:
    """HW-INFER-INTEL-EPT / -AMD-NPT for a CPU the log names but the catalogue lacks, placed by
    its CPUID signature; only where its SKU class also has VT-x / AMD-V (a Clarkdale Pentium
    is Nehalem-era silicon with neither)."""
    spec = logged_cpu(f)
    if spec is None:
        return []
    slat, vtx = infer_slat(spec), infer_vtx(spec)
    if slat is None or slat.value != "yes" or vtx is None or vtx.value != "yes":
        return []
    return [inferred(slat, spec)]


def _catalogue(f: HostFacts) -> list[Reason]:
    spec = f.cpu.spec
    kind = _kind(f)
    if spec is None:
        return _logged(f) or [cpu_missing(f, kind)]
    status, word = tri(spec.slat)
    if status == S.UNKNOWN:
        guess = infer_slat(spec)
        if guess is not None:
            return [inferred(guess, spec)]
    return [
        reason(
            R.SLAT_CPU,
            Layer.CPU,
            status,
            f"{spec.brand} {word} {kind}.",
            spec.evidence(("slat", "ept", "npt")),
        )
    ]


def _guest_not_shown(f: HostFacts, vtx: Capability) -> list[Reason]:
    """HW-SLAT-MASKED: a guest without its own evidence of EPT/NPT.

    The CPU a guest names (smpboot, cpuinfo brand) is the host's silicon; whether the guest
    may use its EPT/NPT is the hypervisor's choice, off by default everywhere. The catalogue
    row rides along as context, never as the verdict."""
    kind = _kind(f)
    name = f.hypervisor.name or "an unidentified hypervisor"
    spec = [info(r) for r in _catalogue(f) if f.cpu.spec is not None]
    if vtx.status == S.SUPPORTED:
        # VT-x is exposed (the guest's own KVM said so), nested paging is a separate choice.
        return [
            *spec,
            reason(
                R.SLAT_MASKED,
                Layer.HYPERVISOR,
                S.UNKNOWN,
                f"This guest ({name}) runs KVM with {feature(vendor(f))} exposed, but nothing "
                f"in the probe shows {kind} passed through (no {kind.lower()} flag, no KVM "
                "paging line or parameter).",
                f.hypervisor.evidence,
                hint={"check": "/sys/module/kvm_intel/parameters/ept or kvm_amd/parameters/npt"},
            ),
        ]
    if f.hypervisor.xen_pv_domain:
        # Xen masks vmx/svm (and with them EPT/NPT) from every PV domain, dom0 included; Xen
        # itself may still use HAP for its HVM guests, which only xl info shows.
        message = (
            f"This probe ran in a Xen PV domain ({name}): Xen hides {feature(vendor(f))} and "
            f"{kind} from PV domains, dom0 included; whether Xen itself uses {kind} (HAP) for "
            "HVM guests shows only in xl info."
        )
        hint: dict[str, str] | None = {"check": "xl info in dom0: 'hap' in virt_caps"}
    else:
        message = (
            f"This probe ran in a guest ({name}): the host CPU's {kind} reaches the guest only "
            f"if {name} exposes nested virtualization with {kind}, and nothing in the probe "
            f"(vmx/svm and {kind.lower()} flags, KVM lines inside the guest) shows it does."
        )
        hint = None
    return [
        *spec,
        reason(R.SLAT_MASKED, Layer.HYPERVISOR, S.MASKED, message, f.hypervisor.evidence, hint),
    ]


def _ia64(spec: CpuSpec) -> Reason:
    """HW-VTI-CPU: second-level translation in the EPT/NPT sense is an x86 extension."""
    return reason(
        R.VTI_CPU,
        Layer.CPU,
        S.UNSUPPORTED,
        f"{spec.brand} is an Itanium (IA-64): EPT and NPT are extensions of VT-x and AMD-V, "
        "which an IA-64 host does not have. (ARK prints an 'EPT' line on some Itanium rows; "
        "like its 'VT-x' line, it stands for an IA-64 feature under VT-i, not x86 EPT.)",
        spec.evidence(("vtx", "vti")),
        hint={},
    )


def judge_slat(f: HostFacts, vtx: Capability) -> Capability:
    if f.xen is not None and f.xen.virt_caps:
        return capability([_xen_hap(f)])
    if non_x86_arch(f) is not None:
        return capability([non_x86_slat(f)])
    if is_ia64(f) and f.cpu.spec is not None:
        return capability([_ia64(f.cpu.spec)])
    # On a probe the signature speaks for the host; a catalogue query keeps its explicit
    # record first and infers (HW-INFER-*) only where the record is blank.
    # In a guest the CPUID signature is the virtual CPU model's (QEMU's qemu64 claims family
    # 0xf model 0x6b, a K8), so it says nothing about the host's paging support.
    lacking = microarch_lacks_slat(f) if f.observed and not f.hypervisor.present else None
    if lacking is not None:
        return capability([lacking])
    follows = _follows_vtx(f, vtx)
    if follows is not None:
        return capability([follows])
    first_hand = [r for r in (kvm_log_proves_slat(f), paging_param(f)) if r is not None]
    if first_hand and not (f.observed and f.cpu.flags is not None):
        return capability(first_hand)
    if f.observed and f.cpu.flags is not None:
        param = paging_param(f)
        off = [param] if param is not None and param.status == S.DISABLED else []
        return capability([_observed_flags(f), *off])
    if f.observed and f.hypervisor.present:
        return capability(_guest_not_shown(f, vtx))
    reasons = _catalogue(f)
    reasons += source_notes(f, "slat", combine(reasons))
    return capability(reasons)

"""VT-x / AMD-V: the CPU extension, its BIOS lock, and what a host (or Xen) shows of it.

Order of authority: Xen's ``virt_caps`` decide on a Xen host (a PV dom0 sees no vmx/svm);
otherwise a probe's cpuinfo flags decide and the catalogue row is shown beside them; a
catalogue query is judged from the CPU row alone, with BIOS-setup guidance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from virtcompat.capability import Capability, Layer, Reason, Status
from virtcompat.catalogue.types import CpuSpec, SteppingSpec
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.infer import infer_vtx
from virtcompat.engine.verdict.common import (
    S,
    capability,
    combine,
    cpu_missing,
    feature_of,
    inferred,
    info,
    reason,
    rule_hint,
    source_notes,
    tri,
    vendor,
)
from virtcompat.engine.verdict.kvm import firmware_lock, kvm_check_proves_vtx, kvm_log_proves_vtx
from virtcompat.engine.verdict.tallies import tally_reason


@dataclass(frozen=True, slots=True)
class VtxContext:
    f: HostFacts
    vendor: str | None
    feat: str  # "VT-x", "AMD-V" or "VT-x/AMD-V"
    spec: Reason | None  # what the catalogue's CPU row says, if a row matched


# -- the catalogue's CPU row -------------------------------------------------------------------


def _chosen_stepping(f: HostFacts, spec: CpuSpec) -> SteppingSpec | None:
    chosen = None
    for s in spec.steppings:
        if (f.cpu.stepping_name and s.name.lower() == f.cpu.stepping_name.lower()) or (
            f.cpu.stepping is not None and s.cpuid_stepping == f.cpu.stepping
        ):
            chosen = s
    return chosen


def _stepping_reason(f: HostFacts, spec: CpuSpec, feat: str) -> Reason:
    """HW-VTX-STEPPING: some SKUs (E7400, Q8300…) gained VT-x in a later stepping."""
    listing = ", ".join(f"{s.name}: {s.vtx}" for s in spec.steppings)
    chosen = _chosen_stepping(f, spec)
    if chosen is None:
        return reason(
            R.VTX_STEPPING,
            Layer.CPU,
            S.UNKNOWN,
            f"{spec.brand}: {feat} depends on the stepping ({listing}); the stepping is not known.",
            spec.evidence(("vtx", "stepping")),
            hint={
                "give": "cpu stepping",
                "steppings": [s.name for s in spec.steppings],
                "or": "post a probe from the host (cpuinfo shows vmx and the stepping)",
            },
        )
    status = {"yes": S.SUPPORTED, "no": S.UNSUPPORTED}.get(chosen.vtx, S.UNKNOWN)
    return reason(
        R.VTX_STEPPING,
        Layer.CPU,
        status,
        f"{spec.brand} stepping {chosen.name}: {feat} {chosen.vtx} ({listing}).",
        spec.evidence(("vtx", "stepping")),
    )


def _vti_reason(spec: CpuSpec) -> Reason:
    """HW-VTI-CPU: ARK's "VT-x" line on an Itanium is VT-i; no x86 guest runs there."""
    status, word = tri(spec.vtx)
    return reason(
        R.VTI_CPU,
        Layer.CPU,
        status,
        f"{spec.brand} is an Itanium (IA-64) and {word} VT-i, Intel Virtualization Technology "
        "for Itanium (ARK prints it on its 'VT-x' line). VT-i is not VT-x: x86 guests cannot "
        "run on this host; Xen 3.x ran IA-64 HVM guests with VT-i.",
        spec.evidence(("vtx", "vti")),
        hint={"choose_cpu": "an x86 CPU with VT-x / AMD-V for x86 guests"},
    )


def cpu_spec_reason(f: HostFacts, feat: str) -> Reason | None:
    """HW-VTX-CPU (or HW-VTX-STEPPING): the catalogue's statement about the matched CPU;
    an HW-INFER-* rule where the record says nothing; HW-VTI-CPU on an Itanium."""
    spec = f.cpu.spec
    if spec is None:
        return None
    if spec.isa == "ia64":
        return _vti_reason(spec)
    if spec.steppings and len({s.vtx for s in spec.steppings}) > 1:
        return _stepping_reason(f, spec, feat)
    status, word = tri(spec.vtx)
    if status == S.UNKNOWN:
        guess = infer_vtx(spec)
        if guess is not None:
            return inferred(guess, spec)
    return reason(
        R.VTX_CPU,
        Layer.CPU,
        status,
        f"{spec.brand} {word} {feat}.",
        spec.evidence(("vtx",)),
        hint=None if status == S.SUPPORTED else (R.VTX_CPU.hint and dict(R.VTX_CPU.hint)),
    )


# -- firmware ----------------------------------------------------------------------------------


def bios_lock_reasons(f: HostFacts, feat: str) -> list[Reason]:
    """HW-VTX-BIOS-DISABLED: the kernel said the BIOS locked the extension off."""
    k = f.kernel
    lines = []
    if k.vmx_disabled_by_bios:
        lines.append("'x86/cpu: VMX (outside TXT) disabled by BIOS'")
    if k.svm_disabled_by_bios:
        lines.append("'SVM disabled (by BIOS) in MSR_VM_CR'")
    if k.kvm_disabled_by_bios:
        lines.append("KVM's 'disabled by bios'")
    if not lines:
        return []
    return [
        reason(
            R.VTX_BIOS_DISABLED,
            Layer.FIRMWARE,
            S.DISABLED,
            f"The kernel log says {' and '.join(lines)}: the CPU has {feat} but the BIOS locked "
            "it off.",
            k.evidence,
        )
    ]


def _bios_has_no_option(f: HostFacts, feat: str) -> list[Reason]:
    """HW-VTX-BIOS-OPTION: a documented BIOS release without a setup option for VT-x."""
    bios = f.board.bios_spec
    if bios is None or bios.vtx_option not in ("yes", "no"):
        return []
    if bios.vtx_option == "yes":
        # The one catalogue fact that judges VT-x's firmware layer for a query.
        return [
            reason(
                R.VTX_BIOS_OPTION,
                Layer.FIRMWARE,
                S.SUPPORTED,
                f"BIOS {bios.version} has a setup option to enable {feat}.",
                tuple(c.evidence("spec", f"bios:{bios.version}") for c in bios.cites),
            )
        ]
    return [
        reason(
            R.VTX_BIOS_OPTION,
            Layer.FIRMWARE,
            S.UNSUPPORTED,
            f"BIOS {bios.version} has no setup option to enable {feat}.",
            tuple(c.evidence("spec", f"bios:{bios.version}") for c in bios.cites),
        )
    ]


def _setup_guidance(c: VtxContext) -> list[Reason]:
    """HW-FIRMWARE-GUIDANCE: a catalogue query cannot see BIOS setup; say what to enable."""
    if c.f.observed or c.spec is None or c.spec.status != S.SUPPORTED:
        return []
    return [
        reason(
            R.GUIDANCE_FIRMWARE,
            Layer.FIRMWARE,
            S.UNKNOWN,
            f"Not judged for a catalogue query: {c.feat} must be enabled in BIOS setup "
            "(often off by default).",
            hint={"bios_setting": "Intel Virtualization Technology (VT-x) / SVM Mode: Enabled"},
        )
    ]


# -- Xen -----------------------------------------------------------------------------------------


def _xen(c: VtxContext) -> list[Reason]:
    """HW-XEN-VIRT-CAPS: on a Xen host, Xen's own virt_caps decide (a PV dom0 sees no vmx)."""
    f = c.f
    assert f.xen is not None
    caps = " ".join(f.xen.virt_caps)
    reasons = [info(c.spec)] if c.spec is not None else []
    if "hvm" in f.xen.virt_caps:
        reasons.append(
            reason(
                R.XEN_VIRT_CAPS,
                Layer.HYPERVISOR,
                S.SUPPORTED,
                f"Xen reports virt_caps {caps}: HVM is available.",
                f.xen.evidence,
            )
        )
        return reasons
    # Without hvm, Xen could not enable VMX/SVM: the catalogue says whether the CPU has it
    # (then the BIOS locked it) or not.
    spec_status = c.spec.status if c.spec is not None else S.UNKNOWN
    status = {S.SUPPORTED: S.DISABLED, S.UNSUPPORTED: S.UNSUPPORTED}.get(spec_status, S.UNKNOWN)
    reasons.append(
        reason(
            R.XEN_VIRT_CAPS,
            Layer.HYPERVISOR,
            status,
            f"Xen reports virt_caps {caps} without hvm: Xen could not enable {c.feat} (locked off "
            "in BIOS, or absent from the CPU).",
            f.xen.evidence,
            hint=rule_hint(R.VTX_BIOS_DISABLED),
        )
    )
    return reasons


# -- without cpuinfo flags (catalogue queries, probes without cpuinfo) ---------------------------


def _no_flags_seen(c: VtxContext) -> list[Reason]:
    """HW-VTX-FLAG (unknown): a probe that carried no readable x86 flags."""
    f = c.f
    if not f.observed:
        return []
    if f.cpu.arch not in (None, "x86"):
        return [
            reason(
                R.VTX_FLAG,
                Layer.CPU,
                S.UNKNOWN,
                f"This is an {f.cpu.arch} host: VT-x and AMD-V are x86 features, and "
                "/proc/cpuinfo does not show this architecture's virtualization support "
                "(ARM EL2, POWER hypervisor mode, IA-64 VT-i).",
                hint={
                    "check": "the kernel log (e.g. 'kvm [1]: Hyp mode initialized "
                    "successfully' on ARM) or /dev/kvm"
                },
            )
        ]
    return [
        reason(
            R.VTX_FLAG,
            Layer.CPU,
            S.UNKNOWN,
            "The probe carried no readable cpuinfo flags.",
            hint={"give": "/proc/cpuinfo"},
        )
    ]


def _without_flags(c: VtxContext) -> list[Reason]:
    reasons: list[Reason] = []
    if c.spec is not None:
        # In a guest the CPU row is the host's silicon: context, never the guest's verdict.
        guest = c.f.observed and c.f.hypervisor.present
        reasons.append(info(c.spec) if guest else c.spec)
    elif not c.f.observed:
        reasons.append(cpu_missing(c.f, "VT-x/AMD-V"))
    reasons += _setup_guidance(c)
    reasons += _bios_has_no_option(c.f, c.feat)
    reasons += _no_flags_seen(c)
    reasons += bios_lock_reasons(c.f, c.feat)
    return reasons


# -- with cpuinfo flags ------------------------------------------------------------------------

Observation = tuple[Status, list[Reason]]


def _flag_present(c: VtxContext) -> Observation | None:
    """HW-VTX-FLAG: vmx/svm in cpuinfo (and HW-VTX-MASKED: exposed to a nested guest)."""
    f = c.f
    flags = f.cpu.flags or frozenset()
    if "vmx" not in flags and "svm" not in flags:
        return None
    reasons = [
        reason(
            R.VTX_FLAG,
            Layer.CPU,
            S.SUPPORTED,
            f"cpuinfo shows the {'vmx' if 'vmx' in flags else 'svm'} flag.",
            f.cpu.evidence,
        )
    ]
    if f.hypervisor.present:
        reasons.append(
            reason(
                R.VTX_MASKED,
                Layer.HYPERVISOR,
                S.SUPPORTED,
                f"Running in a guest ({f.hypervisor.name or 'hypervisor'}) with nested "
                f"{c.feat} exposed.",
                f.hypervisor.evidence,
                hint={},
            )
        )
    reasons += bios_lock_reasons(f, c.feat)
    return S.SUPPORTED, reasons


def _masked_by_hypervisor(c: VtxContext) -> Observation | None:
    """HW-VTX-MASKED: a guest without nested virtualization sees no vmx/svm."""
    f = c.f
    if not f.hypervisor.present:
        return None
    return S.MASKED, [
        reason(
            R.VTX_MASKED,
            Layer.HYPERVISOR,
            S.MASKED,
            f"cpuinfo has the hypervisor flag and no vmx/svm: this is a guest "
            f"({f.hypervisor.name or 'unknown hypervisor'}) without nested virtualization.",
            (*f.cpu.evidence, *f.hypervisor.evidence),
        )
    ]


def _locked_by_bios(c: VtxContext) -> Observation | None:
    locks = bios_lock_reasons(c.f, c.feat)
    return (S.DISABLED, locks) if locks else None


def _absent_before_5_6(c: VtxContext) -> Observation | None:
    """Before Linux 5.6 the vmx flag mirrors CPUID alone: a BIOS lock does not hide it, so a
    missing flag on bare metal means the CPU lacks VT-x (commit 'x86/cpu: Clear VMX feature
    flag if VMX is not fully enabled', v5.6)."""
    k = c.f.kernel
    rel = k.release_tuple
    if c.vendor != "intel" or rel is None or rel >= (5, 6):
        return None
    return S.UNSUPPORTED, [
        reason(
            R.VTX_FLAG,
            Layer.CPU,
            S.UNSUPPORTED,
            f"No vmx flag on kernel {k.release} (< 5.6, where the flag reflects CPUID alone and "
            "a BIOS lock does not hide it) and no hypervisor: the CPU lacks VT-x.",
            c.f.cpu.evidence,
            hint={},
        )
    ]


def _absent_but_cpu_has_it(c: VtxContext) -> Observation | None:
    """From 5.6 a BIOS lock clears the flag: a CPU known to have VT-x was locked off."""
    if c.spec is None or c.spec.status != S.SUPPORTED:
        return None
    k = c.f.kernel
    flag = "vmx" if c.vendor == "intel" else "svm"
    return S.DISABLED, [
        reason(
            R.VTX_FLAG,
            Layer.FIRMWARE,
            S.DISABLED,
            f"No {flag} flag, yet this CPU has {c.feat}: on kernel {k.release or '(unknown)'} "
            "(>= 5.6 clears the flag when the BIOS locks VT-x off) the BIOS has most likely "
            "disabled it.",
            c.f.cpu.evidence,
            hint=rule_hint(R.VTX_BIOS_DISABLED),
        )
    ]


def _absent_and_cpu_lacks_it(c: VtxContext) -> Observation | None:
    if c.spec is None or c.spec.status != S.UNSUPPORTED:
        return None
    return S.UNSUPPORTED, [
        reason(
            R.VTX_FLAG,
            Layer.CPU,
            S.UNSUPPORTED,
            f"No vmx/svm flag, consistent with a CPU without {c.feat}.",
            c.f.cpu.evidence,
            hint={},
        )
    ]


def _absent_unexplained(c: VtxContext) -> Observation | None:
    k = c.f.kernel
    why = (
        "the kernel release is not known"
        if k.release_tuple is None
        else f"on kernel {k.release} a missing flag may be a BIOS lock or a CPU without the feature"
    )
    return S.UNKNOWN, [
        reason(
            R.VTX_FLAG,
            Layer.CPU,
            S.UNKNOWN,
            f"No vmx/svm flag and no hypervisor flag; {why}.",
            c.f.cpu.evidence,
            hint={
                "bios_setting": "Intel Virtualization Technology / SVM Mode",
                "give": "kernel_release and the full kernel log",
            },
        )
    ]


# First match wins: each check explains what the host's flags show, most specific first.
OBSERVATIONS: tuple[Callable[[VtxContext], Observation | None], ...] = (
    _flag_present,
    _masked_by_hypervisor,
    _locked_by_bios,
    _absent_before_5_6,
    _absent_but_cpu_has_it,
    _absent_and_cpu_lacks_it,
    _absent_unexplained,
)


def _spec_disagrees(c: VtxContext, observed: Status) -> list[Reason]:
    """HW-SOURCE-CONFLICT: the host shows the opposite of the catalogue's CPU row."""
    spec = c.spec
    if spec is None:
        return []
    present = observed in (S.SUPPORTED, S.DISABLED, S.MASKED)
    if not (
        (present and spec.status == S.UNSUPPORTED)
        or (observed == S.UNSUPPORTED and spec.status == S.SUPPORTED)
    ):
        return []
    return [
        reason(
            R.SOURCE_CONFLICT,
            Layer.CPU,
            S.CONFLICT,
            f"The catalogue says: {spec.message} This host shows otherwise.",
            (*spec.evidence, *c.f.cpu.evidence),
        )
    ]


def _with_flags(c: VtxContext) -> list[Reason]:
    observed: Status = S.UNKNOWN
    reasons: list[Reason] = []
    for check in OBSERVATIONS:
        found = check(c)
        if found is not None:
            observed, reasons = found
            break
    if c.spec is None:
        return reasons
    return [info(c.spec), *reasons, *_spec_disagrees(c, observed)]


# -- the kernel ----------------------------------------------------------------------------------


def _kvm_device(c: VtxContext, so_far: list[Reason]) -> list[Reason]:
    """HW-KVM-DEVICE: the extension is there but /dev/kvm is not (module not loaded)."""
    f = c.f
    if not f.observed or f.kernel.dev_kvm is not False or f.xen is not None:
        return []
    if combine(so_far) != S.SUPPORTED:
        return []
    module = "kvm_amd" if c.vendor == "amd" else "kvm_intel"
    return [
        reason(
            R.KVM_DEVICE,
            Layer.KERNEL,
            S.DISABLED,
            f"{c.feat} is available but /dev/kvm does not exist: the {module} module is not "
            "loaded.",
            f.kernel.evidence,
            hint={"command": f"modprobe {module}"},
        )
    ]


def _first_hand(f: HostFacts, reasons: list[Reason]) -> list[Reason]:
    """HW-KVM-LOG / HW-KVM-USABLE / HW-FIRMWARE-LOCK-MSR: what KVM and the lock MSR showed.

    A working KVM proves the extension present and enabled, so it settles the layers that
    were only ``unknown`` for lack of cpuinfo flags; a negative finding stays beside it.
    """
    proofs = [r for r in (kvm_log_proves_vtx(f), kvm_check_proves_vtx(f)) if r is not None]
    lock = firmware_lock(f)
    if proofs:
        reasons = [r for r in reasons if r.advisory or r.status != S.UNKNOWN] + proofs
    if lock is not None:
        reasons = [*reasons, lock]
    return reasons


def judge_vtx(f: HostFacts) -> Capability:
    v = vendor(f)
    feat = feature_of(f)
    c = VtxContext(f=f, vendor=v, feat=feat, spec=cpu_spec_reason(f, feat))
    if f.xen is not None and f.xen.virt_caps:
        return capability(_xen(c))
    if not f.observed or f.cpu.flags is None:
        reasons = _without_flags(c)
    else:
        reasons = _with_flags(c)
    reasons = _first_hand(f, reasons)
    reasons += _kvm_device(c, reasons)
    reasons += source_notes(f, "vtx", combine(reasons))
    if not f.observed:
        tr = tally_reason(f, "vtx", combine(reasons), f"{feat} enabled")
        if tr is not None:
            reasons.append(tr)
    return capability(reasons)

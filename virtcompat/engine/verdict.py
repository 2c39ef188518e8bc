"""The verdict engine: HostFacts -> capability verdicts with layered, cited reasons.

The one principle: ``supported`` needs positive evidence in every layer of the chain (CPU,
chipset, board/firmware, kernel). A layer without evidence makes the capability
``unknown`` and its reason says what would settle it. Catalogue queries judge the hardware
layers; their kernel layer is advisory guidance. Probe diagnoses judge all layers from what
the host showed, joined with the catalogue rows it matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from virtcompat.capability import Capability, Evidence, Layer, Reason, Status
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.snapshot import ChipsetSpec, CpuSpec, EvidenceTally, NoteSpec
from virtcompat.rules.registry import Rule
from virtcompat.text import is_decimal

S = Status
# Worst first: the capability's status is the worst of its non-advisory reasons.
_PRECEDENCE = (S.UNSUPPORTED, S.DISABLED, S.MASKED, S.CONFLICT, S.UNKNOWN, S.SUPPORTED)
ADVISORY_RULES = frozenset(
    {
        R.GUIDANCE_KERNEL.id,
        R.GUIDANCE_FIRMWARE.id,
        R.KVM_DEVICE.id,
        R.SOURCE_QUALIFICATION.id,
        R.VTD_CMDLINE_ECHO.id,
        R.IOMMU_PASSTHROUGH.id,
        R.AMD_IOMMU_INVALID.id,
        R.PT_XEN_PV_INSECURE.id,
    }
)


def _r(
    rule: Rule,
    layer: Layer,
    status: Status,
    message: str,
    evidence: Iterable[Evidence] = (),
    hint: Mapping[str, Any] | None = None,
) -> Reason:
    return Reason(
        rule=rule.id,
        layer=layer,
        status=status,
        message=message,
        hint=_hint(rule, status, hint),
        evidence=tuple(evidence),
        advisory=rule.id in ADVISORY_RULES,
    )


def _cpu_unknown(message: str) -> Reason:
    """The CPU layer has no evidence because no CPU was given or matched."""
    return _r(R.UNKNOWN_HARDWARE, Layer.CPU, S.UNKNOWN, message, hint={"give": "cpu"})


def _tri(value: str) -> tuple[Status, str]:
    """A catalogue tri-state ("yes"/"no"/"unknown") as a status and a verb for messages."""
    if value == "yes":
        return S.SUPPORTED, "has"
    if value == "no":
        return S.UNSUPPORTED, "lacks"
    return S.UNKNOWN, "may or may not have"


def _hint(rule: Rule, status: Status, hint: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """An explicit hint wins ({} means none); else the rule's own hint, unless all is well."""
    if hint is not None:
        return hint or None
    if rule.hint and status != S.SUPPORTED:
        return dict(rule.hint)
    return None


def combine(reasons: Sequence[Reason]) -> Status:
    judged = [r.status for r in reasons if not r.advisory]
    if not judged:
        return S.UNKNOWN
    for status in _PRECEDENCE:
        if status in judged:
            return status
    return S.UNKNOWN


def _cap(reasons: Sequence[Reason]) -> Capability:
    return Capability(status=combine(reasons), reasons=tuple(reasons))


def _vendor(f: HostFacts) -> str | None:
    if f.cpu.vendor:
        return f.cpu.vendor
    if f.cpu.spec is not None:
        return f.cpu.spec.vendor
    for c in f.chipset.candidates:
        return c.vendor
    return None


def _notes(f: HostFacts, capability: str) -> list[NoteSpec]:
    seen: dict[str, NoteSpec] = {}
    groups: list[Sequence[NoteSpec]] = [c.notes for c in f.chipset.candidates]
    if f.cpu.spec is not None:
        groups.append(f.cpu.spec.notes)
    if f.board.spec is not None:
        groups.append(f.board.spec.notes)
    if f.board.bios_spec is not None:
        groups.append(f.board.bios_spec.notes)
    for group in groups:
        for n in group:
            if n.capability in (capability, None):
                seen.setdefault(n.slug, n)
    return list(seen.values())


def _source_notes(f: HostFacts, capability: str, qualified: Status) -> list[Reason]:
    """Conflict notes decide (``conflict``); qualification notes ride along as advisory
    context carrying the status of the fact they qualify."""
    out = []
    for n in _notes(f, capability):
        if n.capability != capability:
            continue
        if n.kind == "conflict":
            out.append(_r(R.SOURCE_CONFLICT, Layer.BOARD, S.CONFLICT, n.text, n.evidence()))
        elif n.kind == "qualification":
            out.append(_r(R.SOURCE_QUALIFICATION, Layer.CHIPSET, qualified, n.text, n.evidence()))
    return out


# -- BIOS versions ---------------------------------------------------------------------------


def bios_build(version: str | None) -> str | None:
    """The comparable part of a BIOS version.

    Intel desktop boards name releases ``CBQ4510H.86A.0061.2009.0324.1639``: the field after
    ``86A`` is the build number that Intel's notes quote ("BIOS 0061"). Other vendors' plain
    versions compare as they are.
    """
    if not version:
        return None
    v = version.strip()
    parts = v.split(".")
    for i, part in enumerate(parts[:-1]):
        if part.upper() == "86A" and is_decimal(parts[i + 1]):
            return parts[i + 1]
    return v


def bios_at_least(version: str, minimum: str) -> bool | None:
    a, b = bios_build(version), bios_build(minimum)
    if a is None or b is None:
        return None
    if is_decimal(a) and is_decimal(b):
        return int(a) >= int(b)
    if a.lower() == b.lower():
        return True
    return None


# -- probe tallies ---------------------------------------------------------------------------


def _tally(f: HostFacts, capability: str) -> EvidenceTally | None:
    wanted = bios_build(f.board.bios_version) if f.board.bios_version else ""
    for t in f.tallies:
        if t.capability == capability and (bios_build(t.bios_version) or "") == (wanted or ""):
            return t
    return None


def _tally_reason(f: HostFacts, capability: str, spec_status: Status, what: str) -> Reason | None:
    t = _tally(f, capability)
    if t is None or (t.confirm == 0 and t.contradict == 0):
        return None
    where = f"BIOS {t.bios_version}" if t.bios_version else "this board"
    parts = []
    if t.confirm:
        parts.append(f"{t.confirm} probe{'s' if t.confirm != 1 else ''} on {where} saw {what}")
    if t.contradict:
        parts.append(
            f"{t.contradict} probe{'s' if t.contradict != 1 else ''} on {where} found it missing"
        )
    message = "; ".join(parts) + "."
    ev = [
        Evidence(
            kind="probe",
            id=f"board:{f.board.spec.slug if f.board.spec else '?'}:"
            f"{t.bios_version or '*'}:{capability}",
            source=message,
        )
    ]
    if t.confirm and t.contradict:
        status = S.CONFLICT
    elif t.contradict:
        status = S.CONFLICT if spec_status == S.SUPPORTED else S.UNSUPPORTED
    else:
        status = S.SUPPORTED
    return _r(R.PROBE_EVIDENCE, Layer.BOARD, status, message, ev)


# -- VT-x / AMD-V ------------------------------------------------------------------------------


def _feature(vendor: str | None) -> str:
    return {"intel": "VT-x", "amd": "AMD-V"}.get(vendor or "", "VT-x/AMD-V")


def _cpu_vtx_spec(f: HostFacts) -> Reason | None:
    spec = f.cpu.spec
    feat = _feature(_vendor(f))
    if spec is None:
        return None
    differs = {s.vtx for s in spec.steppings}
    if spec.steppings and len(differs) > 1:
        chosen = None
        for s in spec.steppings:
            if (f.cpu.stepping_name and s.name.lower() == f.cpu.stepping_name.lower()) or (
                f.cpu.stepping is not None and s.cpuid_stepping == f.cpu.stepping
            ):
                chosen = s
        listing = ", ".join(f"{s.name}: {s.vtx}" for s in spec.steppings)
        if chosen is None:
            return _r(
                R.VTX_STEPPING,
                Layer.CPU,
                S.UNKNOWN,
                f"{spec.brand}: {feat} depends on the stepping ({listing}); the stepping is not "
                "known.",
                spec.evidence(("vtx", "stepping")),
                hint={
                    "give": "cpu stepping",
                    "steppings": [s.name for s in spec.steppings],
                    "or": "post a probe from the host (cpuinfo shows vmx and the stepping)",
                },
            )
        status = {"yes": S.SUPPORTED, "no": S.UNSUPPORTED}.get(chosen.vtx, S.UNKNOWN)
        return _r(
            R.VTX_STEPPING,
            Layer.CPU,
            status,
            f"{spec.brand} stepping {chosen.name}: {feat} {chosen.vtx} ({listing}).",
            spec.evidence(("vtx", "stepping")),
        )
    status, word = _tri(spec.vtx)
    return _r(
        R.VTX_CPU,
        Layer.CPU,
        status,
        f"{spec.brand} {word} {feat}.",
        spec.evidence(("vtx",)),
        hint=None if status == S.SUPPORTED else (R.VTX_CPU.hint and dict(R.VTX_CPU.hint)),
    )


def _vtx(f: HostFacts) -> Capability:
    reasons: list[Reason] = []
    vendor = _vendor(f)
    feat = _feature(vendor)
    spec_reason = _cpu_vtx_spec(f)
    k = f.kernel

    if f.xen is not None and f.xen.virt_caps:
        # Xen decides; the catalogue's CPU row is shown beside it.
        if spec_reason is not None:
            reasons.append(_info(spec_reason))
        if "hvm" in f.xen.virt_caps:
            reasons.append(
                _r(
                    R.XEN_VIRT_CAPS,
                    Layer.HYPERVISOR,
                    S.SUPPORTED,
                    f"Xen reports virt_caps {' '.join(f.xen.virt_caps)}: HVM is available.",
                    f.xen.evidence,
                )
            )
        else:
            # Without hvm, Xen could not enable VMX/SVM: the catalogue says whether the CPU
            # has it (then the BIOS locked it) or not.
            spec_status = spec_reason.status if spec_reason is not None else S.UNKNOWN
            status = {S.SUPPORTED: S.DISABLED, S.UNSUPPORTED: S.UNSUPPORTED}.get(
                spec_status, S.UNKNOWN
            )
            reasons.append(
                _r(
                    R.XEN_VIRT_CAPS,
                    Layer.HYPERVISOR,
                    status,
                    f"Xen reports virt_caps {' '.join(f.xen.virt_caps)} without hvm: Xen could "
                    f"not enable {feat} (locked off in BIOS, or absent from the CPU).",
                    f.xen.evidence,
                    hint=dict(R.VTX_BIOS_DISABLED.hint or {}),
                )
            )
        return _cap(reasons)

    if not f.observed or f.cpu.flags is None:
        if spec_reason is not None:
            reasons.append(spec_reason)
        elif not f.observed:
            reasons.append(_cpu_unknown("No CPU given: VT-x/AMD-V is a CPU feature."))
        if not f.observed and spec_reason is not None and spec_reason.status == S.SUPPORTED:
            reasons.append(
                _r(
                    R.GUIDANCE_FIRMWARE,
                    Layer.FIRMWARE,
                    S.UNKNOWN,
                    f"Not judged for a catalogue query: {feat} must be enabled in BIOS setup "
                    "(often off by default).",
                    hint={
                        "bios_setting": "Intel Virtualization Technology (VT-x) / SVM Mode: Enabled"
                    },
                )
            )
        if f.board.bios_spec is not None and f.board.bios_spec.vtx_option == "no":
            reasons.append(
                _r(
                    R.VTX_BIOS_OPTION,
                    Layer.FIRMWARE,
                    S.UNSUPPORTED,
                    f"BIOS {f.board.bios_spec.version} has no setup option to enable {feat}.",
                    tuple(
                        c.evidence("spec", f"bios:{f.board.bios_spec.version}")
                        for c in f.board.bios_spec.cites
                    ),
                )
            )
        if f.observed and f.cpu.flags is None and f.cpu.arch not in (None, "x86"):
            reasons.append(
                _r(
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
            )
        elif f.observed and f.cpu.flags is None:
            reasons.append(
                _r(
                    R.VTX_FLAG,
                    Layer.CPU,
                    S.UNKNOWN,
                    "The probe carried no readable cpuinfo flags.",
                    hint={"give": "/proc/cpuinfo"},
                )
            )
        reasons.extend(_bios_lock_reasons(f, feat))
    else:
        flags = f.cpu.flags
        has = "vmx" in flags or "svm" in flags
        observed_status = S.SUPPORTED
        if has:
            reasons.append(
                _r(
                    R.VTX_FLAG,
                    Layer.CPU,
                    S.SUPPORTED,
                    f"cpuinfo shows the {'vmx' if 'vmx' in flags else 'svm'} flag.",
                    f.cpu.evidence,
                )
            )
            if f.hypervisor.present:
                reasons.append(
                    _r(
                        R.VTX_MASKED,
                        Layer.HYPERVISOR,
                        S.SUPPORTED,
                        f"Running in a guest ({f.hypervisor.name or 'hypervisor'}) with nested "
                        f"{feat} exposed.",
                        f.hypervisor.evidence,
                        hint={},
                    )
                )
            reasons.extend(_bios_lock_reasons(f, feat))
        elif f.hypervisor.present:
            observed_status = S.MASKED
            reasons.append(
                _r(
                    R.VTX_MASKED,
                    Layer.HYPERVISOR,
                    S.MASKED,
                    f"cpuinfo has the hypervisor flag and no vmx/svm: this is a guest "
                    f"({f.hypervisor.name or 'unknown hypervisor'}) without nested "
                    "virtualization.",
                    (*f.cpu.evidence, *f.hypervisor.evidence),
                )
            )
        else:
            locks = _bios_lock_reasons(f, feat)
            if locks:
                observed_status = S.DISABLED
                reasons.extend(locks)
            else:
                rel = k.release_tuple
                if vendor == "intel" and rel is not None and rel < (5, 6):
                    observed_status = S.UNSUPPORTED
                    reasons.append(
                        _r(
                            R.VTX_FLAG,
                            Layer.CPU,
                            S.UNSUPPORTED,
                            f"No vmx flag on kernel {k.release} (< 5.6, where the flag reflects "
                            "CPUID alone and a BIOS lock does not hide it) and no hypervisor: "
                            "the CPU lacks VT-x.",
                            f.cpu.evidence,
                            hint={},
                        )
                    )
                elif spec_reason is not None and spec_reason.status in (S.SUPPORTED,):
                    observed_status = S.DISABLED
                    reasons.append(
                        _r(
                            R.VTX_FLAG,
                            Layer.FIRMWARE,
                            S.DISABLED,
                            f"No {'vmx' if vendor == 'intel' else 'svm'} flag, yet this CPU has "
                            f"{feat}: on kernel {k.release or '(unknown)'} (>= 5.6 clears the flag "
                            "when the BIOS locks VT-x off) the BIOS has most likely disabled it.",
                            f.cpu.evidence,
                            hint=dict(R.VTX_BIOS_DISABLED.hint or {}),
                        )
                    )
                elif spec_reason is not None and spec_reason.status == S.UNSUPPORTED:
                    observed_status = S.UNSUPPORTED
                    reasons.append(
                        _r(
                            R.VTX_FLAG,
                            Layer.CPU,
                            S.UNSUPPORTED,
                            f"No vmx/svm flag, consistent with a CPU without {feat}.",
                            f.cpu.evidence,
                            hint={},
                        )
                    )
                else:
                    observed_status = S.UNKNOWN
                    why = (
                        "the kernel release is not known"
                        if rel is None
                        else f"on kernel {k.release} a missing flag may be a BIOS lock or a CPU "
                        "without the feature"
                    )
                    reasons.append(
                        _r(
                            R.VTX_FLAG,
                            Layer.CPU,
                            S.UNKNOWN,
                            f"No vmx/svm flag and no hypervisor flag; {why}.",
                            f.cpu.evidence,
                            hint={
                                "bios_setting": "Intel Virtualization Technology / SVM Mode",
                                "give": "kernel_release and the full kernel log",
                            },
                        )
                    )
        if spec_reason is not None:
            reasons.insert(0, _info(spec_reason))
            present = observed_status in (S.SUPPORTED, S.DISABLED, S.MASKED)
            if (present and spec_reason.status == S.UNSUPPORTED) or (
                observed_status == S.UNSUPPORTED and spec_reason.status == S.SUPPORTED
            ):
                reasons.append(
                    _r(
                        R.SOURCE_CONFLICT,
                        Layer.CPU,
                        S.CONFLICT,
                        f"The catalogue says: {spec_reason.message} This host shows otherwise.",
                        (*spec_reason.evidence, *f.cpu.evidence),
                    )
                )

    if (
        f.observed
        and f.kernel.dev_kvm is False
        and f.xen is None
        and combine(reasons) == S.SUPPORTED
    ):
        module = "kvm_amd" if vendor == "amd" else "kvm_intel"
        reasons.append(
            _r(
                R.KVM_DEVICE,
                Layer.KERNEL,
                S.DISABLED,
                f"{feat} is available but /dev/kvm does not exist: the {module} module is not "
                "loaded.",
                f.kernel.evidence,
                hint={"command": f"modprobe {module}"},
            )
        )
    reasons.extend(_source_notes(f, "vtx", combine(reasons)))
    if not f.observed:
        tr = _tally_reason(f, "vtx", combine(reasons), f"{feat} enabled")
        if tr is not None:
            reasons.append(tr)
    return _cap(reasons)


def _info(reason: Reason) -> Reason:
    """A catalogue reason shown beside the observation that decides instead."""
    return replace(reason, advisory=True)


def _bios_lock_reasons(f: HostFacts, feat: str) -> list[Reason]:
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
        _r(
            R.VTX_BIOS_DISABLED,
            Layer.FIRMWARE,
            S.DISABLED,
            f"The kernel log says {' and '.join(lines)}: the CPU has {feat} but the BIOS locked "
            "it off.",
            k.evidence,
        )
    ]


# -- VT-d / AMD-Vi ---------------------------------------------------------------------------


def _iommu_name(f: HostFacts) -> str:
    kinds = {c.iommu_kind for c in f.chipset.candidates}
    if kinds == {"amd-vi"} or (_vendor(f) == "amd" and not kinds - {"unknown", "amd-vi"}):
        return "AMD-Vi"
    if not kinds - {"unknown"} and _vendor(f) is None and f.firmware.ivrs and not f.firmware.dmar:
        return "AMD-Vi"  # only the firmware tells: an IVRS table and no DMAR
    return "VT-d"


def _silicon(f: HostFacts, name: str) -> list[Reason]:
    reasons: list[Reason] = []
    cands = f.chipset.candidates
    cpu: CpuSpec | None = f.cpu.spec
    supports = {c.iommu_support for c in cands}
    if len(cands) > 1 and len(supports) > 1:
        listing = ", ".join(f"{c.name} ({c.iommu_support})" for c in cands)
        ev = tuple(e for c in cands for e in c.evidence(("iommu.support", "pci_ids")))
        reasons.append(
            _r(
                R.VTD_CHIPSET_AMBIGUOUS,
                Layer.CHIPSET,
                S.UNKNOWN,
                f"{f.chipset.via or 'The PCI id'} matches several chipsets that differ on {name}: "
                f"{listing}.",
                ev,
                hint={
                    "give": "lpc bridge PCI id (lspci -nn) or chipset name",
                    "candidates": [c.slug for c in cands],
                },
            )
        )
        return reasons
    chip: ChipsetSpec | None = cands[0] if cands else None
    in_cpu = (chip is not None and chip.iommu_location == "cpu") or (
        chip is None and cpu is not None and cpu.iommu_in_cpu
    )

    # CPU layer
    if chip is not None and chip.iommu_location in ("mch", "ioh", "northbridge"):
        where = {
            "mch": "memory controller hub (MCH)",
            "ioh": "I/O hub (IOH)",
            "northbridge": "northbridge",
        }[chip.iommu_location]
        reasons.append(
            _r(
                R.VTD_CPU,
                Layer.CPU,
                S.SUPPORTED,
                f"On {'/'.join(c.name for c in cands)} the IOMMU lives in the {where}; the CPU "
                f"does not gate {name}.",
                chip.evidence(("iommu.location", "iommu.support")),
            )
        )
    elif in_cpu:
        if cpu is None:
            reasons.append(
                _cpu_unknown(
                    f"On this platform {name} is in the CPU package and not every SKU has it; "
                    "the CPU is not known."
                )
            )
        else:
            status, word = _tri(cpu.vtd)
            reasons.append(
                _r(
                    R.VTD_CPU,
                    Layer.CPU,
                    status,
                    f"{cpu.brand} {word} {name} (the IOMMU is in the CPU on this platform).",
                    cpu.evidence(("vtd",)),
                    hint=None if status == S.SUPPORTED else {"choose_cpu": "a SKU with VT-d"},
                )
            )
    elif cpu is not None and chip is None:
        reasons.append(
            _r(
                R.VTD_CPU,
                Layer.CPU,
                S.SUPPORTED,
                f"{cpu.brand}: {name} is a chipset feature on this platform, not a CPU one.",
                cpu.evidence(("vtd",)),
            )
        )

    # chipset layer
    if chip is None:
        if not (f.observed and f.kernel.iommu_active):
            reasons.append(
                _r(
                    R.UNKNOWN_HARDWARE,
                    Layer.CHIPSET,
                    S.UNKNOWN,
                    f"The chipset is not known, so its {name} support is not either.",
                    hint={"give": "board or chipset (or lspci -nn in a probe)"},
                )
            )
        return reasons
    # Candidates that share a PCI id but agree on the IOMMU are judged together ("G33/P35").
    label = "/".join(c.name for c in cands)
    ev = chip.evidence(("iommu.support",))
    if chip.iommu_support == "yes":
        reasons.append(
            _r(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.SUPPORTED,
                f"Chipset {label} has {name} hardware.",
                ev,
            )
        )
    elif chip.iommu_support == "partial":
        reasons.append(
            _r(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.SUPPORTED,
                f"Chipset {label} has {name} hardware with limitations (see notes).",
                ev,
            )
        )
    elif chip.iommu_support == "no":
        reasons.append(
            _r(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.UNSUPPORTED,
                f"Chipset {label} has no {name} hardware.",
                ev,
                hint={"choose_board": f"a board whose chipset has {name}"},
            )
        )
    elif chip.iommu_support == "board_dependent":
        reasons.append(
            _r(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.SUPPORTED,
                f"Chipset {label} is {name}-capable, but each board's BIOS must enable it.",
                ev,
            )
        )
        board = f.board.spec
        if board is None or board.vtd_status == "unknown":
            reasons.append(
                _r(
                    R.VTD_BOARD,
                    Layer.BOARD,
                    S.UNKNOWN,
                    f"Whether {'this board' if board else 'the board'} enables {name} on "
                    f"{label} is not documented.",
                    board.evidence() if board else (),
                    hint={
                        "check": "an ACPI DMAR table (/sys/firmware/acpi/tables/DMAR)",
                        "or": "post a probe from the host",
                    },
                )
            )
    else:
        reasons.append(
            _r(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.UNKNOWN,
                f"Whether chipset {label} has {name} is not established.",
                ev,
                hint={"check": "an ACPI DMAR/IVRS table", "or": "post a probe"},
            )
        )
    return reasons


def _firmware(f: HostFacts, name: str, silicon: Status) -> list[Reason]:
    reasons: list[Reason] = []
    board = f.board.spec
    chips = f.chipset.candidates
    chip_no = bool(chips) and all(c.iommu_support == "no" for c in chips)
    for n in _notes(f, "vtd"):
        if n.kind == "trap":
            chip_names = ", ".join(c.name for c in chips) or "this chipset"
            status = S.UNSUPPORTED if chip_no else S.UNKNOWN
            ev = (*n.evidence(), *(e for c in chips for e in c.evidence(("iommu.support",))))
            reasons.append(
                _r(
                    R.VTD_BIOS_TRAP,
                    Layer.FIRMWARE,
                    status,
                    f"{n.text} The setup option is not evidence: chipset {chip_names} has no "
                    f"{name} hardware."
                    if chip_no
                    else n.text,
                    ev,
                )
            )
    for n in _notes(f, "vtd"):
        if n.kind == "requirement" and n.min_bios_version:
            if f.board.bios_version is None:
                reasons.append(
                    _r(
                        R.VTD_MIN_BIOS,
                        Layer.FIRMWARE,
                        S.UNKNOWN,
                        f"{name} needs BIOS {n.min_bios_version} or later on this board; the BIOS "
                        "version is not known.",
                        n.evidence(),
                        hint={"give": "bios", "min_bios_version": n.min_bios_version},
                    )
                )
                continue
            ok = bios_at_least(f.board.bios_version, n.min_bios_version)
            if ok is True:
                reasons.append(
                    _r(
                        R.VTD_MIN_BIOS,
                        Layer.FIRMWARE,
                        S.SUPPORTED,
                        f"BIOS {f.board.bios_version} meets the minimum {n.min_bios_version} for "
                        f"{name} on this board.",
                        n.evidence(),
                    )
                )
            elif ok is False:
                reasons.append(
                    _r(
                        R.VTD_MIN_BIOS,
                        Layer.FIRMWARE,
                        S.UNSUPPORTED,
                        f"BIOS {f.board.bios_version} is older than {n.min_bios_version}, the "
                        f"first release with working {name} on this board. {n.text}",
                        n.evidence(),
                        hint={"bios_update": n.min_bios_version},
                    )
                )
            else:
                reasons.append(
                    _r(
                        R.VTD_MIN_BIOS,
                        Layer.FIRMWARE,
                        S.UNKNOWN,
                        f"Cannot compare BIOS {f.board.bios_version} with the required "
                        f"{n.min_bios_version}.",
                        n.evidence(),
                        hint={"min_bios_version": n.min_bios_version},
                    )
                )
    bios = f.board.bios_spec
    if bios is not None and bios.vtd_works in ("yes", "no"):
        status = S.SUPPORTED if bios.vtd_works == "yes" else S.UNSUPPORTED
        reasons.append(
            _r(
                R.VTD_BOARD,
                Layer.FIRMWARE,
                status,
                f"BIOS {bios.version}: {name} "
                f"{'works' if status == S.SUPPORTED else 'does not work'} with this release.",
                tuple(c.evidence("spec", f"bios:{bios.version}") for c in bios.cites),
            )
        )
    if board is not None and board.vtd_status in ("works", "absent", "broken"):
        status = S.SUPPORTED if board.vtd_status == "works" else S.UNSUPPORTED
        text = {
            "works": f"{board.model} is documented with {name} enabled.",
            "absent": f"{board.model} is documented without {name}.",
            "broken": f"{board.model} is documented with a broken {name} implementation.",
        }
        reasons.append(
            _r(
                R.VTD_BOARD,
                Layer.BOARD,
                status,
                text[board.vtd_status],
                board.evidence(("vtd", "vtd_status")),
            )
        )

    if f.observed:
        table = f.firmware.ivrs if name == "AMD-Vi" else f.firmware.dmar
        tname = "IVRS" if name == "AMD-Vi" else "DMAR"
        if table is None and f.kernel.iommu_active:
            reasons.append(
                _r(
                    R.VTD_FIRMWARE_TABLE,
                    Layer.FIRMWARE,
                    S.SUPPORTED,
                    f"The probe does not list ACPI tables, but an active {name} IOMMU implies "
                    f"the firmware's {tname} table.",
                    f.kernel.evidence,
                    hint={},
                )
            )
        elif table is True:
            reasons.append(
                _r(
                    R.VTD_FIRMWARE_TABLE,
                    Layer.FIRMWARE,
                    S.SUPPORTED,
                    f"The firmware publishes an ACPI {tname} table.",
                    f.firmware.evidence,
                    hint={},
                )
            )
        elif table is False and f.hypervisor.present:
            # In a guest the DMAR/IVRS table is the hypervisor's virtual firmware: its absence
            # says the VM has no virtual IOMMU, nothing about the host's hardware.
            reasons.append(
                _r(
                    R.VTD_FIRMWARE_TABLE,
                    Layer.HYPERVISOR,
                    S.MASKED,
                    f"This is a guest ({f.hypervisor.name or 'hypervisor'}) whose virtual "
                    f"firmware has no {tname} table: the VM has no virtual IOMMU. The host's "
                    f"{name} cannot be judged from inside it.",
                    (*f.firmware.evidence, *f.hypervisor.evidence),
                    hint={
                        "host_setting": "give the VM a virtual IOMMU (e.g. QEMU intel-iommu "
                        "/ amd-iommu device), or probe the host itself"
                    },
                )
            )
        elif table is False:
            status = S.DISABLED if silicon == S.SUPPORTED else S.UNSUPPORTED
            reasons.append(
                _r(
                    R.VTD_FIRMWARE_TABLE,
                    Layer.FIRMWARE,
                    status,
                    f"No ACPI {tname} table: {name} is either disabled in the BIOS or not "
                    "supported by this platform.",
                    f.firmware.evidence,
                )
            )
        else:
            reasons.append(
                _r(
                    R.VTD_FIRMWARE_TABLE,
                    Layer.FIRMWARE,
                    S.UNKNOWN,
                    f"The probe did not say whether an ACPI {tname} table exists.",
                    hint={"give": "acpi_tables (names in /sys/firmware/acpi/tables)"},
                )
            )
    elif (
        not any(
            r.layer in (Layer.FIRMWARE, Layer.BOARD) and r.status == S.SUPPORTED for r in reasons
        )
        and silicon != S.UNSUPPORTED
    ):
        reasons.append(
            _r(
                R.VTD_FIRMWARE_TABLE,
                Layer.FIRMWARE,
                S.UNKNOWN,
                f"Nothing shows that the firmware of {board.model if board else 'this board'} "
                f"enables {name} (publishes a DMAR/IVRS table).",
                board.evidence() if board else (),
                hint={
                    "give": "board and bios",
                    "or": "post a probe from the host",
                    "bios_setting": "Intel VT-d / IOMMU: Enabled",
                },
            )
        )
    return reasons


def _kernel(f: HostFacts, name: str) -> list[Reason]:
    k = f.kernel
    amd = name == "AMD-Vi"
    add = "amd_iommu is on by default (no option needed)" if amd else "intel_iommu=on"
    if not f.observed:
        return [
            _r(
                R.GUIDANCE_KERNEL,
                Layer.KERNEL,
                S.UNKNOWN,
                f"Not judged for a catalogue query: the kernel must enable the IOMMU ({add}).",
                hint=None if amd else {"kernel_cmdline_add": "intel_iommu=on"},
            )
        ]
    reasons: list[Reason] = []
    table = f.firmware.ivrs if amd else f.firmware.dmar
    if k.iommu_active:
        what = (
            f"{k.iommu_groups} IOMMU groups"
            if k.iommu_groups
            else "the kernel's IOMMU initialisation line"
        )
        reasons.append(
            _r(
                R.VTD_KERNEL,
                Layer.KERNEL,
                S.SUPPORTED,
                f"The IOMMU is active ({what}).",
                k.evidence,
                hint={},
            )
        )
    elif table and k.iommu_active is False:
        reasons.append(
            _r(
                R.VTD_KERNEL,
                Layer.KERNEL,
                S.DISABLED,
                f"The firmware publishes the table but the kernel did not turn {name} on "
                "(no IOMMU groups, no initialisation line in a log that reaches userspace).",
                k.evidence,
                hint={
                    "check": "kernel built with CONFIG_AMD_IOMMU; 'amd_iommu=off' must not be set"
                }
                if amd
                else {"kernel_cmdline_add": "intel_iommu=on"},
            )
        )
    elif table:
        reasons.append(
            _r(
                R.VTD_KERNEL,
                Layer.KERNEL,
                S.UNKNOWN,
                f"The firmware publishes the table, but the log ends before the kernel's {name} "
                "initialisation and no IOMMU group count was sent: whether remapping started is "
                "not known.",
                k.evidence,
                hint={
                    "give": "iommu_groups (count of /sys/kernel/iommu_groups) or the full "
                    "kernel log",
                    **({} if amd else {"kernel_cmdline_add": "intel_iommu=on"}),
                },
            )
        )
    if k.cmdline_iommu_echo and not k.iommu_active:
        reasons.append(
            _r(
                R.VTD_CMDLINE_ECHO,
                Layer.KERNEL,
                S.UNKNOWN,
                "'DMAR: IOMMU enabled' appears, but it only echoes intel_iommu=on; it does not "
                "show that remapping started.",
                k.evidence,
            )
        )
    if k.iommu_passthrough:
        reasons.append(
            _r(
                R.IOMMU_PASSTHROUGH,
                Layer.KERNEL,
                S.SUPPORTED,
                "iommu=pt: host devices are identity-mapped; guests still get translation.",
                k.evidence,
            )
        )
    if k.invalid_amd_iommu_values:
        reasons.append(
            _r(
                R.AMD_IOMMU_INVALID,
                Layer.KERNEL,
                S.UNKNOWN,
                f"amd_iommu={','.join(k.invalid_amd_iommu_values)} is not a valid value and is "
                "ignored.",
                k.evidence,
            )
        )
    return reasons


def _vtd(f: HostFacts) -> Capability:
    name = _iommu_name(f)
    silicon = _silicon(f, name)
    if f.observed and f.kernel.iommu_active:
        # An active IOMMU proves the silicon: drop "unknown chipset/CPU" layers.
        silicon = [r for r in silicon if r.status != S.UNKNOWN]
        silicon.append(
            _r(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.SUPPORTED,
                f"An active {name} IOMMU was observed on this host.",
                f.kernel.evidence,
                hint={},
            )
        )
    silicon_status = combine(silicon)
    firmware = _firmware(f, name, silicon_status)
    reasons = [*silicon, *firmware, *_kernel(f, name)]
    reasons += _source_notes(f, "vtd", combine(reasons))
    if not f.observed:
        tr = _tally_reason(f, "vtd", combine(reasons), "an ACPI table and an active IOMMU")
        if tr is not None:
            if tr.status == S.SUPPORTED:
                reasons = [
                    r for r in reasons if not (r.layer == Layer.FIRMWARE and r.status == S.UNKNOWN)
                ]
            reasons.append(tr)
    return _cap(reasons)


# -- SLAT, HVM, passthrough -----------------------------------------------------------------


def _slat(f: HostFacts, vtx: Capability) -> Capability:
    vendor = _vendor(f)
    kind = {"intel": "EPT", "amd": "NPT"}.get(vendor or "", "EPT/NPT")
    reasons: list[Reason] = []
    if f.xen is not None and f.xen.virt_caps:
        hap = f.xen.hap
        if hap is None:
            message = (
                f"This Xen's virt_caps predate the 'hap' token (Xen < 4.13), so they do not "
                f"say whether {kind} is in use."
            )
            status = S.UNKNOWN
        else:
            message = f"Xen virt_caps {'include' if hap else 'lack'} hap ({kind})."
            status = S.SUPPORTED if hap else S.UNSUPPORTED
        reasons.append(
            _r(
                R.XEN_VIRT_CAPS,
                Layer.HYPERVISOR,
                status,
                message,
                f.xen.evidence,
                hint={"check": "xl dmesg for 'HVM: Hardware Assisted Paging (HAP) detected'"}
                if hap is None
                else {},
            )
        )
        return _cap(reasons)
    if vtx.status in (S.UNSUPPORTED, S.DISABLED, S.MASKED):
        reasons.append(
            _r(
                R.SLAT_CPU,
                Layer.CPU,
                vtx.status,
                f"{kind} is an extension of {_feature(vendor)}, which is {vtx.status.value}.",
                hint={},
            )
        )
        return _cap(reasons)
    if f.observed and f.cpu.flags is not None:
        flags = f.cpu.flags | (f.cpu.vmx_flags or frozenset())
        if "ept" in flags or "npt" in flags:
            reasons.append(
                _r(
                    R.SLAT_CPU,
                    Layer.CPU,
                    S.SUPPORTED,
                    f"cpuinfo shows {'ept' if 'ept' in flags else 'npt'}.",
                    f.cpu.evidence,
                )
            )
        else:
            reasons.append(
                _r(
                    R.SLAT_CPU,
                    Layer.CPU,
                    S.UNSUPPORTED,
                    f"cpuinfo shows {_feature(vendor)} without {kind}: hypervisors fall back to "
                    "shadow paging.",
                    f.cpu.evidence,
                )
            )
        return _cap(reasons)
    spec = f.cpu.spec
    if spec is None:
        reasons.append(_cpu_unknown(f"No CPU given: {kind} is a CPU feature."))
    else:
        status, word = _tri(spec.slat)
        reasons.append(
            _r(
                R.SLAT_CPU,
                Layer.CPU,
                status,
                f"{spec.brand} {word} {kind}.",
                spec.evidence(("slat", "ept", "npt")),
            )
        )
    reasons.extend(_source_notes(f, "slat", combine(reasons)))
    return _cap(reasons)


def _hvm(f: HostFacts, vtx: Capability) -> Capability:
    return _cap(
        [
            _r(
                R.HVM,
                Layer.CPU,
                vtx.status,
                f"HVM guests (Xen HVM, KVM) need {_feature(_vendor(f))}, "
                f"which is {vtx.status.value}.",
                hint=None if vtx.status == S.SUPPORTED else {"see": "vtx"},
            ),
            *_why(vtx),
        ]
    )


def _why(cap: Capability) -> list[Reason]:
    """The reasons that decided a capability this one depends on, so a derived verdict (and a
    config finding citing it) names the root cause, e.g. the DQ43AP VT-d trap."""
    if cap.status == S.SUPPORTED:
        return []
    return [r for r in cap.reasons if not r.advisory and r.status == cap.status]


def _passthrough(
    f: HostFacts, vtd: Capability, hvm: Capability, hypervisor: str | None
) -> Capability:
    reasons: list[Reason] = []
    name = _iommu_name(f)
    if f.xen is not None and f.xen.virt_caps:
        direct = "hvm_directio" in f.xen.virt_caps
        reasons.append(
            _r(
                R.XEN_VIRT_CAPS,
                Layer.HYPERVISOR,
                S.SUPPORTED if direct else vtd.status if vtd.status != S.SUPPORTED else S.DISABLED,
                f"Xen virt_caps {'include' if direct else 'lack'} hvm_directio (IOMMU device "
                "assignment).",
                f.xen.evidence,
            )
        )
    else:
        reasons.append(
            _r(
                R.PT_NEEDS_IOMMU,
                Layer.CHIPSET,
                vtd.status,
                f"Device assignment to HVM/KVM guests needs {name}, which is {vtd.status.value}.",
                hint=None if vtd.status == S.SUPPORTED else {"see": "vtd"},
            )
        )
        reasons.extend(_why(vtd))
        reasons.append(
            _r(
                R.HVM,
                Layer.CPU,
                hvm.status,
                f"The guest itself must be HVM/KVM, which is {hvm.status.value}.",
                hint=None if hvm.status == S.SUPPORTED else {"see": "hvm"},
            )
        )
    if hypervisor in (None, "xen") and vtd.status != S.SUPPORTED:
        reasons.append(
            _r(
                R.PT_XEN_PV_INSECURE,
                Layer.HYPERVISOR,
                S.SUPPORTED,
                f"Xen can still pass a PCI device to a PV guest without {name}, but that guest "
                "can then DMA into any host memory: only for fully trusted guests.",
            )
        )
    return _cap(reasons)


def judge(f: HostFacts, hypervisor: str | None = None) -> dict[str, Capability]:
    """All five capability verdicts for ``f`` (``hypervisor``: "xen", "kvm" or None)."""
    vtx = _vtx(f)
    vtd = _vtd(f)
    slat = _slat(f, vtx)
    hvm = _hvm(f, vtx)
    pt = _passthrough(f, vtd, hvm, hypervisor)
    return {"vtx": vtx, "vtd": vtd, "slat": slat, "hvm": hvm, "pci_passthrough": pt}

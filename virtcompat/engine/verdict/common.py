"""What every layer check shares: building a cited reason, combining reasons into a status,
catalogue tri-states, the notes that ride along with a capability."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from virtcompat.capability import Capability, Confidence, Evidence, Layer, Reason, Status
from virtcompat.catalogue.types import CpuSpec, NoteSpec
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.infer import Inference
from virtcompat.rules.registry import Rule

S = Status
# Worst first: the capability's status is the worst of its non-advisory reasons.
PRECEDENCE = (S.UNSUPPORTED, S.DISABLED, S.MASKED, S.CONFLICT, S.UNKNOWN, S.SUPPORTED)
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


def reason(
    rule: Rule,
    layer: Layer,
    status: Status,
    message: str,
    evidence: Iterable[Evidence] = (),
    hint: Mapping[str, Any] | None = None,
    confidence: Confidence | None = None,
) -> Reason:
    """A reason citing ``rule``; ``hint=None`` takes the rule's own hint unless all is well,
    ``hint={}`` means no hint at all. ``confidence`` is for a reason that is not a citation
    (an inference); otherwise the reason weighs what its evidence weighs."""
    return Reason(
        rule=rule.id,
        layer=layer,
        status=status,
        message=message,
        hint=_hint(rule, status, hint),
        evidence=tuple(evidence),
        advisory=rule.id in ADVISORY_RULES,
        confidence=confidence,
    )


def _hint(rule: Rule, status: Status, hint: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if hint is not None:
        return hint or None
    if rule.hint and status != S.SUPPORTED:
        return dict(rule.hint)
    return None


def rule_hint(rule: Rule) -> dict[str, Any]:
    """A copy of another rule's hint, for a reason that borrows it."""
    return dict(rule.hint or {})


def info(r: Reason) -> Reason:
    """A catalogue reason shown beside the observation that decides instead."""
    return replace(r, advisory=True)


def cpu_unknown(message: str) -> Reason:
    """The CPU layer has no evidence because no CPU was given or matched."""
    return reason(R.UNKNOWN_HARDWARE, Layer.CPU, S.UNKNOWN, message, hint={"give": "cpu"})


def cpu_missing(f: HostFacts, what: str, message: str | None = None) -> Reason:
    """The CPU layer without a CPU row: HW-UNRESOLVED-NAME when the query named a CPU the
    catalogue does not know (or knows several of), else HW-UNKNOWN-COMPONENT."""
    for u in f.unresolved:
        if u.field == "cpu":
            found = (
                "matches several parts" if u.reason == "ambiguous" else "is not in the catalogue"
            )
            listing = f" ({', '.join(u.candidates)})" if u.candidates else ""
            return reason(
                R.UNRESOLVED_NAME,
                Layer.CPU,
                S.UNKNOWN,
                f"CPU {u.value!r} {found}{listing}, so its {what} is not known.",
                hint={"next_step": u.next_step, "candidates": list(u.candidates)},
            )
    return cpu_unknown(message or f"No CPU given: {what} is a CPU feature.")


def inferred(inference: Inference, spec: CpuSpec) -> Reason:
    """A CPU-layer reason from an HW-INFER-* rule: low confidence, citing the rule and the
    facts that placed the part (its code name, launch date, signature)."""
    status = {"yes": S.SUPPORTED, "no": S.UNSUPPORTED}.get(inference.value, S.UNKNOWN)
    return reason(
        inference.rule,
        Layer.CPU,
        status,
        inference.message,
        (inference.evidence, *spec.evidence(("code_name", "microarch", "launch", "family"))),
        hint={} if status == S.SUPPORTED else None,
        confidence=Confidence.LOW,
    )


def tri(value: str) -> tuple[Status, str]:
    """A catalogue tri-state ("yes"/"no"/"unknown") as a status and a verb for messages."""
    if value == "yes":
        return S.SUPPORTED, "has"
    if value == "no":
        return S.UNSUPPORTED, "lacks"
    return S.UNKNOWN, "may or may not have"


def combine(reasons: Sequence[Reason]) -> Status:
    judged = [r.status for r in reasons if not r.advisory]
    if not judged:
        return S.UNKNOWN
    for status in PRECEDENCE:
        if status in judged:
            return status
    return S.UNKNOWN


def capability(reasons: Sequence[Reason]) -> Capability:
    return Capability(status=combine(reasons), reasons=tuple(reasons))


def vendor(f: HostFacts) -> str | None:
    if f.cpu.vendor:
        return f.cpu.vendor
    if f.cpu.spec is not None:
        return f.cpu.spec.vendor
    for c in f.chipset.candidates:
        return c.vendor
    return None


def feature(vendor_name: str | None) -> str:
    """The CPU virtualization extension's name on this vendor."""
    return {"intel": "VT-x", "amd": "AMD-V"}.get(vendor_name or "", "VT-x/AMD-V")


def is_ia64(f: HostFacts) -> bool:
    return f.cpu.spec is not None and f.cpu.spec.isa == "ia64"


def feature_of(f: HostFacts) -> str:
    """The extension's name on this host: VT-i on an Itanium, never VT-x."""
    return "VT-i" if is_ia64(f) else feature(vendor(f))


def notes(f: HostFacts, capability_name: str) -> list[NoteSpec]:
    """Notes on the chipset(s), CPU, board and BIOS release that concern a capability (or all
    capabilities), each once."""
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
            if n.capability in (capability_name, None):
                seen.setdefault(n.slug, n)
    return list(seen.values())


def source_notes(f: HostFacts, capability_name: str, qualified: Status) -> list[Reason]:
    """Conflict notes decide (``conflict``); qualification notes ride along as advisory
    context carrying the status of the fact they qualify."""
    out = []
    for n in notes(f, capability_name):
        if n.capability != capability_name:
            continue
        if n.kind == "conflict":
            out.append(reason(R.SOURCE_CONFLICT, Layer.BOARD, S.CONFLICT, n.text, n.evidence()))
        elif n.kind == "qualification":
            out.append(
                reason(R.SOURCE_QUALIFICATION, Layer.CHIPSET, qualified, n.text, n.evidence())
            )
    return out

"""Confidence and layer accounting for capability verdicts.

Which layers a capability needs judged depends on the question. A catalogue query asks
about hardware: the CPU, the chipset and what the board's firmware does (the kernel and
hypervisor are the operator's configuration, given as guidance). A probe asks about the host
as it runs, so the kernel's own state counts too. Xen's ``xl info`` speaks for every layer
below it: Xen could only enable HVM because the CPU and firmware allowed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from virtcompat.capability import Capability, Confidence, Layer, Reason, Status, assess
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import HostFacts

L = Layer

_CATALOG: Mapping[str, tuple[Layer, ...]] = {
    "vtx": (L.CPU, L.FIRMWARE),
    "vtd": (L.CPU, L.CHIPSET, L.FIRMWARE),
    "slat": (L.CPU,),
    "hvm": (L.CPU,),
    "pci_passthrough": (),
}
_PROBE: Mapping[str, tuple[Layer, ...]] = {
    "vtx": (L.CPU,),
    "vtd": (L.CHIPSET, L.FIRMWARE, L.KERNEL),
    "slat": (L.CPU,),
    "hvm": (L.CPU,),
    "pci_passthrough": (),
}
# Derived capabilities rest on others: their layers and confidence carry over.
_INHERIT: Mapping[str, tuple[str, ...]] = {
    "hvm": ("vtx",),
    "pci_passthrough": ("vtd", "hvm"),
}


def required_layers(facts: HostFacts, capability: str) -> tuple[Layer, ...]:
    if facts.xen is not None and facts.xen.virt_caps:
        return (L.HYPERVISOR,)
    table = _PROBE if facts.observed else _CATALOG
    return table.get(capability, ())


def rate(caps: Mapping[str, Capability], facts: HostFacts) -> dict[str, Capability]:
    """``caps`` with confidence and judged / unjudged layers, dependencies first."""
    out: dict[str, Capability] = {}
    for name in ("vtx", "vtd", "slat", "hvm", "pci_passthrough"):
        if name not in caps:
            continue
        cap = caps[name]
        out[name] = assess(
            cap.status,
            cap.reasons,
            required_layers(facts, name),
            inherit=tuple(out[d] for d in _INHERIT.get(name, ()) if d in out),
        )
    for name, cap in caps.items():
        out.setdefault(name, cap)
    return out


def require(caps: Mapping[str, Capability], minimum: Confidence) -> dict[str, Capability]:
    """Answer ``unknown`` where a verdict is weaker than ``minimum`` (a procurement script
    that buys only on explicit records). The verdict it would have given is kept under
    ``withheld`` and its reasons stay, advisory, so the answer still explains itself."""
    out: dict[str, Capability] = {}
    for name, cap in caps.items():
        if (
            cap.confidence is None
            or cap.status == Status.UNKNOWN
            or cap.confidence.rank >= minimum.rank
        ):
            out[name] = cap
            continue
        why = (
            f"{', '.join(layer.value for layer in cap.unjudged)} not judged"
            if cap.unjudged
            else "it rests on an inference or a weaker citation"
        )
        below = Reason(
            rule=R.CONFIDENCE_BELOW.id,
            layer=cap.unjudged[0] if cap.unjudged else _weakest_layer(cap),
            status=Status.UNKNOWN,
            message=f"The verdict would be '{cap.status.value}' with confidence "
            f"{cap.confidence.value} ({why}); {minimum.value} was demanded.",
            hint=dict(R.CONFIDENCE_BELOW.hint or {}),
        )
        out[name] = replace(
            cap,
            status=Status.UNKNOWN,
            confidence=Confidence.LOW,
            reasons=(below, *(replace(r, advisory=True) for r in cap.reasons)),
            withheld=(cap.status, cap.confidence),
        )
    return out


def _weakest_layer(cap: Capability) -> Layer:
    deciding = [r for r in cap.reasons if not r.advisory and r.weight is not None]
    if not deciding:
        return Layer.CPU
    return min(deciding, key=lambda r: r.weight.rank if r.weight else 0).layer

"""Confidence and layer accounting for capability verdicts.

Which layers a capability needs judged depends on the question. A catalogue query asks
about hardware: the CPU, the chipset and what the board's firmware does (the kernel and
hypervisor are the operator's configuration, given as guidance). A probe asks about the host
as it runs, so the kernel's own state counts too. Xen's ``xl info`` speaks for every layer
below it: Xen could only enable HVM because the CPU and firmware allowed it.
"""

from __future__ import annotations

from collections.abc import Mapping

from virtcompat.capability import Capability, Layer, assess
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

"""The verdict engine: HostFacts -> capability verdicts with layered, cited reasons.

The one principle: ``supported`` needs positive evidence in every layer of the chain (CPU,
chipset, board/firmware, kernel). A layer without evidence makes the capability
``unknown`` and its reason says what would settle it. Catalogue queries judge the hardware
layers; their kernel layer is advisory guidance. Probe diagnoses judge all layers from what
the host showed, joined with the catalogue rows it matched.

One module per capability (``vtx``, ``vtd``, ``slat``, ``derived``); inside each, one small
function per rule or layer. New evidence is one function there and one rule in
``virtcompat.engine.rules``.
"""

from __future__ import annotations

from virtcompat.capability import Capability, Confidence
from virtcompat.engine.confidence import rate, require
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.verdict.bios import bios_at_least, bios_build
from virtcompat.engine.verdict.common import ADVISORY_RULES, combine
from virtcompat.engine.verdict.derived import judge_hvm, judge_passthrough
from virtcompat.engine.verdict.slat import judge_slat
from virtcompat.engine.verdict.vtd import judge_vtd
from virtcompat.engine.verdict.vtx import judge_vtx

__all__ = ["ADVISORY_RULES", "bios_at_least", "bios_build", "combine", "judge"]


def judge(
    f: HostFacts, hypervisor: str | None = None, min_confidence: Confidence | None = None
) -> dict[str, Capability]:
    """All five capability verdicts for ``f`` (``hypervisor``: "xen", "kvm" or None), each
    with its confidence and judged / unjudged layers; with ``min_confidence``, a verdict
    weaker than that is answered ``unknown`` (HW-CONFIDENCE-BELOW)."""
    vtx = judge_vtx(f)
    vtd = judge_vtd(f)
    slat = judge_slat(f, vtx)
    hvm = judge_hvm(f, vtx)
    pt = judge_passthrough(f, vtd, hvm, hypervisor)
    caps = rate({"vtx": vtx, "vtd": vtd, "slat": slat, "hvm": hvm, "pci_passthrough": pt}, f)
    return require(caps, min_confidence) if min_confidence is not None else caps

"""Confidence and layer accounting: what a verdict rests on, and which layers it judged."""

from __future__ import annotations

from dataclasses import replace

from virtcompat.capability import Capability, Confidence, Evidence, Layer, Reason, Status, assess
from virtcompat.catalogue.types import Cite, CpuSpec
from virtcompat.engine.confidence import require
from virtcompat.engine.hostfacts import (
    ChipsetFacts,
    CpuFacts,
    FirmwareFacts,
    HostFacts,
    HypervisorFacts,
    KernelFacts,
)
from virtcompat.engine.verdict import judge

S, L, C = Status, Layer, Confidence
PROBE = (Evidence("probe", "p1", "cpuinfo"),)


def spec(cite_confidence: str = "high", **kw: object) -> CpuSpec:
    cite = (Cite("ark", "ARK record", None, cite_confidence, None, None),)
    base = CpuSpec(
        1, "c", "Core i7-920", "intel", 6, 26, "yes", "unknown", "yes", "ept", False, (), cite,
        (),
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def r(layer: Layer, status: Status, weight: str | None = "high") -> Reason:
    ev = (Evidence("spec", "x", "src", weight),) if weight else ()
    return Reason("HW-VTX-CPU", layer, status, "m", None, ev)


def test_supported_rests_on_its_weakest_reason() -> None:
    cap = assess(S.SUPPORTED, [r(L.CPU, S.SUPPORTED), r(L.FIRMWARE, S.SUPPORTED, "medium")], [])
    assert cap.confidence == C.MEDIUM and cap.judged == (L.CPU, L.FIRMWARE)


def test_supported_with_an_unjudged_layer_is_at_most_medium() -> None:
    cap = assess(S.SUPPORTED, [r(L.CPU, S.SUPPORTED)], [L.CPU, L.FIRMWARE])
    assert cap.confidence == C.MEDIUM
    assert cap.judged == (L.CPU,) and cap.unjudged == (L.FIRMWARE,)


def test_one_explicit_no_is_enough() -> None:
    cap = assess(S.UNSUPPORTED, [r(L.CPU, S.UNSUPPORTED), r(L.CHIPSET, S.UNKNOWN, None)], [L.CPU])
    assert cap.confidence == C.HIGH and cap.unjudged == (L.CHIPSET,)


def test_unknown_is_low() -> None:
    assert assess(S.UNKNOWN, [r(L.CPU, S.UNKNOWN)], [L.CPU]).confidence == C.LOW


def test_a_board_reason_meets_the_firmware_requirement() -> None:
    cap = assess(S.SUPPORTED, [r(L.CPU, S.SUPPORTED), r(L.BOARD, S.SUPPORTED)], [L.FIRMWARE])
    assert cap.confidence == C.HIGH and cap.unjudged == ()


def test_a_layer_still_unknown_is_not_judged() -> None:
    cap = assess(S.UNKNOWN, [r(L.FIRMWARE, S.SUPPORTED), r(L.FIRMWARE, S.UNKNOWN)], [])
    assert cap.judged == () and cap.unjudged == (L.FIRMWARE,)


def test_derived_capability_inherits() -> None:
    vtx = assess(S.SUPPORTED, [r(L.CPU, S.SUPPORTED)], [L.CPU, L.FIRMWARE])
    hvm = assess(S.SUPPORTED, [r(L.CPU, S.SUPPORTED, None)], [L.CPU], inherit=[vtx])
    assert hvm.confidence == C.MEDIUM and hvm.unjudged == (L.FIRMWARE,)


def test_probe_observation_is_high() -> None:
    facts = HostFacts(
        origin="probe",
        cpu=CpuFacts(vendor="intel", flags=frozenset({"vmx", "ept"}), evidence=PROBE),
        chipset=ChipsetFacts(),
        firmware=FirmwareFacts(dmar=True, evidence=PROBE),
        kernel=KernelFacts(
            release="6.1", release_tuple=(6, 1), iommu_active=True, iommu_groups=9, evidence=PROBE
        ),
        hypervisor=HypervisorFacts(present=False),
    )
    caps = judge(facts)
    assert caps["vtx"].status == S.SUPPORTED and caps["vtx"].confidence == C.HIGH
    assert caps["vtd"].status == S.SUPPORTED and caps["vtd"].confidence == C.HIGH
    assert caps["vtd"].unjudged == ()
    assert caps["vtx"].as_dict()["confidence"] == "high"


def test_catalogue_cpu_only_leaves_firmware_open() -> None:
    caps = judge(HostFacts(origin="catalog", cpu=CpuFacts(vendor="intel", spec=spec())))
    vtx = caps["vtx"]
    assert vtx.status == S.SUPPORTED and vtx.confidence == C.MEDIUM
    assert vtx.as_dict()["layers"] == {"judged": ["cpu"], "unjudged": ["firmware"]}
    # EPT is a CPU feature: the ARK record settles it alone.
    assert caps["slat"].confidence == C.HIGH


def test_require_withholds_below_and_keeps_the_rest() -> None:
    caps: dict[str, Capability] = judge(
        HostFacts(origin="catalog", cpu=CpuFacts(vendor="intel", spec=spec()))
    )
    out = require(caps, C.HIGH)
    assert out["vtx"].status == S.UNKNOWN and out["vtx"].withheld == (S.SUPPORTED, C.MEDIUM)
    assert out["vtx"].reasons[0].rule == "HW-CONFIDENCE-BELOW"
    assert all(x.advisory for x in out["vtx"].reasons[1:])
    assert out["slat"] is caps["slat"]
    assert require(caps, C.MEDIUM)["vtx"] is caps["vtx"]

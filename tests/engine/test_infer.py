"""HW-INFER-* rules, and the verdicts they give parts that only the code-name lists know.

Expected values are the sources README's rules applied by hand to the parts as their
sources describe them: code name and launch quarter from the Intel code-name lists
(toUpperCase78/intel-processors v1.8/v1.9), CPUID family/model from the InstLatx64 dumps.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from virtcompat.capability import Confidence, Status
from virtcompat.catalogue.types import Cite, CpuSpec
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import BoardFacts, ChipsetFacts, CpuFacts, HostFacts
from virtcompat.engine.infer import infer_slat, infer_vtd, infer_vtx, iommu_in_cpu
from virtcompat.engine.verdict import judge

LIST = (Cite("intel-codenames", "Intel code-name lists", None, "high", "code_name", None),)


def part(brand: str, vendor: str = "intel", **kw: object) -> CpuSpec:
    base = CpuSpec(
        1, "p", brand, vendor, None, None, "unknown", "unknown", "unknown", "unknown", False,
        (), LIST, (),
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


# (brand, code name, launch quarter) as the code-name lists print them.
INTEL_LIST_ONLY = [
    ("Core i5-12400", "Alder Lake", "Q1'22"),
    ("Core i7-13700K", "Raptor Lake", "Q4'22"),
    ("Core i9-14900K", "Raptor Lake", "Q4'23"),
    ("Core Ultra 7 155H", "Meteor Lake", "Q4'23"),
    ("Core Ultra 9 285K", "Arrow Lake", "Q4'24"),
    ("Xeon Silver 4314", "Ice Lake", "Q2'21"),
    ("Xeon E-2388G", "Rocket Lake", "Q3'21"),
    ("Xeon Gold 6430", "Sapphire Rapids", "Q1'23"),
    ("Xeon Gold 5512U", "Emerald Rapids", "Q4'23"),
]


@pytest.mark.parametrize(("brand", "code", "launch"), INTEL_LIST_ONLY)
def test_list_only_intel_parts_are_judged_by_inference(brand: str, code: str, launch: str) -> None:
    year = 2000 + int(launch[-2:])
    spec = part(brand, code_name=code, launch_quarter=launch, launch_year=year)
    caps = judge(HostFacts(origin="catalog", cpu=CpuFacts(vendor="intel", spec=spec)), None)
    for cap, rule in (("vtx", R.INFER_INTEL_VTX), ("slat", R.INFER_INTEL_EPT)):
        verdict = caps[cap]
        assert verdict.status == Status.SUPPORTED
        assert verdict.confidence == Confidence.LOW
        decisive = [r for r in verdict.reasons if not r.advisory]
        assert [r.rule for r in decisive] == [rule.id]
        assert "inferred" in decisive[0].message
    # Launched 2016 or later: VT-d in the CPU (the chipset layer is another matter).
    vtd = infer_vtd(spec)
    assert vtd is not None and vtd.value == "yes" and iommu_in_cpu(spec)


# (brand, CPUID family, model) from the InstLatx64 dumps of the AMD parts.
AMD_PARTS = [
    ("Ryzen 7 5800X", 0x19, 0x21),  # Vermeer
    ("Ryzen 9 7950X", 0x19, 0x61),  # Raphael
    ("EPYC 7443P", 0x19, 0x01),  # Milan
    ("Ryzen 9 9950X", 0x1A, 0x44),  # Granite Ridge, 00B40F40h
]


@pytest.mark.parametrize(("brand", "family", "model"), AMD_PARTS)
def test_amd_parts_by_family(brand: str, family: int, model: int) -> None:
    spec = part(brand, "amd", family=family, model=model)
    caps = judge(HostFacts(origin="catalog", cpu=CpuFacts(vendor="amd", spec=spec)), None)
    assert caps["vtx"].status == Status.SUPPORTED
    assert caps["slat"].status == Status.SUPPORTED
    assert {r.rule for r in caps["slat"].reasons} == {R.INFER_AMD_NPT.id}
    vtd = infer_vtd(spec)
    assert vtd is not None and vtd.rule == R.INFER_AMD_IOMMU and vtd.value == "yes"


@pytest.mark.parametrize(
    ("brand", "kw", "vtx", "npt"),
    [
        # K8 before revision F (model < 0x40): no AMD-V; revision F: AMD-V; neither has NPT.
        ("Athlon 64 X2 4800+", {"family": 0x0F, "model": 0x2B}, "no", "no"),
        ("Athlon 64 X2 5000+", {"family": 0x0F, "model": 0x6B}, "yes", "no"),
        ("Athlon 64 X2 5000+", {"microarch": "k8-rev-f"}, "yes", "no"),
        # Family 11h (Griffin): AMD-V without NPT.
        ("Turion X2 Ultra ZM-80", {"family": 0x11, "model": 0x03}, "yes", "no"),
        ("Phenom II X4 940", {"code_name": "Deneb"}, "yes", "yes"),
        ("A8-3850", {"family": 0x12, "model": 0x01}, "yes", "yes"),
        ("E-350", {"family": 0x14, "model": 0x01}, "yes", "yes"),
    ],
)
def test_amd_rules_and_their_exceptions(
    brand: str, kw: dict[str, object], vtx: str, npt: str
) -> None:
    spec = part(brand, "amd", **kw)
    got_vtx, got_npt = infer_vtx(spec), infer_slat(spec)
    assert got_vtx is not None and got_vtx.value == vtx
    assert got_npt is not None and got_npt.value == npt


@pytest.mark.parametrize(
    ("brand", "kw", "ept"),
    [
        ("Core 2 Quad Q9550", {"code_name": "Yorkfield"}, "no"),
        ("Core 2 Duo E6600", {"family": 6, "model": 0x0F}, "no"),  # Merom/Conroe
        ("Xeon X7460", {"code_name": "Dunnington"}, "no"),
        ("Core i7-920", {"code_name": "Bloomfield"}, "yes"),
        ("Celeron J1900", {"code_name": "Bay Trail"}, "yes"),  # README: real J1900s show ept
        ("Atom D2550", {"code_name": "Cedarview"}, None),  # Saltwell: outside the rule
    ],
)
def test_ept_from_nehalem_on(brand: str, kw: dict[str, object], ept: str | None) -> None:
    got = infer_slat(part(brand, **kw))
    assert (got.value if got else None) == ept


@pytest.mark.parametrize(
    ("brand", "kw", "vtx"),
    [
        ("Atom D2550", {"processor_number": "D2550"}, "no"),
        ("Atom Z2760", {}, "no"),
        ("Xeon Phi 7250", {"microarch": "knights-landing"}, "no"),
        ("Xeon E3-1230 v2", {}, "yes"),
        ("Xeon W-2295", {}, "yes"),
        ("Xeon D-1541", {}, "yes"),
        ("Core i3-10100", {}, "yes"),
        ("Celeron N5105", {"code_name": "Jasper Lake"}, None),  # not a class the rule covers
        ("Pentium D 920", {}, None),
    ],
)
def test_vtx_by_sku_class(brand: str, kw: dict[str, object], vtx: str | None) -> None:
    got = infer_vtx(part(brand, **kw))
    assert (got.value if got else None) == vtx


@pytest.mark.parametrize(
    ("brand", "kw", "vtd"),
    [
        # Per SKU before Skylake: the rule declines to guess.
        ("Core i5-2400", {"microarch": "sandy-bridge", "launch_year": 2011}, "unknown"),
        ("Core i5-6600K", {"microarch": "skylake", "launch_year": 2015}, "unknown"),
        ("Core i5-7400", {"microarch": "kaby-lake", "launch_year": 2017}, "yes"),
        ("Pentium Gold G6400", {"code_name": "Comet Lake", "launch_year": 2020}, "yes"),
        ("Xeon Gold 6430", {"code_name": "Sapphire Rapids"}, "yes"),  # first parts 2023
        # Braswell-era Celeron/Pentium N/J lack VT-d, even those launched in 2016.
        ("Celeron N3060", {"code_name": "Braswell", "launch_year": 2016}, "no"),
        ("Celeron N5105", {"code_name": "Jasper Lake", "launch_year": 2021}, None),
    ],
)
def test_vtd_by_class_and_launch(brand: str, kw: dict[str, object], vtd: str | None) -> None:
    got = infer_vtd(part(brand, **kw))
    assert (got.value if got else None) == vtd


def test_an_explicit_record_beats_the_rule() -> None:
    # Xeon Phi 7250's ARK record says VT-x "No"; a made-up "yes" record must still decide,
    # since the rule never overrides a record.
    spec = part("Core i5-12400", code_name="Alder Lake", vtx="no")
    vtx = judge(HostFacts(origin="catalog", cpu=CpuFacts(vendor="intel", spec=spec)))["vtx"]
    assert vtx.status == Status.UNSUPPORTED
    assert [r.rule for r in vtx.reasons] == [R.VTX_CPU.id]


def test_itanium_names_vt_i_and_no_x86_guests() -> None:
    spec = part("Itanium Processor 9350", vtx="yes", isa="ia64", code_name="Tukwila")
    caps = judge(HostFacts(origin="catalog", cpu=CpuFacts(vendor="intel", spec=spec)))
    [decisive] = [r for r in caps["vtx"].reasons if not r.advisory]
    assert decisive.rule == R.VTI_CPU.id and caps["vtx"].status == Status.SUPPORTED
    assert "VT-i" in decisive.message and "x86 guests cannot run" in decisive.message
    for cap in caps.values():
        for r in cap.reasons:
            assert "VT-x," not in r.message and "need VT-x" not in r.message
    assert caps["slat"].status == Status.UNSUPPORTED
    assert "never x86" in caps["hvm"].reasons[0].message


def test_nehalem_platforms_place_the_iommu() -> None:
    # VT-d in the CPU from Lynnfield/Clarkdale on; in the Tylersburg IOH for Bloomfield.
    assert iommu_in_cpu(part("Core i5-750", code_name="Lynnfield"))
    assert not iommu_in_cpu(part("Core i7-920", code_name="Bloomfield"))
    assert iommu_in_cpu(part("Core i5-2400", microarch="sandy-bridge"))
    assert not iommu_in_cpu(part("Core 2 Quad Q9550", microarch="penryn"))


def test_unknown_board_chipset_with_inferred_cpu_is_not_supported() -> None:
    # An inferred CPU layer never turns an unknown chipset/firmware into "supported".
    spec = part("Core i5-12400", code_name="Alder Lake", launch_year=2022)
    caps = judge(
        HostFacts(
            origin="catalog",
            cpu=CpuFacts(vendor="intel", spec=spec),
            chipset=ChipsetFacts(),
            board=BoardFacts(),
        )
    )
    assert caps["vtd"].status == Status.UNKNOWN


def test_a_vtd_no_in_the_cpu_record_decides_on_a_hub_platform_too() -> None:
    # Xeon Phi 7250's ARK record: VT-d "No" (IntelXeonPhi200.csv); no chipset, no package IOMMU.
    spec = part("Xeon Phi 7250", microarch="knights-landing", vtd="no")
    caps = judge(HostFacts(origin="catalog", cpu=CpuFacts(vendor="intel", spec=spec)))
    cpu_layer = [r for r in caps["vtd"].reasons if r.layer.value == "cpu" and not r.advisory]
    assert [r.status for r in cpu_layer] == [Status.UNSUPPORTED]


@pytest.mark.parametrize("brand", ["Ryzen 7 5800X", "Ryzen 9 7950X", "EPYC 7443P"])
def test_zen_lines_by_name_alone(brand: str) -> None:
    # AMD's specification export names these parts without a family: every Ryzen and EPYC
    # is Zen (family 17h or later), which is all the AMD-V, NPT and IOMMU rules need.
    spec = part(brand, "amd")
    caps = judge(HostFacts(origin="catalog", cpu=CpuFacts(vendor="amd", spec=spec)))
    assert caps["vtx"].status == Status.SUPPORTED and caps["vtx"].confidence == Confidence.LOW
    assert caps["slat"].status == Status.SUPPORTED
    assert iommu_in_cpu(spec)
    assert infer_vtx(part("Athlon 64 X2 4200+", "amd")) is None  # K8 or K10: no guess


def test_itanium_vtd_is_not_gated_by_the_cpu() -> None:
    # ARK: Itanium 9560 "Intel® Virtualization Technology for Directed I/O (VT-d): Yes"; the
    # IOMMU of its QPI platform is in the I/O hub, whatever a row's iommu_in_cpu says.
    spec = part("Itanium 9560", isa="ia64", iommu_in_cpu=True, code_name="Poulson")
    assert not iommu_in_cpu(spec)
    caps = judge(HostFacts(origin="catalog", cpu=CpuFacts(vendor="intel", spec=spec)))
    cpu_layer = [r for r in caps["vtd"].reasons if r.layer.value == "cpu" and not r.advisory]
    assert [r.status for r in cpu_layer] == [Status.SUPPORTED]

"""Inference of a CPU's virtualization features from its microarchitecture and SKU class.

Used only where the catalogue has no explicit record for the feature (an ARK cell left
blank is no statement, not a "No"). Every answer names its ``HW-INFER-*`` rule (the rule
carries its sources and known exceptions) and is ``low`` confidence: a rule about a class of
parts, never a record of this part. An explicit record always wins over an inference.

The part is placed by ``virtcompat.microarch``: its microarchitecture slug, else its code
name (Core Ultra and 14th-gen parts come only with one), else its CPUID signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from virtcompat import microarch
from virtcompat.capability import Confidence, Evidence
from virtcompat.catalogue.types import CpuSpec
from virtcompat.engine import rules as R
from virtcompat.microarch import Microarch
from virtcompat.rules.registry import Rule
from virtcompat.text import normalize_name


@dataclass(frozen=True, slots=True)
class Inference:
    value: str  # "yes" | "no" | "unknown" (the rule applies and says it cannot tell)
    rule: Rule
    message: str
    basis: str  # what placed the part: "microarchitecture Penryn", "launch Q1'22"…

    @property
    def evidence(self) -> Evidence:
        return Evidence(
            kind="inference",
            id=self.rule.id,
            source=f"{self.rule.title}; placed by {self.basis}",
            confidence=Confidence.LOW.value,
        )


def place(spec: CpuSpec) -> Microarch | None:
    """The part's microarchitecture: slug, else code name, else CPUID signature."""
    return (
        microarch.get(spec.microarch)
        or microarch.from_code_name(spec.code_name, spec.vendor)
        or microarch.from_cpuid(spec.vendor, spec.family, spec.model, spec.stepping)
    )


def _at_least(arch: Microarch, slug: str) -> bool:
    return arch.at_least(slug)


# -- SKU classes ------------------------------------------------------------------------------

_VENDOR_WORDS = re.compile(r"^(?:intel|amd)\s+")
_CORE = re.compile(r"^core\b")
# "Core 5 120U": the 2024 Core 3/5/7 branding (Raptor Lake silicon, per the code-name list).
_CORE_VTX = re.compile(r"^core (?:(?:i[3579]|ultra)\b|[3579] \d{3})")
# Xeon E3/E5/E7, E, W, Scalable (Bronze/Silver/Gold/Platinum, Max) and its successor Xeon 6,
# and D: "xeon e3 1230 v2", "xeon e 2388g", "xeon w9 3495x", "xeon d 1541", "xeon 6980p".
_XEON_VTX = re.compile(
    r"^xeon (?:e[357]\b|e \d|w\d?\b|d \d|bronze\b|silver\b|gold\b|platinum\b|max\b|6\d{3})"
)
_XEON = re.compile(r"^xeon\b")
_XEON_PHI_72 = re.compile(r"^xeon phi (?:processor )?72\d\d")
_PENTIUM_CELERON_G = re.compile(r"^(?:pentium|celeron)(?: gold)? g\d")
_PENTIUM_CELERON_NJ = re.compile(r"^(?:pentium|celeron)(?: silver)? [nj]\d")
# Atoms whose ARK records say VT-x "No" (sources README).
_ATOMS_WITHOUT_VTX = frozenset({"d2500", "d2550", "d2700", "n2600", "n2800", "z2760"})


def _brand(spec: CpuSpec) -> str:
    return _VENDOR_WORDS.sub("", normalize_name(spec.brand))


def _number(spec: CpuSpec) -> str:
    if spec.processor_number:
        return normalize_name(spec.processor_number).replace(" ", "")
    words = _brand(spec).split()
    return words[-1] if words else ""


# -- Intel ------------------------------------------------------------------------------------


def infer_vtx(spec: CpuSpec) -> Inference | None:
    if spec.isa != "x86":
        return None
    if spec.vendor == "amd":
        return _amd_v(spec)
    if spec.vendor != "intel":
        return None
    brand = _brand(spec)
    rule = R.INFER_INTEL_VTX
    if _XEON_PHI_72.match(brand):
        return Inference("no", rule, f"{spec.brand}: Xeon Phi 72xx parts lack VT-x.", "SKU class")
    if brand.startswith("atom") and _number(spec) in _ATOMS_WITHOUT_VTX:
        return Inference(
            "no", rule, f"{spec.brand} is one of the Atoms without VT-x.", "processor number"
        )
    m = _CORE_VTX.match(brand) or _XEON_VTX.match(brand)
    if m:
        cls = m.group(0).title()
        return Inference(
            "yes",
            rule,
            f"{spec.brand}: every {cls} part has VT-x (inferred from its SKU class; no explicit "
            "record).",
            f"SKU class {cls}",
        )
    return None


def infer_slat(spec: CpuSpec) -> Inference | None:
    if spec.isa != "x86":
        return None
    if spec.vendor == "amd":
        return _amd_npt(spec)
    if spec.vendor != "intel" or _XEON_PHI_72.match(_brand(spec)):
        return None
    arch = place(spec)
    if arch is None:
        return None
    rule = R.INFER_INTEL_EPT
    basis = f"microarchitecture {arch.name}"
    if (arch.line == "core" and _at_least(arch, "nehalem")) or (
        arch.line == "atom" and _at_least(arch, "silvermont")
    ):
        return Inference(
            "yes",
            rule,
            f"{spec.brand} ({arch.name}): EPT is present from Nehalem on (inferred from the "
            "microarchitecture; no explicit record).",
            basis,
        )
    if arch.line in ("core", "netburst"):
        return Inference("no", rule, f"{spec.brand} ({arch.name}) predates Nehalem: no EPT.", basis)
    return None  # Bonnell/Saltwell Atoms, Xeon Phi, Quark: outside the rule


def infer_vtd(spec: CpuSpec) -> Inference | None:
    """The CPU layer of VT-d / AMD-Vi for a part whose record says nothing."""
    if spec.isa != "x86":
        return None
    if spec.vendor == "amd":
        return _amd_iommu(spec)
    if spec.vendor != "intel":
        return None
    brand = _brand(spec)
    rule = R.INFER_INTEL_VTD
    arch = place(spec)
    if _PENTIUM_CELERON_NJ.match(brand) and arch is not None and arch.slug == "airmont":
        return Inference(
            "no",
            rule,
            f"{spec.brand}: Braswell-era Celeron/Pentium N/J parts lack VT-d.",
            f"microarchitecture {arch.name}",
        )
    if _XEON_PHI_72.match(brand):
        return Inference("no", rule, f"{spec.brand}: Xeon Phi 72xx parts lack VT-d.", "SKU class")
    if not (_CORE.match(brand) or _PENTIUM_CELERON_G.match(brand) or _XEON.match(brand)):
        return None
    year = spec.launch_year
    first = arch.first_year if arch is not None else None
    if (year is not None and year >= 2016) or (
        year is None and first is not None and first >= 2016
    ):
        basis = (
            f"launch {spec.launch_quarter or year}"
            if year is not None
            else f"microarchitecture {arch.name if arch else '?'} (first parts {first})"
        )
        return Inference(
            "yes",
            rule,
            f"{spec.brand}: every Core, Pentium/Celeron G and Xeon part launched in 2016 or "
            "later has VT-d (inferred; no explicit record).",
            basis,
        )
    if year is not None or arch is not None:
        return Inference(
            "unknown",
            rule,
            f"{spec.brand}: before Skylake VT-d is decided per SKU (i5-2300, i5-3450, i5-760 "
            "and many mobile i5s lack it), and this part's record says nothing.",
            f"launch {spec.launch_quarter or year}"
            if year
            else f"microarchitecture {arch.name}"
            if arch
            else "SKU class",
        )
    return None


# Code names of the Nehalem/Westmere platforms, which split VT-d between the CPU package
# (Lynnfield, Clarkdale: "VT-d in the CPU from Lynnfield/Clarkdale on") and the Tylersburg
# IOH (Bloomfield/X58, Gainestown/5500/5520, Gulftown, the EX parts).
_IOMMU_IN_PACKAGE = ("lynnfield", "clarksfield", "clarkdale", "arrandale", "jasper forest")
_IOMMU_IN_IOH = ("bloomfield", "gainestown", "beckton", "gulftown", "westmere ep", "westmere ex")
_IOH_MODELS = frozenset({0x1A, 0x2C, 0x2E, 0x2F})


def iommu_in_cpu(spec: CpuSpec) -> bool:
    """Whether the platform's IOMMU lives in this CPU's package (so the CPU gates VT-d)."""
    if spec.isa != "x86":
        # Itanium 9300-9700 platforms keep VT-d in the QPI I/O hub; ARK lists it per CPU as
        # "Yes" on every row that has the line, so the CPU does not gate it.
        return False
    if spec.iommu_in_cpu:
        return True
    if spec.vendor == "amd":
        family, _ = _amd_family(spec)
        return family is not None and family >= 0x17
    arch = place(spec) if spec.vendor == "intel" else None
    if arch is None:
        return False
    if arch.line == "atom":
        return _at_least(arch, "silvermont")
    if arch.line != "core" or not _at_least(arch, "nehalem"):
        return False
    if _at_least(arch, "sandy-bridge"):
        return True
    code = normalize_name(spec.code_name or "")
    if any(name in code for name in _IOMMU_IN_PACKAGE):
        return True
    if any(name in code for name in _IOMMU_IN_IOH):
        return False
    if spec.model is not None:
        return spec.model not in _IOH_MODELS
    # A Nehalem/Westmere part placed no finer: let its own VT-d answer decide (cautious).
    return True


# -- AMD --------------------------------------------------------------------------------------

_AMD_FAMILY_OF = {
    "k8": 0x0F,
    "k8-rev-f": 0x0F,
    "k10": 0x10,
    "griffin": 0x11,
    "llano": 0x12,
    "bobcat": 0x14,
    "bulldozer": 0x15,
    "piledriver": 0x15,
    "steamroller": 0x15,
    "excavator": 0x15,
    "jaguar": 0x16,
    "puma": 0x16,
    "zen": 0x17,
    "zen-plus": 0x17,
    "zen2": 0x17,
    "zen3": 0x19,
    "zen3-plus": 0x19,
    "zen4": 0x19,
    "zen5": 0x1A,
}


# Every Ryzen, Threadripper and EPYC is a Zen part (family 17h, 19h or 1Ah): enough to place
# a part the catalogue knows only by name for rules that hold from family 17h on.
_ZEN_LINES = re.compile(r"^(?:ryzen|epyc|threadripper)\b")


def _amd_family(spec: CpuSpec) -> tuple[int | None, str]:
    if spec.family is not None:
        model = f" model {spec.model:#04x}" if spec.model is not None else ""
        return spec.family, f"CPUID family {spec.family:#x}{model}"
    arch = place(spec)
    if arch is not None and arch.slug in _AMD_FAMILY_OF:
        family = _AMD_FAMILY_OF[arch.slug]
        return family, f"microarchitecture {arch.name} (family {family:#x})"
    m = _ZEN_LINES.match(_brand(spec))
    if m:
        return 0x17, f"SKU class {m.group(0).title()} (Zen: family 17h or later)"
    return None, ""


def _amd_v(spec: CpuSpec) -> Inference | None:
    family, basis = _amd_family(spec)
    rule = R.INFER_AMD_V
    if family is None:
        return None
    if family == 0x0F:
        arch = place(spec)
        rev_f = (
            spec.model >= 0x40
            if spec.model is not None
            else (arch is not None and arch.slug == "k8-rev-f")
        )
        if spec.model is None and arch is None:
            return Inference(
                "unknown",
                rule,
                f"{spec.brand} is a K8 (family 0Fh): AMD-V arrived with revision F (model "
                "0x40 and later); the revision is not known.",
                basis,
            )
        return Inference(
            "yes" if rev_f else "no",
            rule,
            f"{spec.brand} is a K8 {'of revision F or later' if rev_f else 'before revision F'}: "
            f"{'has' if rev_f else 'lacks'} AMD-V.",
            basis,
        )
    if family >= 0x10:
        return Inference(
            "yes",
            rule,
            f"{spec.brand} ({basis}): every family from 10h on has AMD-V (inferred; no explicit "
            "record).",
            basis,
        )
    return None


def _amd_npt(spec: CpuSpec) -> Inference | None:
    family, basis = _amd_family(spec)
    rule = R.INFER_AMD_NPT
    if family is None:
        return None
    if family == 0x11:
        return Inference(
            "no", rule, f"{spec.brand} is family 11h (Griffin): AMD-V without NPT.", basis
        )
    if family == 0x0F:
        return Inference("no", rule, f"{spec.brand} is a K8: NPT arrived with family 10h.", basis)
    if family in (0x10, 0x12) or 0x14 <= family <= 0x1A:
        return Inference(
            "yes",
            rule,
            f"{spec.brand} ({basis}): NPT is present on families 10h, 12h and 14h-1Ah "
            "(inferred; no explicit record).",
            basis,
        )
    return None


def _amd_iommu(spec: CpuSpec) -> Inference | None:
    family, basis = _amd_family(spec)
    if family is None or family < 0x17:
        return None
    return Inference(
        "yes",
        R.INFER_AMD_IOMMU,
        f"{spec.brand} ({basis}): from AM4 on the AMD IOMMU is in the CPU/SoC; the BIOS must "
        "still enable it (inferred; no explicit record).",
        basis,
    )

"""Microarchitecture identity, checked against the shipped sources.

Intel expectations are the ``#define`` lines of Linux's intel-family.h
(seed/sources/chipset-ids/); AMD expectations pair an InstLatx64 dump's CPUID signature
with the part its brand string names (instlatx64/cpuid-virt.csv) and AMD's own generation
for that part.
"""

from __future__ import annotations

import pytest

from virtcompat import microarch
from virtcompat.microarch import from_code_name, from_cpuid, launch_quarter, parse_launch


@pytest.mark.parametrize(
    ("model", "stepping", "slug"),
    [
        (0x97, None, "alder-lake"),  # INTEL_FAM6_ALDERLAKE 0x97
        (0x9A, None, "alder-lake"),  # ALDERLAKE_L
        (0xBE, None, "gracemont"),  # INTEL_ATOM_GRACEMONT /* Alderlake N */
        (0x17, None, "penryn"),  # CORE2_PENRYN
        (0x0F, None, "merom"),
        (0x1D, None, "dunnington"),
        (0x1A, None, "nehalem"),  # NEHALEM_EP
        (0x2C, None, "westmere"),
        (0x2A, None, "sandy-bridge"),
        (0xB7, 1, "raptor-lake"),  # InstLatx64: Core i9-13900K is 06_B7
        (0xC6, None, "arrow-lake"),
        (0xCC, None, "panther-lake"),  # newer extract: PANTHERLAKE_L
        (0xCF, None, "emerald-rapids"),
        (0x37, None, "silvermont"),  # Bay Trail
        (0x4C, None, "airmont"),  # Cherry Trail, Braswell
        (0x55, 4, "skylake"),  # Xeon Platinum 8160 (InstLatx64 06_55 s4)
        (0x55, 7, "cascade-lake"),  # "CASCADELAKE_X 0x55 Sky Lake -- s: 7"
        (0x55, 11, "cooper-lake"),  # "COOPERLAKE_X 0x55 Sky Lake -- s: 11"
        (0x9E, 9, "kaby-lake"),  # Core i7-7700K
        (0x9E, 10, "coffee-lake"),  # Core i7-8700K; "COFFEELAKE 0x9E s: 10-13"
        (0x8E, 9, "amber-lake"),
        (0x8E, None, "kaby-lake"),
        (0xA5, 5, "comet-lake"),  # Core i9-10900K
    ],
)
def test_intel_family6_models_place_their_microarchitecture(
    model: int, stepping: int | None, slug: str
) -> None:
    ma = from_cpuid("GenuineIntel", 6, model, stepping)
    assert ma is not None and ma.slug == slug


def test_intel_shared_stepping_is_not_guessed() -> None:
    # 06_8E s12 is Whiskey Lake to Linux and Comet Lake-U to InstLatx64 (i3-10110U): the
    # model's own name is all the signature proves.
    ma = from_cpuid("GenuineIntel", 6, 0x8E, 12)
    assert ma is not None and ma.slug == "kaby-lake"


@pytest.mark.parametrize(
    ("family", "model", "slug"),
    [
        (0x0F, 0x2B, "k8"),  # Athlon 64 X2 3800+ (revision E): no SVM
        (0x0F, 0x43, "k8-rev-f"),  # Athlon 64 X2 Black Edition (Windsor, revision F)
        (0x10, 0x04, "k10"),  # Phenom II X4 940
        (0x11, 0x03, "griffin"),
        (0x12, 0x01, "llano"),  # A8-3850
        (0x14, 0x01, "bobcat"),  # E-350
        (0x15, 0x01, "bulldozer"),  # FX-8150
        (0x15, 0x02, "piledriver"),  # FX-8350
        (0x15, 0x13, "piledriver"),  # A10-6800K
        (0x15, 0x30, "steamroller"),  # A10-7850K
        (0x15, 0x65, "excavator"),  # A12-9800
        (0x16, 0x00, "jaguar"),  # Athlon 5350
        (0x16, 0x30, "puma"),  # A6-6310
        (0x17, 0x01, "zen"),  # Ryzen 7 1700X
        (0x17, 0x08, "zen-plus"),  # Ryzen 7 2700X
        (0x17, 0x11, "zen"),  # Ryzen 5 2500U (Raven Ridge)
        (0x17, 0x31, "zen2"),  # Threadripper 3970X
        (0x17, 0x71, "zen2"),  # Ryzen 9 3950X
        (0x19, 0x21, "zen3"),  # Ryzen 7 5800X
        (0x19, 0x18, "zen4"),  # Threadripper Pro 7995WX
        (0x19, 0x61, "zen4"),  # Ryzen 9 7950X
        (0x1A, 0x44, "zen5"),  # Ryzen 9 9950X
        (0x1A, 0x08, "zen5"),  # Threadripper Pro 9985WX
    ],
)
def test_amd_families_place_their_generation(family: int, model: int, slug: str) -> None:
    ma = from_cpuid("AuthenticAMD", family, model)
    assert ma is not None and ma.slug == slug
    assert ma.vendor == "amd" and ma.isa == "x86"


@pytest.mark.parametrize(
    ("vendor", "family", "model"),
    [
        ("GenuineIntel", 6, 0xFE),  # no such model in intel-family.h
        ("AuthenticAMD", 0x13, 0x00),  # no family 13h product
        ("HygonGenuine", 0x18, 0x00),  # not Intel or AMD
        (None, 6, 0x97),
        ("GenuineIntel", None, 0x97),
    ],
)
def test_unknown_signature_is_unplaced(vendor: str | None, family: int | None, model: int) -> None:
    assert from_cpuid(vendor, family, model) is None


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Alder Lake", "alder-lake"),
        ("Products formerly Raptor Lake", "raptor-lake"),
        ("Penryn", "penryn"),
        ("Wolfdale", "penryn"),
        ("Products formerly Yorkfield", "penryn"),
        ("Alder Lake-N", "gracemont"),
        ("Sapphire Rapids HBM", "sapphire-rapids"),
        ("Gemini Lake Refresh", "goldmont-plus"),
        ("Kaby Lake R", "kaby-lake"),
        ("Products formerly Tukwila", "tukwila"),
        ("Bay Trail", "silvermont"),
        ("Products formerly Cedarmill", "netburst"),
    ],
)
def test_code_names_fold_to_their_microarchitecture(name: str, slug: str) -> None:
    ma = from_code_name(name)
    assert ma is not None and ma.slug == slug


def test_code_names_are_vendor_scoped_and_unknown_names_are_none() -> None:
    intel = from_code_name("Mendocino")
    amd = from_code_name("Mendocino", vendor="amd")
    assert intel is not None and intel.slug == "p6"  # the 1998 Celeron
    assert amd is not None and amd.slug == "zen2"  # the 2022 Ryzen 7020 APU
    assert from_code_name("Products formerly Sunrise Lake") is None
    assert from_code_name("") is None


def test_itanium_is_ia64() -> None:
    ma = from_code_name("Products formerly Tukwila")
    assert ma is not None and ma.isa == "ia64" and ma.line == "itanium"


def test_ordering_within_a_line() -> None:
    nehalem = microarch.BY_SLUG["nehalem"]
    penryn = microarch.BY_SLUG["penryn"]
    alder = microarch.BY_SLUG["alder-lake"]
    assert penryn < nehalem < alder
    assert alder.at_least("nehalem") and nehalem.at_least("nehalem")
    assert not penryn.at_least("nehalem")
    # "Nehalem or later" says nothing about an Atom core.
    assert not microarch.BY_SLUG["silvermont"].at_least("nehalem")
    with pytest.raises(TypeError):
        _ = microarch.BY_SLUG["silvermont"] < nehalem
    assert microarch.BY_SLUG["k8"] < microarch.BY_SLUG["k8-rev-f"] < microarch.BY_SLUG["k10"]


@pytest.mark.parametrize(
    ("text", "parsed", "label"),
    [
        ("Q1'22", (2022, 1), "Q1'22"),
        ("Q2'2014", (2014, 2), "Q2'14"),  # ARK's "Expected Discontinuance" spelling
        ("Q4'99", (1999, 4), "Q4'99"),
        ("2011", (2011, None), None),
        ("", None, None),
        ("Launched", None, None),
    ],
)
def test_launch_dates(text: str, parsed: tuple[int, int | None] | None, label: str | None) -> None:
    assert parse_launch(text) == parsed
    assert launch_quarter(text) == label

"""Microarchitecture identity: CPUID signature or code name → one canonical record.

A part is placed in its microarchitecture from two kinds of evidence, which must agree:

* the CPUID signature a probe reports (vendor, family, model, stepping). Intel's family 6
  models come from Linux's ``arch/x86/include/asm/intel-family.h`` (6.1 and a newer tree,
  copied under ``seed/sources/chipset-ids/``); AMD families are the ones AMD's BIOS and
  Kernel Developer's Guides and Processor Programming References give (0Fh K8 with
  revision F from model 40h, 10h, 11h, 12h, 14h, 15h, 16h, 17h, 19h, 1Ah), with the Zen
  generation decided by model range;
* the code name ARK and the code-name lists print ("Products formerly Wolfdale",
  "Alder Lake", "Sapphire Rapids HBM"). Code names name a platform or a die, so several of
  them fold to one microarchitecture (Wolfdale, Yorkfield and Harpertown are Penryn).

The slugs are at the granularity buyers and ARK use (Coffee Lake and Comet Lake are
separate generations even though both are Skylake cores), so inference rules can say
"Nehalem or later" by comparing records of one ``line``. Records of different lines (big
Intel cores, Atom cores, AMD's big and small cores, Itanium) do not compare: "Silvermont
or later than Nehalem" has no meaning and raises ``TypeError``.

Pure domain code: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from virtcompat.text import normalize_name

INTEL = "intel"
AMD = "amd"


@total_ordering
@dataclass(frozen=True, slots=True, eq=True)
class Microarch:
    """One microarchitecture (or ARK generation) with its lineage position.

    ``order`` is the position within ``line``, chronological by first launch; ``first_year``
    is the year its first part launched (``None`` where no part had launched when the
    sources were taken).
    """

    slug: str
    name: str
    vendor: str  # "intel" | "amd"
    isa: str  # "x86" | "ia64"
    line: str  # "core" | "atom" | "netburst" | "xeon-phi" | "quark" | "itanium" | "amd" | "amd-cat"
    order: int
    first_year: int | None

    def _comparable(self, other: object) -> Microarch:
        if not isinstance(other, Microarch):
            raise TypeError(f"cannot compare Microarch with {type(other).__name__}")
        if (other.vendor, other.line) != (self.vendor, self.line):
            raise TypeError(
                f"{self.name} ({self.line}) and {other.name} ({other.line}) are different lines"
            )
        return other

    def __lt__(self, other: object) -> bool:
        return self.order < self._comparable(other).order

    def at_least(self, slug: str) -> bool:
        """Whether this is ``slug`` or a later generation of the same line.

        False (not an error) across lines, so a rule "EPT from Nehalem on" asked about a
        Silvermont simply does not apply; the Atom rule decides that one.
        """
        other = BY_SLUG[slug]
        if (other.vendor, other.line) != (self.vendor, self.line):
            return False
        return self.order >= other.order


# (slug, name, line, first_year, code names that fold to it).  Order within a line is the
# order of this table.
_INTEL: tuple[tuple[str, str, str, str, int | None, tuple[str, ...]], ...] = (
    # P6 line, ancestor of the Core line (no VT-x anywhere in it).
    ("p6", "P6", "x86", "core", 1995, (
        "Klamath", "Deschutes", "Katmai", "Coppermine", "Tualatin", "Mendocino", "Dixon",
        "Tanner", "Cascades", "Banias", "Dothan", "Tolapai",
    )),
    ("yonah", "Yonah", "x86", "core", 2006, ("Yonah", "Sossaman")),
    ("merom", "Merom", "x86", "core", 2006, (
        "Merom", "Merom-L", "Conroe", "Conroe-L", "Allendale", "Kentsfield", "Woodcrest",
        "Clovertown", "Tigerton",
    )),
    ("penryn", "Penryn", "x86", "core", 2007, (
        "Penryn", "Wolfdale", "Yorkfield", "Harpertown", "Wolfdale-DP", "Penryn-3M",
    )),
    ("dunnington", "Dunnington", "x86", "core", 2008, ("Dunnington",)),
    ("nehalem", "Nehalem", "x86", "core", 2008, (
        "Nehalem", "Bloomfield", "Lynnfield", "Clarksfield", "Gainestown", "Beckton",
        "Jasper Forest", "Auburndale", "Havendale",
    )),
    ("westmere", "Westmere", "x86", "core", 2010, (
        "Westmere", "Arrandale", "Clarkdale", "Gulftown",
    )),
    ("sandy-bridge", "Sandy Bridge", "x86", "core", 2011, ("Sandy Bridge", "Gladden")),
    ("ivy-bridge", "Ivy Bridge", "x86", "core", 2012, ("Ivy Bridge",)),
    ("haswell", "Haswell", "x86", "core", 2013, ("Haswell", "Crystal Well", "Devil's Canyon")),
    ("broadwell", "Broadwell", "x86", "core", 2014, ("Broadwell", "Hewitt Lake")),
    ("skylake", "Skylake", "x86", "core", 2015, ("Skylake", "Sky Lake")),
    ("kaby-lake", "Kaby Lake", "x86", "core", 2016, ("Kaby Lake",)),
    ("coffee-lake", "Coffee Lake", "x86", "core", 2017, ("Coffee Lake",)),
    ("amber-lake", "Amber Lake", "x86", "core", 2018, ("Amber Lake",)),
    ("whiskey-lake", "Whiskey Lake", "x86", "core", 2018, ("Whiskey Lake",)),
    ("cannon-lake", "Cannon Lake", "x86", "core", 2018, ("Cannon Lake",)),
    ("cascade-lake", "Cascade Lake", "x86", "core", 2019, ("Cascade Lake",)),
    ("comet-lake", "Comet Lake", "x86", "core", 2019, ("Comet Lake",)),
    ("ice-lake", "Ice Lake", "x86", "core", 2019, ("Ice Lake",)),
    ("cooper-lake", "Cooper Lake", "x86", "core", 2020, ("Cooper Lake",)),
    ("lakefield", "Lakefield", "x86", "core", 2020, ("Lakefield",)),
    ("tiger-lake", "Tiger Lake", "x86", "core", 2020, ("Tiger Lake",)),
    ("rocket-lake", "Rocket Lake", "x86", "core", 2021, ("Rocket Lake",)),
    ("alder-lake", "Alder Lake", "x86", "core", 2021, ("Alder Lake",)),
    ("raptor-lake", "Raptor Lake", "x86", "core", 2022, ("Raptor Lake",)),
    ("sapphire-rapids", "Sapphire Rapids", "x86", "core", 2023, ("Sapphire Rapids",)),
    ("emerald-rapids", "Emerald Rapids", "x86", "core", 2023, ("Emerald Rapids",)),
    ("meteor-lake", "Meteor Lake", "x86", "core", 2023, ("Meteor Lake",)),
    ("granite-rapids", "Granite Rapids", "x86", "core", 2024, ("Granite Rapids",)),
    ("arrow-lake", "Arrow Lake", "x86", "core", 2024, ("Arrow Lake",)),
    ("lunar-lake", "Lunar Lake", "x86", "core", 2024, ("Lunar Lake",)),
    ("bartlett-lake", "Bartlett Lake", "x86", "core", 2025, ("Bartlett Lake",)),
    ("panther-lake", "Panther Lake", "x86", "core", 2026, ("Panther Lake",)),
    ("diamond-rapids", "Diamond Rapids", "x86", "core", None, ("Diamond Rapids",)),
    # NetBurst (family 0Fh): VT-x only on some late Pentium 4 / Pentium D / Xeon parts.
    ("netburst", "NetBurst", "x86", "netburst", 2000, (
        "Willamette", "Northwood", "Prescott", "Prescott 2M", "Cedar Mill", "Cedarmill",
        "Smithfield", "Presler", "Foster", "Prestonia", "Gallatin", "Nocona", "Irwindale",
        "Cranford", "Potomac", "Paxville", "Dempsey", "Tulsa",
    )),
    # Atom / E-core line.
    ("bonnell", "Bonnell", "x86", "atom", 2008, (
        "Bonnell", "Silverthorne", "Diamondville", "Pineview", "Lincroft", "Tunnel Creek",
        "Stellarton",
    )),
    ("saltwell", "Saltwell", "x86", "atom", 2011, (
        "Saltwell", "Cedarview", "Penwell", "Cloverview", "Centerton", "Briarwood", "Medfield",
    )),
    ("silvermont", "Silvermont", "x86", "atom", 2013, (
        "Silvermont", "Bay Trail", "Avoton", "Rangeley", "Merrifield", "Valleyview", "SoFIA",
    )),
    ("airmont", "Airmont", "x86", "atom", 2015, (
        "Airmont", "Cherry Trail", "Braswell", "Moorefield", "Lightning Mountain",
    )),
    ("goldmont", "Goldmont", "x86", "atom", 2016, ("Goldmont", "Apollo Lake", "Denverton")),
    ("goldmont-plus", "Goldmont Plus", "x86", "atom", 2017, ("Goldmont Plus", "Gemini Lake")),
    ("tremont", "Tremont", "x86", "atom", 2020, (
        "Tremont", "Snow Ridge", "Parker Ridge", "Jacobsville", "Elkhart Lake", "Jasper Lake",
    )),
    ("gracemont", "Gracemont", "x86", "atom", 2023, (
        "Gracemont", "Alder Lake-N", "Amston Lake", "Twin Lake",
    )),
    ("crestmont", "Crestmont", "x86", "atom", 2024, ("Crestmont", "Sierra Forest", "Grand Ridge")),
    ("darkmont", "Darkmont", "x86", "atom", None, ("Darkmont", "Clearwater Forest")),
    ("knights-landing", "Knights Landing", "x86", "xeon-phi", 2016, ("Knights Landing",)),
    ("knights-mill", "Knights Mill", "x86", "xeon-phi", 2017, ("Knights Mill",)),
    ("quark", "Quark", "x86", "quark", 2013, ("Quark", "Clanton")),
    # IA-64: ARK's "VT-x" line on these parts is VT-i (from Montecito on).
    ("merced", "Merced", "ia64", "itanium", 2001, ("Merced",)),
    ("mckinley", "McKinley", "ia64", "itanium", 2002, ("McKinley",)),
    ("madison", "Madison", "ia64", "itanium", 2003, ("Madison", "Deerfield", "Hondo")),
    ("montecito", "Montecito", "ia64", "itanium", 2006, ("Montecito",)),
    ("montvale", "Montvale", "ia64", "itanium", 2007, ("Montvale",)),
    ("tukwila", "Tukwila", "ia64", "itanium", 2010, ("Tukwila",)),
    ("poulson", "Poulson", "ia64", "itanium", 2012, ("Poulson",)),
    ("kittson", "Kittson", "ia64", "itanium", 2017, ("Kittson",)),
)  # fmt: skip

_AMD: tuple[tuple[str, str, str, str, int | None, tuple[str, ...]], ...] = (
    ("k8", "K8", "x86", "amd", 2003, (
        "K8", "Sledgehammer", "Clawhammer", "Newcastle", "Winchester", "Venice", "San Diego",
        "Toledo", "Manchester", "Paris", "Palermo", "Troy", "Athens", "Denmark", "Italy",
        "Egypt",
    )),
    # Revision F (family 0Fh, model 40h on) is the first K8 with AMD-V (SVM).
    ("k8-rev-f", "K8 revision F", "x86", "amd", 2006, (
        "Windsor", "Orleans", "Santa Rosa", "Santa Ana", "Brisbane", "Lima", "Sparta",
        "Tyler", "Taylor", "Trinidad", "Budapest", "Sherman",
    )),
    ("k10", "K10", "x86", "amd", 2007, (
        "K10", "Barcelona", "Agena", "Toliman", "Kuma", "Deneb", "Heka", "Callisto",
        "Propus", "Rana", "Regor", "Sargas", "Thuban", "Zosma", "Shanghai", "Istanbul",
        "Magny-Cours", "Lisbon", "Caspian", "Champlain", "Geneva",
    )),
    # Family 11h: AMD-V without nested paging.
    ("griffin", "Griffin", "x86", "amd", 2008, ("Griffin", "Lion")),
    ("llano", "Llano", "x86", "amd", 2011, ("Llano", "Husky")),
    ("bulldozer", "Bulldozer", "x86", "amd", 2011, (
        "Bulldozer", "Zambezi", "Interlagos", "Valencia", "Zurich",
    )),
    ("piledriver", "Piledriver", "x86", "amd", 2012, (
        "Piledriver", "Vishera", "Trinity", "Richland", "Abu Dhabi", "Seoul", "Delhi",
    )),
    ("steamroller", "Steamroller", "x86", "amd", 2014, (
        "Steamroller", "Kaveri", "Godavari", "Berlin",
    )),
    ("excavator", "Excavator", "x86", "amd", 2015, (
        "Excavator", "Carrizo", "Bristol Ridge", "Stoney Ridge", "Toronto",
    )),
    ("zen", "Zen", "x86", "amd", 2017, (
        "Zen", "Summit Ridge", "Naples", "Whitehaven", "Raven Ridge", "Snowy Owl", "Dali",
        "Great Horned Owl", "Banded Kestrel", "Pollock",
    )),
    ("zen-plus", "Zen+", "x86", "amd", 2018, ("Zen+", "Pinnacle Ridge", "Picasso", "Colfax")),
    ("zen2", "Zen 2", "x86", "amd", 2019, (
        "Zen 2", "Matisse", "Rome", "Castle Peak", "Renoir", "Lucienne", "Grey Hawk",
        "Mendocino", "Van Gogh", "Cardinal",
    )),
    ("zen3", "Zen 3", "x86", "amd", 2020, (
        "Zen 3", "Vermeer", "Cezanne", "Milan", "Chagall", "Barcelo", "Barceló", "River Hawk",
    )),
    ("zen3-plus", "Zen 3+", "x86", "amd", 2022, ("Zen 3+", "Rembrandt", "Rembrandt-R")),
    ("zen4", "Zen 4", "x86", "amd", 2022, (
        "Zen 4", "Raphael", "Phoenix", "Phoenix 2", "Hawk Point", "Dragon Range", "Genoa",
        "Bergamo", "Siena", "Storm Peak",
    )),
    ("zen5", "Zen 5", "x86", "amd", 2024, (
        "Zen 5", "Granite Ridge", "Strix Point", "Strix Halo", "Krackan Point", "Fire Range",
        "Turin", "Shimada Peak",
    )),
    # The low-power "cat" cores.
    ("bobcat", "Bobcat", "x86", "amd-cat", 2011, ("Bobcat", "Ontario", "Zacate", "Desna", "Hondo")),
    ("jaguar", "Jaguar", "x86", "amd-cat", 2013, ("Jaguar", "Kabini", "Temash", "Kyoto")),
    ("puma", "Puma", "x86", "amd-cat", 2014, ("Puma", "Beema", "Mullins", "Carrizo-L")),
)  # fmt: skip


def _build() -> tuple[dict[str, Microarch], dict[tuple[str, str], str]]:
    by_slug: dict[str, Microarch] = {}
    names: dict[tuple[str, str], str] = {}
    orders: dict[tuple[str, str], int] = {}
    for vendor, table in ((INTEL, _INTEL), (AMD, _AMD)):
        for slug, name, isa, line, year, code_names in table:
            pos = orders.get((vendor, line), 0)
            orders[(vendor, line)] = pos + 1
            by_slug[slug] = Microarch(slug, name, vendor, isa, line, pos, year)
            for alias in (name, slug, *code_names):
                names.setdefault((vendor, _key(alias)), slug)
    return by_slug, names


def _key(name: str) -> str:
    return normalize_name(name.replace("+", " plus"))


BY_SLUG: dict[str, Microarch]
_CODE_NAMES: dict[tuple[str, str], str]
BY_SLUG, _CODE_NAMES = _build()

ALL: tuple[Microarch, ...] = tuple(BY_SLUG.values())


def get(slug: str | None) -> Microarch | None:
    """The record for ``slug``; ``None`` for ``None`` or an unknown slug."""
    return BY_SLUG.get(slug) if slug else None


_FORMERLY = re.compile(r"^\s*(?:products\s+)?formerly\s+", re.IGNORECASE)


def from_code_name(name: str | None, vendor: str = INTEL) -> Microarch | None:
    """The microarchitecture a code name belongs to, as ARK or a code-name list spells it.

    ARK prefixes "Products formerly"; the lists append a segment or refresh qualifier
    ("Broadwell E", "Sapphire Rapids HBM", "Kaby Lake R", "Gemini Lake Refresh"), which is
    dropped word by word from the end until a known name remains. A name matching nothing
    is ``None``: guessing a generation from a stranger's name would be an unsourced fact.
    Code names are scoped by vendor (Intel's Mendocino is a P6 Celeron, AMD's a Zen 2 APU).
    """
    if not name:
        return None
    words = _key(_FORMERLY.sub("", name)).split()
    while words:
        slug = _CODE_NAMES.get((vendor, " ".join(words)))
        if slug is not None:
            return BY_SLUG[slug]
        words.pop()
    return None


# Intel family 6 model → slug (intel-family.h).  Models whose steppings name different
# generations are in _INTEL_STEPPINGS; without a stepping they answer the symbol's own name.
_INTEL_FAM6: dict[int, str] = {
    0x01: "p6", 0x05: "p6",
    0x0E: "yonah",
    0x0F: "merom", 0x16: "merom",
    0x17: "penryn",
    0x1D: "dunnington",
    0x1E: "nehalem", 0x1F: "nehalem", 0x1A: "nehalem", 0x2E: "nehalem",
    0x25: "westmere", 0x2C: "westmere", 0x2F: "westmere",
    0x2A: "sandy-bridge", 0x2D: "sandy-bridge",
    0x3A: "ivy-bridge", 0x3E: "ivy-bridge",
    0x3C: "haswell", 0x3F: "haswell", 0x45: "haswell", 0x46: "haswell",
    0x3D: "broadwell", 0x47: "broadwell", 0x4F: "broadwell", 0x56: "broadwell",
    0x4E: "skylake", 0x5E: "skylake", 0x55: "skylake",
    0x8E: "kaby-lake", 0x9E: "kaby-lake",
    0xA5: "comet-lake", 0xA6: "comet-lake",
    0x66: "cannon-lake",
    0x6A: "ice-lake", 0x6C: "ice-lake", 0x7D: "ice-lake", 0x7E: "ice-lake", 0x9D: "ice-lake",
    0x8A: "lakefield",
    0xA7: "rocket-lake",
    0x8C: "tiger-lake", 0x8D: "tiger-lake",
    0x8F: "sapphire-rapids",
    0xCF: "emerald-rapids",
    0xAD: "granite-rapids", 0xAE: "granite-rapids",
    0xD7: "bartlett-lake",
    0x97: "alder-lake", 0x9A: "alder-lake",
    0xB7: "raptor-lake", 0xBA: "raptor-lake", 0xBF: "raptor-lake",
    0xAC: "meteor-lake", 0xAA: "meteor-lake",
    0xC5: "arrow-lake", 0xC6: "arrow-lake", 0xB5: "arrow-lake",
    0xBD: "lunar-lake",
    0xCC: "panther-lake",
    0x1C: "bonnell", 0x26: "bonnell",
    0x36: "saltwell", 0x27: "saltwell", 0x35: "saltwell",
    0x37: "silvermont", 0x4D: "silvermont", 0x4A: "silvermont",
    0x4C: "airmont", 0x5A: "airmont", 0x75: "airmont",
    0x5C: "goldmont", 0x5F: "goldmont",
    0x7A: "goldmont-plus",
    0x86: "tremont", 0x96: "tremont", 0x9C: "tremont",
    0xBE: "gracemont",
    0xAF: "crestmont", 0xB6: "crestmont",
    0xDD: "darkmont",
    0x57: "knights-landing", 0x85: "knights-mill",
}  # fmt: skip

# Steppings that name another generation on a shared model (intel-family.h comments):
# 0x55 s7 Cascade Lake, s11 Cooper Lake; 0x8E s9 Amber Lake, s10 Coffee Lake, s11 Whiskey
# Lake; 0x9E s10-13 Coffee Lake.  0x8E s12 is listed as Whiskey Lake by Linux but is also
# what Comet Lake-U reports (InstLatx64: Core i3-10110U is 06_8E s12), so it stays at the
# model's own name rather than picking one of the two.
_INTEL_STEPPINGS: dict[tuple[int, int], str] = {
    (0x55, 5): "cascade-lake", (0x55, 6): "cascade-lake", (0x55, 7): "cascade-lake",
    (0x55, 10): "cooper-lake", (0x55, 11): "cooper-lake",
    (0x8E, 9): "amber-lake", (0x8E, 10): "coffee-lake", (0x8E, 11): "whiskey-lake",
    (0x9E, 10): "coffee-lake", (0x9E, 11): "coffee-lake", (0x9E, 12): "coffee-lake",
    (0x9E, 13): "coffee-lake",
}  # fmt: skip


def _intel(family: int, model: int, stepping: int | None) -> str | None:
    if family == 6:
        if stepping is not None and (model, stepping) in _INTEL_STEPPINGS:
            return _INTEL_STEPPINGS[(model, stepping)]
        return _INTEL_FAM6.get(model)
    if family == 0x0F:
        return "netburst"
    if family == 5 and model == 0x09:
        return "quark"
    if family == 19 and model == 0x01:
        return "diamond-rapids"
    return None


# AMD family → ((first model, last model, slug), ...) from the BKDGs/PPRs.
_AMD_RANGES: dict[int, tuple[tuple[int, int, str], ...]] = {
    # K8: revisions before F (models below 40h) have no SVM.
    0x0F: ((0x00, 0x3F, "k8"), (0x40, 0xFF, "k8-rev-f")),
    0x10: ((0x00, 0xFF, "k10"),),
    0x11: ((0x00, 0xFF, "griffin"),),
    0x12: ((0x00, 0xFF, "llano"),),
    0x14: ((0x00, 0xFF, "bobcat"),),
    # 15h model 02h is Piledriver (Vishera / Abu Dhabi) among the Bulldozer models.
    0x15: (
        (0x02, 0x02, "piledriver"), (0x00, 0x0F, "bulldozer"), (0x10, 0x1F, "piledriver"),
        (0x30, 0x3F, "steamroller"), (0x60, 0x7F, "excavator"),
    ),
    0x16: ((0x00, 0x2F, "jaguar"), (0x30, 0x3F, "puma")),
    # 17h: 08h Pinnacle Ridge and 18h Picasso are the 12 nm Zen+ parts.
    0x17: (
        (0x08, 0x08, "zen-plus"), (0x18, 0x18, "zen-plus"), (0x00, 0x2F, "zen"),
        (0x30, 0xFF, "zen2"),
    ),
    0x19: (
        (0x00, 0x0F, "zen3"), (0x10, 0x1F, "zen4"), (0x20, 0x3F, "zen3"),
        (0x40, 0x4F, "zen3-plus"), (0x50, 0x5F, "zen3"), (0x60, 0x7F, "zen4"),
        (0xA0, 0xAF, "zen4"),
    ),
    0x1A: ((0x00, 0x4F, "zen5"), (0x60, 0x7F, "zen5")),
}  # fmt: skip


def _amd(family: int, model: int) -> str | None:
    for first, last, slug in _AMD_RANGES.get(family, ()):
        if first <= model <= last:
            return slug
    return None


_VENDORS = {
    "intel": INTEL,
    "genuineintel": INTEL,
    "amd": AMD,
    "authenticamd": AMD,
}


def vendor_key(vendor: str | None) -> str | None:
    """``"intel"``/``"amd"`` for a vendor slug, name or CPUID vendor string, else ``None``."""
    if not vendor:
        return None
    key = normalize_name(vendor).replace(" ", "")
    for prefix, value in _VENDORS.items():
        if key.startswith(prefix):
            return value
    return None


def from_cpuid(
    vendor: str | None, family: int | None, model: int | None, stepping: int | None = None
) -> Microarch | None:
    """The microarchitecture of a CPUID signature (display family and model, as
    ``/proc/cpuinfo`` prints them: extended fields already added in).

    ``None`` when the vendor, family or model is missing or the signature is not in the
    tables: the caller reports it as unplaced instead of guessing.
    """
    v = vendor_key(vendor)
    if v is None or family is None or model is None:
        return None
    slug = _intel(family, model, stepping) if v == INTEL else _amd(family, model)
    return BY_SLUG[slug] if slug else None


_QUARTER = re.compile(r"^\s*Q([1-4])\s*'\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)
_YEAR = re.compile(r"^\s*((?:19|20)\d{2})\s*$")


def parse_launch(text: str | None) -> tuple[int, int | None] | None:
    """(year, quarter) of a launch date as ARK and the code-name lists print it.

    ``"Q1'22"`` → (2022, 1), ``"Q2'2014"`` → (2014, 2), ``"2011"`` → (2011, None).
    Two-digit years pivot at 70 (ARK's oldest parts are 1990s). Anything else is ``None``.
    """
    if not text:
        return None
    m = _QUARTER.match(text)
    if m:
        year = int(m.group(2))
        if year < 100:
            year += 1900 if year >= 70 else 2000
        return year, int(m.group(1))
    m = _YEAR.match(text)
    if m:
        return int(m.group(1)), None
    return None


def launch_year(text: str | None) -> int | None:
    parsed = parse_launch(text)
    return parsed[0] if parsed else None


def launch_quarter(text: str | None) -> str | None:
    """The canonical ``"Q1'22"`` spelling of a launch date, or ``None``."""
    parsed = parse_launch(text)
    if parsed is None or parsed[1] is None:
        return None
    year, quarter = parsed
    return f"Q{quarter}'{year % 100:02d}"

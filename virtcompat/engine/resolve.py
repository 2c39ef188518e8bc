"""Resolve what callers type (ids, slugs, names, aliases, raw DMI or cpuinfo strings) to
catalogue rows, and build HostFacts for a catalogue query.

Tolerant of case, spacing, punctuation and vendor prefixes: "DQ43AP", "intel-dq43ap" and
"Intel Corporation DQ43AP" are one board. A CPU is found by its processor number
("i5-12400", "Q9550"), its brand ("Core i5-12400"), a cpuinfo / DMI brand string ("12th Gen
Intel(R) Core(TM) i5-12400", "AMD Ryzen 7 5800X 8-Core Processor") or an ARK product name
("Intel® Core™ i5-12400 Processor (18M Cache, up to 4.40 GHz)"). A name that fits several
parts ("920": Pentium D 920 and Core i7-920) is ambiguous and lists them; an unknown name is
offered parts of the same family and generation only ("i5-12400" is never offered an
i5-2500). Every lookup is a dict probe into indexes built once per catalogue snapshot: no
request scans the catalogue.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from virtcompat.catalogue.types import BiosSpec, BoardSpec, ChipsetSpec, CpuSpec
from virtcompat.engine.hostfacts import (
    BoardFacts,
    ChipsetFacts,
    CpuFacts,
    HostFacts,
    Unresolved,
)
from virtcompat.engine.snapshot import Snapshot
from virtcompat.engine.verdict import bios_build
from virtcompat.text import is_decimal, normalize_name, parse_id

T = TypeVar("T")
MAX_QUERY_LEN = 200
MAX_CANDIDATES = 5
_CPU_NOISE = re.compile(
    r"\((?:r|tm|c)\)|[®™©]|@\s*[\d.]+\s*[gm]hz|\(\s*[^)]*(?:cache|ghz|qpi|fsb)[^)]*\)"
    r"|\b\d+(?:st|nd|rd|th)\s+gen(?:eration)?\b|\b\d+-core\b|\bwith radeon.*"
    r"|\b(?:cpu|processors?|apu)\b",
    re.IGNORECASE,
)
_PCI_ID = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{4}$")
_VENDOR_PREFIX = re.compile(r"^(?:genuine)?(?:intel|amd|authenticamd|genuineintel)\s+")
# Words a caller may add around a CPU name without naming another part.
_GENERIC = frozenset(
    {"intel", "amd", "genuine", "gen", "processor", "cpu", "apu", "mobile", "desktop", "box"}
)


@dataclass(frozen=True)
class ResolveError(Exception):
    field: str
    value: str
    reason: str  # "unknown" | "ambiguous" | "empty"
    candidates: tuple[str, ...]
    # Every component the query named that did not resolve (set when nothing did).
    unresolved: tuple[Unresolved, ...] = ()

    def __str__(self) -> str:
        base = f"{self.field} {self.value!r} is {self.reason}"
        if self.candidates:
            return f"{base}; closest: {', '.join(self.candidates)}"
        return base

    def as_unresolved(self) -> Unresolved:
        return Unresolved(self.field, self.value, self.reason, self.candidates)


def _compact(s: str) -> str:
    return s.replace(" ", "")


def clean_cpu_name(raw: str) -> str:
    """A CPU name without trademarks, clock, cache, "Processor", "12th Gen", vendor."""
    cleaned = normalize_name(_CPU_NOISE.sub(" ", raw))
    return _VENDOR_PREFIX.sub("", cleaned)


# -- generations, for suggestions -------------------------------------------------------------

_NUMBER = re.compile(r"^[a-z]*(\d+)[a-z0-9]*$")


def _model_word(words: list[str]) -> int | None:
    """Index of the model word: the last word with a digit, skipping a "v2"-style suffix."""
    for i in range(len(words) - 1, -1, -1):
        w = words[i]
        if re.fullmatch(r"v\d", w) and i > 0:
            continue
        if any(c.isdigit() for c in w):
            return i
    return None


def generation(name: str) -> tuple[str, str, str] | None:
    """(line, generation, tier) of a CPU name, e.g. ("core-i", "12", "i5") for i5-12400.

    Intel's and AMD's numbering puts the generation in the model number: Core i 3 digits =
    1st gen, 4 digits = the first digit (10xx-14xx mobile: the first two), 5 digits = the
    first two; Core Ultra and Ryzen: the first digit; Xeon Scalable and Xeon E: the second;
    EPYC: the last. Other lines fall back to their first digit.
    """
    words = clean_cpu_name(name).split()
    i = _model_word(words)
    if i is None:
        return None
    m = _NUMBER.match(words[i])
    if m is None:
        return None
    digits = m.group(1)
    text = " ".join(words)
    tier_m = re.search(r"\bi([3579])\b", text)
    if tier_m or re.match(r"i[3579]$", words[i - 1] if i else ""):
        tier = f"i{tier_m.group(1)}" if tier_m else words[i - 1]
        if len(digits) == 3:
            return "core-i", "1", tier
        if len(digits) == 5 or (len(digits) == 4 and digits[0] == "1"):
            return "core-i", digits[:2], tier
        return "core-i", digits[:1], tier
    if "ultra" in words:
        return "core-ultra", digits[:1], words[words.index("ultra") + 1] if i > 1 else ""
    if "ryzen" in words:
        return "ryzen", digits[:1], words[words.index("ryzen") + 1]
    if "epyc" in words:
        return "epyc", digits[-1:], ""
    for tier in ("bronze", "silver", "gold", "platinum"):
        if tier in words:
            return "xeon-scalable", digits[1:2], tier
    if "xeon" in words and i > 0 and words[i - 1] == "e":
        return "xeon-e", digits[1:2], ""
    line = " ".join(w for w in words[:i] if w not in _GENERIC) or words[i].rstrip("0123456789")
    return line, digits[:1], ""


# -- indexes, built once per snapshot ---------------------------------------------------------


@dataclass
class _Index:
    snapshot: Snapshot
    cpu_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cpu_compact: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cpu_words: dict[str, frozenset[str]] = field(default_factory=dict)
    cpu_by_id: dict[int, str] = field(default_factory=dict)
    cpu_gen: dict[tuple[str, str], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    cpu_brands: dict[str, tuple[str, ...]] = field(default_factory=dict)  # cleaned brand -> slugs
    # Suggestions already computed for a name that did not resolve: a script retrying an
    # unknown name costs one search, not one per request (bounded; dropped when full).
    cpu_misses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    board_compact: dict[str, tuple[str, ...]] = field(default_factory=dict)
    board_by_id: dict[int, str] = field(default_factory=dict)
    chipset_compact: dict[str, tuple[str, ...]] = field(default_factory=dict)
    chipset_by_id: dict[int, str] = field(default_factory=dict)
    # "<vendor name> " prefixes in the order _strip_vendor tries them (vendor by vendor,
    # longest name first): the imported catalogue has dozens of vendors, too many to sort
    # per request.
    vendor_prefixes: tuple[str, ...] = ()


def _group(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for key, slug in pairs:
        if key and slug not in out[key]:
            out[key].append(slug)
    return {k: tuple(v) for k, v in out.items()}


def _cpu_names(cpu: CpuSpec) -> list[str]:
    names = [cpu.brand, cpu.slug]
    if cpu.processor_number:
        names.append(cpu.processor_number)
    keys = [normalize_name(n) for n in names]
    cleaned = clean_cpu_name(cpu.brand)
    keys.append(cleaned)
    words = cleaned.split()
    i = _model_word(words)
    if i is not None:
        # The bare model ("q9550", "920", "1230 v2"): a key of its own, so "920" finds
        # every 920 and is reported ambiguous.
        keys.append(" ".join(words[i:]))
        if cpu.processor_number:
            keys.append(clean_cpu_name(cpu.processor_number))
    return keys


def _build(snapshot: Snapshot) -> _Index:
    idx = _Index(snapshot)
    pairs = [(k, s) for k, slugs in snapshot.cpu_names.items() for s in slugs]
    gen: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for slug, cpu in snapshot.cpus.items():
        for key in _cpu_names(cpu):
            pairs.append((key, slug))
        idx.cpu_words[slug] = frozenset(
            w for n in (cpu.brand, cpu.processor_number or "") for w in clean_cpu_name(n).split()
        )
        idx.cpu_by_id[cpu.id] = slug
        g = generation(cpu.brand)
        if g is not None:
            gen[(g[0], g[1])].append((slug, g[2]))
    idx.cpu_keys = _group(pairs)
    idx.cpu_compact = _group((_compact(k), s) for k, slugs in idx.cpu_keys.items() for s in slugs)
    idx.cpu_gen = {k: tuple(v) for k, v in gen.items()}
    idx.cpu_brands = _group((clean_cpu_name(c.brand), s) for s, c in snapshot.cpus.items())
    idx.board_compact = _group(
        (_compact(k), s) for k, slugs in snapshot.board_names.items() for s in slugs
    )
    idx.board_by_id = {b.id: slug for slug, b in snapshot.boards.items()}
    idx.chipset_compact = _group(
        (_compact(k), s) for k, slugs in snapshot.chipset_names.items() for s in slugs
    )
    idx.chipset_by_id = {c.id: slug for slug, c in snapshot.chipsets.items()}
    idx.vendor_prefixes = tuple(
        v + " "
        for names in snapshot.vendors.values()
        for v in sorted(names, key=len, reverse=True)
        if v
    )
    return idx


_index_lock = threading.Lock()
_current: _Index | None = None


def _index(snapshot: Snapshot) -> _Index:
    """The indexes of ``snapshot``; one slot, since requests use the newest snapshot."""
    global _current
    idx = _current
    if idx is not None and _same_catalogue(idx.snapshot, snapshot):
        return idx
    with _index_lock:
        if _current is None or not _same_catalogue(_current.snapshot, snapshot):
            _current = _build(snapshot)
        return _current


def _same_catalogue(a: Snapshot, b: Snapshot) -> bool:
    # A snapshot that differs only in evidence tallies shares the catalogue mappings the
    # index is built from (engine.snapshot.load_snapshot): a probe does not rebuild it.
    return a is b or (
        a.cpus is b.cpus
        and a.boards is b.boards
        and a.chipsets is b.chipsets
        and a.vendors is b.vendors
        and a.cpu_names is b.cpu_names
        and a.board_names is b.board_names
        and a.chipset_names is b.chipset_names
    )


# -- lookups ----------------------------------------------------------------------------------


def _strip_vendor(idx: _Index, norm: str) -> str:
    for prefix in idx.vendor_prefixes:
        if norm.startswith(prefix):
            return norm[len(prefix) :]
    return norm


def _one(field: str, raw: str, hits: tuple[str, ...], labels: Mapping[str, str]) -> str:
    unique = tuple(dict.fromkeys(hits))
    if len(unique) == 1:
        return unique[0]
    raise ResolveError(field, raw, "ambiguous", tuple(labels[s] for s in unique))


def _lookup(
    field: str,
    raw: str,
    keys: list[str],
    index: Mapping[str, tuple[str, ...]],
    compact: Mapping[str, tuple[str, ...]],
    labels: Mapping[str, str],
) -> str | None:
    for key in keys:
        hits = index.get(key)
        if hits:
            return _one(field, raw, hits, labels)
    for key in keys:
        hits = compact.get(_compact(key))
        if hits:
            return _one(field, raw, hits, labels)
    return None


def _close(
    query: str, index: Mapping[str, tuple[str, ...]], labels: Mapping[str, str]
) -> tuple[str, ...]:
    candidates: list[str] = []
    for key in difflib.get_close_matches(query, list(index), n=MAX_CANDIDATES, cutoff=0.6):
        for slug in index[key]:
            if labels[slug] not in candidates:
                candidates.append(labels[slug])
    return tuple(candidates[:MAX_CANDIDATES])


def _value(field: str, raw: str) -> str:
    value = raw.strip()[:MAX_QUERY_LEN]
    if not value:
        raise ResolveError(field, raw, "empty", ())
    return value


def _board_label(b: BoardSpec) -> str:
    return f"{b.vendor}/{b.model} ({b.slug})"


def resolve_board(snapshot: Snapshot, raw: str) -> BoardSpec:
    value = _value("board", raw)
    if value in snapshot.boards:
        return snapshot.boards[value]
    idx = _index(snapshot)
    labels = _Labels(snapshot.boards, _board_label)
    norm = normalize_name(value)
    keys = [norm, _strip_vendor(idx, norm)]
    slug = _lookup("board", raw, keys, snapshot.board_names, idx.board_compact, labels)
    if slug is None:
        wanted = parse_id(value)
        slug = idx.board_by_id.get(wanted) if wanted is not None else None
    if slug is None:
        raise ResolveError(
            "board", raw, "unknown", _close(keys[1] or norm, snapshot.board_names, labels)
        )
    return snapshot.boards[slug]


class _Labels(Mapping[str, str], Generic[T]):
    """Candidate labels computed on demand: only a failed lookup needs any."""

    def __init__(self, rows: Mapping[str, T], label: Callable[[T], str]) -> None:
        self._rows = rows
        self._label = label

    def __getitem__(self, slug: str) -> str:
        return self._label(self._rows[slug])

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _cpu_label(c: CpuSpec) -> str:
    return f"{c.brand} ({c.slug})"


def resolve_cpu(snapshot: Snapshot, raw: str) -> CpuSpec:
    value = _value("cpu", raw)
    if value in snapshot.cpus:
        return snapshot.cpus[value]
    idx = _index(snapshot)
    labels = _Labels(snapshot.cpus, _cpu_label)
    norm = normalize_name(value)
    cleaned = clean_cpu_name(value)
    keys = [norm, _strip_vendor(idx, norm), cleaned]
    slug = _lookup("cpu", raw, keys, idx.cpu_keys, idx.cpu_compact, labels)
    if slug is None:
        slug = _by_suffix(idx, raw, cleaned.split(), labels)
    if slug is None:
        # A bare number is a processor number first ("920", "4314"), a row id last.
        wanted = parse_id(value)
        slug = idx.cpu_by_id.get(wanted) if wanted is not None else None
    if slug is None:
        raise ResolveError("cpu", raw, "unknown", _suggest_cpu(idx, value, cleaned, labels))
    return snapshot.cpus[slug]


def _by_suffix(idx: _Index, raw: str, words: list[str], labels: Mapping[str, str]) -> str | None:
    """Match the name's tail ("... Core i5 12400" -> "core i5 12400", "12400") when the words
    dropped in front all belong to that part's own name or are generic ("intel", "gen"): so
    "Core i3-12400" never lands on the i5-12400."""
    for start in range(1, len(words)):
        hits = idx.cpu_keys.get(" ".join(words[start:]))
        if not hits:
            continue
        dropped = set(words[:start]) - _GENERIC
        fitting = tuple(s for s in hits if dropped <= idx.cpu_words[s])
        if fitting:
            return _one("cpu", raw, fitting, labels)
    return None


def _suggest_cpu(
    idx: _Index, value: str, cleaned: str, labels: Mapping[str, str]
) -> tuple[str, ...]:
    """Parts of the same line and generation, same tier first; nothing from another
    generation (an i5-2500 is no answer to an i5-12400)."""
    hit = idx.cpu_misses.get(cleaned)
    if hit is not None:
        return hit
    found = _rank_cpu_suggestions(idx, value, cleaned, labels)
    if len(idx.cpu_misses) >= _MAX_MISSES:
        idx.cpu_misses.clear()
    idx.cpu_misses[cleaned] = found
    return found


_MAX_MISSES = 4096


def _rank_cpu_suggestions(
    idx: _Index, value: str, cleaned: str, labels: Mapping[str, str]
) -> tuple[str, ...]:
    g = generation(value)
    if g is None:
        return _close(cleaned, idx.cpu_brands, labels)
    line, gen, tier = g
    peers = idx.cpu_gen.get((line, gen), ())
    number = cleaned.split()[-1] if cleaned else ""
    ranked = sorted(
        peers,
        key=lambda p: (
            p[1] != tier,
            -difflib.SequenceMatcher(None, number, clean_cpu_name(labels[p[0]])).ratio(),
            p[0],
        ),
    )
    return tuple(labels[slug] for slug, _ in ranked[:MAX_CANDIDATES])


def resolve_chipsets(snapshot: Snapshot, raw: str) -> tuple[tuple[ChipsetSpec, ...], str]:
    """A chipset by id, slug or name; or every chipset that carries a PCI id."""
    value = raw.strip().lower()
    if _PCI_ID.match(value):
        slugs = snapshot.by_pci_id.get(value, ())
        if not slugs:
            raise ResolveError("chipset", raw, "unknown", ())
        return tuple(snapshot.chipsets[s] for s in slugs), f"PCI id {value}"
    value = _value("chipset", raw)
    if value in snapshot.chipsets:
        return (snapshot.chipsets[value],), "chipset"
    idx = _index(snapshot)
    labels = _Labels(snapshot.chipsets, lambda c: f"{c.vendor} {c.name} ({c.slug})")
    norm = normalize_name(value)
    keys = [norm, _strip_vendor(idx, norm)]
    slug = _lookup("chipset", raw, keys, snapshot.chipset_names, idx.chipset_compact, labels)
    if slug is None:
        wanted = parse_id(value)
        slug = idx.chipset_by_id.get(wanted) if wanted is not None else None
    if slug is None:
        raise ResolveError(
            "chipset", raw, "unknown", _close(keys[1] or norm, snapshot.chipset_names, labels)
        )
    return (snapshot.chipsets[slug],), "chipset"


def narrow_by_pci(
    candidates: tuple[ChipsetSpec, ...], ids: frozenset[str]
) -> tuple[ChipsetSpec, ...]:
    """Keep the candidates that one of ``ids`` (LPC bridge, IOMMU function) singles out."""
    if len(candidates) < 2:
        return candidates
    for role in ("lpc", "iommu"):
        picked = tuple(
            c for c in candidates if any(pid in ids and r == role for pid, r, _ in c.pci_ids)
        )
        if picked and len(picked) < len(candidates):
            return picked
    return candidates


def find_bios(board: BoardSpec, version: str) -> BiosSpec | None:
    want = bios_build(version)
    for b in board.bios:
        if b.version == version or bios_build(b.version) == want:
            return b
    return None


_STEPPING_NAME = re.compile(r"^[a-z]\d$", re.IGNORECASE)


def catalog_facts(
    snapshot: Snapshot,
    *,
    board: str | None = None,
    cpu: str | None = None,
    bios: str | None = None,
    chipset: str | None = None,
    stepping: str | None = None,
) -> HostFacts:
    """HostFacts for a catalogue query.

    A name that does not resolve is listed in ``HostFacts.unresolved`` and its layer left
    unknown; ``ResolveError`` (carrying every unresolved name) only when nothing resolved.
    """
    unresolved: list[Unresolved] = []
    board_spec: BoardSpec | None = None
    cpu_spec: CpuSpec | None = None
    if board:
        try:
            board_spec = resolve_board(snapshot, board)
        except ResolveError as exc:
            unresolved.append(exc.as_unresolved())
    if cpu:
        try:
            cpu_spec = resolve_cpu(snapshot, cpu)
        except ResolveError as exc:
            unresolved.append(exc.as_unresolved())

    candidates: tuple[ChipsetSpec, ...] = ()
    via: str | None = None
    if chipset:
        try:
            candidates, via = resolve_chipsets(snapshot, chipset)
        except ResolveError as exc:
            unresolved.append(exc.as_unresolved())
    if not candidates and board_spec is not None and board_spec.chipset_slug:
        candidates, via = (snapshot.chipsets[board_spec.chipset_slug],), "board"

    if unresolved and board_spec is None and cpu_spec is None and not candidates:
        first = unresolved[0]
        raise ResolveError(
            first.field, first.value, first.reason, first.candidates, tuple(unresolved)
        )

    bios_version = bios.strip()[:100] if bios else None
    bios_spec = find_bios(board_spec, bios_version) if board_spec and bios_version else None

    stepping_name: str | None = None
    stepping_num: int | None = None
    if stepping:
        s = stepping.strip()
        if is_decimal(s) and len(s) <= 3:
            stepping_num = int(s)
        elif _STEPPING_NAME.match(s):
            stepping_name = s.upper()
        else:
            raise ResolveError("stepping", stepping, "unknown", ())

    tallies = snapshot.evidence.get(board_spec.id, ()) if board_spec else ()
    return HostFacts(
        origin="catalog",
        cpu=CpuFacts(
            vendor=cpu_spec.vendor if cpu_spec else None,
            brand=cpu_spec.brand if cpu_spec else None,
            family=cpu_spec.family if cpu_spec else None,
            model=cpu_spec.model if cpu_spec else None,
            stepping=stepping_num if stepping_num is not None else None,
            stepping_name=stepping_name,
            spec=cpu_spec,
            arch=cpu_spec.isa if cpu_spec else None,
        ),
        chipset=ChipsetFacts(candidates=candidates, via=via),
        board=BoardFacts(
            spec=board_spec,
            bios_version=bios_version,
            bios_spec=bios_spec,
            evidence=board_spec.evidence() if board_spec else (),
        ),
        tallies=tallies,
        unresolved=tuple(unresolved),
    )

"""Resolve what callers type (ids, slugs, names, aliases, raw DMI or cpuinfo strings) to
catalogue rows, and build HostFacts for a catalogue query.

Tolerant of case, spacing, punctuation and vendor prefixes: "DQ43AP", "intel-dq43ap" and
"Intel Corporation DQ43AP" are one board; "Core i7-2600" and "Intel(R) Core(TM) i7-2600 CPU
@ 3.40GHz" are one CPU. An ambiguous or unknown name raises ``ResolveError`` carrying the
closest candidates, never a guess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from virtcompat.engine.hostfacts import BoardFacts, ChipsetFacts, CpuFacts, HostFacts
from virtcompat.engine.snapshot import BiosSpec, BoardSpec, ChipsetSpec, CpuSpec, Snapshot
from virtcompat.engine.verdict import bios_build
from virtcompat.text import is_decimal, normalize_name, parse_id

MAX_QUERY_LEN = 200
_CPU_NOISE = re.compile(
    r"\((?:r|tm|c)\)|@\s*[\d.]+\s*[gm]hz|\b(?:cpu|processor|apu|with radeon.*)\b", re.IGNORECASE
)
_PCI_ID = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{4}$")


@dataclass(frozen=True)
class ResolveError(Exception):
    field: str
    value: str
    reason: str  # "unknown" | "ambiguous"
    candidates: tuple[str, ...]

    def __str__(self) -> str:
        base = f"{self.field} {self.value!r} is {self.reason}"
        if self.candidates:
            return f"{base}; closest: {', '.join(self.candidates)}"
        return base


def _compact(s: str) -> str:
    return s.replace(" ", "")


def _strip_vendor(snapshot: Snapshot, norm: str) -> str:
    for names in snapshot.vendors.values():
        for v in sorted(names, key=len, reverse=True):
            if v and norm.startswith(v + " "):
                return norm[len(v) + 1 :]
    return norm


def _lookup(
    snapshot: Snapshot,
    field: str,
    raw: str,
    index: Mapping[str, tuple[str, ...]],
    labels: Mapping[str, str],
    extra_keys: tuple[str, ...] = (),
) -> str:
    """Find the one slug that ``raw`` names, trying progressively looser keys."""
    value = raw.strip()[:MAX_QUERY_LEN]
    if not value:
        raise ResolveError(field, raw, "empty", ())
    if value in labels:  # an exact slug
        return value
    norm = normalize_name(value)
    keys = [norm, _strip_vendor(snapshot, norm), *extra_keys]
    for key in keys:
        hits = index.get(key)
        if hits:
            return _one(field, raw, hits, labels)
    compact_index: dict[str, set[str]] = {}
    for k, slugs in index.items():
        compact_index.setdefault(_compact(k), set()).update(slugs)
    for key in keys:
        hits_set = compact_index.get(_compact(key))
        if hits_set:
            return _one(field, raw, tuple(sorted(hits_set)), labels)
    close = difflib.get_close_matches(keys[1] or norm, list(index), n=5, cutoff=0.6)
    candidates: list[str] = []
    for key in close:
        for slug in index[key]:
            label = labels[slug]
            if label not in candidates:
                candidates.append(label)
    raise ResolveError(field, raw, "unknown", tuple(candidates[:5]))


def _one(field: str, raw: str, hits: tuple[str, ...], labels: Mapping[str, str]) -> str:
    unique = tuple(dict.fromkeys(hits))
    if len(unique) == 1:
        return unique[0]
    raise ResolveError(field, raw, "ambiguous", tuple(labels[s] for s in unique))


def _by_id(items: Mapping[str, object], raw: str) -> str | None:
    wanted = parse_id(raw)
    if wanted is not None:
        for slug, spec in items.items():
            if getattr(spec, "id", None) == wanted:
                return slug
    return None


def resolve_board(snapshot: Snapshot, raw: str) -> BoardSpec:
    slug = _by_id(snapshot.boards, raw)
    if slug is None:
        labels = {s: f"{b.vendor}/{b.model} ({s})" for s, b in snapshot.boards.items()}
        slug = _lookup(snapshot, "board", raw, snapshot.board_names, labels)
    return snapshot.boards[slug]


def _cpu_keys(raw: str) -> tuple[str, ...]:
    cleaned = normalize_name(_CPU_NOISE.sub(" ", raw))
    words = cleaned.split()
    keys = [cleaned]
    for vendor in ("intel", "amd"):
        if words and words[0] == vendor:
            keys.append(" ".join(words[1:]))
    return tuple(keys)


def resolve_cpu(snapshot: Snapshot, raw: str) -> CpuSpec:
    slug = _by_id(snapshot.cpus, raw)
    if slug is None:
        labels = {s: f"{c.brand} ({s})" for s, c in snapshot.cpus.items()}
        extra = _cpu_keys(raw)
        try:
            slug = _lookup(snapshot, "cpu", raw, snapshot.cpu_names, labels, extra)
        except ResolveError as exc:
            # cpuinfo brand strings: match on the model token ("q9550", "i7 2600k").
            token_hit = _cpu_token(snapshot, extra[-1])
            if token_hit is None:
                raise exc from None
            slug = token_hit
    return snapshot.cpus[slug]


def _cpu_token(snapshot: Snapshot, cleaned: str) -> str | None:
    words = cleaned.split()
    if not words:
        return None
    hits = []
    for slug, cpu in snapshot.cpus.items():
        brand_words = normalize_name(cpu.brand).split()
        n = len(brand_words)
        # The model number is the brand's last one or two words ("q9550", "i7 2600k").
        for size in (2, 1):
            if (
                n >= size
                and _contains(words, brand_words[-size:])
                and any(c.isdigit() for c in "".join(brand_words[-size:]))
            ):
                hits.append(slug)
                break
    return hits[0] if len(set(hits)) == 1 else None


def _contains(words: list[str], run: list[str]) -> bool:
    k = len(run)
    return any(words[i : i + k] == run for i in range(len(words) - k + 1))


def resolve_chipsets(snapshot: Snapshot, raw: str) -> tuple[tuple[ChipsetSpec, ...], str]:
    """A chipset by id, slug or name; or every chipset that carries a PCI id."""
    value = raw.strip().lower()
    if _PCI_ID.match(value):
        slugs = snapshot.by_pci_id.get(value, ())
        if not slugs:
            raise ResolveError("chipset", raw, "unknown", ())
        return tuple(snapshot.chipsets[s] for s in slugs), f"PCI id {value}"
    slug = _by_id(snapshot.chipsets, raw)
    if slug is None:
        labels = {s: f"{c.vendor} {c.name} ({s})" for s, c in snapshot.chipsets.items()}
        slug = _lookup(snapshot, "chipset", raw, snapshot.chipset_names, labels)
    return (snapshot.chipsets[slug],), "chipset"


def narrow_by_pci(
    candidates: tuple[ChipsetSpec, ...], ids: frozenset[str]
) -> tuple[ChipsetSpec, ...]:
    """Keep the candidates that one of ``ids`` (LPC bridge, IOMMU function) singles out."""
    if len(candidates) < 2:
        return candidates
    for role in ("lpc", "iommu"):
        picked = tuple(
            c for c in candidates if any(pid in ids and r == role for pid, r in c.pci_ids)
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
    """HostFacts for a catalogue query; raises ResolveError for unknown/ambiguous names."""
    board_spec = resolve_board(snapshot, board) if board else None
    cpu_spec = resolve_cpu(snapshot, cpu) if cpu else None

    candidates: tuple[ChipsetSpec, ...] = ()
    via: str | None = None
    if chipset:
        candidates, via = resolve_chipsets(snapshot, chipset)
    elif board_spec is not None and board_spec.chipset_slug:
        candidates, via = (snapshot.chipsets[board_spec.chipset_slug],), "board"

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
            stepping=stepping_num,
            stepping_name=stepping_name,
            spec=cpu_spec,
        ),
        chipset=ChipsetFacts(candidates=candidates, via=via),
        board=BoardFacts(
            spec=board_spec,
            bios_version=bios_version,
            bios_spec=bios_spec,
            evidence=board_spec.evidence() if board_spec else (),
        ),
        tallies=tallies,
    )

"""Validation of a seed directory: every problem at once, each with its file, entry and path.

The seed is data that people review, so validation reports every problem at once, each
with its file, its entry's slug and the field path, instead of stopping at the first.
Every row, every note and every BIOS release must name at least one source: a fact
without a source cannot be explained in a verdict. Per-entry rules are the schemas
(``virtcompat.catalogue.schemas``); the rules across entries and files are here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from virtcompat.catalogue.schemas import SCHEMAS, SEED_FILES, read_seed_file
from virtcompat.catalogue.types import (
    BoardSpec,
    ChipsetSpec,
    Cite,
    CpuSpec,
    NoteSpec,
    SeedData,
    SourceSpec,
    VendorSpec,
)
from virtcompat.models import NoteKind
from virtcompat.text import normalize_name

__all__ = ["SeedError", "SeedProblem", "validate_seed_dir"]


@dataclass(frozen=True, slots=True)
class SeedProblem:
    file: str
    entry: str  # the entry's slug, or "#N" when it has none
    path: str  # field path inside the entry ("notes[0].sources"); "" for the entry itself
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}"
        if self.path:
            where += f": {self.path}"
        return f"{where}: {self.message}"


class SeedError(Exception):
    """The seed directory is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[SeedProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid seed: {len(self.problems)} problem(s)\n{lines}")


def _flatten(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == "_schema":
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, path)
    elif isinstance(messages, list | tuple):
        for m in messages:
            if isinstance(m, Mapping | list | tuple):
                yield from _flatten(m, prefix)
            else:
                yield prefix, str(m)
    else:
        yield prefix, str(messages)


def _load_file(
    directory: Path, name: str, problems: list[SeedProblem], slugs: set[str]
) -> list[Any]:
    """Load one file's valid entries; ``slugs`` gets every entry's slug, valid or not.

    References are checked against all slugs, so one invalid entry is reported once
    rather than again by every row that refers to it.
    """
    path = directory / name
    if not path.is_file():
        problems.append(SeedProblem(name, "-", "", "file is missing"))
        return []
    try:
        raw = read_seed_file(path)
    except yaml.YAMLError as exc:
        problems.append(SeedProblem(name, "-", "", f"not valid YAML: {exc}"))
        return []
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(SeedProblem(name, "-", "", "must be a YAML list of entries"))
        return []
    schema = SCHEMAS[name]()
    loaded: list[Any] = []
    for index, entry in enumerate(raw):
        label = f"#{index + 1}"
        if isinstance(entry, Mapping) and isinstance(entry.get("slug"), str):
            label = entry["slug"]
            slugs.add(label)
        if not isinstance(entry, Mapping):
            problems.append(SeedProblem(name, label, "", "entry must be a mapping"))
            continue
        try:
            loaded.append(schema.load(entry))
        except ValidationError as exc:
            for field_path, message in _flatten(exc.messages):
                problems.append(SeedProblem(name, label, field_path, message))
    return loaded


class _Checker:
    """Cross-entry rules a per-entry schema cannot see."""

    def __init__(self, problems: list[SeedProblem]) -> None:
        self.problems = problems
        self.source_slugs: set[str] = set()
        self.cited_sources: set[str] = set()
        self.note_slugs: dict[str, str] = {}

    def add(self, file: str, entry: str, path: str, message: str) -> None:
        self.problems.append(SeedProblem(file, entry, path, message))

    def unique(self, file: str, keys: Sequence[tuple[str, object]], what: str) -> None:
        seen: set[object] = set()
        for entry, key in keys:
            if key in seen:
                self.add(file, entry, "", f"duplicate {what} {key!r}")
            seen.add(key)

    def cites(self, file: str, entry: str, path: str, cites: Sequence[Cite]) -> None:
        for i, cite in enumerate(cites):
            self.cited_sources.add(cite.source_slug)
            if cite.source_slug not in self.source_slugs:
                self.add(file, entry, f"{path}[{i}].source", f"unknown source {cite.source_slug!r}")

    def notes(self, file: str, entry: str, path: str, notes: Sequence[NoteSpec]) -> None:
        for i, note in enumerate(notes):
            where = f"{path}[{i}]"
            previous = self.note_slugs.get(note.slug)
            if previous is not None:
                self.add(
                    file, entry, f"{where}.slug", f"note slug {note.slug!r} also used by {previous}"
                )
            else:
                self.note_slugs[note.slug] = f"{file}:{entry}"
            if note.min_bios_version is not None and note.kind != NoteKind.REQUIREMENT:
                self.add(
                    file,
                    entry,
                    f"{where}.min_bios_version",
                    "min_bios_version is only meaningful on a requirement note",
                )
            self.cites(file, entry, f"{where}.sources", note.cites)


def validate_seed_dir(path: str | Path) -> SeedData:
    """Validate every seed file in ``path``; raise ``SeedError`` listing all problems."""
    directory = Path(path)
    problems: list[SeedProblem] = []
    slugs: dict[str, set[str]] = {name: set() for name in SEED_FILES}
    loaded = {name: _load_file(directory, name, problems, slugs[name]) for name in SEED_FILES}
    sources: list[SourceSpec] = loaded["sources.yaml"]
    vendors: list[VendorSpec] = loaded["vendors.yaml"]
    chipsets: list[ChipsetSpec] = loaded["chipsets.yaml"]
    cpus: list[CpuSpec] = loaded["cpus.yaml"]
    boards: list[BoardSpec] = loaded["boards.yaml"]

    check = _Checker(problems)
    check.source_slugs = slugs["sources.yaml"]
    vendor_slugs = slugs["vendors.yaml"]
    chipset_slugs = slugs["chipsets.yaml"]

    check.unique("sources.yaml", [(s.slug, s.slug) for s in sources], "slug")
    check.unique("vendors.yaml", [(v.slug, v.slug) for v in vendors], "slug")
    check.unique("vendors.yaml", [(v.slug, v.name) for v in vendors], "name")
    for v in vendors:
        check.cites("vendors.yaml", v.slug, "sources", v.cites)

    f = "chipsets.yaml"
    check.unique(f, [(c.slug, c.slug) for c in chipsets], "slug")
    check.unique(f, [(c.slug, (c.vendor, c.name)) for c in chipsets], "(vendor, name)")
    for c in chipsets:
        if c.vendor not in vendor_slugs:
            check.add(f, c.slug, "vendor", f"unknown vendor {c.vendor!r}")
        check.unique(f, [(c.slug, (p.id, p.role)) for p in c.pci_ids], "pci id (id, role)")
        check.cites(f, c.slug, "sources", c.cites)
        check.notes(f, c.slug, "notes", c.notes)

    f = "cpus.yaml"
    check.unique(f, [(c.slug, c.slug) for c in cpus], "slug")
    check.unique(f, [(c.slug, (c.vendor, c.brand)) for c in cpus], "(vendor, brand)")
    for cpu in cpus:
        if cpu.vendor not in vendor_slugs:
            check.add(f, cpu.slug, "vendor", f"unknown vendor {cpu.vendor!r}")
        check.unique(f, [(cpu.slug, s.name) for s in cpu.steppings], "stepping")
        check.cites(f, cpu.slug, "sources", cpu.cites)
        check.notes(f, cpu.slug, "notes", cpu.notes)

    f = "boards.yaml"
    check.unique(f, [(b.slug, b.slug) for b in boards], "slug")
    check.unique(f, [(b.slug, (b.vendor, b.model)) for b in boards], "(vendor, model)")
    for b in boards:
        if b.vendor not in vendor_slugs:
            check.add(f, b.slug, "vendor", f"unknown vendor {b.vendor!r}")
        if b.chipset_slug is not None and b.chipset_slug not in chipset_slugs:
            check.add(f, b.slug, "chipset", f"unknown chipset {b.chipset_slug!r}")
        for i, a in enumerate(b.aliases):
            if not normalize_name(a.name):
                check.add(f, b.slug, f"aliases[{i}].name", "normalizes to an empty string")
        check.unique(f, [(b.slug, (a.kind, a.normalized)) for a in b.aliases], "alias")
        check.unique(f, [(b.slug, r.version) for r in b.bios], "BIOS version")
        check.cites(f, b.slug, "sources", b.cites)
        check.notes(f, b.slug, "notes", b.notes)
        for i, r in enumerate(b.bios):
            check.cites(f, b.slug, f"bios_releases[{i}].sources", r.cites)
            check.notes(f, b.slug, f"bios_releases[{i}].notes", r.notes)

    for s in sources:
        if s.slug not in check.cited_sources:
            check.add("sources.yaml", s.slug, "", "source is not cited by any entry")

    if problems:
        raise SeedError(problems)
    return SeedData(
        sources=tuple(sources),
        vendors=tuple(vendors),
        chipsets=tuple(chipsets),
        cpus=tuple(cpus),
        boards=tuple(boards),
    )

"""An immutable in-memory copy of the catalogue, for verdicts without per-request queries.

The imported catalogue holds thousands of parts and changes rarely; probe tallies change with
every probe. Every verdict reads a snapshot keyed by ``CatalogState.version``, which every
write bumps in its own transaction. Writes to the catalogue itself also change the spec
stamp; a probe does not, so after a probe only the tallies are read again and joined to the
catalogue part already built. ``SnapshotCache`` re-reads the version at most every ``ttl``
seconds and reloads when it moved, so a replica never keeps serving a catalogue older than
the version it has seen.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from virtcompat.capability import Evidence
from virtcompat.catalog import catalog_state, catalog_version
from virtcompat.catalogue.types import (
    AliasSpec,
    BiosSpec,
    BoardSpec,
    ChipsetSpec,
    Cite,
    CpuSpec,
    NoteSpec,
    PciIdSpec,
    SteppingSpec,
)
from virtcompat.models import (
    Board,
    Chipset,
    Citation,
    Confidence,
    Cpu,
    CpuStepping,
    EvidenceCount,
    Note,
    Observation,
    SlatKind,
    Source,
    Tri,
    Vendor,
)
from virtcompat.text import normalize_name, processor_number_key


@dataclass(frozen=True, slots=True)
class EvidenceTally:
    capability: str
    bios_version: str
    confirm: int
    contradict: int
    inconclusive: int = 0


@dataclass(frozen=True, slots=True)
class ReportTally:
    """Machine reports (Qubes HCL) on one board x BIOS release for one capability.

    ``saw`` counts reports that observed the capability active, ``missed`` those that did
    not; ``links`` are the reports' own links, to cite. Observations, never spec facts.
    """

    capability: str  # hvm | vtd | slat | irq_remap
    bios_version: str
    saw: int
    missed: int
    source_slug: str
    source_title: str
    links: tuple[str, ...]

    def evidence(self, board_slug: str) -> Evidence:
        where = f"BIOS {self.bios_version}" if self.bios_version else "an unnamed BIOS"
        parts = []
        if self.saw:
            parts.append(f"{self.saw} report{'s' if self.saw != 1 else ''} on {where} saw it")
        if self.missed:
            parts.append(
                f"{self.missed} report{'s' if self.missed != 1 else ''} on {where} did not"
            )
        links = " ".join(f"<{u}>" for u in self.links[:5])
        return Evidence(
            kind="probe",
            id=f"report:{board_slug}:{self.bios_version or '*'}:{self.capability}",
            source=f"{self.source_title}: {'; '.join(parts)} {links}".strip(),
        )


@dataclass(frozen=True)
class Snapshot:
    version: int
    chipsets: Mapping[str, ChipsetSpec]
    cpus: Mapping[str, CpuSpec]
    boards: Mapping[str, BoardSpec]
    vendors: Mapping[str, tuple[str, ...]]  # vendor slug -> normalised names and aliases
    by_pci_id: Mapping[str, tuple[str, ...]]  # pci id -> chipset slugs
    evidence: Mapping[int, tuple[EvidenceTally, ...]] = field(default_factory=dict)
    # normalised name/alias -> slugs, for resolution
    chipset_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    cpu_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    board_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # processor_number_key(ARK processor number) -> CPU slugs ("920" may name two parts)
    cpus_by_number: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # board id -> machine-report tallies per BIOS release and capability
    reports: Mapping[int, tuple[ReportTally, ...]] = field(default_factory=dict)


def _cite(c: Citation) -> Cite:
    return Cite(
        source_slug=c.source.slug,
        title=c.source.title,
        url=c.source.url,
        confidence=c.confidence.value,
        field=c.field,
        claim=c.claim,
        document_id=c.source.document_id,
    )


_K = TypeVar("_K", tuple[str, int, str], tuple[str, str])
_MEMO: OrderedDict[tuple[str, int, str], Snapshot] = OrderedDict()
# (database, spec stamp) -> a snapshot whose catalogue part is current for that stamp
_SPEC_MEMO: OrderedDict[tuple[str, str], Snapshot] = OrderedDict()
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 4


def load_snapshot(session: Session) -> Snapshot:
    """The snapshot of the catalogue this session sees.

    Built once per (database, version, stamp): the stamp is random per catalogue write, so
    two states never share a key, and every session of the process reuses one build of the
    (large, imported) catalogue instead of reading it again. A write that moved only the
    probe tallies keeps the spec stamp: then only the tallies are read again and joined to
    the catalogue part already built.
    """
    version, stamp, spec_stamp = catalog_state(session)
    url = str(session.get_bind().engine.url)
    key = (url, version, stamp)
    spec_key = (url, spec_stamp)
    with _MEMO_LOCK:
        snap = _MEMO.get(key)
        if snap is not None:
            _MEMO.move_to_end(key)
            return snap
        spec = _SPEC_MEMO.get(spec_key) if spec_stamp else None
    if spec is not None:
        snap = replace(spec, version=version, evidence=_evidence_tallies(session))
    else:
        snap = _build_snapshot(session, version)
    with _MEMO_LOCK:
        _remember(_MEMO, key, snap)
        _remember(_SPEC_MEMO, spec_key, snap)
    return snap


def _remember(memo: OrderedDict[_K, Snapshot], key: _K, snap: Snapshot) -> None:
    memo[key] = snap
    memo.move_to_end(key)
    while len(memo) > _MEMO_SIZE:
        memo.popitem(last=False)


def _evidence_tallies(session: Session) -> dict[int, tuple[EvidenceTally, ...]]:
    """Probe tallies per board id (the part of the snapshot that probes move)."""
    tallies: dict[int, list[EvidenceTally]] = defaultdict(list)
    for e in session.scalars(select(EvidenceCount).order_by(EvidenceCount.id)):
        tallies[e.board_id].append(
            EvidenceTally(
                e.capability, e.bios_version, e.confirm, e.contradict, e.inconclusive or 0
            )
        )
    return {k: tuple(v) for k, v in tallies.items()}


def _build_snapshot(session: Session, version: int) -> Snapshot:
    # Plain rows, not ORM objects: the imported catalogue has tens of thousands of
    # citations and a snapshot is rebuilt after every catalogue write.
    cites: dict[tuple[str, int], list[Cite]] = defaultdict(list)
    sources = {
        sid: (slug, title, url, doc)
        for sid, slug, title, url, doc in session.execute(
            select(Source.id, Source.slug, Source.title, Source.url, Source.document_id)
        )
    }
    kinds = ("chipset", "cpu", "board", "bios_release", "note")
    cite_stmt = select(
        Citation.source_id,
        Citation.confidence,
        Citation.field,
        Citation.claim,
        Citation.chipset_id,
        Citation.cpu_id,
        Citation.board_id,
        Citation.bios_release_id,
        Citation.note_id,
    ).order_by(Citation.id)
    for source_id, confidence, fld, claim, *refs in session.execute(cite_stmt):
        slug, title, url, doc = sources[source_id]
        cite = Cite(slug, title, url, Confidence(confidence).value, fld, claim, doc)
        for kind, ref in zip(kinds, refs, strict=True):
            if ref is not None:
                cites[(kind, ref)].append(cite)
    notes: dict[tuple[str, int], list[NoteSpec]] = defaultdict(list)
    for n in session.scalars(select(Note).order_by(Note.slug)):
        spec = NoteSpec(
            id=n.id,
            slug=n.slug,
            kind=n.kind.value,
            severity=n.severity.value,
            capability=n.capability,
            text=n.text,
            min_bios_version=n.min_bios_version,
            cites=tuple(cites[("note", n.id)]),
        )
        for kind in ("chipset", "cpu", "board", "bios_release"):
            ref = getattr(n, f"{kind}_id")
            if ref is not None:
                notes[(kind, ref)].append(spec)

    vendors = {
        v.slug: tuple({normalize_name(x) for x in [v.name, v.slug, *v.aliases]})
        for v in session.scalars(select(Vendor))
    }

    chipsets: dict[str, ChipsetSpec] = {}
    by_pci: dict[str, list[str]] = defaultdict(list)
    chipset_names: dict[str, list[str]] = defaultdict(list)
    for ch in session.scalars(select(Chipset).options(selectinload(Chipset.pci_ids))).unique():
        chipsets[ch.slug] = ChipsetSpec(
            id=ch.id,
            slug=ch.slug,
            name=ch.name,
            vendor=ch.vendor.slug,
            iommu_support=ch.iommu_support.value,
            iommu_kind=ch.iommu_kind.value,
            iommu_location=ch.iommu_location.value,
            pci_ids=tuple(PciIdSpec(p.pci_id, p.role.value, p.label) for p in ch.pci_ids),
            cites=tuple(cites[("chipset", ch.id)]),
            notes=tuple(notes[("chipset", ch.id)]),
            family=ch.family,
        )
        for p in ch.pci_ids:
            by_pci[p.pci_id].append(ch.slug)
        for name in (ch.name, ch.slug, f"{ch.vendor.name} {ch.name}"):
            _add(chipset_names, normalize_name(name), ch.slug)

    cpus: dict[str, CpuSpec] = {}
    cpu_names: dict[str, list[str]] = defaultdict(list)
    cpus_by_number: dict[str, list[str]] = defaultdict(list)
    steppings: dict[int, list[SteppingSpec]] = defaultdict(list)
    for cpu_id, name, cpuid_stepping, vtx in session.execute(
        select(
            CpuStepping.cpu_id, CpuStepping.name, CpuStepping.cpuid_stepping, CpuStepping.vtx
        ).order_by(CpuStepping.name)
    ):
        steppings[cpu_id].append(SteppingSpec(name, cpuid_stepping, Tri(vtx).value))
    vendor_names = {
        vid: (slug, name)
        for vid, slug, name in session.execute(select(Vendor.id, Vendor.slug, Vendor.name))
    }
    cpu_cols = (
        Cpu.id, Cpu.slug, Cpu.brand, Cpu.vendor_id, Cpu.family, Cpu.model, Cpu.vtx, Cpu.vtd,
        Cpu.slat, Cpu.slat_kind, Cpu.iommu_in_cpu, Cpu.processor_number, Cpu.code_name,
        Cpu.microarch, Cpu.stepping, Cpu.launch_year, Cpu.launch_quarter, Cpu.segment,
        Cpu.socket, Cpu.isa, Cpu.curated,
    )  # fmt: skip
    for row in session.execute(select(*cpu_cols).order_by(Cpu.id)):
        (cid, slug, brand, vendor_id, family, model, vtx, vtd, slat, slat_kind, in_cpu,
         number, code_name, ma, stepping, year, quarter, segment, socket, isa,
         curated) = row  # fmt: skip
        vendor_slug, vendor_name = vendor_names[vendor_id]
        cpus[slug] = CpuSpec(
            id=cid,
            slug=slug,
            brand=brand,
            vendor=vendor_slug,
            family=family,
            model=model,
            vtx=Tri(vtx).value,
            vtd=Tri(vtd).value,
            slat=Tri(slat).value,
            slat_kind=SlatKind(slat_kind).value,
            iommu_in_cpu=in_cpu,
            steppings=tuple(steppings.get(cid, ())),
            cites=tuple(cites.get(("cpu", cid), ())),
            notes=tuple(notes.get(("cpu", cid), ())),
            processor_number=number,
            code_name=code_name,
            microarch=ma,
            stepping=stepping,
            launch_year=year,
            launch_quarter=quarter,
            segment=segment,
            socket=socket,
            isa=isa,
            curated=curated,
        )
        for name in (brand, slug, f"{vendor_name} {brand}"):
            _add(cpu_names, normalize_name(name), slug)
        if number:
            _add(cpus_by_number, processor_number_key(number), slug)

    boards: dict[str, BoardSpec] = {}
    board_names: dict[str, list[str]] = defaultdict(list)
    stmt = select(Board).options(selectinload(Board.aliases), selectinload(Board.bios_releases))
    for b in session.scalars(stmt).unique():
        bios = tuple(
            BiosSpec(
                id=r.id,
                version=r.version,
                vtx_option=r.vtx_option.value,
                vtd_option=r.vtd_option.value,
                vtd_works=r.vtd_works.value,
                cites=tuple(cites[("bios_release", r.id)]),
                notes=tuple(notes[("bios_release", r.id)]),
                released=r.released,
            )
            for r in b.bios_releases
        )
        aliases = tuple(a.normalized for a in b.aliases)
        boards[b.slug] = BoardSpec(
            id=b.id,
            slug=b.slug,
            model=b.model,
            vendor=b.vendor.slug,
            chipset_slug=b.chipset.slug if b.chipset is not None else None,
            vtd_status=b.vtd_status,
            alias_names=aliases,
            bios=bios,
            cites=tuple(cites[("board", b.id)]),
            notes=tuple(notes[("board", b.id)]),
            aliases=tuple(AliasSpec(a.kind, a.name, a.vendor) for a in b.aliases),
        )
        for name in (b.model, b.slug, f"{b.vendor.name} {b.model}", *aliases):
            _add(board_names, normalize_name(name), b.slug)
        for a in b.aliases:
            _add(board_names, normalize_name(a.name), b.slug)

    return Snapshot(
        version=version,
        cpus_by_number={k: tuple(v) for k, v in cpus_by_number.items()},
        reports=_report_tallies(session),
        chipsets=chipsets,
        cpus=cpus,
        boards=boards,
        vendors=vendors,
        by_pci_id={k: tuple(v) for k, v in by_pci.items()},
        evidence=_evidence_tallies(session),
        chipset_names={k: tuple(v) for k, v in chipset_names.items()},
        cpu_names={k: tuple(v) for k, v in cpu_names.items()},
        board_names={k: tuple(v) for k, v in board_names.items()},
    )


def _report_tallies(session: Session) -> dict[int, tuple[ReportTally, ...]]:
    acc: dict[tuple[int, str, str, int], tuple[list[int], list[str]]] = {}
    sources: dict[int, tuple[str, str]] = {}
    stmt = select(
        Observation.board_id,
        Observation.bios_version,
        Observation.capability,
        Observation.source_id,
        Observation.observed,
        Observation.record,
    ).order_by(Observation.id)
    for board_id, bios, cap, source_id, observed, record in session.execute(stmt):
        counts, links = acc.setdefault((board_id, bios, cap, source_id), ([0, 0], []))
        counts[0 if observed == Tri.YES else 1] += 1
        links.append(record)
    if acc:
        for s in session.scalars(select(Source).where(Source.id.in_({k[3] for k in acc}))):
            sources[s.id] = (s.slug, s.title)
    out: dict[int, list[ReportTally]] = defaultdict(list)
    for (board_id, bios, cap, source_id), (counts, links) in acc.items():
        slug, title = sources.get(source_id, ("", ""))
        out[board_id].append(
            ReportTally(cap, bios, counts[0], counts[1], slug, title, tuple(links))
        )
    return {k: tuple(v) for k, v in out.items()}


def _add(index: dict[str, list[str]], key: str, slug: str) -> None:
    if key and slug not in index[key]:
        index[key].append(slug)


def _may_hold_write_lock(session: Session) -> bool:
    """Whether ``session`` may hold SQLite's write reservation (a transaction is open)."""
    return session.in_transaction() and session.get_bind().dialect.name == "sqlite"


class SnapshotCache:
    """Process-local snapshot cache; safe to lose, keyed by the catalogue version.

    One thread at a time checks the version (and loads a new snapshot), under the refresh
    lock; threads that hold a snapshot answer from it meanwhile, the others wait, so a cold
    start or an invalidation loads one snapshot, not one per thread. The one exception is a
    thread inside a SQLite transaction: every SQLite transaction holds the database's write
    reservation from BEGIN (virtcompat.db), and the refreshing thread's own BEGIN would
    wait for it while it waited for the refresh lock, a deadlock that hung every worker
    (#14, seen in a bench run). Such a thread checks and loads with its own session, which
    reads what it holds; SQLite lets one such writer exist at a time. PostgreSQL's reads
    wait for no row lock, so there everyone may wait. ``_lock`` guards the fields only.
    """

    def __init__(self, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._refresh = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked_at = float("-inf")
        self._generation = 0  # bumped by invalidate(): a check begun before it stores nothing

    def get(self, session: Session | Callable[[], Session]) -> Snapshot:
        """The current snapshot. ``session`` may be a factory, so the hot path (snapshot
        fresh within the TTL) does not even open a session."""
        snap = self._fresh()
        if snap is not None:
            return snap
        held = self._snapshot
        if held is not None and self._refresh.locked():
            return held  # another thread is checking the version right now
        if not isinstance(session, Session):
            session = session()
        refreshing = self._refresh.acquire(blocking=not _may_hold_write_lock(session))
        try:
            if refreshing:
                snap = self._fresh()  # refreshed while this thread waited
                if snap is not None:
                    return snap
            return self._check(session)
        finally:
            if refreshing:
                self._refresh.release()

    def _fresh(self) -> Snapshot | None:
        snap = self._snapshot
        if snap is not None and self._clock() - self._checked_at < self.ttl:
            return snap
        return None

    def _check(self, session: Session) -> Snapshot:
        now = self._clock()
        with self._lock:
            held, generation = self._snapshot, self._generation
        version = catalog_version(session)
        fresh = held if held is not None and held.version == version else load_snapshot(session)
        with self._lock:
            if self._generation == generation:
                self._snapshot = fresh
                self._checked_at = now
        return fresh

    def peek(self) -> Snapshot | None:
        """The snapshot ``get`` would return without a database check, else None: one that
        is still fresh within the TTL."""
        return self._fresh()

    def invalidate(self) -> None:
        with self._lock:
            self._snapshot = None
            self._checked_at = float("-inf")
            self._generation += 1

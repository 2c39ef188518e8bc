"""Catalogue queries and writes (no HTTP here): filters, lookups, reference checks."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from virtcompat.models import (
    BiosRelease,
    Board,
    BoardAlias,
    CatalogState,
    Chipset,
    ChipsetPciId,
    Citation,
    Cpu,
    Note,
    Source,
    UnverifiedHardware,
    Vendor,
)
from virtcompat.text import normalize_name, parse_id

M = TypeVar("M", Vendor, Chipset, Cpu, Board, Note, Source, BiosRelease)

PCI_ID_RE = re.compile(r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$")


class NotFound(LookupError):
    pass


class ReferencedError(Exception):
    """Deleting the row would orphan others; ``blockers`` names them."""

    def __init__(self, blockers: list[str]) -> None:
        super().__init__(", ".join(blockers))
        self.blockers = blockers


def _like(column: Any, q: str) -> Any:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")


def get_one(session: Session, model: type[M], key: str | int) -> M:
    """By numeric id or by slug (NetBox style: both identify a row)."""
    stmt = select(model)
    row_id = key if isinstance(key, int) else parse_id(key)
    if row_id is not None:
        stmt = stmt.where(model.id == row_id)
    elif hasattr(model, "slug"):
        stmt = stmt.where(model.slug == key)
    else:
        raise NotFound(f"{model.__name__} {key!r} not found")
    obj = session.scalars(stmt).unique().one_or_none()
    if obj is None:
        raise NotFound(f"{model.__tablename__[:-1]} {key!r} not found")
    return obj


def vendor_select(q: str | None = None) -> Select[Vendor]:
    stmt = select(Vendor)
    if q:
        stmt = stmt.where(or_(_like(Vendor.name, q), _like(Vendor.slug, q)))
    return stmt.order_by(Vendor.name, Vendor.id)


def source_select(q: str | None = None, kind: str | None = None) -> Select[Source]:
    stmt = select(Source)
    if q:
        stmt = stmt.where(or_(_like(Source.title, q), _like(Source.slug, q)))
    if kind:
        stmt = stmt.where(Source.kind == kind)
    return stmt.order_by(Source.slug, Source.id)


def chipset_select(
    *,
    vendor: str | None = None,
    iommu: str | None = None,
    pci_id: str | None = None,
    q: str | None = None,
) -> Select[Chipset]:
    stmt = select(Chipset).options(selectinload(Chipset.pci_ids))
    if vendor:
        stmt = stmt.join(Chipset.vendor).where(Vendor.slug == vendor)
    if iommu:
        stmt = stmt.where(Chipset.iommu_support == iommu)
    if pci_id:
        stmt = stmt.where(
            Chipset.id.in_(
                select(ChipsetPciId.chipset_id).where(ChipsetPciId.pci_id == pci_id.lower())
            )
        )
    if q:
        stmt = stmt.where(
            or_(_like(Chipset.name, q), _like(Chipset.slug, q), _like(Chipset.family, q))
        )
    return stmt.order_by(Chipset.name, Chipset.id)


def cpu_select(
    *,
    vendor: str | None = None,
    vtx: str | None = None,
    vtd: str | None = None,
    slat: str | None = None,
    q: str | None = None,
) -> Select[Cpu]:
    stmt = select(Cpu).options(selectinload(Cpu.steppings))
    if vendor:
        stmt = stmt.join(Cpu.vendor).where(Vendor.slug == vendor)
    for column, value in ((Cpu.vtx, vtx), (Cpu.vtd, vtd), (Cpu.slat, slat)):
        if value:
            stmt = stmt.where(column == value)
    if q:
        stmt = stmt.where(or_(_like(Cpu.brand, q), _like(Cpu.slug, q)))
    return stmt.order_by(Cpu.brand, Cpu.id)


def board_select(
    *,
    vendor: str | None = None,
    chipset: str | None = None,
    vtd: str | None = None,
    iommu: str | None = None,
    q: str | None = None,
) -> Select[Board]:
    stmt = select(Board).options(selectinload(Board.aliases))
    if vendor:
        stmt = stmt.where(Board.vendor_id.in_(select(Vendor.id).where(Vendor.slug == vendor)))
    if chipset:
        stmt = stmt.where(
            Board.chipset_id.in_(
                select(Chipset.id).where(or_(Chipset.slug == chipset, Chipset.name == chipset))
            )
        )
    if vtd:
        stmt = stmt.where(Board.vtd_status == vtd)
    if iommu:
        stmt = stmt.where(
            Board.chipset_id.in_(select(Chipset.id).where(Chipset.iommu_support == iommu))
        )
    if q:
        norm = normalize_name(q)
        stmt = stmt.where(
            or_(
                _like(Board.model, q),
                _like(Board.slug, q),
                Board.id.in_(select(BoardAlias.board_id).where(_like(BoardAlias.normalized, norm))),
            )
        )
    return stmt.order_by(Board.model, Board.id)


def note_select(
    *,
    kind: str | None = None,
    capability: str | None = None,
    severity: str | None = None,
    chipset: str | None = None,
    board: str | None = None,
    cpu: str | None = None,
    q: str | None = None,
) -> Select[Note]:
    stmt = select(Note)
    if kind:
        stmt = stmt.where(Note.kind == kind)
    if capability:
        stmt = stmt.where(Note.capability == capability)
    if severity:
        stmt = stmt.where(Note.severity == severity)
    if chipset:
        stmt = stmt.where(Note.chipset_id.in_(select(Chipset.id).where(Chipset.slug == chipset)))
    if board:
        stmt = stmt.where(
            or_(
                Note.board_id.in_(select(Board.id).where(Board.slug == board)),
                Note.bios_release_id.in_(
                    select(BiosRelease.id).join(Board).where(Board.slug == board)
                ),
            )
        )
    if cpu:
        stmt = stmt.where(Note.cpu_id.in_(select(Cpu.id).where(Cpu.slug == cpu)))
    if q:
        stmt = stmt.where(or_(_like(Note.text, q), _like(Note.slug, q)))
    return stmt.order_by(Note.slug, Note.id)


def unverified_select(kind: str | None = None) -> Select[UnverifiedHardware]:
    """Hardware seen in probes but absent from the catalogue, most-reported first."""
    stmt = select(UnverifiedHardware)
    if kind:
        stmt = stmt.where(UnverifiedHardware.kind == kind)
    return stmt.order_by(UnverifiedHardware.probe_count.desc(), UnverifiedHardware.id)


_SUBJECT_COLUMNS = {
    Vendor: Citation.vendor_id,
    Chipset: Citation.chipset_id,
    Cpu: Citation.cpu_id,
    Board: Citation.board_id,
    BiosRelease: Citation.bios_release_id,
    Note: Citation.note_id,
}

_NOTE_COLUMNS = {
    Chipset: Note.chipset_id,
    Cpu: Note.cpu_id,
    Board: Note.board_id,
    BiosRelease: Note.bios_release_id,
}


def citations_for(
    session: Session, model: type[Any], ids: Sequence[int]
) -> dict[int, list[Citation]]:
    """All citations of many rows in one query, grouped by row id."""
    column = _SUBJECT_COLUMNS[model]
    out: dict[int, list[Citation]] = {i: [] for i in ids}
    if not ids:
        return out
    for c in session.scalars(select(Citation).where(column.in_(ids)).order_by(Citation.id)):
        out[getattr(c, column.key)].append(c)
    return out


def notes_for(session: Session, model: type[Any], ids: Sequence[int]) -> dict[int, list[Note]]:
    column = _NOTE_COLUMNS[model]
    out: dict[int, list[Note]] = {i: [] for i in ids}
    if not ids:
        return out
    for n in session.scalars(select(Note).where(column.in_(ids)).order_by(Note.slug)):
        out[getattr(n, column.key)].append(n)
    return out


class Blocker(NamedTuple):
    """Rows that keep another from being deleted (a RESTRICT foreign key), for a 409."""

    label: str  # how the 409 names one of them: "board"
    name: InstrumentedAttribute[Any]  # the column that names it: Board.slug
    ref: InstrumentedAttribute[Any]  # its foreign key to the row being deleted: Board.chipset_id


def blockers(session: Session, obj: Any, refs: Sequence[Blocker]) -> list[str]:
    """Up to 20 rows per ``refs`` entry that reference ``obj``, named for a 409."""
    found: list[str] = []
    for label, name, ref in refs:
        rows = session.scalars(select(name).where(ref == obj.id).limit(20)).all()
        found.extend(f"{label} {r}" for r in rows)
    return found


def delete(session: Session, obj: Any, refs: Sequence[Blocker] = ()) -> None:
    """Delete ``obj`` unless a row in ``refs`` still references it (``ReferencedError``)."""
    found = blockers(session, obj, refs)
    if found:
        raise ReferencedError(found)
    session.delete(obj)
    bump_version(session)


def bump_version(session: Session, *, spec: bool = True) -> None:
    """Every catalogue write calls this in its transaction (see engine cache).

    ``spec=False`` for writes that only move evidence tallies (probes, their reprocessing and
    the stats rebuild): the version and stamp still move, so every cache keyed by them sees
    the new tallies, but the spec stamp stays and the snapshot keeps its catalogue part.
    """
    stamp = secrets.token_hex(8)
    values: dict[str, Any] = {"version": CatalogState.version + 1, "stamp": stamp}
    if spec:
        values["spec_stamp"] = stamp
    updated = session.execute(update(CatalogState).where(CatalogState.id == 1).values(**values))
    if getattr(updated, "rowcount", 0) == 0:
        session.add(CatalogState(id=1, version=2, stamp=stamp, spec_stamp=stamp))
    session.flush()


def catalog_version(session: Session) -> int:
    return session.scalar(select(CatalogState.version).where(CatalogState.id == 1)) or 1


def catalog_state(session: Session) -> tuple[int, str, str]:
    """(version, stamp, spec_stamp) of the catalogue as this session sees it."""
    row = session.execute(
        select(CatalogState.version, CatalogState.stamp, CatalogState.spec_stamp).where(
            CatalogState.id == 1
        )
    ).first()
    return (row[0], row[1], row[2]) if row is not None else (1, "", "")


def set_fields(obj: Any, data: Mapping[str, Any], allowed: Sequence[str]) -> None:
    for key in allowed:
        if key in data:
            setattr(obj, key, data[key])


# -- writes -----------------------------------------------------------------------------------


class InvalidReference(ValueError):
    """A write names a vendor, chipset or source that does not exist (a 422 field error)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _vendor(session: Session, key: str) -> Vendor:
    try:
        return get_one(session, Vendor, key)
    except NotFound:
        raise InvalidReference("vendor", f"unknown vendor {key!r}") from None


def _chipset(session: Session, key: str | None) -> Chipset | None:
    if key is None:
        return None
    try:
        return get_one(session, Chipset, key)
    except NotFound:
        raise InvalidReference("chipset", f"unknown chipset {key!r}") from None


def add_citations(session: Session, subject: Any, cites: Sequence[Mapping[str, Any]]) -> None:
    column = _SUBJECT_COLUMNS[type(subject)]
    for i, cite in enumerate(cites):
        src = session.scalars(select(Source).where(Source.slug == cite["source"])).one_or_none()
        if src is None:
            raise InvalidReference(f"sources.{i}.source", f"unknown source {cite['source']!r}")
        citation = Citation(
            source_id=src.id,
            confidence=cite["confidence"],
            field=cite.get("field"),
            claim=cite.get("claim"),
        )
        setattr(citation, column.key, subject.id)
        session.add(citation)


def create_vendor(session: Session, data: Mapping[str, Any]) -> Vendor:
    obj = Vendor(slug=data["slug"], name=data["name"], aliases=list(data.get("aliases", [])))
    session.add(obj)
    session.flush()
    add_citations(session, obj, data.get("sources", []))
    bump_version(session)
    return obj


def create_source(session: Session, data: Mapping[str, Any]) -> Source:
    obj = Source(**{k: data.get(k) for k in ("slug", "title", "url", "document_id", "published")})
    obj.kind = data.get("kind") or "other"
    session.add(obj)
    bump_version(session)
    return obj


def _set_pci_ids(obj: Chipset, pci_ids: Sequence[Mapping[str, Any]]) -> None:
    obj.pci_ids = [
        ChipsetPciId(pci_id=p["pci_id"].lower(), role=p["role"], label=p.get("label"))
        for p in pci_ids
    ]


_CHIPSET_FIELDS = ("name", "family", "iommu_support", "iommu_kind", "iommu_location")


def create_chipset(session: Session, data: Mapping[str, Any]) -> Chipset:
    obj = Chipset(slug=data["slug"], vendor=_vendor(session, data["vendor"]))
    set_fields(obj, data, _CHIPSET_FIELDS)
    _set_pci_ids(obj, data.get("pci_ids", []))
    session.add(obj)
    session.flush()
    add_citations(session, obj, data["sources"])
    bump_version(session)
    return obj


def update_chipset(session: Session, obj: Chipset, data: Mapping[str, Any]) -> Chipset:
    set_fields(obj, data, _CHIPSET_FIELDS)
    if "pci_ids" in data:
        _set_pci_ids(obj, data["pci_ids"])
    bump_version(session)
    return obj


_CPU_FIELDS = (
    "brand",
    "family",
    "model",
    "microarchitecture",
    "vtx",
    "vtd",
    "slat",
    "slat_kind",
    "iommu_in_cpu",
)


def create_cpu(session: Session, data: Mapping[str, Any]) -> Cpu:
    obj = Cpu(slug=data["slug"], vendor=_vendor(session, data["vendor"]))
    set_fields(obj, data, _CPU_FIELDS)
    session.add(obj)
    session.flush()
    add_citations(session, obj, data["sources"])
    bump_version(session)
    return obj


def _set_aliases(obj: Board, aliases: Sequence[Mapping[str, Any]]) -> None:
    seen: set[tuple[str, str]] = set()
    result = []
    for a in aliases:
        key = (a["kind"], normalize_name(f"{a.get('vendor') or ''} {a['name']}"))
        if key in seen:
            continue
        seen.add(key)
        result.append(
            BoardAlias(kind=a["kind"], vendor=a.get("vendor"), name=a["name"], normalized=key[1])
        )
    obj.aliases = result


def create_board(session: Session, data: Mapping[str, Any]) -> Board:
    obj = Board(slug=data["slug"], model=data["model"], vendor=_vendor(session, data["vendor"]))
    obj.chipset = _chipset(session, data.get("chipset"))
    obj.vtd_status = data.get("vtd_status") or "unknown"
    _set_aliases(obj, data.get("aliases", []))
    session.add(obj)
    session.flush()
    add_citations(session, obj, data["sources"])
    bump_version(session)
    return obj


def update_board(session: Session, obj: Board, data: Mapping[str, Any]) -> Board:
    set_fields(obj, data, ("model", "vtd_status"))
    if "chipset" in data:
        obj.chipset = _chipset(session, data["chipset"])
    if "aliases" in data:
        _set_aliases(obj, data["aliases"])
    bump_version(session)
    return obj


_NOTE_FIELDS = ("kind", "severity", "capability", "text", "min_bios_version")


def create_note(session: Session, data: Mapping[str, Any]) -> Note:
    subject = data["subject"]
    obj = Note(slug=data["slug"])
    set_fields(obj, data, _NOTE_FIELDS)
    try:
        if "bios" in subject and "board" in subject:
            board = get_one(session, Board, str(subject["board"]))
            release = session.scalars(
                select(BiosRelease).where(
                    BiosRelease.board_id == board.id, BiosRelease.version == str(subject["bios"])
                )
            ).one_or_none()
            if release is None:
                raise NotFound(f"bios {subject['bios']!r} of board {subject['board']!r}")
            obj.bios_release_id = release.id
        elif len(subject) == 1 and "board" in subject:
            obj.board_id = get_one(session, Board, str(subject["board"])).id
        elif len(subject) == 1 and "chipset" in subject:
            obj.chipset_id = get_one(session, Chipset, str(subject["chipset"])).id
        elif len(subject) == 1 and "cpu" in subject:
            obj.cpu_id = get_one(session, Cpu, str(subject["cpu"])).id
        else:
            raise InvalidReference(
                "subject", "give exactly one of chipset, board, cpu (or board + bios)"
            )
    except NotFound as exc:
        raise InvalidReference("subject", str(exc)) from None
    session.add(obj)
    session.flush()
    add_citations(session, obj, data["sources"])
    bump_version(session)
    return obj


def update_simple(
    session: Session, obj: Any, data: Mapping[str, Any], allowed: Sequence[str]
) -> Any:
    set_fields(obj, data, allowed)
    bump_version(session)
    return obj


CPU_FIELDS = _CPU_FIELDS
NOTE_FIELDS = _NOTE_FIELDS
SOURCE_FIELDS = ("title", "url", "document_id", "published", "kind")
VENDOR_FIELDS = ("name", "aliases")

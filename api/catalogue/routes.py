"""Catalogue endpoints: vendors, sources, chipsets, cpus, boards, notes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from api.auth import require_scope
from api.catalogue import schemas as s
from api.catalogue import serialize as ser
from api.compat.routes import invalidate_snapshot
from api.db import db
from api.errors import Problem
from api.listing import paginate
from virtcompat import catalog
from virtcompat.evidence import board_evidence
from virtcompat.models import Board, Chipset, Cpu, Note, Source, Vendor

blp = Blueprint(
    "catalogue",
    __name__,
    url_prefix="/api/v1",
    description="The hardware catalogue: vendors, chipsets, CPUs, boards, BIOS notes, sources.",
)

WRITE = "catalog:write"


def _get(model: type[Any], key: str) -> Any:
    try:
        return catalog.get_one(db(), model, key)
    except catalog.NotFound as exc:
        raise Problem(404, str(exc)) from None


def _commit() -> None:
    try:
        db().commit()
    except IntegrityError as exc:
        db().rollback()
        raise Problem(
            409, "The write conflicts with an existing row (a slug or name is already taken)."
        ) from exc
    # This worker sees its own write at once; others within VIRTCOMPAT_CATALOG_TTL_MS.
    invalidate_snapshot()


def _write(fn: Callable[[], Any]) -> Any:
    try:
        obj = fn()
        db().flush()
    except catalog.InvalidReference as exc:
        db().rollback()
        raise Problem(
            422,
            str(exc),
            title="Invalid request",
            errors=[{"field": f"json.{exc.field}", "message": str(exc)}],
        ) from None
    except IntegrityError as exc:
        db().rollback()
        raise Problem(
            409, "The write conflicts with an existing row (a slug or name is already taken)."
        ) from exc
    _commit()
    return obj


def _delete(obj: Any) -> None:
    try:
        catalog.delete(db(), obj)
    except catalog.ReferencedError as exc:
        db().rollback()
        raise Problem(
            409,
            f"Cannot delete: still referenced by {', '.join(exc.blockers)}.",
            blockers=exc.blockers,
        ) from None
    _commit()


def _one(dump: Callable[..., list[dict[str, Any]]], obj: Any, **kw: Any) -> dict[str, Any]:
    return dump(db(), [obj], **kw)[0]


def _detail(dump: Callable[..., list[dict[str, Any]]]) -> Callable[[Sequence[Any]], Any]:
    return lambda rows: dump(db(), rows)


# -- vendors ---------------------------------------------------------------------------------


@blp.route("/catalogue/coverage")
class CoverageView(MethodView):
    @blp.response(200, s.CoverageSchema)
    def get(self) -> dict[str, Any]:
        """What the catalogue covers: CPUs by vendor x microarchitecture x confidence, the
        newest part per vendor, boards and chipsets, and each imported source with its date."""
        from virtcompat.catalogue.coverage import coverage

        return coverage(db())


@blp.route("/vendors")
class Vendors(MethodView):
    @blp.arguments(s.VendorQueryArgsSchema, location="query")
    @blp.response(200, s.VendorPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List vendors"""
        stmt = catalog.vendor_select(args.get("q"))
        return paginate(stmt, args["page"], args["per_page"], _detail(ser.vendors))

    @require_scope(WRITE)
    @blp.arguments(s.VendorCreateSchema)
    @blp.response(201, s.VendorSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a vendor (scope catalog:write)"""
        return _one(ser.vendors, _write(lambda: catalog.create_vendor(db(), data)))


@blp.route("/vendors/<key>")
class VendorItem(MethodView):
    @blp.response(200, s.VendorSchema)
    def get(self, key: str) -> Any:
        """Get a vendor by id or slug"""
        return _one(ser.vendors, _get(Vendor, key))

    @require_scope(WRITE)
    @blp.arguments(s.VendorUpdateSchema)
    @blp.response(200, s.VendorSchema)
    def patch(self, data: dict[str, Any], key: str) -> Any:
        """Update a vendor (scope catalog:write)"""
        obj = _get(Vendor, key)
        _write(lambda: catalog.update_simple(db(), obj, data, catalog.VENDOR_FIELDS))
        return _one(ser.vendors, obj)

    @require_scope(WRITE)
    @blp.response(204)
    def delete(self, key: str) -> None:
        """Delete a vendor; 409 while chipsets, CPUs or boards reference it"""
        _delete(_get(Vendor, key))


# -- sources ---------------------------------------------------------------------------------


@blp.route("/sources")
class Sources(MethodView):
    @blp.arguments(s.SourceQueryArgsSchema, location="query")
    @blp.response(200, s.SourcePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List sources"""
        stmt = catalog.source_select(args.get("q"), args.get("kind"))
        return paginate(stmt, args["page"], args["per_page"], _detail(ser.sources))

    @require_scope(WRITE)
    @blp.arguments(s.SourceCreateSchema)
    @blp.response(201, s.SourceSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a source (scope catalog:write)"""
        return ser.source(_write(lambda: catalog.create_source(db(), data)))


@blp.route("/sources/<key>")
class SourceItem(MethodView):
    @blp.response(200, s.SourceSchema)
    def get(self, key: str) -> Any:
        """Get a source by id or slug"""
        return ser.source(_get(Source, key))

    @require_scope(WRITE)
    @blp.arguments(s.SourceUpdateSchema)
    @blp.response(200, s.SourceSchema)
    def patch(self, data: dict[str, Any], key: str) -> Any:
        """Update a source (scope catalog:write)"""
        obj = _get(Source, key)
        _write(lambda: catalog.update_simple(db(), obj, data, catalog.SOURCE_FIELDS))
        return ser.source(obj)

    @require_scope(WRITE)
    @blp.response(204)
    def delete(self, key: str) -> None:
        """Delete a source; 409 while any fact cites it"""
        _delete(_get(Source, key))


# -- chipsets --------------------------------------------------------------------------------


@blp.route("/chipsets")
class Chipsets(MethodView):
    @blp.arguments(s.ChipsetQueryArgsSchema, location="query")
    @blp.response(200, s.ChipsetPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List chipsets (filters: vendor, iommu, pci_id, q)"""
        stmt = catalog.chipset_select(
            vendor=args.get("vendor"),
            iommu=args.get("iommu"),
            pci_id=args.get("pci_id"),
            q=args.get("q"),
        )
        return paginate(stmt, args["page"], args["per_page"], _detail(ser.chipsets))

    @require_scope(WRITE)
    @blp.arguments(s.ChipsetCreateSchema)
    @blp.response(201, s.ChipsetSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a chipset (scope catalog:write)"""
        return _one(ser.chipsets, _write(lambda: catalog.create_chipset(db(), data)), detail=True)


@blp.route("/chipsets/<key>")
class ChipsetItem(MethodView):
    @blp.response(200, s.ChipsetSchema)
    def get(self, key: str) -> Any:
        """Get a chipset by id or slug, with notes and sources"""
        return _one(ser.chipsets, _get(Chipset, key), detail=True)

    @require_scope(WRITE)
    @blp.arguments(s.ChipsetUpdateSchema)
    @blp.response(200, s.ChipsetSchema)
    def patch(self, data: dict[str, Any], key: str) -> Any:
        """Update a chipset (scope catalog:write)"""
        obj = _get(Chipset, key)
        _write(lambda: catalog.update_chipset(db(), obj, data))
        return _one(ser.chipsets, obj, detail=True)

    @require_scope(WRITE)
    @blp.response(204)
    def delete(self, key: str) -> None:
        """Delete a chipset; 409 while boards reference it"""
        _delete(_get(Chipset, key))


# -- cpus ------------------------------------------------------------------------------------


@blp.route("/cpus")
class Cpus(MethodView):
    @blp.arguments(s.CpuQueryArgsSchema, location="query")
    @blp.response(200, s.CpuPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List CPU models (filters: vendor, vtx, vtd, slat, q)"""
        stmt = catalog.cpu_select(
            vendor=args.get("vendor"),
            vtx=args.get("vtx"),
            vtd=args.get("vtd"),
            slat=args.get("slat"),
            q=args.get("q"),
        )
        return paginate(stmt, args["page"], args["per_page"], _detail(ser.cpus))

    @require_scope(WRITE)
    @blp.arguments(s.CpuCreateSchema)
    @blp.response(201, s.CpuSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a CPU model (scope catalog:write)"""
        return _one(ser.cpus, _write(lambda: catalog.create_cpu(db(), data)), detail=True)


@blp.route("/cpus/<key>")
class CpuItem(MethodView):
    @blp.response(200, s.CpuSchema)
    def get(self, key: str) -> Any:
        """Get a CPU model by id or slug, with steppings, notes and sources"""
        return _one(ser.cpus, _get(Cpu, key), detail=True)

    @require_scope(WRITE)
    @blp.arguments(s.CpuUpdateSchema)
    @blp.response(200, s.CpuSchema)
    def patch(self, data: dict[str, Any], key: str) -> Any:
        """Update a CPU model (scope catalog:write)"""
        obj = _get(Cpu, key)
        _write(lambda: catalog.update_simple(db(), obj, data, catalog.CPU_FIELDS))
        return _one(ser.cpus, obj, detail=True)

    @require_scope(WRITE)
    @blp.response(204)
    def delete(self, key: str) -> None:
        """Delete a CPU model"""
        _delete(_get(Cpu, key))


# -- boards ----------------------------------------------------------------------------------


@blp.route("/boards")
class Boards(MethodView):
    @blp.arguments(s.BoardQueryArgsSchema, location="query")
    @blp.response(200, s.BoardPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List motherboards (filters: vendor, chipset, vtd, iommu, q over names and DMI aliases)"""
        stmt = catalog.board_select(
            vendor=args.get("vendor"),
            chipset=args.get("chipset"),
            vtd=args.get("vtd"),
            iommu=args.get("iommu"),
            q=args.get("q"),
        )
        return paginate(stmt, args["page"], args["per_page"], _detail(ser.boards))

    @require_scope(WRITE)
    @blp.arguments(s.BoardCreateSchema)
    @blp.response(201, s.BoardSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a motherboard (scope catalog:write)"""
        return _one(ser.boards, _write(lambda: catalog.create_board(db(), data)), detail=True)


@blp.route("/boards/<key>")
class BoardItem(MethodView):
    @blp.response(200, s.BoardSchema)
    def get(self, key: str) -> Any:
        """Get a motherboard with its chipset, BIOS releases, notes, sources and probe evidence"""
        board = _get(Board, key)
        return _one(ser.boards, board, detail=True, evidence=board_evidence(db(), board.id))

    @require_scope(WRITE)
    @blp.arguments(s.BoardUpdateSchema)
    @blp.response(200, s.BoardSchema)
    def patch(self, data: dict[str, Any], key: str) -> Any:
        """Update a motherboard (scope catalog:write)"""
        obj = _get(Board, key)
        _write(lambda: catalog.update_board(db(), obj, data))
        return _one(ser.boards, obj, detail=True)

    @require_scope(WRITE)
    @blp.response(204)
    def delete(self, key: str) -> None:
        """Delete a motherboard with its BIOS releases and notes"""
        _delete(_get(Board, key))


# -- notes -----------------------------------------------------------------------------------


@blp.route("/notes")
class Notes(MethodView):
    @blp.arguments(s.NoteQueryArgsSchema, location="query")
    @blp.response(200, s.NotePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List notes: traps, errata, requirements, tips, conflicts, qualifications"""
        stmt = catalog.note_select(
            kind=args.get("kind"),
            capability=args.get("capability"),
            severity=args.get("severity"),
            chipset=args.get("chipset"),
            board=args.get("board"),
            cpu=args.get("cpu"),
            q=args.get("q"),
        )
        return paginate(stmt, args["page"], args["per_page"], _detail(ser.notes))

    @require_scope(WRITE)
    @blp.arguments(s.NoteCreateSchema)
    @blp.response(201, s.NoteSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a note on a chipset, board, BIOS release or CPU (scope catalog:write)"""
        return _one(ser.notes, _write(lambda: catalog.create_note(db(), data)))


@blp.route("/notes/<key>")
class NoteItem(MethodView):
    @blp.response(200, s.NoteSchema)
    def get(self, key: str) -> Any:
        """Get a note by id or slug"""
        return _one(ser.notes, _get(Note, key))

    @require_scope(WRITE)
    @blp.arguments(s.NoteUpdateSchema)
    @blp.response(200, s.NoteSchema)
    def patch(self, data: dict[str, Any], key: str) -> Any:
        """Update a note (scope catalog:write)"""
        obj = _get(Note, key)
        _write(lambda: catalog.update_simple(db(), obj, data, catalog.NOTE_FIELDS))
        return _one(ser.notes, obj)

    @require_scope(WRITE)
    @blp.response(204)
    def delete(self, key: str) -> None:
        """Delete a note"""
        _delete(_get(Note, key))


# -- unverified hardware --------------------------------------------------------------------


@blp.route("/unverified-hardware")
class UnverifiedHardwareList(MethodView):
    @require_scope(WRITE)
    @blp.arguments(s.UnverifiedQueryArgsSchema, location="query")
    @blp.response(200, s.UnverifiedPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Boards, CPUs and chipsets seen in probes but not in the catalogue (for curators)"""
        stmt = catalog.unverified_select(args.get("kind"))
        return paginate(stmt, args["page"], args["per_page"], _detail(ser.unverified))

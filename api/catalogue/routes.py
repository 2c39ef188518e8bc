"""Catalogue endpoints: vendors, sources, chipsets, cpus, boards, notes.

Each resource is one ``Resource`` definition (api/catalogue/resource.py builds its views);
the coverage report and the curators' list of unverified hardware are views of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from api.auth import require_scope
from api.catalogue import schemas as s
from api.catalogue import serialize as ser
from api.catalogue.resource import WRITE, Docs, Resource, register, update_fields
from api.db import db
from api.listing import paginate
from virtcompat import catalog
from virtcompat.catalog import Blocker
from virtcompat.evidence import board_evidence
from virtcompat.models import Board, Chipset, Citation, Cpu, Note, Source, Vendor

blp = Blueprint(
    "catalogue",
    __name__,
    url_prefix="/api/v1",
    description="The hardware catalogue: vendors, chipsets, CPUs, boards, BIOS notes, sources.",
)


@blp.route("/catalogue/coverage")
class CoverageView(MethodView):
    @blp.response(200, s.CoverageSchema)
    def get(self) -> dict[str, Any]:
        """What the catalogue covers: CPUs by vendor x microarchitecture x confidence, the
        newest part per vendor, boards and chipsets, and each imported source with its date."""
        from virtcompat.catalogue.coverage import coverage

        return coverage(db())


def _board_evidence(session: Session, board: Board) -> Mapping[str, Any]:
    return {"evidence": board_evidence(session, board.id)}


RESOURCES = (
    Resource(
        path="/vendors",
        views=("Vendors", "VendorItem"),
        model=Vendor,
        query_schema=s.VendorQueryArgsSchema,
        page_schema=s.VendorPageSchema,
        create_schema=s.VendorCreateSchema,
        update_schema=s.VendorUpdateSchema,
        schema=s.VendorSchema,
        select=catalog.vendor_select,
        filters=("q",),
        create=catalog.create_vendor,
        update=update_fields(catalog.VENDOR_FIELDS),
        dump=ser.vendors,
        blockers=(
            Blocker("chipset", Chipset.slug, Chipset.vendor_id),
            Blocker("cpu", Cpu.slug, Cpu.vendor_id),
            Blocker("board", Board.slug, Board.vendor_id),
        ),
        docs=Docs(
            list="List vendors",
            create="Create a vendor (scope catalog:write)",
            get="Get a vendor by id or slug",
            update="Update a vendor (scope catalog:write)",
            delete="Delete a vendor; 409 while chipsets, CPUs or boards reference it",
        ),
    ),
    Resource(
        path="/sources",
        views=("Sources", "SourceItem"),
        model=Source,
        query_schema=s.SourceQueryArgsSchema,
        page_schema=s.SourcePageSchema,
        create_schema=s.SourceCreateSchema,
        update_schema=s.SourceUpdateSchema,
        schema=s.SourceSchema,
        select=catalog.source_select,
        filters=("q", "kind"),
        create=catalog.create_source,
        update=update_fields(catalog.SOURCE_FIELDS),
        dump=ser.sources,
        blockers=(Blocker("citation", Citation.id, Citation.source_id),),
        docs=Docs(
            list="List sources",
            create="Create a source (scope catalog:write)",
            get="Get a source by id or slug",
            update="Update a source (scope catalog:write)",
            delete="Delete a source; 409 while any fact cites it",
        ),
    ),
    Resource(
        path="/chipsets",
        views=("Chipsets", "ChipsetItem"),
        model=Chipset,
        query_schema=s.ChipsetQueryArgsSchema,
        page_schema=s.ChipsetPageSchema,
        create_schema=s.ChipsetCreateSchema,
        update_schema=s.ChipsetUpdateSchema,
        schema=s.ChipsetSchema,
        select=catalog.chipset_select,
        filters=("vendor", "iommu", "pci_id", "q"),
        create=catalog.create_chipset,
        update=catalog.update_chipset,
        dump=ser.chipsets,
        detail=True,
        blockers=(Blocker("board", Board.slug, Board.chipset_id),),
        docs=Docs(
            list="List chipsets (filters: vendor, iommu, pci_id, q)",
            create="Create a chipset (scope catalog:write)",
            get="Get a chipset by id or slug, with notes and sources",
            update="Update a chipset (scope catalog:write)",
            delete="Delete a chipset; 409 while boards reference it",
        ),
    ),
    Resource(
        path="/cpus",
        views=("Cpus", "CpuItem"),
        model=Cpu,
        query_schema=s.CpuQueryArgsSchema,
        page_schema=s.CpuPageSchema,
        create_schema=s.CpuCreateSchema,
        update_schema=s.CpuUpdateSchema,
        schema=s.CpuSchema,
        select=catalog.cpu_select,
        filters=("vendor", "vtx", "vtd", "slat", "q"),
        create=catalog.create_cpu,
        update=update_fields(catalog.CPU_FIELDS),
        dump=ser.cpus,
        detail=True,
        docs=Docs(
            list="List CPU models (filters: vendor, vtx, vtd, slat, q)",
            create="Create a CPU model (scope catalog:write)",
            get="Get a CPU model by id or slug, with steppings, notes and sources",
            update="Update a CPU model (scope catalog:write)",
            delete="Delete a CPU model",
        ),
    ),
    Resource(
        path="/boards",
        views=("Boards", "BoardItem"),
        model=Board,
        query_schema=s.BoardQueryArgsSchema,
        page_schema=s.BoardPageSchema,
        create_schema=s.BoardCreateSchema,
        update_schema=s.BoardUpdateSchema,
        schema=s.BoardSchema,
        select=catalog.board_select,
        filters=("vendor", "chipset", "vtd", "iommu", "q"),
        create=catalog.create_board,
        update=catalog.update_board,
        dump=ser.boards,
        detail=True,
        get_extra=_board_evidence,
        docs=Docs(
            list=(
                "List motherboards (filters: vendor, chipset, vtd, iommu, q over names and"
                " DMI aliases)"
            ),
            create="Create a motherboard (scope catalog:write)",
            get=(
                "Get a motherboard with its chipset, BIOS releases, notes, sources and probe"
                " evidence"
            ),
            update="Update a motherboard (scope catalog:write)",
            delete="Delete a motherboard with its BIOS releases and notes",
        ),
    ),
    Resource(
        path="/notes",
        views=("Notes", "NoteItem"),
        model=Note,
        query_schema=s.NoteQueryArgsSchema,
        page_schema=s.NotePageSchema,
        create_schema=s.NoteCreateSchema,
        update_schema=s.NoteUpdateSchema,
        schema=s.NoteSchema,
        select=catalog.note_select,
        filters=("kind", "capability", "severity", "chipset", "board", "cpu", "q"),
        create=catalog.create_note,
        update=update_fields(catalog.NOTE_FIELDS),
        dump=ser.notes,
        docs=Docs(
            list="List notes: traps, errata, requirements, tips, conflicts, qualifications",
            create="Create a note on a chipset, board, BIOS release or CPU (scope catalog:write)",
            get="Get a note by id or slug",
            update="Update a note (scope catalog:write)",
            delete="Delete a note",
        ),
    ),
)

for resource in RESOURCES:
    register(blp, resource)


@blp.route("/unverified-hardware")
class UnverifiedHardwareList(MethodView):
    @require_scope(WRITE)
    @blp.arguments(s.UnverifiedQueryArgsSchema, location="query")
    @blp.response(200, s.UnverifiedPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Boards, CPUs and chipsets seen in probes but not in the catalogue (for curators)"""
        stmt = catalog.unverified_select(args.get("kind"))
        return paginate(
            stmt, args["page"], args["per_page"], lambda rows: ser.unverified(db(), rows)
        )

"""Catalogue schemas: ``<Thing>Schema`` out, ``<Thing>CreateSchema``/``UpdateSchema`` in,
``<Thing>QueryArgsSchema`` for filters."""

from __future__ import annotations

from enum import StrEnum

from marshmallow import Schema, fields, validate

from api.schemas_common import PageArgsSchema, PageSchema
from virtcompat.models import (
    Confidence,
    IommuKind,
    IommuLocation,
    IommuSupport,
    NoteKind,
    NoteSeverity,
    PciRole,
    SlatKind,
    Tri,
)

# A slug must contain a letter: an all-digit slug would be read as an id in /{id-or-slug}.
SLUG = validate.Regexp(
    r"^(?=[a-z0-9-]*[a-z])[a-z0-9][a-z0-9-]{0,99}$",
    error="lowercase letters, digits and '-', with at least one letter",
)
PCI_ID = validate.Regexp(r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$", error="must look like 8086:2e10")
TRI = [t.value for t in Tri]
VTD_STATUS = ["works", "absent", "broken", "unknown"]


def _choice(enum: type[StrEnum]) -> validate.OneOf:
    return validate.OneOf([m.value for m in enum])


class RefSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()


class SourceSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    url = fields.String(allow_none=True)
    document_id = fields.String(allow_none=True)
    published = fields.String(allow_none=True)
    kind = fields.String()


class SourceRefSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    url = fields.String(allow_none=True)
    document_id = fields.String(allow_none=True)


class CitationSchema(Schema):
    source = fields.Nested(SourceRefSchema)
    confidence = fields.String()
    field = fields.String(allow_none=True)
    claim = fields.String(allow_none=True)


class NoteSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    kind = fields.String()
    severity = fields.String()
    capability = fields.String(allow_none=True)
    text = fields.String()
    min_bios_version = fields.String(allow_none=True)
    subject = fields.Dict()
    sources = fields.List(fields.Nested(CitationSchema))


class VendorSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    aliases = fields.List(fields.String())


class PciIdSchema(Schema):
    pci_id = fields.String()
    role = fields.String()
    label = fields.String(allow_none=True)


class IommuSchema(Schema):
    support = fields.String()
    kind = fields.String()
    location = fields.String()


class ChipsetSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    vendor = fields.Nested(RefSchema)
    family = fields.String(allow_none=True)
    iommu = fields.Nested(IommuSchema)
    pci_ids = fields.List(fields.Nested(PciIdSchema))
    notes = fields.List(fields.Nested(NoteSchema))
    sources = fields.List(fields.Nested(CitationSchema))


class SteppingSchema(Schema):
    name = fields.String()
    cpuid_stepping = fields.Integer(allow_none=True)
    vtx = fields.String()


class CpuSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    brand = fields.String()
    vendor = fields.Nested(RefSchema)
    family = fields.Integer(allow_none=True)
    model = fields.Integer(allow_none=True)
    microarchitecture = fields.String(allow_none=True)
    processor_number = fields.String(allow_none=True)
    code_name = fields.String(allow_none=True)
    microarch = fields.String(
        allow_none=True, metadata={"description": "canonical microarchitecture slug"}
    )
    stepping = fields.Integer(allow_none=True)
    launch_year = fields.Integer(allow_none=True)
    launch_quarter = fields.String(allow_none=True, metadata={"example": "Q1'22"})
    segment = fields.String(allow_none=True)
    socket = fields.String(allow_none=True)
    isa = fields.String(metadata={"description": "x86, or ia64 for Itanium (VT-i)"})
    curated = fields.Boolean(metadata={"description": "false for rows created by a bulk importer"})
    vtx = fields.String()
    vtd = fields.String()
    slat = fields.String()
    slat_kind = fields.String()
    iommu_in_cpu = fields.Boolean()
    steppings = fields.List(fields.Nested(SteppingSchema))
    notes = fields.List(fields.Nested(NoteSchema))
    sources = fields.List(fields.Nested(CitationSchema))


class AliasSchema(Schema):
    kind = fields.String()
    vendor = fields.String(allow_none=True)
    name = fields.String()


class BiosReleaseSchema(Schema):
    id = fields.Integer()
    version = fields.String()
    released = fields.Date(allow_none=True)
    vtx_option = fields.String()
    vtd_option = fields.String()
    vtd_works = fields.String()
    notes = fields.List(fields.Nested(NoteSchema))
    sources = fields.List(fields.Nested(CitationSchema))


class BoardSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    model = fields.String()
    vendor = fields.Nested(RefSchema)
    chipset = fields.Nested(ChipsetSchema, allow_none=True)
    vtd_status = fields.String()
    aliases = fields.List(fields.Nested(AliasSchema))
    bios_releases = fields.List(fields.Nested(BiosReleaseSchema))
    notes = fields.List(fields.Nested(NoteSchema))
    sources = fields.List(fields.Nested(CitationSchema))
    evidence = fields.List(fields.Dict())


def _page_of(item: type[Schema], name: str) -> type[Schema]:
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item))})


VendorPageSchema = _page_of(VendorSchema, "VendorPageSchema")
SourcePageSchema = _page_of(SourceSchema, "SourcePageSchema")
ChipsetPageSchema = _page_of(ChipsetSchema, "ChipsetPageSchema")
CpuPageSchema = _page_of(CpuSchema, "CpuPageSchema")
BoardPageSchema = _page_of(BoardSchema, "BoardPageSchema")
NotePageSchema = _page_of(NoteSchema, "NotePageSchema")


class UnverifiedSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    key = fields.String()
    details = fields.Dict()
    probe_count = fields.Integer()
    first_probe_id = fields.Integer(allow_none=True)


UnverifiedPageSchema = _page_of(UnverifiedSchema, "UnverifiedPageSchema")


class UnverifiedQueryArgsSchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(["board", "cpu", "chipset"]))


# -- filters ---------------------------------------------------------------------------------


class VendorQueryArgsSchema(PageArgsSchema):
    q = fields.String(validate=validate.Length(max=200))


class SourceQueryArgsSchema(PageArgsSchema):
    q = fields.String(validate=validate.Length(max=200))
    kind = fields.String(validate=validate.Length(max=40))


class ChipsetQueryArgsSchema(PageArgsSchema):
    vendor = fields.String(validate=validate.Length(max=100))
    iommu = fields.String(validate=_choice(IommuSupport))
    pci_id = fields.String(validate=PCI_ID)
    q = fields.String(validate=validate.Length(max=200))


class CpuQueryArgsSchema(PageArgsSchema):
    vendor = fields.String(validate=validate.Length(max=100))
    vtx = fields.String(validate=validate.OneOf(TRI))
    vtd = fields.String(validate=validate.OneOf(TRI))
    slat = fields.String(validate=validate.OneOf(TRI))
    q = fields.String(validate=validate.Length(max=200))


class BoardQueryArgsSchema(PageArgsSchema):
    vendor = fields.String(validate=validate.Length(max=100))
    chipset = fields.String(validate=validate.Length(max=100))
    vtd = fields.String(validate=validate.OneOf(VTD_STATUS))
    iommu = fields.String(validate=_choice(IommuSupport))
    q = fields.String(validate=validate.Length(max=200))


class NoteQueryArgsSchema(PageArgsSchema):
    kind = fields.String(validate=_choice(NoteKind))
    capability = fields.String(validate=validate.OneOf(["vtx", "vtd", "slat"]))
    severity = fields.String(validate=_choice(NoteSeverity))
    chipset = fields.String(validate=validate.Length(max=100))
    board = fields.String(validate=validate.Length(max=100))
    cpu = fields.String(validate=validate.Length(max=100))
    q = fields.String(validate=validate.Length(max=200))


# -- writes ----------------------------------------------------------------------------------


class CiteInSchema(Schema):
    source = fields.String(required=True, validate=SLUG)
    confidence = fields.String(required=True, validate=_choice(Confidence))
    field = fields.String(validate=validate.Length(max=50))
    claim = fields.String(validate=validate.Length(max=2000))


def _sources(required: bool) -> fields.List[dict[str, object]]:
    return fields.List(
        fields.Nested(CiteInSchema),
        required=required,
        validate=validate.Length(min=1 if required else 0, max=50),
    )


class VendorCreateSchema(Schema):
    slug = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    aliases = fields.List(fields.String(validate=validate.Length(max=200)), load_default=list)
    sources = _sources(False)


class VendorUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    aliases = fields.List(fields.String(validate=validate.Length(max=200)))


class SourceCreateSchema(Schema):
    slug = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    url = fields.URL(allow_none=True, validate=validate.Length(max=1000))
    document_id = fields.String(allow_none=True, validate=validate.Length(max=200))
    published = fields.String(allow_none=True, validate=validate.Length(max=40))
    kind = fields.String(load_default="other", validate=validate.Length(max=40))


class SourceUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=500))
    url = fields.URL(allow_none=True, validate=validate.Length(max=1000))
    document_id = fields.String(allow_none=True, validate=validate.Length(max=200))
    published = fields.String(allow_none=True, validate=validate.Length(max=40))
    kind = fields.String(validate=validate.Length(max=40))


class PciIdInSchema(Schema):
    pci_id = fields.String(required=True, validate=PCI_ID)
    role = fields.String(required=True, validate=_choice(PciRole))
    label = fields.String(allow_none=True, validate=validate.Length(max=200))


class ChipsetUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    family = fields.String(allow_none=True, validate=validate.Length(max=300))
    iommu_support = fields.String(validate=_choice(IommuSupport))
    iommu_kind = fields.String(validate=_choice(IommuKind))
    iommu_location = fields.String(validate=_choice(IommuLocation))
    pci_ids = fields.List(fields.Nested(PciIdInSchema), validate=validate.Length(max=50))


class ChipsetCreateSchema(ChipsetUpdateSchema):
    slug = fields.String(required=True, validate=SLUG)
    vendor = fields.String(required=True, validate=validate.Length(max=100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    sources = _sources(True)


class CpuUpdateSchema(Schema):
    brand = fields.String(validate=validate.Length(min=1, max=200))
    family = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=4095))
    model = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=4095))
    microarchitecture = fields.String(allow_none=True, validate=validate.Length(max=100))
    vtx = fields.String(validate=validate.OneOf(TRI))
    vtd = fields.String(validate=validate.OneOf(TRI))
    slat = fields.String(validate=validate.OneOf(TRI))
    slat_kind = fields.String(validate=_choice(SlatKind))
    iommu_in_cpu = fields.Boolean()


class CpuCreateSchema(CpuUpdateSchema):
    slug = fields.String(required=True, validate=SLUG)
    vendor = fields.String(required=True, validate=validate.Length(max=100))
    brand = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sources = _sources(True)


class AliasInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["board", "product"]))
    vendor = fields.String(allow_none=True, validate=validate.Length(max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class BoardUpdateSchema(Schema):
    model = fields.String(validate=validate.Length(min=1, max=200))
    chipset = fields.String(allow_none=True, validate=validate.Length(max=100))
    vtd_status = fields.String(validate=validate.OneOf(VTD_STATUS))
    aliases = fields.List(fields.Nested(AliasInSchema), validate=validate.Length(max=50))


class BoardCreateSchema(BoardUpdateSchema):
    slug = fields.String(required=True, validate=SLUG)
    vendor = fields.String(required=True, validate=validate.Length(max=100))
    model = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sources = _sources(True)


class NoteUpdateSchema(Schema):
    kind = fields.String(validate=_choice(NoteKind))
    severity = fields.String(validate=_choice(NoteSeverity))
    capability = fields.String(allow_none=True, validate=validate.OneOf(["vtx", "vtd", "slat"]))
    text = fields.String(validate=validate.Length(min=1, max=10_000))
    min_bios_version = fields.String(allow_none=True, validate=validate.Length(max=100))


class NoteCreateSchema(NoteUpdateSchema):
    slug = fields.String(required=True, validate=SLUG)
    kind = fields.String(required=True, validate=_choice(NoteKind))
    text = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    subject = fields.Dict(
        required=True,
        metadata={
            "description": 'One of {"chipset": slug}, {"board": slug}, {"cpu": slug}, '
            '{"board": slug, "bios": version}'
        },
    )
    sources = _sources(True)


class CoverageCellSchema(Schema):
    vendor = fields.String()
    microarch = fields.String(metadata={"description": "microarchitecture slug, or 'unplaced'"})
    microarch_name = fields.String(allow_none=True)
    first_year = fields.Integer(allow_none=True)
    confidence = fields.String(
        metadata={"description": "best citation for VT-x/VT-d/SLAT; low = inference only"}
    )
    count = fields.Integer()


class CoverageCpusSchema(Schema):
    total = fields.Integer()
    by = fields.List(fields.Nested(CoverageCellSchema))


class CoverageNewestSchema(Schema):
    vendor = fields.String()
    slug = fields.String()
    brand = fields.String()
    launch = fields.String(metadata={"example": "Q1'25"})


class CoverageSourceRowsSchema(Schema):
    added = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()


class CoverageSourceSchema(Schema):
    kind = fields.String(metadata={"description": "the importer: ark, codenames, qubes-hcl…"})
    file = fields.String()
    date = fields.String(allow_none=True, metadata={"description": "the source's own date"})
    sha256 = fields.String()
    imported_at = fields.String(allow_none=True)
    rows = fields.Nested(CoverageSourceRowsSchema)


class CoverageBoardsSchema(Schema):
    total = fields.Integer()
    curated = fields.Integer()
    from_reports = fields.Integer()


class CoverageChipsetsSchema(Schema):
    total = fields.Integer()


class CoverageSchema(Schema):
    cpus = fields.Nested(CoverageCpusSchema)
    newest = fields.List(fields.Nested(CoverageNewestSchema))
    boards = fields.Nested(CoverageBoardsSchema)
    chipsets = fields.Nested(CoverageChipsetsSchema)
    observations = fields.Integer(metadata={"description": "machine-report observations"})
    curated_sources = fields.Integer()
    sources = fields.List(fields.Nested(CoverageSourceSchema))

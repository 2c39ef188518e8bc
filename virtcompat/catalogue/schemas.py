"""The seed files' format: their YAML dialect and one marshmallow schema per file.

Each schema checks one entry on its own (required fields, lengths, enumerations, the
slug and PCI id shapes) and builds the entry's type from ``virtcompat.catalogue.types``.
Rules that need more than one entry (unique slugs, references between files) are
``virtcompat.catalogue.checks``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, fields, post_load, validate

from virtcompat.catalogue.types import (
    AliasSpec,
    BiosSpec,
    BoardSpec,
    ChipsetSpec,
    Cite,
    CpuSpec,
    NoteSpec,
    PciIdSpec,
    SourceSpec,
    SteppingSpec,
    VendorSpec,
)
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

__all__ = ["SCHEMAS", "SEED_FILES", "read_seed_file"]

SOURCE_KINDS = (
    "datasheet",
    "kernel-source",
    "pci-ids",
    "wiki",
    "vendor-doc",
    "review",
    "blog",
    "forum",
    "database",
    "test-suite",
    "other",
)
CAPABILITIES = ("vtx", "vtd", "slat")
BOARD_VTD_STATUSES = ("works", "absent", "broken", "unknown")
ALIAS_KINDS = ("board", "product")

SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
PCI_ID_RE = r"^[0-9a-f]{4}:[0-9a-f]{4}$"

SEED_FILES = ("sources.yaml", "vendors.yaml", "chipsets.yaml", "cpus.yaml", "boards.yaml")


# ---------------------------------------------------------------- the YAML dialect


class _SeedLoader(yaml.SafeLoader):
    """YAML 1.2-ish scalars: only ``true``/``false`` are booleans and dates stay strings.

    PyYAML follows YAML 1.1, where ``yes``/``no``/``on``/``off`` are booleans and
    ``2009-08-03`` is a date; the seed uses ``yes``/``no``/``unknown`` as words.
    """


_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SeedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SeedLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|false|False)$"), list("tTfF")
)


def read_seed_file(path: str | Path) -> Any:
    """Parse one seed file with the seed's YAML rules (``yes``/``no`` stay strings)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_SeedLoader)


# ---------------------------------------------------------------- schemas


def _values(e: Any) -> list[str]:
    return [m.value for m in e]


_SOURCES_REQUIRED = "at least one source is required"


def _slug(max_len: int = 100) -> fields.String:
    return fields.String(
        required=True,
        validate=[validate.Length(min=1, max=max_len), validate.Regexp(SLUG_RE)],
    )


def _text(max_len: int, *, required: bool = True) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_len))
    return fields.String(load_default=None, validate=validate.Length(min=1, max=max_len))


def _choice(choices: Sequence[str], *, required: bool = True) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.OneOf(choices))
    return fields.String(load_default=None, validate=validate.OneOf(choices))


class _StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class CiteSchema(_StrictSchema):
    source = _slug()
    confidence = _choice(_values(Confidence))
    field = _text(50, required=False)
    claim = _text(4000, required=False)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Cite:
        # the loader resolves the source by slug; its title and URL live in sources.yaml
        return Cite(
            source_slug=data["source"],
            title="",
            url=None,
            confidence=data["confidence"],
            field=data["field"],
            claim=data["claim"],
        )


def _cites() -> fields.List[Any]:
    return fields.List(
        fields.Nested(CiteSchema),
        required=True,
        validate=validate.Length(min=1, error=_SOURCES_REQUIRED),
    )


class NoteSchema(_StrictSchema):
    slug = _slug(120)
    kind = _choice(_values(NoteKind))
    severity = _choice(_values(NoteSeverity))
    capability = _choice(CAPABILITIES, required=False)
    text = _text(8000)
    min_bios_version = _text(100, required=False)
    sources = _cites()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> NoteSpec:
        return NoteSpec(
            id=0,
            slug=data["slug"],
            kind=data["kind"],
            severity=data["severity"],
            capability=data["capability"],
            text=data["text"],
            min_bios_version=data["min_bios_version"],
            cites=tuple(data["sources"]),
        )


def _notes() -> fields.List[Any]:
    return fields.List(fields.Nested(NoteSchema), load_default=list)


class SourceSchema(_StrictSchema):
    slug = _slug()
    title = _text(500)
    url = fields.Url(load_default=None, validate=validate.Length(max=1000))
    document_id = _text(200, required=False)
    published = _text(40, required=False)
    kind = _choice(SOURCE_KINDS)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> SourceSpec:
        return SourceSpec(**data)


class VendorSchema(_StrictSchema):
    slug = _slug()
    name = _text(200)
    aliases = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), load_default=list
    )
    sources = _cites()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> VendorSpec:
        return VendorSpec(
            slug=data["slug"],
            name=data["name"],
            aliases=tuple(data["aliases"]),
            cites=tuple(data["sources"]),
        )


class IommuSchema(_StrictSchema):
    support = _choice(_values(IommuSupport))
    kind = _choice(_values(IommuKind))
    location = _choice(_values(IommuLocation))


class PciIdSchema(_StrictSchema):
    id = fields.String(required=True, validate=validate.Regexp(PCI_ID_RE))
    role = _choice(_values(PciRole))
    label = _text(200, required=False)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> PciIdSpec:
        return PciIdSpec(**data)


class ChipsetSchema(_StrictSchema):
    slug = _slug()
    vendor = _slug()
    name = _text(100)
    family = _text(300, required=False)
    iommu = fields.Nested(IommuSchema, required=True)
    pci_ids = fields.List(fields.Nested(PciIdSchema), load_default=list)
    sources = _cites()
    notes = _notes()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> ChipsetSpec:
        iommu = data["iommu"]
        return ChipsetSpec(
            id=0,
            slug=data["slug"],
            name=data["name"],
            vendor=data["vendor"],
            iommu_support=iommu["support"],
            iommu_kind=iommu["kind"],
            iommu_location=iommu["location"],
            pci_ids=tuple(data["pci_ids"]),
            cites=tuple(data["sources"]),
            notes=tuple(data["notes"]),
            family=data["family"],
        )


class SteppingSchema(_StrictSchema):
    name = _text(20)
    cpuid_stepping = fields.Integer(
        strict=True, load_default=None, validate=validate.Range(min=0, max=15)
    )
    vtx = _choice(_values(Tri))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> SteppingSpec:
        return SteppingSpec(**data)


class CpuSchema(_StrictSchema):
    slug = _slug()
    vendor = _slug()
    brand = _text(200)
    family = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=0))
    model = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=0))
    microarchitecture = _text(100, required=False)
    processor_number = _text(60, required=False)
    vtx = _choice(_values(Tri))
    vtd = _choice(_values(Tri))
    slat = _choice(_values(Tri))
    slat_kind = _choice(_values(SlatKind))
    iommu_in_cpu = fields.Boolean(required=True, truthy={True}, falsy={False})
    steppings = fields.List(fields.Nested(SteppingSchema), load_default=list)
    sources = _cites()
    notes = _notes()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> CpuSpec:
        # The seed's "microarchitecture" is the code name as sources write it ("Penryn
        # (Yorkfield)"); the loader derives the microarchitecture slug from it.
        return CpuSpec(
            id=0,
            slug=data["slug"],
            brand=data["brand"],
            vendor=data["vendor"],
            family=data["family"],
            model=data["model"],
            vtx=data["vtx"],
            vtd=data["vtd"],
            slat=data["slat"],
            slat_kind=data["slat_kind"],
            iommu_in_cpu=data["iommu_in_cpu"],
            steppings=tuple(data["steppings"]),
            cites=tuple(data["sources"]),
            notes=tuple(data["notes"]),
            processor_number=data["processor_number"],
            code_name=data["microarchitecture"],
        )


class AliasSchema(_StrictSchema):
    kind = _choice(ALIAS_KINDS)
    vendor = _text(200, required=False)
    name = _text(200)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> AliasSpec:
        return AliasSpec(**data)


class BiosReleaseSchema(_StrictSchema):
    version = _text(100)
    released = fields.Date(load_default=None)
    vtx_option = _choice(_values(Tri))
    vtd_option = _choice(_values(Tri))
    vtd_works = _choice(_values(Tri))
    sources = _cites()
    notes = _notes()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> BiosSpec:
        return BiosSpec(
            id=0,
            version=data["version"],
            vtx_option=data["vtx_option"],
            vtd_option=data["vtd_option"],
            vtd_works=data["vtd_works"],
            cites=tuple(data["sources"]),
            notes=tuple(data["notes"]),
            released=data["released"],
        )


class BoardSchema(_StrictSchema):
    slug = _slug()
    vendor = _slug()
    model = _text(200)
    chipset = fields.String(required=True, allow_none=True, validate=validate.Regexp(SLUG_RE))
    vtd_status = _choice(BOARD_VTD_STATUSES)
    aliases = fields.List(fields.Nested(AliasSchema), load_default=list)
    bios_releases = fields.List(fields.Nested(BiosReleaseSchema), load_default=list)
    sources = _cites()
    notes = _notes()

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> BoardSpec:
        aliases: tuple[AliasSpec, ...] = tuple(data["aliases"])
        return BoardSpec(
            id=0,
            slug=data["slug"],
            model=data["model"],
            vendor=data["vendor"],
            chipset_slug=data["chipset"],
            vtd_status=data["vtd_status"],
            alias_names=tuple(a.normalized for a in aliases),
            bios=tuple(data["bios_releases"]),
            cites=tuple(data["sources"]),
            notes=tuple(data["notes"]),
            aliases=aliases,
        )


# The schema each seed file's entries must match, by file name.
SCHEMAS: dict[str, type[Schema]] = {
    "sources.yaml": SourceSchema,
    "vendors.yaml": VendorSchema,
    "chipsets.yaml": ChipsetSchema,
    "cpus.yaml": CpuSchema,
    "boards.yaml": BoardSchema,
}

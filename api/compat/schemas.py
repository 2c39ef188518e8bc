"""Schemas of /compat (documentation of the contract shape, and batch input validation)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

MAX_BATCH = 500


class CompatQueryArgsSchema(Schema):
    board = fields.String(metadata={"description": "id, slug, name, alias or raw DMI string"})
    cpu = fields.String(metadata={"description": "id, slug, brand or cpuinfo 'model name'"})
    bios = fields.String(metadata={"description": "BIOS version (needs board)"})
    chipset = fields.String(metadata={"description": "id, slug, name or a PCI id (8086:2e10)"})
    stepping = fields.String(metadata={"description": "CPU stepping name (R0) or number"})
    hypervisor = fields.String(validate=validate.OneOf(["xen", "kvm"]))


class EvidenceSchema(Schema):
    kind = fields.String()
    id = fields.Raw(allow_none=True)
    source = fields.String(allow_none=True)


class ReasonSchema(Schema):
    rule = fields.String()
    layer = fields.String()
    status = fields.String()
    message = fields.String()
    hint = fields.Dict(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema))
    advisory = fields.Boolean()


class CapabilitySchema(Schema):
    status = fields.String(
        metadata={"enum": ["supported", "unsupported", "disabled", "masked", "unknown", "conflict"]}
    )
    reasons = fields.List(fields.Nested(ReasonSchema))


class CapabilitiesSchema(Schema):
    vtx = fields.Nested(CapabilitySchema)
    vtd = fields.Nested(CapabilitySchema)
    slat = fields.Nested(CapabilitySchema)
    hvm = fields.Nested(CapabilitySchema)
    pci_passthrough = fields.Nested(CapabilitySchema)


class CompatResultSchema(Schema):
    query = fields.Dict()
    resolved = fields.Dict()
    capabilities = fields.Nested(CapabilitiesSchema)
    rules_version = fields.String()
    catalog_version = fields.Integer()
    error = fields.Dict(metadata={"description": "batch only: this item's problem"})


class CompatBatchSchema(Schema):
    items = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": "each item takes the query parameters of GET /compat"},
    )

    @validates_schema
    def known_item_fields(self, data: dict[str, Any], **_: Any) -> None:
        # Items are free-form dicts for per-item error reporting, but a misspelt key
        # ("cpu_model") must not be ignored silently any more than a misspelt parameter.
        known = set(CompatQueryArgsSchema().fields)
        unknown = {
            i: {key: ["Unknown field."] for key in item if key not in known}
            for i, item in enumerate(data.get("items", []))
            if isinstance(item, dict) and not set(item) <= known
        }
        if unknown:
            raise ValidationError({"items": unknown})


class CompatBatchResultSchema(Schema):
    results = fields.List(fields.Nested(CompatResultSchema))

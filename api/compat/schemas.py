"""Schemas of /compat (documentation of the contract shape, and batch input validation)."""

from __future__ import annotations

import functools
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
    min_confidence = fields.String(
        validate=validate.OneOf(["high", "medium", "low"]),
        metadata={
            "description": "answer 'unknown' (rule HW-CONFIDENCE-BELOW, the verdict kept under "
            "'withheld') for every capability whose confidence is below this"
        },
    )


_CONFIDENCE = ["high", "medium", "low"]
_LAYERS = ["cpu", "chipset", "firmware", "kernel", "hypervisor", "board"]


class EvidenceSchema(Schema):
    kind = fields.String(
        metadata={
            "description": "spec (a catalogue citation), probe (an observation: a probe or a "
            "machine report), note, inference (an HW-INFER-* rule)"
        }
    )
    id = fields.Raw(allow_none=True)
    source = fields.String(allow_none=True)
    confidence = fields.String(
        metadata={"enum": _CONFIDENCE, "description": "the citation's own confidence"}
    )


class ReasonSchema(Schema):
    rule = fields.String()
    layer = fields.String()
    status = fields.String()
    message = fields.String()
    hint = fields.Dict(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema))
    advisory = fields.Boolean()
    confidence = fields.String(
        metadata={
            "enum": _CONFIDENCE,
            "description": "what this step rests on: an explicit record or observation "
            "(high), a weaker citation (medium), an HW-INFER-* rule (low); absent for a "
            "derived or guidance step",
        }
    )


class LayersSchema(Schema):
    judged = fields.List(
        fields.String(metadata={"enum": _LAYERS}),
        metadata={"description": "layers whose deciding reasons all settled something"},
    )
    unjudged = fields.List(
        fields.String(metadata={"enum": _LAYERS}),
        metadata={
            "description": "layers this question needs that nothing settled (no evidence, or "
            "a reason still 'unknown'); a 'supported' with any is at most 'medium'"
        },
    )


class CapabilitySchema(Schema):
    status = fields.String(
        metadata={"enum": ["supported", "unsupported", "disabled", "masked", "unknown", "conflict"]}
    )
    confidence = fields.String(
        metadata={
            "enum": _CONFIDENCE,
            "description": "high: explicit records or observations for every layer; medium: "
            "a weaker citation, or 'supported' with an unjudged layer; low: inferred by an "
            "HW-INFER-* rule, and every 'unknown'",
        }
    )
    layers = fields.Nested(LayersSchema)
    withheld = fields.Dict(
        metadata={
            "description": "with min_confidence: the verdict below the demanded confidence "
            "that 'unknown' replaced ({status, confidence})"
        }
    )
    reasons = fields.List(fields.Nested(ReasonSchema))


class UnresolvedSchema(Schema):
    field = fields.String(metadata={"enum": ["board", "cpu", "chipset"]})
    value = fields.String()
    reason = fields.String(metadata={"enum": ["unknown", "ambiguous"]})
    candidates = fields.List(
        fields.String(),
        metadata={
            "description": "the parts an ambiguous name fits, or same-generation "
            "suggestions for an unknown one"
        },
    )
    next_step = fields.String()


class CapabilitiesSchema(Schema):
    vtx = fields.Nested(CapabilitySchema)
    vtd = fields.Nested(CapabilitySchema)
    slat = fields.Nested(CapabilitySchema)
    hvm = fields.Nested(CapabilitySchema)
    pci_passthrough = fields.Nested(CapabilitySchema)


class CompatResultSchema(Schema):
    query = fields.Dict()
    resolved = fields.Dict()
    unresolved = fields.List(
        fields.Nested(UnresolvedSchema),
        metadata={
            "description": "names that matched no catalogue row, or several; their layers "
            "are judged 'unknown' and the rest of the query is still answered"
        },
    )
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
        known = _known_query_fields()
        unknown = {
            i: {key: ["Unknown field."] for key in item if key not in known}
            for i, item in enumerate(data.get("items", []))
            if isinstance(item, dict) and not set(item) <= known
        }
        if unknown:
            raise ValidationError({"items": unknown})


@functools.cache
def _known_query_fields() -> frozenset[str]:
    # Built once: a schema instance deep-copies its fields, a third of a batch's validation.
    return frozenset(CompatQueryArgsSchema().fields)


class CompatBatchResultSchema(Schema):
    results = fields.List(fields.Nested(CompatResultSchema))

"""/api/v1/stats: aggregate JSON for dashboards (no scans of the probes table)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.compat.routes import compat_service, snapshot
from api.db import db
from api.listing import paginate_items
from api.schemas_common import PageArgsSchema, PageSchema
from virtcompat import stats
from virtcompat.engine.compat import clean_query

blp = Blueprint(
    "stats",
    __name__,
    url_prefix="/api/v1/stats",
    description="Dashboard aggregates: probe verdicts by dimension, the board support matrix.",
)


class ProbeStatsArgsSchema(PageArgsSchema):
    by = fields.String(load_default="all", validate=validate.OneOf(stats.DIMENSIONS))


class ProbeStatsItemSchema(Schema):
    key = fields.String()
    probes = fields.Integer()
    capabilities = fields.Dict(metadata={"description": "capability -> {status: number of probes}"})


class ProbeStatsSchema(PageSchema):
    by = fields.String()
    items = fields.List(fields.Nested(ProbeStatsItemSchema))


class MatrixArgsSchema(PageArgsSchema):
    vendor = fields.String(validate=validate.Length(max=100))
    vtd = fields.String(
        validate=validate.OneOf(
            ["supported", "unsupported", "disabled", "masked", "unknown", "conflict"]
        )
    )


class MatrixRowSchema(Schema):
    board = fields.Dict()
    chipset = fields.Dict(allow_none=True)
    vtd = fields.Dict(metadata={"description": "status and the rule that decided it"})
    pci_passthrough = fields.Dict()
    probes = fields.Dict(metadata={"description": "vtd confirm/contradict over all BIOSes"})


class MatrixSchema(PageSchema):
    items = fields.List(fields.Nested(MatrixRowSchema))
    catalog_version = fields.Integer()


@blp.route("/probes")
class ProbeStats(MethodView):
    @blp.arguments(ProbeStatsArgsSchema, location="query")
    @blp.response(200, ProbeStatsSchema)
    def get(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Probe verdict counts by month, CPU vendor, board vendor, chipset or board"""
        items = stats.probe_counts(db(), args["by"])
        return paginate_items(items, args["page"], args["per_page"], by=args["by"])


def _decided(verdict: dict[str, Any]) -> dict[str, Any]:
    rule = next(
        (
            r["rule"]
            for r in verdict["reasons"]
            if not r.get("advisory") and r["status"] == verdict["status"]
        ),
        None,
    )
    return {"status": verdict["status"], "rule": rule}


@blp.route("/support-matrix")
class SupportMatrix(MethodView):
    @blp.arguments(MatrixArgsSchema, location="query")
    @blp.response(200, MatrixSchema)
    def get(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """VT-d and passthrough verdict for every catalogue board, with probe evidence"""
        snap = snapshot()
        service = compat_service()
        rows = []
        for board in sorted(snap.boards.values(), key=lambda b: (b.vendor, b.model)):
            if args.get("vendor") and board.vendor != args["vendor"]:
                continue
            doc = service.answer(snap, clean_query({"board": board.slug}))
            caps = doc["capabilities"]
            if args.get("vtd") and caps["vtd"]["status"] != args["vtd"]:
                continue
            tallies = [
                t
                for t in snap.evidence.get(board.id, ())
                if t.capability == "vtd" and t.bios_version == ""
            ]
            chipset = snap.chipsets.get(board.chipset_slug) if board.chipset_slug else None
            rows.append(
                {
                    "board": {"slug": board.slug, "vendor": board.vendor, "model": board.model},
                    "chipset": {
                        "slug": chipset.slug,
                        "name": chipset.name,
                        "iommu_support": chipset.iommu_support,
                    }
                    if chipset
                    else None,
                    "vtd": _decided(caps["vtd"]),
                    "pci_passthrough": _decided(caps["pci_passthrough"]),
                    "probes": {
                        "confirm": sum(t.confirm for t in tallies),
                        "contradict": sum(t.contradict for t in tallies),
                    },
                }
            )
        return paginate_items(rows, args["page"], args["per_page"], catalog_version=snap.version)

"""/api/v1/stats: aggregate JSON for dashboards (no scans of the probes table).

Every read is bounded by the catalogue and the asked date range, never by the number of
probes: counts come from aggregate tables kept in each probe's transaction, and the
catalogue-derived views (support matrix, conflicts) are computed once per catalogue version
(which every evidence change bumps). Answers carry a weak ETag (``api/hooks.py``), so a
dashboard polling with ``If-None-Match`` gets 304 until something changed.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.compat.routes import compat_service, snapshot
from api.db import db
from api.errors import Problem
from api.listing import paginate_items
from api.schemas_common import PageArgsSchema, PageSchema
from virtcompat import stats
from virtcompat.capability import CAPABILITIES
from virtcompat.engine.compat import clean_query
from virtcompat.engine.snapshot import Snapshot

blp = Blueprint(
    "stats",
    __name__,
    url_prefix="/api/v1/stats",
    description="Dashboard aggregates: summary, probe verdicts by dimension or over time, the "
    "board support matrix, conflicts between catalogue and evidence, and BIOS/kernel/Xen "
    "regressions. Counts are kept incrementally with each probe; no read scans the probes.",
)

_SLUG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$", error="not a valid slug")
STATUS = validate.OneOf(stats.STATUSES)


def _known(field: str, value: str | None, names: Any) -> None:
    """A board or chipset filter must name a catalogue row: probes are only ever counted
    under catalogue slugs, so anything else would silently answer zeros."""
    if value and value not in names:
        raise Problem(
            422,
            f"{field}: no catalogue {field} has the slug {value!r}",
            title="Invalid request",
            errors=[{"field": f"query.{field}", "message": f"unknown {field} slug"}],
        )


def _cached(name: str, snap: Snapshot, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """Per-process memo of catalogue-derived views for the current catalogue version."""
    ext = current_app.extensions["virtcompat"]
    lock = ext.setdefault("stats_lock", threading.Lock())
    with lock:
        memo = ext.get("stats_memo")
        if memo is None or memo["version"] != snap.version:
            memo = ext["stats_memo"] = {"version": snap.version, "views": {}}
        hit = memo["views"].get((name, key))
    if hit is not None:
        return hit
    value = build()
    with lock:
        if len(memo["views"]) < 256:
            memo["views"][(name, key)] = value
    return value


# -- /summary ---------------------------------------------------------------------------------


class SummarySchema(Schema):
    catalogue = fields.Dict(
        metadata={
            "description": "row counts (boards, chipsets, cpus, bios_releases, notes, "
            "sources), citations_by_confidence, and by_source: citations per source and "
            "confidence, most cited first"
        }
    )
    probes = fields.Dict(
        metadata={
            "description": "total; last_24h (the current and 23 previous UTC clock hours); "
            "last_30d (today and the 29 previous UTC days)"
        }
    )
    capabilities = fields.Dict(
        metadata={"description": "capability -> {status: number of probes}, over all probes"}
    )


@blp.route("/summary")
class Summary(MethodView):
    @blp.response(200, SummarySchema)
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    def get(self) -> dict[str, Any]:
        """Catalogue counts by source and confidence; probe totals; verdicts across probes"""
        # The catalogue counts (a group-by over every citation of the imported catalogue)
        # are memoised per catalogue version; the probe figures are read every time.
        session = db()
        snap = snapshot()
        return stats.summary(
            session,
            dt.datetime.now(dt.UTC),
            lambda: _cached("catalogue_counts", snap, (), lambda: stats.catalogue_counts(session)),
        )


# -- /probes ----------------------------------------------------------------------------------


class ProbeStatsArgsSchema(PageArgsSchema):
    by = fields.String(
        validate=validate.OneOf(stats.DIMENSIONS),
        metadata={"description": "counts per value of a dimension (default: all)"},
    )
    bucket = fields.String(
        validate=validate.OneOf(stats.BUCKETS),
        metadata={"description": "a time series instead: probes per day, ISO week or month"},
    )
    from_ = fields.Date(
        data_key="from",
        metadata={"description": "first day (UTC, YYYY-MM-DD) of the series; with bucket"},
    )
    to = fields.Date(metadata={"description": "last day of the series (default today)"})
    board = fields.String(validate=_SLUG, metadata={"description": "board slug"})
    chipset = fields.String(validate=_SLUG, metadata={"description": "chipset slug"})
    cpu_vendor = fields.String(
        validate=validate.Regexp(r"^[a-z0-9-]{1,40}$"),
        metadata={"description": "intel, amd, ..."},
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        if "bucket" not in data:
            extra = [k for k in ("from_", "to", "board", "chipset", "cpu_vendor") if k in data]
            if extra:
                names = ", ".join("from" if k == "from_" else k for k in extra)
                raise ValidationError(f"{names} need bucket=day|week|month", "bucket")
            return
        if "by" in data:
            raise ValidationError("give either by (counts) or bucket (time series)", "by")
        start, end = data.get("from_"), data.get("to")
        if start and end and start > end:
            raise ValidationError("must not be after 'to'", "from")
        if start and (end or dt.datetime.now(dt.UTC).date()) - start > dt.timedelta(
            days=stats.MAX_SPAN_DAYS
        ):
            raise ValidationError(f"a series spans at most {stats.MAX_SPAN_DAYS} days", "from")


class ProbeStatsItemSchema(Schema):
    key = fields.String(metadata={"description": "counts form: the dimension value"})
    period = fields.String(
        metadata={"description": "series form: first day of the bucket (YYYY-MM-DD)"}
    )
    probes = fields.Integer()
    capabilities = fields.Dict(metadata={"description": "capability -> {status: number of probes}"})


class ProbeStatsSchema(PageSchema):
    by = fields.String(metadata={"description": "counts form: the dimension"})
    bucket = fields.String(metadata={"description": "series form: day, week or month"})
    from_ = fields.String(data_key="from", metadata={"description": "series form"})
    to = fields.String(metadata={"description": "series form"})
    filters = fields.Dict(metadata={"description": "series form: board / chipset / cpu_vendor"})
    items = fields.List(
        fields.Nested(ProbeStatsItemSchema),
        metadata={"description": "dimension values, most probes first; or buckets, oldest first"},
    )


@blp.route("/probes")
class ProbeStats(MethodView):
    @blp.arguments(ProbeStatsArgsSchema, location="query")
    @blp.response(200, ProbeStatsSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    def get(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Probe verdict counts by dimension (`by`), or over time (`bucket`)

        Two forms. `by=all|month|cpu_vendor|board_vendor|chipset|board` (the default,
        `by=all`) answers `{by, items, total}`. `bucket=day|week|month` answers a time
        series `{bucket, from, to, filters, items, total}`, one item per bucket (empty
        buckets included, oldest first), optionally narrowed by `board`, `chipset` and
        `cpu_vendor` slugs and a `from`/`to` date range (default: the last 30 days, 26
        weeks or 12 months; at most three years). `by` and `bucket` exclude each other;
        the filters need `bucket`.
        """
        if "bucket" not in args:
            by = args.get("by", "all")
            items = stats.probe_counts(db(), by)
            return paginate_items(items, args["page"], args["per_page"], by=by)
        bucket = args["bucket"]
        today = dt.datetime.now(dt.UTC).date()
        end = args.get("to") or today
        start = args.get("from_") or stats.default_range(bucket, end)[0]
        filters = {f: args.get(f) for f in stats.SERIES_FILTERS}
        if filters["board"] or filters["chipset"]:
            snap = snapshot()
            _known("board", filters["board"], snap.boards)
            _known("chipset", filters["chipset"], snap.chipsets)
        points = stats.series(db(), bucket=bucket, start=start, end=end, filters=filters)
        return paginate_items(
            points,
            args["page"],
            args["per_page"],
            bucket=bucket,
            from_=start.isoformat(),  # dumped as "from"
            to=end.isoformat(),
            filters={k: v for k, v in filters.items() if v},
        )


# -- /support-matrix --------------------------------------------------------------------------


class MatrixArgsSchema(PageArgsSchema):
    vendor = fields.String(validate=validate.Length(max=100))
    vtd = fields.String(validate=STATUS)


class MatrixRowSchema(Schema):
    board = fields.Dict()
    chipset = fields.Dict(allow_none=True)
    vtd = fields.Dict(metadata={"description": "status and the rule that decided it"})
    pci_passthrough = fields.Dict()
    probes = fields.Dict(metadata={"description": "vtd confirm/contradict over all BIOSes"})
    capabilities = fields.Dict(
        metadata={
            "description": "every capability -> {status, rule, confidence, probes: "
            "{confirm, contradict, inconclusive}} (probes only for vtx and vtd, the counted "
            "capabilities)"
        }
    )


class MatrixSchema(PageSchema):
    items = fields.List(fields.Nested(MatrixRowSchema))
    catalog_version = fields.Integer()


_CONFIDENCE = re.compile(r"\(confidence (high|medium|low)\)")
_LEVELS = ("low", "medium", "high")


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


def _confidence(verdict: dict[str, Any]) -> str | None:
    """The verdict's own confidence when the engine gives one; else the weakest confidence
    of the catalogue citations its deciding reasons rest on."""
    given = verdict.get("confidence")
    if isinstance(given, str):
        return given
    levels = [
        m.group(1)
        for r in verdict["reasons"]
        if not r.get("advisory")
        for e in r.get("evidence", [])
        if (m := _CONFIDENCE.search(str(e.get("source") or "")))
    ]
    return min(levels, key=_LEVELS.index) if levels else None


def _matrix(snap: Snapshot) -> list[dict[str, Any]]:
    service = compat_service()
    rows = []
    for board in sorted(snap.boards.values(), key=lambda b: (b.vendor, b.model)):
        doc = service.answer(snap, clean_query({"board": board.slug}))
        caps = doc["capabilities"]
        tallies = [t for t in snap.evidence.get(board.id, ()) if t.bios_version == ""]
        chipset = snap.chipsets.get(board.chipset_slug) if board.chipset_slug else None
        capabilities = {}
        for cap in CAPABILITIES:
            cell = {**_decided(caps[cap]), "confidence": _confidence(caps[cap])}
            mine = [t for t in tallies if t.capability == cap]
            cell["probes"] = {
                "confirm": sum(t.confirm for t in mine),
                "contradict": sum(t.contradict for t in mine),
                "inconclusive": sum(t.inconclusive for t in mine),
            }
            capabilities[cap] = cell
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
                "probes": {k: capabilities["vtd"]["probes"][k] for k in ("confirm", "contradict")},
                "capabilities": capabilities,
            }
        )
    return rows


@blp.route("/support-matrix")
class SupportMatrix(MethodView):
    @blp.arguments(MatrixArgsSchema, location="query")
    @blp.response(200, MatrixSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    def get(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Every catalogue board x capability: verdict, deciding rule, confidence, probes"""
        snap = snapshot()
        rows = _cached("matrix", snap, (), lambda: _matrix(snap))
        rows = [
            r
            for r in rows
            if (not args.get("vendor") or r["board"]["vendor"] == args["vendor"])
            and (not args.get("vtd") or r["vtd"]["status"] == args["vtd"])
        ]
        return paginate_items(rows, args["page"], args["per_page"], catalog_version=snap.version)


# -- /conflicts -------------------------------------------------------------------------------


class ConflictArgsSchema(PageArgsSchema):
    capability = fields.String(validate=validate.OneOf(CAPABILITIES))


class ConflictSchema(Schema):
    capability = fields.String()
    subjects = fields.List(
        fields.Dict(), metadata={"description": "catalogue rows {kind, slug, name} concerned"}
    )
    rules = fields.List(fields.String())
    messages = fields.List(fields.String())
    catalogue = fields.List(fields.Dict(), metadata={"description": "the catalogue's side"})
    contradicted_by = fields.List(
        fields.Dict(), metadata={"description": "probe tallies or the disagreeing source"}
    )
    probes = fields.Dict(metadata={"description": "{confirm, contradict} over all BIOSes"})
    evidence = fields.Integer(metadata={"description": "probes plus citations (sort key)"})


class ConflictsSchema(PageSchema):
    items = fields.List(fields.Nested(ConflictSchema))
    catalog_version = fields.Integer()


@blp.route("/conflicts")
class Conflicts(MethodView):
    @blp.arguments(ConflictArgsSchema, location="query")
    @blp.response(200, ConflictsSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    def get(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Catalogue facts contradicted by probes or other sources, most evidence first"""
        snap = snapshot()
        service = compat_service()
        items = _cached(
            "conflicts", snap, (), lambda: stats.conflicts(snap, lambda q: service.answer(snap, q))
        )
        if args.get("capability"):
            items = [i for i in items if i["capability"] == args["capability"]]
        return paginate_items(items, args["page"], args["per_page"], catalog_version=snap.version)


# -- /regressions -----------------------------------------------------------------------------


class RegressionArgsSchema(PageArgsSchema):
    board = fields.String(validate=_SLUG, metadata={"description": "board slug"})
    axis = fields.String(
        validate=validate.OneOf(stats.AXES),
        metadata={"description": "bios (build number), kernel (series) or xen (version)"},
    )
    capability = fields.String(validate=validate.OneOf(CAPABILITIES))
    changed = fields.Boolean(
        load_default=False,
        metadata={"description": "only histories where a capability was lost or gained"},
    )


class RegressionSchema(Schema):
    board = fields.Dict()
    axis = fields.String()
    capability = fields.String()
    releases = fields.List(
        fields.Dict(),
        metadata={
            "description": "oldest first: {release, verdict, probes, statuses}; the verdict "
            "is the clear status (supported/unsupported/disabled) most probes saw"
        },
    )
    changes = fields.List(
        fields.Dict(),
        metadata={
            "description": "{change: lost|gained|changed, from, to, message} between a "
            "release and the next one with a clear verdict"
        },
    )


class RegressionsSchema(PageSchema):
    items = fields.List(fields.Nested(RegressionSchema))
    changes = fields.Integer(metadata={"description": "number of flagged changes"})


@blp.route("/regressions")
class Regressions(MethodView):
    @blp.arguments(RegressionArgsSchema, location="query")
    @blp.response(200, RegressionsSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    def get(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Per board: verdicts by BIOS build, kernel series and Xen version; flips flagged"""
        if args.get("board"):
            _known("board", args["board"], snapshot().boards)
        items = stats.regressions(
            db(),
            board=args.get("board"),
            axis=args.get("axis"),
            capability=args.get("capability"),
            changed_only=args["changed"],
        )
        return paginate_items(
            items,
            args["page"],
            args["per_page"],
            changes=sum(len(i["changes"]) for i in items),
        )

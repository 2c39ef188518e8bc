"""/api/v1/compat: capability verdicts for catalogue hardware, single and batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, json, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.compat.schemas import (
    CompatBatchResultSchema,
    CompatBatchSchema,
    CompatQueryArgsSchema,
    CompatResultSchema,
)
from api.db import EXT, db
from api.errors import PROBLEM_MIME, Problem, problem_body
from api.ops import ROUTE, count_statuses
from api.schemas_common import ProblemSchema
from virtcompat.engine.compat import CompatService, QueryError, clean_query, csv_rows
from virtcompat.engine.resolve import ResolveError
from virtcompat.engine.snapshot import Snapshot, SnapshotCache

blp = Blueprint(
    "compat",
    __name__,
    url_prefix="/api/v1/compat",
    description="Will VT-x, VT-d, EPT/NPT, HVM and PCI passthrough work on this hardware?",
)

_CSV = "text/csv"


def _state() -> tuple[SnapshotCache, CompatService]:
    ext = current_app.extensions["virtcompat"]
    if "snapshots" not in ext:
        ext["snapshots"] = SnapshotCache(ttl=current_app.config.get("CATALOG_TTL", 1.0))
        ext["compat"] = CompatService()
    return ext["snapshots"], ext["compat"]


def compat_service() -> CompatService:
    return _state()[1]


def snapshot() -> Snapshot:
    return _state()[0].get(db)


def invalidate_snapshot() -> None:
    """Called after a catalogue or evidence write in this process."""
    ext = current_app.extensions["virtcompat"]
    if "snapshots" in ext:
        ext["snapshots"].invalidate()


def _wants_csv() -> bool:
    if _CSV not in request.environ.get("HTTP_ACCEPT", ""):
        return False
    best = request.accept_mimetypes.best_match(["application/json", _CSV])
    return (
        best == _CSV
        and request.accept_mimetypes[_CSV] > request.accept_mimetypes["application/json"]
    )


def _problem_for(exc: ResolveError | QueryError) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, ResolveError):
        unresolved = exc.unresolved or (exc.as_unresolved(),)
        extra = {
            "errors": [{"field": u.field, "message": f"{u.reason}: {u.value}"} for u in unresolved],
            "candidates": list(exc.candidates),
            "unresolved": [u.as_dict() for u in unresolved],
        }
        detail = "Nothing in the query resolved: " + "; ".join(
            f"{u.field} {u.value!r} is {u.reason}" for u in unresolved
        )
        if exc.field == "stepping":
            detail = str(exc)
        else:
            detail += f". Next step: {unresolved[0].next_step}."
        return 422, problem_body(422, detail, "Unknown or ambiguous name", **extra)
    return 422, problem_body(
        422,
        f"{exc.field}: {exc}",
        "Invalid request",
        errors=[{"field": exc.field, "message": str(exc)}],
    )


_QUERY_ARGS = tuple(CompatQueryArgsSchema().fields)
_KNOWN_ARGS = frozenset(_QUERY_ARGS)


@blp.route("")
class Compat(MethodView):
    # Documented with @blp.doc alone: @blp.response would wrap the hot path in a
    # serialisation layer that the cached, pre-rendered body does not need.
    @blp.doc(
        parameters=[
            {"in": "query", "name": n, "schema": {"type": "string"}}
            for n in CompatQueryArgsSchema().fields
        ],
        responses={
            "200": {
                "description": "Capability verdicts",
                "content": {
                    "application/json": {"schema": CompatResultSchema},
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
            "304": {"description": "Not modified (If-None-Match)"},
            "422": {
                "description": "Nothing in the query resolved: each name is listed under "
                "`unresolved` with its candidates and the next step",
                "content": {"application/problem+json": {"schema": ProblemSchema}},
            },
        },
    )
    def get(self) -> Response:
        """Capability verdicts for board / cpu / bios / chipset (Accept: text/csv for a row)"""
        environ = request.environ
        raw_query = environ.get("QUERY_STRING", "")
        snaps, service = _state()
        snap = snaps.get(db)
        rendered = service.lookup_raw(snap, raw_query)
        if rendered is None:
            args = request.args
            unknown = sorted(set(args) - _KNOWN_ARGS)
            if unknown:  # checked on the uncached path only: only known queries are cached
                raise Problem(
                    422,
                    "; ".join(f"query.{k}: Unknown field." for k in unknown),
                    title="Invalid request",
                    errors=[{"field": f"query.{k}", "message": "Unknown field."} for k in unknown],
                )
            try:
                rendered = service.render(snap, clean_query({k: args.get(k) for k in _QUERY_ARGS}))
            except (ResolveError, QueryError) as exc:
                status, problem = _problem_for(exc)
                return Response(json.dumps(problem), status=status, mimetype=PROBLEM_MIME)
            service.remember_raw(snap, raw_query, rendered)
        count_statuses(rendered.statuses)
        if _wants_csv():
            return Response(csv_rows([rendered.doc]), mimetype=_CSV)
        # A direct If-None-Match comparison: the hot path skips werkzeug's general
        # conditional-request machinery (Range, If-Modified-Since) that never applies here.
        if rendered.etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            return Response(status=304, headers={"ETag": rendered.etag})
        return Response(
            rendered.body, content_type="application/json", headers={"ETag": rendered.etag}
        )


@blp.route("/batch")
class CompatBatch(MethodView):
    @blp.arguments(CompatBatchSchema)
    @blp.response(200, CompatBatchResultSchema)
    def post(self, data: dict[str, Any]) -> Response:
        """Up to 500 queries answered in order; an item's error stands in its place"""
        snaps, service = _state()
        snap = snaps.get(db)
        csv = _wants_csv()
        docs: list[dict[str, Any]] = []
        bodies: list[bytes] = []
        for i, item in enumerate(data["items"]):
            try:
                if not isinstance(item, dict):
                    raise QueryError("item", "must be an object")
                rendered = service.render(snap, clean_query(item))
                count_statuses(rendered.statuses)
                docs.append(rendered.doc)
                bodies.append(rendered.body)
            except (ResolveError, QueryError) as exc:
                _, body = _problem_for(exc)
                body["index"] = i
                body["query"] = (
                    {k: v for k, v in item.items() if isinstance(v, str)}
                    if isinstance(item, dict)
                    else {}
                )
                body.pop("instance", None)
                docs.append({"error": body})
                bodies.append(json.dumps({"error": body}).encode())
        if csv:
            return Response(csv_rows(docs), mimetype=_CSV)
        # Each answer is already serialised in the render cache: join the bytes rather than
        # serialising a hundred documents again, in one join (a 100-item answer is ~700 KB,
        # and every extra concatenation copied all of it again).
        parts = [b'{"results":[']
        for i, answer in enumerate(bodies):
            if i:
                parts.append(b",")
            parts.append(answer)
        parts.append(b"]}")
        return Response(b"".join(parts), mimetype="application/json")


__all__ = ["blp", "compat_service", "invalidate_snapshot", "snapshot"]


PATH: str = blp.url_prefix  # the GET route of Compat below
_JSON_HEADERS = ("Content-Type", "application/json")


class RepeatedAnswers:
    """WSGI middleware: a plain ``GET /api/v1/compat`` whose exact query string this worker
    has already answered under the current catalogue snapshot gets that answer's bytes
    without a trip through Flask.

    It is the view's own cache hit (``CompatService.lookup_raw``), served one layer down: the
    view would do nothing for such a request but look the same answer up, count its verdicts
    and wrap it in a Response, and Flask's per-request machinery (request and app contexts,
    routing, the contract check, hooks, teardown) costs more than that. The answer is the
    same: status, headers and body (tests/api/test_compat_repeated.py compares them). Any
    request the shortcut does not cover exactly goes to Flask: another method or path, a
    query not yet answered, a stale snapshot (the view checks the catalogue version), CSV
    negotiation and conditional requests. Sits inside :class:`api.hooks.Instrumentation`, so
    the request id, the security headers and the request metrics (labelled with this route)
    are those of every other answer.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], flask_app: Flask) -> None:
        self.app = app
        self._extensions = flask_app.extensions

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (
            environ.get("PATH_INFO") == PATH
            and environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_IF_NONE_MATCH" not in environ
            and _CSV not in environ.get("HTTP_ACCEPT", "")
        ):
            # The view's own state, made by its first request (api.db.rebind may replace it).
            ext = self._extensions[EXT]
            snaps = ext.get("snapshots")
            snap = snaps.peek() if snaps is not None else None
            if snap is not None:
                rendered = ext["compat"].lookup_raw(snap, environ.get("QUERY_STRING", ""))
                if rendered is not None:
                    environ[ROUTE] = PATH
                    count_statuses(rendered.statuses)
                    body = rendered.body
                    start_response(
                        "200 OK",
                        [
                            _JSON_HEADERS,
                            ("Content-Length", str(len(body))),
                            ("ETag", rendered.etag),
                        ],
                    )
                    return [body]
        return self.app(environ, start_response)

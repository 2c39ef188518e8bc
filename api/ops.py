"""Operations endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import time

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text

from api.db import db
from virtcompat.config import ROOT

blp = Blueprint("ops", __name__)

REQUESTS = Counter(
    "virtcompat_http_requests_total", "HTTP requests", ["method", "endpoint", "status"]
)
LATENCY = Histogram("virtcompat_http_request_seconds", "HTTP request latency", ["endpoint"])
VERDICTS = Counter(
    "virtcompat_verdicts_total", "Capability verdicts returned", ["capability", "status"]
)
PROBES = Counter("virtcompat_probes_total", "Probe reports accepted", ["outcome"])

_HEADS: tuple[str, ...] | None = None


def _migration_heads() -> tuple[str, ...]:
    global _HEADS
    if _HEADS is None:
        from alembic.config import Config

        cfg = Config(str(ROOT / "alembic.ini"))
        cfg.set_main_option("script_location", str(ROOT / "migrations"))
        _HEADS = tuple(sorted(ScriptDirectory.from_config(cfg).get_heads()))
    return _HEADS


@blp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> tuple[Response, int]:
    try:
        conn = db().connection()
        conn.execute(text("SELECT 1"))
        current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    except Exception as exc:  # any driver error means "not ready", never a 500
        return jsonify(
            status="unavailable", detail=f"database unreachable: {type(exc).__name__}"
        ), 503
    heads = _migration_heads()
    if current != heads:
        return (
            jsonify(
                status="unavailable",
                detail="database is not migrated to head",
                current=list(current),
                head=list(heads),
            ),
            503,
        )
    return jsonify(status="ok", migration=list(current)), 200


@blp.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def init_metrics(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response

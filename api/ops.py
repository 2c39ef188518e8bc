"""Operations endpoints (liveness, readiness, Prometheus metrics, the docs' own assets) and
the metrics themselves.

Under gunicorn every worker is its own process with its own counters, so a scrape that
reached one worker would see a random share. prometheus_client's multiprocess mode keeps each
worker's values in files under ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py makes a fresh
one per run) and ``/metrics`` sums them; without that variable (tests, ``flask run``) the
process's own registry is served.
"""

from __future__ import annotations

import collections
import importlib.resources
import os
import threading
import time
from collections.abc import Iterable
from importlib.resources.abc import Traversable
from typing import Any

from alembic.runtime.migration import MigrationContext
from flask import Blueprint as FlaskBlueprint
from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import text

from api.db import db
from api.errors import Problem
from virtcompat.db import answer_deadline
from virtcompat.migrations import heads

blp = Blueprint(
    "ops",
    __name__,
    description="Liveness, readiness and Prometheus metrics, outside /api/v1 where probes "
    "and scrapers expect them.",
)
# Swagger UI's files: served, but no API operation of the document.
assets_blp = FlaskBlueprint("docs_assets", __name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# The route template ("/api/v1/boards/<key>"), never the raw path: one series per route, not
# one per id a client tried. Requests that matched no route are labelled "unmatched".
ROUTE = "virtcompat.route"
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "virtcompat_http_requests_total",
    "HTTP requests by route template, method and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "virtcompat_http_request_duration_seconds",
    "Time from the WSGI call to the response headers, by route template and method",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
VERDICTS_TOTAL = Counter(
    "virtcompat_verdicts_total",
    "Capability verdicts answered by /compat (single and batch)",
    ["capability", "status"],
)
PROBES = Counter("virtcompat_probes_total", "Probe reports accepted, new or replayed", ["outcome"])
PROBE_VERDICTS = Counter(
    "virtcompat_probe_verdicts_total",
    "Capability verdicts of newly ingested probes",
    ["capability", "status"],
)
FINDINGS = Counter(
    "virtcompat_validation_findings_total",
    "Domain-config validation findings by rule and severity",
    ["rule", "severity"],
)
VALIDATIONS = Counter(
    "virtcompat_validations_total", "Domain configs validated, by outcome", ["valid"]
)
# livesum: the figure of the workers alive now, summed; a dead worker's share is dropped by
# gunicorn.conf.py's child_exit.
POOL_CHECKED_OUT = Gauge(
    "virtcompat_db_pool_checked_out",
    "Database connections lent to requests right now",
    multiprocess_mode="livesum",
)
POOL_CONNECTIONS = Gauge(
    "virtcompat_db_pool_connections",
    "Database connections open (idle in the pool or lent out)",
    multiprocess_mode="livesum",
)
POOL_CHECKOUTS = Counter("virtcompat_db_pool_checkouts_total", "Connections taken from the pool")


class _RequestMetrics:
    """Labelled children cached per key: ``.labels()`` costs more than the increment."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str, str], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    def observe(self, environ: dict[str, Any], status: str, elapsed: float) -> None:
        method = environ.get("REQUEST_METHOD", "?")
        route = environ.get(ROUTE, UNMATCHED)
        key = (method, route, status[:3])
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters.setdefault(key, REQUESTS.labels(*key))
        counter.inc()
        hist = self._histograms.get((method, route))
        if hist is None:
            hist = self._histograms.setdefault((method, route), LATENCY.labels(method, route))
        hist.observe(elapsed)


observe_request = _RequestMetrics().observe


class _DeferredCounts:
    """Labelled counter increments (/compat's verdict tally, the probe counts) kept as a plain
    in-process Counter and flushed into their prometheus counters at each scrape and, under
    gunicorn, once a second by a thread.

    Five labelled increments per answer would cost /compat's hot path several microseconds
    in multiprocess mode (each one a locked write to a memory-mapped file); a dict increment
    costs a tenth of that. A worker's share is at most a second late in a scrape.
    """

    INTERVAL = 1.0

    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[Any, tuple[str, ...]]] = collections.Counter()
        self._lock = threading.Lock()
        self._pid = 0

    def add(self, metric: Any, labels: Iterable[tuple[str, ...]]) -> None:
        # Under gunicorn's threaded workers the flush may swap the dict at any moment; the
        # (uncontended) lock keeps an increment from landing in a dict already flushed.
        with self._lock:
            counts = self.counts
            for key in labels:
                counts[(metric, key)] += 1
        if self._pid != os.getpid():
            self._start()

    def flush(self) -> None:
        with self._lock:
            pending, self.counts = self.counts, collections.Counter()
        for (metric, key), n in pending.items():
            metric.labels(*key).inc(n)

    def _start(self) -> None:
        # After a fork (each gunicorn worker) the parent's thread is gone: start our own.
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
        if os.environ.get(MULTIPROC_ENV):
            threading.Thread(target=self._run, name="deferred-metrics", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.INTERVAL)
            self.flush()


VERDICTS = _DeferredCounts()


def count_verdicts(doc: dict[str, Any]) -> None:
    VERDICTS.add(VERDICTS_TOTAL, ((cap, v["status"]) for cap, v in doc["capabilities"].items()))


def count_statuses(statuses: Iterable[tuple[str, str]]) -> None:
    VERDICTS.add(VERDICTS_TOTAL, statuses)


def count_probe(doc: dict[str, Any], created: bool) -> None:
    VERDICTS.add(PROBES, (("created" if created else "replayed",),))
    if created:
        VERDICTS.add(
            PROBE_VERDICTS,
            (
                (cap, verdict["status"])
                for cap, verdict in (doc.get("capabilities") or {}).items()
                if isinstance(verdict, dict) and "status" in verdict
            ),
        )


# The labelled children count_findings increments, by label values: labels() costs ~0.9 us a
# call (a lock and label checks) and every validation makes several. Bounded: a validity
# flag, and rule ids from the registry times three severities. Created on first use, so the
# exposed series are the same as without the cache.
_VALIDATION_CHILDREN: dict[str, Any] = {}
_FINDING_CHILDREN: dict[tuple[str, str], Any] = {}


def count_findings(valid: bool, findings: Iterable[dict[str, Any]]) -> None:
    flag = "true" if valid else "false"
    child = _VALIDATION_CHILDREN.get(flag)
    if child is None:
        child = _VALIDATION_CHILDREN[flag] = VALIDATIONS.labels(flag)
    child.inc()
    for finding in findings:
        key = (finding["rule"], finding["severity"])
        child = _FINDING_CHILDREN.get(key)
        if child is None:
            child = _FINDING_CHILDREN[key] = FINDINGS.labels(*key)
        child.inc()


def instrument_pool(engine: Any) -> None:
    """Pool state from the pool's own events, so every worker reports its own pool."""
    from sqlalchemy import event

    event.listen(engine, "connect", lambda *_: POOL_CONNECTIONS.inc())
    event.listen(engine, "close", lambda *_: POOL_CONNECTIONS.dec())
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", lambda *_: POOL_CHECKED_OUT.dec())


def _checked_out(*_: Any) -> None:
    POOL_CHECKOUTS.inc()
    POOL_CHECKED_OUT.inc()


def _registry() -> Any:
    if not os.environ.get(MULTIPROC_ENV):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


_HEADS: tuple[str, ...] | None = None


def _migration_heads() -> tuple[str, ...]:
    global _HEADS
    if _HEADS is None:
        _HEADS = heads()
    return _HEADS


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok"]})


class ReadySchema(Schema):
    status = fields.String(metadata={"enum": ["ok"]})
    migration = fields.List(fields.String(), metadata={"description": "applied head(s)"})


@blp.get("/healthz")
@blp.response(200, HealthSchema)
def healthz() -> dict[str, str]:
    """Liveness: the process answers (no database access)"""
    return {"status": "ok"}


READYZ_TIMEOUT_S = 2.0


@blp.get("/readyz")
@blp.response(200, ReadySchema)
def readyz() -> dict[str, Any]:
    """Readiness: the database answers and is migrated to head (503 problem otherwise)"""
    try:
        # Its own short deadline: a probe of readiness must not wait like a request does.
        with answer_deadline(READYZ_TIMEOUT_S):
            conn = db().connection()
            conn.execute(text("SELECT 1"))
            current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    except Exception as exc:  # any driver error means "not ready", never a 500
        raise Problem(503, f"database unreachable: {type(exc).__name__}") from None
    heads = _migration_heads()
    if current != heads:
        raise Problem(
            503,
            "database is not migrated to head",
            current=list(current),
            head=list(heads),
        )
    return {"status": "ok", "migration": list(current)}


@blp.get("/metrics")
@blp.doc(
    responses={
        "200": {
            "description": "Prometheus text exposition, summed over the gunicorn workers",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    }
)
def metrics() -> Response:
    """Prometheus metrics (see the README's Metrics section)"""
    VERDICTS.flush()
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def _swagger_ui_dist() -> Traversable:
    # The pinned flask-swagger-ui wheel ships Swagger UI's release files (its dist/VERSION
    # names the Swagger UI version); only those files are used, not its blueprint.
    return importlib.resources.files("flask_swagger_ui") / "dist"


# What /docs loads, and nothing else: no client-chosen path reaches the filesystem.
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
}
DOCS_ASSETS_URL = "/docs/assets/"


@assets_blp.get(DOCS_ASSETS_URL + "<name>")
def docs_asset(name: str) -> Response:
    mimetype = DOCS_ASSETS.get(name)
    if mimetype is None:
        raise Problem(404, f"no docs asset {name!r}")
    resp = Response((_swagger_ui_dist() / name).read_bytes(), mimetype=mimetype)
    resp.cache_control.public = True
    resp.cache_control.max_age = 86400
    return resp

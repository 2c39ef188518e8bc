"""Operations endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from typing import Any

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, Response, jsonify
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from sqlalchemy import text

from api.db import db
from virtcompat.migrations import heads

blp = Blueprint("ops", __name__)

REQUESTS = Counter(
    "virtcompat_http_requests_total", "HTTP requests", ["method", "endpoint", "status"]
)
LATENCY = Histogram("virtcompat_http_request_seconds", "HTTP request latency", ["endpoint"])


class _VerdictCounts:
    """Verdicts returned, by capability and status: plain counters exported through a
    custom collector, because labelled prometheus children cost /compat's hot path."""

    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "virtcompat_verdicts", "Capability verdicts returned", labels=["capability", "status"]
        )
        for (cap, status), n in sorted(self.counts.items()):
            family.add_metric([cap, status], n)
        yield family


VERDICTS = _VerdictCounts()
REGISTRY.register(VERDICTS)


def count_verdicts(doc: dict[str, Any]) -> None:
    count_statuses((cap, v["status"]) for cap, v in doc["capabilities"].items())


def count_statuses(statuses: Iterable[tuple[str, str]]) -> None:
    counts = VERDICTS.counts
    for key in statuses:
        counts[key] += 1


PROBES = Counter("virtcompat_probes_total", "Probe reports accepted", ["outcome"])

_HEADS: tuple[str, ...] | None = None


def _migration_heads() -> tuple[str, ...]:
    global _HEADS
    if _HEADS is None:
        _HEADS = heads()
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

"""A repeated GET /api/v1/compat is answered below Flask (api.compat.routes.RepeatedAnswers)
with exactly the answer the view gives; everything else still reaches the view."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session, sessionmaker

from api import ops
from tests.conftest import shared_app

QUERY = {"board": "DQ43AP", "cpu": "Core 2 Quad Q9550"}


@pytest.fixture
def app(session_factory: sessionmaker[Session], database_url: str) -> Flask:
    """The suite's app sees every write at once (CATALOG_TTL 0, so no snapshot is ever
    fresh); this one keeps its snapshot for a minute, as a server does for a second."""
    return shared_app(database_url, session_factory, catalog_ttl=60.0)


@pytest.fixture
def flask_calls(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths of the requests that went through Flask's dispatch."""
    calls: list[str] = []
    dispatch = app.full_dispatch_request

    def counted() -> Any:
        from flask import request

        calls.append(request.full_path)
        return dispatch()

    monkeypatch.setattr(app, "full_dispatch_request", counted)
    yield calls


def _headers(resp: Any) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in resp.headers.items() if k != "X-Request-Id")


def test_the_repeat_skips_flask_and_is_the_same_answer(app: Flask, flask_calls: list[str]) -> None:
    client = app.test_client()
    first = client.get("/api/v1/compat", query_string=QUERY)
    second = client.get("/api/v1/compat", query_string=QUERY)
    assert len(flask_calls) == 1  # the first rendered it; the second never reached Flask
    assert first.status_code == second.status_code == 200
    assert second.data == first.data
    assert _headers(second) == _headers(first)
    # The verdicts of this trap: Q43 has no VT-d whatever the BIOS shows (DQ43AP).
    doc = second.get_json()
    assert doc["capabilities"]["vtx"]["status"] == "supported"
    assert doc["capabilities"]["vtd"]["status"] == "unsupported"
    # The middleware's own work still applies: request id, security headers.
    assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert second.headers["X-Content-Type-Options"] == "nosniff"
    assert second.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_repeat_is_counted_like_any_answer(app: Flask, flask_calls: list[str]) -> None:
    client = app.test_client()
    labels = {"method": "GET", "route": "/api/v1/compat", "status": "200"}
    client.get("/api/v1/compat", query_string=QUERY)
    ops.VERDICTS.flush()
    requests_before = REGISTRY.get_sample_value("virtcompat_http_requests_total", labels) or 0
    vtd = {"capability": "vtd", "status": "unsupported"}
    verdicts_before = REGISTRY.get_sample_value("virtcompat_verdicts_total", vtd) or 0
    client.get("/api/v1/compat", query_string=QUERY)
    ops.VERDICTS.flush()
    assert len(flask_calls) == 1
    assert REGISTRY.get_sample_value("virtcompat_http_requests_total", labels) == (
        requests_before + 1
    )
    assert REGISTRY.get_sample_value("virtcompat_verdicts_total", vtd) == verdicts_before + 1


def test_a_private_request_stays_uncacheable(app: Flask, flask_calls: list[str]) -> None:
    client = app.test_client()
    client.get("/api/v1/compat", query_string=QUERY)
    resp = client.get(
        "/api/v1/compat", query_string=QUERY, headers={"Authorization": "Bearer whatever"}
    )
    assert len(flask_calls) == 1
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "content_type"),
    [
        # CSV negotiation is the view's.
        ("GET", "/api/v1/compat", {"Accept": "text/csv"}, 200, "text/csv"),
        ("HEAD", "/api/v1/compat", {}, 200, "application/json"),
        ("POST", "/api/v1/compat", {}, 405, "application/problem+json"),
        ("GET", "/api/v1/compat/", {}, 404, "application/problem+json"),
    ],
)
def test_other_requests_reach_the_view(
    app: Flask,
    flask_calls: list[str],
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    content_type: str,
) -> None:
    client = app.test_client()
    client.get("/api/v1/compat", query_string=QUERY)
    resp = client.open(path, method=method, query_string=QUERY, headers=headers)
    assert resp.status_code == status
    assert resp.mimetype == content_type
    assert len(flask_calls) == 2


def test_a_conditional_repeat_gets_the_views_304(app: Flask, flask_calls: list[str]) -> None:
    client = app.test_client()
    etag = client.get("/api/v1/compat", query_string=QUERY).headers["ETag"]
    resp = client.get("/api/v1/compat", query_string=QUERY, headers={"If-None-Match": etag})
    assert resp.status_code == 304 and resp.data == b""
    assert len(flask_calls) == 2


def test_a_query_never_answered_reaches_the_view(app: Flask, flask_calls: list[str]) -> None:
    client = app.test_client()
    for _ in range(2):  # never cached: each one is the view's 422
        resp = client.get("/api/v1/compat", query_string={**QUERY, "color": "red"})
        assert resp.status_code == 422
    assert len(flask_calls) == 2


@pytest.mark.parametrize(
    "expire",
    [
        pytest.param(
            lambda app: app.extensions["virtcompat"]["snapshots"].invalidate(), id="write"
        ),
        pytest.param(
            lambda app: setattr(app.extensions["virtcompat"]["snapshots"], "ttl", 0.0), id="ttl"
        ),
    ],
)
def test_a_snapshot_no_longer_fresh_sends_the_repeat_to_the_view(
    app: Flask, flask_calls: list[str], expire: Callable[[Flask], None]
) -> None:
    """After a catalogue write in this worker, or once the TTL has run out, the view checks
    the catalogue version again before answering."""
    client = app.test_client()
    client.get("/api/v1/compat", query_string=QUERY)
    snaps = app.extensions["virtcompat"]["snapshots"]
    ttl = snaps.ttl
    try:
        expire(app)
        assert client.get("/api/v1/compat", query_string=QUERY).status_code == 200
        assert len(flask_calls) == 2
    finally:
        snaps.ttl = ttl

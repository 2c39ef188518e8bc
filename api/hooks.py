"""The per-request hooks: request id, metrics, and conditional GET, in one before and one
after hook (every registered hook costs each request a coroutine check, and /compat's
throughput is held to 0.8x a bare Flask endpoint)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Flask, Response, has_request_context, request

from api.ops import LATENCY, REQUESTS

STARTED = "virtcompat.started"
REQUEST_ID = "virtcompat.request_id"


def request_id() -> str:
    """The current request's id, or "-" outside a request (for logs)."""
    if not has_request_context():
        return "-"
    value: str = request.environ.get(REQUEST_ID, "-")
    return value


def init_hooks(app: Flask) -> None:
    counters: dict[tuple[str, str, int], Any] = {}
    histograms: dict[str, Any] = {}

    @app.before_request
    def _before() -> None:
        # The WSGI environ, read directly: werkzeug's Headers raise (and catch) an exception
        # for every header a request lacks, a cost the hot path pays on each request.
        environ = request.environ
        environ[STARTED] = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        environ[REQUEST_ID] = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )

    @app.after_request
    def _after(response: Response) -> Response:
        req = request._get_current_object()  # type: ignore[attr-defined]
        rule = req.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        key = (req.method, endpoint, response.status_code)
        counter = counters.get(key)
        if counter is None:  # labelled children are cached
            counter = counters.setdefault(key, REQUESTS.labels(key[0], key[1], str(key[2])))
        counter.inc()
        environ = req.environ
        started = environ.get(STARTED)
        if started is not None:
            hist = histograms.get(endpoint)
            if hist is None:
                hist = histograms.setdefault(endpoint, LATENCY.labels(endpoint))
            hist.observe(time.perf_counter() - started)
        response.headers["X-Request-Id"] = environ.get(REQUEST_ID, "")
        # Weak ETag over the body of successful JSON/CSV GETs that set none; If-None-Match
        # then answers 304.
        if (
            response.status_code == 200
            and req.method in ("GET", "HEAD")
            and "ETag" not in response.headers
            and response.mimetype in ("application/json", "text/csv")
            and not response.direct_passthrough
        ):
            response.add_etag(weak=True)
            response.make_conditional(req)
        return response

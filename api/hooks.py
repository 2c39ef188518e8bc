"""Per-request plumbing: request id and metrics as a WSGI middleware, conditional GET as
one after-request hook.

The middleware costs a plain function call per request, where Flask hooks cost a context
lookup and a coroutine check each; /compat's throughput is held to 0.8x a bare Flask
endpoint, so the hot path carries as little per-request machinery as possible.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, has_request_context, request

from api.ops import LATENCY, REQUESTS

REQUEST_ID = "virtcompat.request_id"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def request_id() -> str:
    """The current request's id, or "-" outside a request (for logs)."""
    if not has_request_context():
        return "-"
    value: str = request.environ.get(REQUEST_ID, "-")
    return value


class Instrumentation:
    """Assigns or echoes ``X-Request-Id`` and records request count and latency per route."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self._counters: dict[tuple[str, str, str], Any] = {}
        self._histograms: dict[str, Any] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        environ[REQUEST_ID] = rid
        seen: list[str] = []

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("X-Request-Id", rid))
            seen.append(status)
            return start_response(status, headers, exc_info)

        result = self.app(environ, _start)
        self._record(environ, seen[-1] if seen else "500", time.perf_counter() - started)
        return result

    def _record(self, environ: dict[str, Any], status: str, elapsed: float) -> None:
        # werkzeug leaves the request object in the environ; its matched rule names the route.
        req = environ.get("werkzeug.request")
        rule = getattr(req, "url_rule", None)
        endpoint = rule.rule if rule is not None else "unmatched"
        key = (environ.get("REQUEST_METHOD", "?"), endpoint, status[:3])
        counter = self._counters.get(key)
        if counter is None:  # labelled children are cached
            counter = self._counters.setdefault(key, REQUESTS.labels(*key))
        counter.inc()
        hist = self._histograms.get(endpoint)
        if hist is None:
            hist = self._histograms.setdefault(endpoint, LATENCY.labels(endpoint))
        hist.observe(elapsed)


def init_hooks(app: Flask) -> None:
    app.wsgi_app = Instrumentation(app.wsgi_app)  # type: ignore[method-assign]

    @app.after_request
    def _conditional_get(response: Response) -> Response:
        # Weak ETag over the body of successful JSON/CSV GETs that set none (views with a
        # cheaper validator, like /compat, set their own); If-None-Match then answers 304.
        if (
            response.status_code == 200
            and request.method in ("GET", "HEAD")
            and "ETag" not in response.headers
            and response.mimetype in ("application/json", "text/csv")
            and not response.direct_passthrough
        ):
            response.add_etag(weak=True)
            response.make_conditional(request)
        return response

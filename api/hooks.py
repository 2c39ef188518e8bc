"""Per-request plumbing: request id, metrics, security headers and the URL checks of the
request-decoding layer as a WSGI middleware; conditional GET as one after-request hook.

The middleware costs a plain function call per request, where Flask hooks cost a context
lookup and a coroutine check each; /compat's throughput is held to 0.8x a bare Flask
endpoint, so the hot path carries as little per-request machinery as possible.

The request-decoding layer is the one place where client bytes become text: URLs here (a NUL
in the path or query is refused before routing), bodies in :mod:`api.request`, ids in
:mod:`api.converters`. Views never see a NUL, a lone surrogate or an id that no column holds.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context, request

from api.errors import PROBLEM_MIME, TYPE_BASE
from api.ops import observe_request

REQUEST_ID = "virtcompat.request_id"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def request_id() -> str:
    """The current request's id, or "-" outside a request (for logs)."""
    if not has_request_context():
        return "-"
    value: str = request.environ.get(REQUEST_ID, "-")
    return value


# JSON answers are never rendered as documents: nothing may load, frame or run in them.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def html_csp(asset_origin: str | None) -> str:
    """The policy of our HTML pages (/docs and the dashboard).

    Swagger UI's page starts it with an inline script and styles its widgets inline, so
    scripts and styles allow 'unsafe-inline'; the pages embed no client input. Assets come from
    the app itself ('self') or, while Swagger UI is configured from a CDN, from that origin.
    """
    extra = f" {asset_origin}" if asset_origin else ""
    return (
        f"default-src 'self'; script-src 'self' 'unsafe-inline'{extra}; "
        f"style-src 'self' 'unsafe-inline'{extra}; img-src 'self' data:{extra}; "
        "connect-src 'self'; font-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def _origin(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _bad_url(environ: dict[str, Any]) -> str | None:
    """Why the URL cannot be decoded into text we accept, or None.

    PostgreSQL text cannot hold NUL (psycopg refuses it), and no id, slug or filter contains
    one; werkzeug already turns invalid UTF-8 into U+FFFD, so NUL is the one character left.
    """
    if "\x00" in environ.get("PATH_INFO", ""):
        return "The URL path contains a NUL character."
    query = environ.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        return "The query string contains a NUL character (%00)."
    return None


def _problem(environ: dict[str, Any], status: int, detail: str) -> tuple[str, bytes]:
    from http import HTTPStatus

    phrase = HTTPStatus(status).phrase
    body = {
        "type": TYPE_BASE + "bad-request",
        "title": phrase,
        "status": status,
        "detail": detail,
        "instance": environ.get("PATH_INFO", "").replace("\x00", "\ufffd"),
    }
    return f"{status} {phrase}", json.dumps(body).encode()


class Instrumentation:
    """Assigns or echoes ``X-Request-Id``, records request count and latency per route, adds
    the security headers to every response and refuses URLs that cannot be decoded."""

    def __init__(self, app: WsgiApp, asset_origin: str | None = None) -> None:
        self.app = app
        self._html_csp = html_csp(asset_origin)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        environ[REQUEST_ID] = rid
        seen: list[str] = []
        # Answers to authenticated requests are private (a probe's facts, a delete_token):
        # no shared or browser cache may keep them.
        private = "HTTP_AUTHORIZATION" in environ or "HTTP_X_DELETE_TOKEN" in environ

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            html = False
            cache_control = False
            for name, value in headers:
                lowered = name.lower()
                if lowered == "content-type":
                    html = value.startswith("text/html")
                elif lowered == "cache-control":
                    cache_control = "no-store" in value
            headers.append(("X-Request-Id", rid))
            headers.append(("X-Content-Type-Options", "nosniff"))
            headers.append(("X-Frame-Options", "DENY"))
            headers.append(("Referrer-Policy", "no-referrer"))
            headers.append(("Content-Security-Policy", self._html_csp if html else API_CSP))
            if private and not cache_control:
                headers.append(("Cache-Control", "no-store"))
            seen.append(status)
            return start_response(status, headers, exc_info)

        bad = _bad_url(environ)
        if bad is not None:
            status, body = _problem(environ, 400, bad)
            _start(status, [("Content-Type", PROBLEM_MIME), ("Content-Length", str(len(body)))])
            self._record(environ, status, time.perf_counter() - started)
            return [body]
        result = self.app(environ, _start)
        self._record(environ, seen[-1] if seen else "500", time.perf_counter() - started)
        return result

    def _record(self, environ: dict[str, Any], status: str, elapsed: float) -> None:
        observe_request(environ, status, elapsed)


def init_hooks(app: Flask) -> None:
    from api.compat.routes import RepeatedAnswers
    from api.converters import install
    from api.request import DecodingRequest

    app.request_class = DecodingRequest
    install(app.url_map)
    app.wsgi_app = Instrumentation(  # type: ignore[method-assign]
        RepeatedAnswers(app.wsgi_app, app), _origin(app.config.get("OPENAPI_SWAGGER_UI_URL"))
    )

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

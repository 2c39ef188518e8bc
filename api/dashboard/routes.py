"""The built-in dashboard: one static HTML page plus our own script and stylesheet.

No build step and no CDN: the files ship with the app. The page has no inline script or
style, so it runs under a ``default-src 'self'`` Content-Security-Policy; everything it shows
comes from /api/v1/stats and /api/v1/compat, fetched by ``dashboard.js``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response

HERE = Path(__file__).resolve().parent

blp = Blueprint(
    "dashboard",
    __name__,
    static_folder=str(HERE / "static"),
    static_url_path="/dashboard/static",
)

_PAGE = (HERE / "static" / "index.html").read_bytes()


@blp.get("/")
@blp.get("/dashboard")
def page() -> Response:
    resp = Response(_PAGE, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-cache"
    return resp

"""gunicorn server hooks (wired in gunicorn.conf.py): metrics across workers, and the
errors gunicorn answers itself as problem+json.

Imported by gunicorn's master before any worker exists, so nothing here may import
prometheus_client at module level: it picks its storage (in-process or per-pid files) when
first imported, and the workers must see ``PROMETHEUS_MULTIPROC_DIR`` set by then.
"""

from __future__ import annotations

import http
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from api.errors import PROBLEM_MIME, TYPE_BASE

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_CREATED = "_virtcompat_metrics_dir"

# The files prometheus_client writes: counter_<pid>.db, histogram_<pid>.db,
# gauge_livesum_<pid>.db, ...; only these are removed from a directory the operator names.
_METRIC_FILES = ("counter_*.db", "histogram_*.db", "gauge_*.db", "summary_*.db")


def on_starting(server: Any) -> None:
    """A clean metrics directory per run: counts of a previous run (or of pids that a new
    worker happens to reuse) must not leak into this one. And a database pool as large as
    a worker's thread count (VIRTCOMPAT_DB_POOL_SIZE, unless the operator set it): each
    thread's request holds one connection, so a smaller pool opens and closes overflow
    connections under load (virtcompat.db.DEFAULT_POOL_SIZE)."""
    os.environ.setdefault("VIRTCOMPAT_DB_POOL_SIZE", str(server.cfg.threads))
    configured = os.environ.get(MULTIPROC_ENV, "").strip()
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for pattern in _METRIC_FILES:
            for stale in path.glob(pattern):
                stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix="virtcompat-metrics-"))
        setattr(server, _CREATED, path)
    os.environ[MULTIPROC_ENV] = str(path)


def child_exit(server: Any, worker: Any) -> None:
    # A dead worker's live gauges (pool state) must stop counting; its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    created = getattr(server, _CREATED, None)
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)


_SLUGS = {414: "uri-too-long", 417: "expectation-failed", 431: "header-fields-too-large"}


def problem_error_page(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own answers (request line over ``limit_request_line``: 414, too many or too
    large headers: 431, a malformed request: 400) in the API's one error format."""
    from gunicorn import util

    try:
        phrase = http.HTTPStatus(status_int).phrase
    except ValueError:
        phrase = reason
    slug = _SLUGS.get(status_int) or phrase.lower().replace(" ", "-")
    body = json.dumps(
        {"type": TYPE_BASE + slug, "title": phrase, "status": status_int, "detail": mesg}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {phrase}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {PROBLEM_MIME}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install_problem_errors() -> None:
    # gunicorn writes these pages through one function, gunicorn.util.write_error, looked
    # up at call time by every worker class; replacing it in the master reaches every worker.
    from gunicorn import util

    util.write_error = problem_error_page

"""The dashboard in a real browser: a live server on a random 127.0.0.1 port with a fresh
database, the corpus probes posted over HTTP, then headless Chromium loads `/`, runs our
script, and the DOM it leaves must show the same numbers as the stats API.

Screenshots at 1280 px and at phone width are written to the test's temp directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.stats.corpus import corpus_probes, planted_regression
from virtcompat.db import make_engine, make_sessionmaker
from virtcompat.tokens import create_token

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
pytestmark = pytest.mark.parametrize("committed_database_url", ["sqlite"], indirect=True)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    if IN_CI:
        pytest.fail("headless Chromium is required in CI (.ci/run installs Debian's chromium)")
    pytest.skip("no chromium on PATH")


@pytest.fixture
def live(committed_database_url: str) -> Iterator[tuple[str, Flask]]:
    from api.db import dispose
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": committed_database_url, "CATALOG_TTL": 0.0})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=10)
    dispose(app)


def _token(url: str) -> str:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        _, secret = create_token(session, "browser-test", ["probe:write"])
        session.commit()
    engine.dispose()
    return secret


def _http(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:  # 127.0.0.1 only
        return json.loads(resp.read())


class Dom(HTMLParser):
    """What the script rendered: matrix cells by (board, capability), chart points."""

    def __init__(self) -> None:
        super().__init__()
        self.ready: str | None = None
        self.cells: dict[tuple[str, str], dict[str, str]] = {}
        self.points: list[dict[str, str]] = []
        self.bars: list[dict[str, str]] = []
        self.regressions: list[str] = []
        self.verdicts: dict[str, str] = {}
        self._row: str | None = None
        self._in_regression = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "body":
            self.ready = a.get("data-ready")
        elif tag == "tr" and "data-board" in a:
            self._row = a["data-board"]
        elif tag == "td" and "data-cap" in a and self._row:
            self.cells[(self._row, a["data-cap"])] = a
        elif tag == "g" and "point" in a.get("class", ""):
            self.points.append(a)
        elif tag == "rect" and "data-status" in a:
            self.bars.append({**a, "period": self.points[-1]["data-period"]})
        elif tag == "div" and "verdict" in a.get("class", "").split():
            self.verdicts[a["data-cap"]] = a["data-status"]
        elif tag == "li" and a.get("data-change"):
            self._in_regression = True
            self.regressions.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._in_regression = False

    def handle_data(self, data: str) -> None:
        if self._in_regression:
            self.regressions[-1] += data


def _browser(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",  # the CI container runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=20000",  # let the fetches and rendering finish
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dashboard_shows_the_data_in_headless_chromium(
    live: tuple[str, Flask], committed_database_url: str, tmp_path: Path
) -> None:
    base, _ = live
    token = _token(committed_database_url)
    bodies = corpus_probes() + planted_regression()
    for body in bodies:
        _http("POST", f"{base}/api/v1/probes", body, token)
    # Every board of the catalogue (about a thousand with the shipped imports), page by page.
    matrix: dict[str, Any] = {"items": []}
    for number in range(1, 100):
        page_doc = _http("GET", f"{base}/api/v1/stats/support-matrix?per_page=200&page={number}")
        matrix["items"] += page_doc["items"]
        if len(matrix["items"]) >= page_doc["total"]:
            break
    week = _http("GET", f"{base}/api/v1/stats/probes?bucket=week")

    page = _browser("--dump-dom", f"{base}/", profile=tmp_path / "profile")
    assert page.returncode == 0, page.stderr[-2000:]
    dom = Dom()
    dom.feed(page.stdout)
    assert dom.ready == "yes", page.stdout[-3000:]

    # Every matrix cell is the API's verdict and probe tally for that board and capability.
    assert len(dom.cells) == len(matrix["items"]) * 5
    for row in matrix["items"]:
        for cap, want in row["capabilities"].items():
            got = dom.cells[(row["board"]["slug"], cap)]
            assert got["data-status"] == want["status"]
            assert int(got["data-confirm"]) == want["probes"]["confirm"]
    dq45cb = dom.cells[("intel-dq45cb", "vtd")]
    assert (dq45cb["data-confirm"], dq45cb["data-contradict"]) == ("3", "0")
    assert "st-" + dq45cb["data-status"] in dq45cb["class"]

    # The chart has one point per week, and its bars add up to the probes posted.
    assert [p["data-period"] for p in dom.points] == [i["period"] for i in week["items"]]
    assert [int(p["data-probes"]) for p in dom.points] == [i["probes"] for i in week["items"]]
    assert sum(int(b["data-count"]) for b in dom.bars) == len(bodies)
    vtx_now = {
        b["data-status"]: int(b["data-count"])
        for b in dom.bars
        if b["period"] == week["items"][-1]["period"]
    }
    assert vtx_now == week["items"][-1]["capabilities"]["vtx"]

    want = "lost DQ45CB: VT-d supported on 0061 (3 probes), disabled on 0070 (2 probes)"
    assert want in dom.regressions

    # The search box answers /compat in the page; a check in the address runs on load.
    asked = _browser("--dump-dom", f"{base}/?board=DQ43AP", profile=tmp_path / "profile")
    found = Dom()
    found.feed(asked.stdout)
    compat = _http("GET", f"{base}/api/v1/compat?board=DQ43AP")
    assert found.verdicts == {c: v["status"] for c, v in compat["capabilities"].items()}
    assert found.verdicts["vtd"] == "unsupported"  # Q43 has no VT-d (Intel's VT-d note)

    for name, size in (("dashboard-1280.png", "1280,2300"), ("dashboard-phone.png", "390,3200")):
        shot = _browser(
            f"--screenshot={tmp_path / name}",
            f"--window-size={size}",
            f"{base}/?board=DQ45CB&bios=0070",
            profile=tmp_path / "profile",
        )
        assert shot.returncode == 0, shot.stderr[-2000:]
        assert (tmp_path / name).stat().st_size > 10_000
    print(f"screenshots: {tmp_path}")


def test_dashboard_page_and_assets_are_served(live: tuple[str, Flask]) -> None:
    base, _ = live
    for path in ("/", "/dashboard"):
        with urllib.request.urlopen(base + path, timeout=10) as resp:
            html = resp.read().decode()
            assert resp.headers["Content-Type"].startswith("text/html")
        assert '<script src="/dashboard/static/dashboard.js" defer></script>' in html
        assert "<script>" not in html and "style=" not in html  # nothing inline: CSP 'self'
    for asset, kind in (("dashboard.js", "javascript"), ("dashboard.css", "text/css")):
        with urllib.request.urlopen(f"{base}/dashboard/static/{asset}", timeout=10) as resp:
            assert kind in resp.headers["Content-Type"]
            assert resp.read()  # read to the end so the server closes the file

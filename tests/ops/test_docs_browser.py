"""/docs works offline: headless Chromium renders the operation list from the app's own
assets, with every host but 127.0.0.1 unresolvable."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.ops.conftest import LiveServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


# CI installs chromium (.ci/run), so there a missing browser fails instead of skipping.
@pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="Debian's chromium is not installed")
def test_docs_render_operation_list_without_network(
    live_server: LiveServer, tmp_path: Path
) -> None:
    assert CHROMIUM is not None, "chromium is required in CI"
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            # The network is off for the page: any host but the server's fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            # Run scripts and the spec fetch to completion before the DOM is dumped.
            "--virtual-time-budget=20000",
            "--dump-dom",
            live_server.url + "/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    rendered = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    for path in (
        "/api/v1/compat",
        "/api/v1/compat/batch",
        "/api/v1/boards/{key}",
        "/api/v1/probes",
        "/api/v1/validate/domain-config",
        "/api/v1/rules",
    ):
        assert path in rendered, (path, sorted(rendered))
    # Everything the page loads is the service's own (relative URLs); XML namespace names
    # such as http://www.w3.org/2000/svg are identifiers, not requests.
    loaded = re.findall(r'\b(?:src|href|action)="([^"]*)"', dom)
    assert loaded and all(not re.match(r"(?i)[a-z][a-z0-9+.-]*:|//", u) for u in loaded), loaded
    assert "/docs/assets/swagger-ui-bundle.js" in loaded


def test_docs_assets_are_served_locally_and_nothing_else(live_server: LiveServer) -> None:
    status, page = live_server.get("/docs")
    assert status == 200
    assert b"cdn" not in page.lower() and b"https://" not in page
    status, body = live_server.get("/docs/assets/swagger-ui-bundle.js")
    assert status == 200 and b"SwaggerUIBundle" in body
    status, _ = live_server.get("/docs/assets/..%2fLICENSE")
    assert status == 404
    status, _ = live_server.get("/docs/assets/VERSION")
    assert status == 404

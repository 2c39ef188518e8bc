"""Probes against really committing databases: concurrent retries, and the agent posting to
a live server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from virtcompat.db import make_engine, make_sessionmaker
from virtcompat.models import Probe
from virtcompat.tokens import create_token

ROOT = Path(__file__).resolve().parents[2]
AGENT = ROOT / "agent" / "virtcompat-probe"
DATA = ROOT / "tests" / "data" / "probe"

pytestmark = pytest.mark.parametrize(
    "committed_database_url", ["sqlite", "postgresql"], indirect=True
)


@pytest.fixture
def live_app(committed_database_url: str) -> Iterator[Flask]:
    from api.db import dispose
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": committed_database_url})
    yield app
    dispose(app)


@pytest.fixture
def token(committed_database_url: str) -> str:
    engine = make_engine(committed_database_url)
    with make_sessionmaker(engine)() as session:
        _, secret = create_token(session, "live", ["probe:write"])
        session.commit()
    engine.dispose()
    return secret


def _count_probes(url: str) -> int:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        n = session.scalar(select(func.count()).select_from(Probe)) or 0
    engine.dispose()
    return n


def test_twenty_concurrent_retries_make_one_row(
    live_app: Flask, token: str, committed_database_url: str
) -> None:
    before = _count_probes(committed_database_url)
    body = {
        "agent": {"name": "race", "version": "1"},
        "artefacts": {
            "cpuinfo": (DATA / "cpuinfo" / "intel-core-i7-2600-baremetal.cpuinfo").read_text(),
            "kernel_release": "5.15.0",
        },
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "race-key-1"}
    statuses: list[int] = []
    ids: list[int] = []
    barrier = threading.Barrier(20)
    lock = threading.Lock()

    def worker() -> None:
        client = live_app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/probes", json=body, headers=headers)
        with lock:
            statuses.append(resp.status_code)
            ids.append(resp.get_json()["id"])

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200] * 19 + [201]
    assert len(set(ids)) == 1
    assert _count_probes(committed_database_url) == before + 1


@pytest.fixture
def server(live_app: Flask) -> Iterator[str]:
    srv = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)


def _fake_host(root: Path) -> None:
    def write(rel: str, content: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)

    write("proc/cpuinfo", (DATA / "cpuinfo" / "intel-core-i7-2600-baremetal.cpuinfo").read_text())
    write("proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet intel_iommu=on\n")
    write("proc/sys/kernel/osrelease", "5.15.0-91-generic\n")
    for key, value in {
        "board_vendor": "Intel Corporation",
        "board_name": "DQ45CB",
        "bios_version": "CBQ4510H.86A.0061.2009.0324.1639",
        "product_serial": "LIVE-SERIAL-42",
    }.items():
        write(f"sys/class/dmi/id/{key}", value + "\n")
    for table in ("APIC", "DMAR", "DSDT"):
        write(f"sys/firmware/acpi/tables/{table}", "x")
    for group in range(3):
        (root / f"sys/kernel/iommu_groups/{group}/devices").mkdir(parents=True)
    write("dev/kvm", "")
    write(
        ".virtcompat/dmesg.txt",
        "[    0.000000] Linux version 5.15.0-91-generic (b@h) #101\n"
        "[    0.400000] DMAR: Intel(R) Virtualization Technology for Directed I/O\n",
    )
    write(
        ".virtcompat/lspci.txt",
        "00:00.0 Host bridge [0600]: Intel Corporation 4 Series Chipset DRAM Controller "
        "[8086:2e10] (rev 03)\n"
        "00:1f.0 ISA bridge [0601]: Intel Corporation 82801JDO (ICH10DO) LPC Interface "
        "Controller [8086:3a14] (rev 02)\n",
    )


def _agent(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(AGENT), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_agent_posts_to_live_server_and_renders_text(
    server: str, token: str, tmp_path: Path
) -> None:
    root = tmp_path / "host"
    _fake_host(root)
    salt = tmp_path / "salt"
    posted = _agent(
        "--root",
        str(root),
        "--salt-file",
        str(salt),
        "--url",
        server,
        "--token",
        token,
        "--format",
        "json",
    )
    assert posted.returncode == 0, posted.stderr
    body: dict[str, Any] = json.loads(posted.stdout)
    assert body["matched"]["board"]["slug"] == "intel-dq45cb"
    assert body["diagnosis"]["capabilities"]["vtd"]["status"] == "supported"
    assert "LIVE-SERIAL-42" not in posted.stdout + posted.stderr

    text = _agent(
        "--root",
        str(root),
        "--salt-file",
        str(salt),
        "--url",
        server,
        "--token",
        token,
        "--format",
        "text",
    )
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert any(line.startswith("PASS") and "vtd" in line for line in lines)


def test_probe_post_runs_in_autocommit_on_postgresql(live_app: Flask) -> None:
    """PostgreSQL: the probe post's statements (token lookup, the one ingest statement, a
    replay's read) run in autocommit, with no BEGIN/COMMIT around them; other requests keep
    their transaction. (SQLite keeps its transaction: SQLAlchemy begins it.)"""
    from sqlalchemy import event

    from api.db import EXT

    engine = live_app.extensions[EXT]["engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("the driver's autocommit is PostgreSQL's")
    with make_sessionmaker(engine)() as session:
        _, secret = create_token(session, "autocommit", ["probe:write"])
        session.commit()
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((statement.split()[0], bool(conn.connection.driver_connection.autocommit)))

    checkouts: list[int] = []

    def checkout(*_args: Any) -> None:
        checkouts.append(1)

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "checkout", checkout)
    client = live_app.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "autocommit"}
    body = {"agent": {"name": "t", "version": "1"}, "artefacts": {"kernel_release": "6.1"}}
    try:
        # No usable token: a 401 without a database connection, as before.
        for auth in ({}, {"Authorization": "Basic x"}, {"Authorization": "Bearer " + "x" * 201}):
            assert client.post("/api/v1/probes", json=body, headers=auth).status_code == 401
        assert seen == [] and checkouts == []
        assert client.post("/api/v1/probes", json=body, headers=headers).status_code == 201
        assert client.post("/api/v1/probes", json=body, headers=headers).status_code == 200
        posts = list(seen)
        seen.clear()
        assert client.get("/api/v1/unverified-hardware", headers=headers).status_code in (
            200,
            403,
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "checkout", checkout)
    assert posts and all(autocommit for _, autocommit in posts), posts
    assert seen and not any(autocommit for _, autocommit in seen), seen

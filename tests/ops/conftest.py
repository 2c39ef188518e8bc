"""A real gunicorn serving the app (with the repo's gunicorn.conf.py, as `make run` does) on
a random port of 127.0.0.1, over a migrated and seeded database of the test's own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()


def start_server(
    database_url: str, folder: Path, workers: int = 1, extra_env: dict[str, str] | None = None
) -> LiveServer:
    log = folder / "gunicorn.log"
    # A metrics directory inherited from the caller's shell would be shared with it.
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(DATABASE_URL=database_url, VIRTCOMPAT_LOG_LEVEL="WARNING", **(extra_env or {}))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "--bind", "127.0.0.1:0", "--workers", str(workers), "app:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    url = None
    while time.monotonic() < deadline and process.poll() is None:
        found = _LISTENING.search(log.read_text(errors="replace"))
        if found:
            url = found.group(1)
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).close()
                return LiveServer(url, process, log, env)
            except OSError:
                pass
        time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(f"gunicorn did not come up ({url}):\n{log.read_text(errors='replace')}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def live_server_factory(
    committed_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def factory(workers: int = 1, extra_env: dict[str, str] | None = None) -> LiveServer:
        server = start_server(
            committed_database_url, tmp_path_factory.mktemp("gunicorn"), workers, extra_env
        )
        started.append(server)
        return server

    yield factory
    for server in started:
        stop_server(server.process)


@pytest.fixture(scope="module")
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    return live_server_factory()

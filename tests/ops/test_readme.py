"""Every shell command in the README runs: the fenced ```sh blocks are extracted and run in
order, in one bash, against a live `make run` on a random port over a fresh SQLite database.

An HTTP error fails the run (curl gets --fail-with-body), so does any non-zero exit; the few
commands that cannot run inside the test suite are named below with the reason.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT
from tests.ops.test_compose import _client

README = ROOT / "README.md"
FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)

# Commands the test does not run itself, and why.
NOT_RUN = {
    "make test": "it is the suite this test belongs to",
    "docker compose up -d": "needs image pulls; the file is validated by make compose-config",
    "docker compose run --rm migrate flask --app app tokens create --name lab --scope admin": (
        "needs the built image; validated by make compose-config"
    ),
}
# The agent's verdict on the machine running the test decides between exit 0 and 1.
EXIT_0_OR_1 = ("agent/virtcompat-probe --url",)


def readme_commands() -> list[str]:
    commands = []
    for block in FENCE.findall(README.read_text()):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def _bare(command: str) -> str:
    """The command without its trailing comment."""
    return " ".join(shlex.split(command, comments=True))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_readme_has_the_commands_the_issue_asks_for() -> None:
    bare = [_bare(c) for c in readme_commands()]
    assert "make run" in bare and "make compose-config" in bare
    assert any(c.startswith("TOKEN=$(") and "tokens create" in c for c in bare)
    for example in ("guest-xl.cfg", "guest-xm.cfg", "guest.xml", "probe.json"):
        assert (ROOT / "examples" / example).is_file()
        assert any(f"examples/{example}" in c for c in bare), example
    assert "DATABASE_URL" in README.read_text().split("## Try it")[1].split("## ")[0]


def test_every_readme_command_runs_against_make_run(tmp_path: Path) -> None:
    commands = readme_commands()
    assert "make run" in [_bare(c) for c in commands]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'readme.sqlite3'}",
        PORT=str(port),
        WORKERS="2",
        HOME=str(tmp_path),
        VIRTCOMPAT_LOG_LEVEL="WARNING",
    )
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(port, server, log)
        script = [
            "set -euo pipefail",
            'curl() { command curl --fail-with-body --show-error "$@"; }',
        ]
        skipped = {}
        for command in commands:
            bare = _bare(command)
            if bare == "make run":
                continue
            if bare in NOT_RUN:
                skipped[bare] = NOT_RUN[bare]
                continue
            if bare == "make compose-config" and _client() is None:
                skipped[bare] = "no docker compose client"
                continue
            line = command.replace("localhost:8000", f"localhost:{port}").replace(
                "127.0.0.1:8000", f"127.0.0.1:{port}"
            )
            if line.startswith(EXIT_0_OR_1):
                line = f"{{ {bare.replace('8000', str(port))} || [ $? -eq 1 ]; }}"
            script.append(f"printf '+ %s\\n' {shlex.quote(bare)} >&2")
            script.append(line)
        result = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (result.stderr[-3000:], result.stdout[-2000:])
        assert set(skipped) <= set(NOT_RUN) | {"make compose-config"}
        out = result.stdout
        # what the commands answered, by the seed's own facts
        assert '"slug": "intel-dq43ap"' in out or '"slug":"intel-dq43ap"' in out
        assert '"valid": true' in out  # the example configs are valid
        assert '"diagnosis"' in out  # the probe was accepted (201)
        assert 'route="/api/v1/boards/<key>"' in out  # /metrics of make run, per route
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _wait_healthy(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"make run exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"make run did not serve:\n{log.read_text(errors='replace')[-3000:]}")

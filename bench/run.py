"""Throughput of GET /api/v1/compat against a bare Flask JSON endpoint, same gunicorn settings.

Both servers run on 127.0.0.1 with the same gunicorn command line, pinned to one half of
the CPUs; a load generator in separate processes, pinned to the other half, keeps a fixed
number of connections busy for a fixed time and counts completed requests (unpinned, the
clients steal the servers' cores and the ratio mostly measures the scheduler). Rounds
alternate baseline and target so machine noise hits both, and the median of the per-round
ratios is reported. Target: compat >= 0.8 x baseline (issue 3).

    .venv/bin/python bench/run.py [--seconds 5] [--rounds 7] [--clients 4] [--workers 1]
                                  [--no-fail]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_RATIO = 0.8
QUERIES = [
    "/api/v1/compat?board=DQ43AP&cpu=Core%202%20Quad%20Q9550",
    "/api/v1/compat?board=Intel%20Corporation%20DQ45CB&bios=0061",
    "/api/v1/compat?cpu=Core%20i7-2600K&chipset=Q67",
    "/api/v1/compat?cpu=E7400",
    "/api/v1/compat?chipset=8086:2e10",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cpus() -> tuple[set[int], set[int]]:
    """Server CPUs and client CPUs: split the machine so the load generator does not steal
    the servers' cores (with one core, both share it)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus)
    half = len(cpus) // 2
    return set(cpus[:half]), set(cpus[half:])


def _gunicorn(app: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        app,
    ]
    server_cpus = _cpus()[0]
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, server_cpus),
    )


def _wait(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer {path}")


def _client(port: int, paths: list[str], seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    os.sched_setaffinity(0, _cpus()[1])
    done = errors = 0
    i = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            # gunicorn's sync workers close every connection, so each request connects anew,
            # for the baseline and the target alike.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", paths[i % len(paths)])
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status == 200:
                done += 1
            else:
                errors += 1
        except OSError:
            errors += 1
        i += 1
    out.put((done, errors))


def _load(port: int, paths: list[str], seconds: float, clients: int) -> tuple[float, int]:
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [
        mp.Process(target=_client, args=(port, paths[k:] + paths[:k], seconds, queue))
        for k in range(clients)
    ]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    done = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    return done / seconds, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even below target")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="virtcompat-bench-"))
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        VIRTCOMPAT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [str(BIN / "flask"), "--app", "app", "seed"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )

    base_port, app_port = _free_port(), _free_port()
    servers = [
        _gunicorn("bench.baseline_app:app", base_port, args.workers, env),
        _gunicorn("app:app", app_port, args.workers, env),
    ]
    try:
        _wait(base_port, "/ping")
        _wait(app_port, QUERIES[0])
        for q in QUERIES:  # warm every worker's snapshot and verdict cache
            _load(app_port, [q], 0.5, 2)
        ratios = []
        server_cpus, client_cpus = _cpus()
        print(
            f"gunicorn sync, {args.workers} worker(s) pinned to CPU {sorted(server_cpus)}; "
            f"{args.clients} client processes on CPU {sorted(client_cpus)}; "
            f"{args.seconds:.0f}s per run; {args.rounds} rounds"
        )
        for rnd in range(1, args.rounds + 1):
            base, base_err = _load(base_port, ["/ping"], args.seconds, args.clients)
            comp, comp_err = _load(app_port, QUERIES, args.seconds, args.clients)
            ratio = comp / base if base else 0.0
            ratios.append(ratio)
            print(
                f"round {rnd}: baseline {base:8.1f} req/s ({base_err} errors)   "
                f"compat {comp:8.1f} req/s ({comp_err} errors)   ratio {ratio:.3f}"
            )
        median = statistics.median(ratios)
        print(f"ratio range over rounds: {min(ratios):.3f} .. {max(ratios):.3f}")
        verdict = "PASS" if median >= TARGET_RATIO else "FAIL"
        print(
            f"compat/baseline throughput ratio (median): {median:.3f} "
            f"(target >= {TARGET_RATIO}) {verdict}"
        )
        return 0 if verdict == "PASS" or args.no_fail else 1
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            s.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

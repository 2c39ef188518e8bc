"""What the server does, measured with wrk: every HTTP path against a bare Flask baseline.

For each database (SQLite, and PostgreSQL when a server is reachable) the app runs under the
gunicorn settings `make run` uses (gunicorn.conf.py when present, the same worker count), and
in the same run a bare Flask app (bench/baseline_app.py: GET and POST answering a small JSON
object) runs under identical settings. wrk (one thread, C, far faster than any server here)
drives one server at a time from the other CPU; rounds alternate baseline and target so
machine noise hits both, and each scenario reports the median of its per-round ratios.

Scenarios: GET /compat (one repeated query; distinct queries), POST /compat/batch of 100
items, POST /validate/domain-config (an xl, an xm and a libvirt config from the corpus),
POST /probes (real corpus artefacts, a unique body and Idempotency-Key per request), and the
stats endpoints. Each prints requests/s, p50, p99, non-2xx answers, socket errors and the
ratio; the whole run goes to a JSON file under bench/results/. In-process parser throughput
is measured too, on one CPU (the best of five 1 s runs per parser).

    .venv/bin/python bench/wrk.py [--seconds 5] [--rounds 5] [--db sqlite,postgresql]
                                  [--only compat,batch,...] [--no-fail]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = ROOT / "tests" / "data"
LUA = Path(__file__).resolve().parent / "lua" / "request.lua"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""  # "@@N@@" in it makes every request unique
    connections: int = 16
    target: float | None = None  # the ratio target, where there is one
    p99_ms: float | None = None  # a p99 target in milliseconds, where there is one
    paths: tuple[str, ...] = ()  # distinct GET paths, cycled (overrides path)
    target_db: str | None = None  # the one database the targets are for (None: every one)


@dataclass
class Measure:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


def _read(rel: str) -> str:
    return (DATA / rel).read_text(encoding="utf-8", errors="replace")


def _probe_body() -> str:
    """A real bare-metal probe (ThinkPad with an Alder Lake CPU, NixOS 6.18): its dmesg, plus
    a cpuinfo from the corpus. @@N@@ on the kernel command line keeps every body unique."""
    artefacts = {
        "dmesg": _read("probe/dmesg/thinkpad-21bv-alderlake-nixos-6.18-acpi-table-list-dmar.dmesg"),
        "cpuinfo": _read("probe/cpuinfo/intel-core-i7-2600-baremetal.cpuinfo"),
        "kernel_release": "6.18.0",
        "acpi_tables": ["APIC", "DMAR", "FACP", "HPET", "MCFG"],
        "iommu_groups": 17,
        "dev_kvm": True,
        "cmdline": "BOOT_IMAGE=/boot/vmlinuz root=/dev/nvme0n1p2 ro intel_iommu=on bench=@@N@@",
    }
    doc = {"agent": {"name": "bench", "version": "1.0"}, "artefacts": artefacts}
    return json.dumps(doc)


def _libvirt_config() -> str | None:
    for folder in (DATA / "libvirt", DATA / "xen" / "libvirt"):
        if folder.is_dir():
            for p in sorted(folder.rglob("*.xml")):
                text = p.read_text(encoding="utf-8", errors="replace")
                if "<domain" in text and "<hostdev" not in text:
                    return text
    return None


def scenarios(token: str) -> list[Scenario]:
    compat_paths = (
        "/api/v1/compat?board=DQ43AP&cpu=Core%202%20Quad%20Q9550",
        "/api/v1/compat?board=Intel%20Corporation%20DQ45CB&bios=0061",
        "/api/v1/compat?cpu=Core%20i7-2600K&chipset=Q67",
        "/api/v1/compat?cpu=E7400",
        "/api/v1/compat?chipset=8086:2e10",
        "/api/v1/compat?board=DX58SO&cpu=Core%20i7-920",
        "/api/v1/compat?board=DQ35JO",
        "/api/v1/compat?cpu=Core%202%20Duo%20E8400",
    )
    names = [
        {"board": "DQ43AP", "cpu": "Core 2 Quad Q9550"},
        {"board": "DQ45CB", "bios": "0061"},
        {"cpu": "i7-2600K", "chipset": "Q67"},
        {"cpu": "E7400"},
        {"board": "DX58SO", "cpu": "Core i7-920"},
    ]
    batch = json.dumps({"items": [names[i % len(names)] for i in range(100)]})
    js = {"Content-Type": "application/json"}
    auth = {**js, "Authorization": f"Bearer {token}"}
    out = [
        Scenario("compat-repeated", "GET", compat_paths[0], target=0.8),
        Scenario("compat-distinct", "GET", compat_paths[0], paths=compat_paths, target=0.8),
        Scenario("compat-batch-100", "POST", "/api/v1/compat/batch", js, batch, target=0.05),
    ]
    configs = [
        ("validate-xl", "xl", _read("xen/xl/xen-xlexample.hvm.cfg"), 0.5),
        ("validate-xm", "xm", _read("xen/xm/xen-xmexample.hvm.cfg"), None),
    ]
    xml = _libvirt_config()
    if xml is not None:
        configs.append(("validate-libvirt", "libvirt", xml, None))
    for name, fmt, text, target in configs:
        body = json.dumps({"config": text, "format": fmt, "xen_version": "4.17"})
        path = "/api/v1/validate/domain-config"
        out.append(Scenario(name, "POST", path, js, body, target=target))
    out.append(
        Scenario(
            "probes-post",
            "POST",
            "/api/v1/probes",
            {**auth, "Idempotency-Key": "x"},
            _probe_body(),
            connections=8,
            target=0.1,
            p99_ms=100.0,
            # The target is PostgreSQL's: SQLite serialises the writers of every
            # worker on its one database lock.
            target_db="postgresql",
        )
    )
    for stat in ("summary", "support-matrix", "probes?bucket=week", "regressions", "conflicts"):
        out.append(Scenario(f"stats-{stat.split('?')[0]}", "GET", f"/api/v1/stats/{stat}", auth))
    return out


# -- servers -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cpus() -> tuple[list[int], list[int]]:
    """Server CPUs and load-generator CPUs: wrk on the last CPU, servers on the others (with
    one CPU, both share it)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return cpus, cpus
    return cpus[:-1], cpus[-1:]


def _gunicorn_cmd(app: str, port: int, workers: int) -> list[str]:
    cmd = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    conf = ROOT / "gunicorn.conf.py"
    if conf.exists():
        cmd += ["--config", str(conf)]
    return [*cmd, "--log-level", "warning", "--access-logfile", "/dev/null", app]


@contextmanager
def _server(app: str, workers: int, env: dict[str, str]) -> Iterator[int]:
    port = _free_port()
    cpus = set(_cpus()[0])
    proc = subprocess.Popen(
        _gunicorn_cmd(app, port, workers),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    )
    try:
        _wait(port, "/healthz" if app == "app:app" else "/ping")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer {path}")


# -- databases ---------------------------------------------------------------------------------


def _pg_reachable(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 3).close()
    except OSError:
        return False
    return True


@contextmanager
def _database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from virtcompat.db import make_engine, normalize_url

    admin_url = normalize_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG)
    name = f"virtcompat_bench_{os.getpid()}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _prepare(env: dict[str, str]) -> str:
    """Migrate, seed and create a token with every scope; returns the token."""
    run = dict(cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], **run)  # type: ignore[call-overload]
    subprocess.run([str(BIN / "flask"), "--app", "app", "seed"], **run)  # type: ignore[call-overload]
    done = subprocess.run(  # type: ignore[call-overload]
        [str(BIN / "flask"), "--app", "app", "tokens", "create", "--name", "bench"]
        + ["--scope", "admin"],
        **run,
    )
    token: str = done.stdout.strip().splitlines()[-1]
    return token


# -- wrk ---------------------------------------------------------------------------------------


def _wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing Debian's wrk package", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is required (apt-get install wrk)")
    return found


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    return float(m.group(1)) * _UNIT[m.group(2)] if m else float("nan")


def parse_wrk(out: str, seconds: float) -> Measure:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Measure(
        rps=float(rps.group(1)) if rps else 0.0,
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
        errors=sum(int(g) for g in errs.groups()) if errs else 0,
    )


def _spec_file(tmp: Path, s: Scenario, path: str | None = None) -> Path:
    head = [f"{s.method} {path or s.path}", *(f"{k}: {v}" for k, v in s.headers.items())]
    p = tmp / f"{s.name}.req"
    p.write_text("\n".join(head) + "\n\n" + s.body, encoding="utf-8")
    return p


def _run_wrk(port: int, spec: Path, seconds: float, connections: int, run_id: str) -> Measure:
    env = dict(
        os.environ,
        BENCH_SCENARIO=str(spec),
        BENCH_RUN_ID=run_id,
        BENCH_ERRORS=str(spec.with_suffix(".errors")),
    )
    cpus = set(_cpus()[1])
    out = subprocess.run(
        [_wrk(), "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(LUA)]
        + [f"http://127.0.0.1:{port}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    )
    return parse_wrk(out.stdout, seconds)


def _measure(port: int, tmp: Path, s: Scenario, seconds: float, run_id: str) -> Measure:
    if not s.paths:
        return _run_wrk(port, _spec_file(tmp, s), seconds, s.connections, run_id)
    # Distinct queries: the same time split over each path, requests/s summed.
    share = max(seconds / len(s.paths), 1.0)
    parts = [_run_wrk(port, _spec_file(tmp, s, p), share, s.connections, run_id) for p in s.paths]
    return Measure(
        rps=statistics.mean(m.rps for m in parts),
        p50_ms=statistics.median(m.p50_ms for m in parts),
        p99_ms=max(m.p99_ms for m in parts),
        non_2xx=sum(m.non_2xx for m in parts),
        errors=sum(m.errors for m in parts),
    )


def _baseline(s: Scenario) -> Scenario:
    """The bare Flask request matching a scenario: same method, same body size, and measured
    the same way: a scenario of distinct paths runs wrk once per path for a share of the
    time, so its baseline cycles as many distinct /ping paths in runs of the same length
    (one 5 s run would spare the baseline the start of seven more wrk runs)."""
    return Scenario(
        f"baseline-{s.name}",
        s.method,
        "/ping",
        {"Content-Type": "application/json"} if s.method == "POST" else {},
        "x" * len(s.body) if s.body else "",
        s.connections,
        paths=tuple(f"/ping?path={i}" for i in range(len(s.paths))),
    )


# -- parsers in process ------------------------------------------------------------------------


def parser_throughput(seconds: float = 1.0, runs: int = 5) -> dict[str, dict[str, Any]]:
    """Inputs parsed per second on one core, in this process (no HTTP): for each parser,
    ``runs`` timed runs of ``seconds`` over its corpus files; the figure is the best run
    (as timeit takes the fastest repeat: a slower run measures what else the machine was
    doing, not the parser), and every run is kept in the report."""
    sys.path.insert(0, str(ROOT))
    from virtcompat.probe.cpuinfo import parse_cpuinfo
    from virtcompat.probe.kernlog import parse_kernel_log

    results: dict[str, dict[str, Any]] = {}

    def rate(name: str, items: list[Any], fn: Callable[[Any], object]) -> None:
        for item in items:  # warm: imports, compiled patterns, the option catalogue
            fn(item)
        rates = []
        for _ in range(runs):
            n, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                fn(items[n % len(items)])
                n += 1
            rates.append(n / (time.perf_counter() - start))
        results[name] = {"best": max(rates), "runs": rates}

    xl = [p.read_text() for p in sorted((DATA / "xen" / "xl").glob("*.cfg"))]
    xm = [p.read_text() for p in sorted((DATA / "xen" / "xm").glob("*.cfg"))]
    dmesg = [p.read_text(errors="replace") for p in sorted((DATA / "probe/dmesg").glob("*.dmesg"))]
    cpuinfo = [p.read_text() for p in sorted((DATA / "probe/cpuinfo").glob("*.cpuinfo"))]
    validate = _validate_fn()
    rate("xl configs validated/s", xl, lambda t: validate(t, "xl"))
    rate("xm configs validated/s", xm, lambda t: validate(t, "xm"))
    rate("dmesg parsed/s", dmesg, parse_kernel_log)
    rate("cpuinfo parsed/s", cpuinfo, parse_cpuinfo)
    return results


def _validate_fn() -> Callable[[str, str], object]:
    from virtcompat.xen.validate import validate_config

    return lambda text, fmt: validate_config(text, fmt, xen_version="4.17")


# -- main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "2")))
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--only", default="", help="comma-separated scenario name prefixes")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even below a target")
    args = parser.parse_args()

    server_cpus, load_cpus = _cpus()
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}"
    print(
        f"{machine}; servers on CPU {server_cpus}, wrk on CPU {load_cpus}; {args.workers} "
        f"worker(s); {args.seconds:g}s per run; {args.rounds} round(s)"
    )
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": machine,
        "workers": args.workers,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "results": [],
    }
    failed = False
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        pg_url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
        if db == "postgresql" and not _pg_reachable(pg_url):
            print(f"postgresql: {pg_url} unreachable, skipped")
            continue
        failed |= _bench_db(db, args, report)
    # On one core: the servers are gone; the parsers run on the first CPU alone.
    with suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {_cpus()[0][0]})
    report["parsers"] = parser_throughput()
    for name, found in report["parsers"].items():
        value = found["best"]
        spread = ", ".join(f"{r:.0f}" for r in found["runs"])
        runs = len(found["runs"])
        print(f"in-process: {name:28} {value:10.0f}  (best of {runs} 1 s runs: {spread})")
        if name.startswith("xl") and value < 10_000:
            failed = True
            print("  target: >= 10000 xl configs/s on one core  FAIL")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"wrk-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out.relative_to(ROOT)}")
    return 1 if failed and not args.no_fail else 0


def _bench_db(db: str, args: argparse.Namespace, report: dict[str, Any]) -> bool:
    failed = False
    with tempfile.TemporaryDirectory(prefix="virtcompat-wrk-") as t:
        tmp = Path(t)
        with _database(db, tmp) as url:
            env = dict(
                os.environ,
                DATABASE_URL=url,
                VIRTCOMPAT_LOG_LEVEL="WARNING",
                PYTHONPATH=str(ROOT),
                PROMETHEUS_MULTIPROC_DIR=str(tmp / "prom"),
            )
            (tmp / "prom").mkdir()
            token = _prepare(env)
            chosen = [
                s
                for s in scenarios(token)
                if not args.only or any(s.name.startswith(p) for p in args.only.split(","))
            ]
            with (
                _server("bench.baseline_app:app", args.workers, env) as base_port,
                _server("app:app", args.workers, env) as app_port,
            ):
                for s in chosen:  # warm every worker: snapshots, caches, connections
                    _measure(app_port, tmp, s, 1.0, f"warm-{db}")
                for s in chosen:
                    failed |= _scenario(db, s, base_port, app_port, tmp, args, report)
    return failed


def _scenario(
    db: str,
    s: Scenario,
    base_port: int,
    app_port: int,
    tmp: Path,
    args: argparse.Namespace,
    report: dict[str, Any],
) -> bool:
    ratios, targets, bases = [], [], []
    for rnd in range(args.rounds):
        run_id = f"{db}-{s.name}-{rnd}-{time.time_ns()}"
        pair = [("base", base_port, _baseline(s)), ("app", app_port, s)]
        if rnd % 2:
            pair.reverse()
        got = {who: _measure(port, tmp, sc, args.seconds, run_id) for who, port, sc in pair}
        bases.append(got["base"])
        targets.append(got["app"])
        ratios.append(got["app"].rps / got["base"].rps if got["base"].rps else 0.0)
    ratio = statistics.median(ratios)
    best = targets[ratios.index(ratio)] if ratio in ratios else targets[-1]
    non2xx = sum(m.non_2xx for m in targets)
    sock_errors = sum(m.errors for m in targets)  # wrk's socket errors, not HTTP answers
    verdict = ""
    failed = False
    targeted = s.target is not None and s.target_db in (None, db)
    if targeted:
        ok = ratio >= s.target and (s.p99_ms is None or best.p99_ms < s.p99_ms)
        failed = not ok
        verdict = f"target >= {s.target}" + (f", p99 < {s.p99_ms:g} ms" if s.p99_ms else "")
        verdict += "  PASS" if ok else "  FAIL"
    errors_file = tmp / f"{s.name}.errors"
    first_errors = sorted(set(errors_file.read_text().splitlines())) if errors_file.exists() else []
    print(
        f"{db:10} {s.name:20} {best.rps:8.1f} req/s  p50 {best.p50_ms:7.1f} ms  "
        f"p99 {best.p99_ms:7.1f} ms  non-2xx {non2xx:5d}  sock-err {sock_errors:3d}  "
        f"ratio {ratio:.3f} "
        f"(rounds {min(ratios):.3f}..{max(ratios):.3f}; baseline "
        f"{statistics.median(b.rps for b in bases):.0f} req/s)  {verdict}"
    )
    for line in first_errors[:3]:
        print(f"{'':10} {'':20} first non-2xx: {line[:160]}")
    report["results"].append(
        {
            "first_errors": first_errors,
            "db": db,
            "scenario": s.name,
            "connections": s.connections,
            "ratio": ratio,
            "ratios": ratios,
            "target": s.target if targeted else None,
            "p99_target_ms": s.p99_ms if targeted else None,
            "app": [asdict(m) for m in targets],
            "baseline": [asdict(m) for m in bases],
        }
    )
    return failed


if __name__ == "__main__":
    sys.exit(main())

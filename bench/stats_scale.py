"""Dashboard reads at 10k and at 1M probes: the latency must not grow with the probe count.

On the PostgreSQL server TEST_DATABASE_URL names, two throwaway databases are created,
migrated and seeded, then filled with synthetic probes built from the corpus samples
(tests/data/probe) and the DQ45CB BIOS variants of the stats tests:

* every template is diagnosed once through the real ingest code (parsers, catalogue match,
  rules), which gives its verdicts, evidence contributions and dimension keys;
* each synthetic probe is a template at a random time in the last 365 days; its aggregate
  rows come from ``virtcompat.stats.contribution`` — the function every ingest uses — summed
  per (template, hour) and written with COPY, and the probe rows themselves are written with
  COPY too (compact: the template's statuses, keys and contributions, empty artefacts).

Then `summary`, `support-matrix`, `probes?bucket=week` and `regressions` are requested in
process (Flask test client, no network), alternating between the two sizes round by round
so machine noise hits both, with every per-process cache (catalogue snapshot, rendered
verdicts, matrix memo) dropped before each request: the worst case, as after a new probe.
It prints the median latency per endpoint and size and the 1M/10k ratio (target <= 1.2).

    .venv/bin/python bench/stats_scale.py [--sizes 10000,1000000] [--rounds 15] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import secrets
import statistics
import sys
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tests.stats.corpus import corpus_probes, dq45cb  # noqa: E402
from virtcompat import stats  # noqa: E402
from virtcompat.capability import CAPABILITIES  # noqa: E402
from virtcompat.config import ROOT as APP_ROOT  # noqa: E402
from virtcompat.db import make_engine, normalize_url  # noqa: E402
from virtcompat.engine.snapshot import Snapshot, load_snapshot  # noqa: E402
from virtcompat.ingest import _stat_keys, contributions, diagnose  # noqa: E402
from virtcompat.migrations import alembic_config  # noqa: E402
from virtcompat.models import EvidenceCount, ProbeSeries, ProbeStat, ReleaseStat  # noqa: E402
from virtcompat.probe.redact import scrub_artefacts  # noqa: E402

ENDPOINTS = (
    "/api/v1/stats/summary",
    "/api/v1/stats/support-matrix",
    "/api/v1/stats/probes?bucket=week",
    "/api/v1/stats/regressions",
)
TARGET = 1.2
SALT = "bench-salt"
NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def templates() -> list[dict[str, Any]]:
    bodies = corpus_probes()
    for i, (bios, dmar, kernel) in enumerate(
        [
            ("0061", True, "5.15.0-91-generic"),
            ("0061", True, "6.1.0-13-amd64"),
            ("0070", False, "5.15.0-91-generic"),
            ("0070", True, "6.1.0-13-amd64"),
            ("0109", True, "6.1.0-13-amd64"),
        ]
    ):
        body = dq45cb(bios, dmar=dmar, host=i)
        body["artefacts"]["kernel_release"] = kernel
        bodies.append(body)
    return bodies


class Template:
    """One diagnosed sample: everything a synthetic probe copies from it."""

    def __init__(self, snapshot: Snapshot, body: dict[str, Any]) -> None:
        artefacts, _ = scrub_artefacts(body["artefacts"], SALT)
        self.obs, self.m, caps = diagnose(snapshot, artefacts, SALT, "this probe")
        self.statuses = {c: caps[c].status.value for c in CAPABILITIES}
        self.contributions = contributions(self.m, caps)
        self.diagnosis = json.dumps(
            {"capabilities": {c: {"status": s} for c, s in self.statuses.items()}}
        )
        self.matched = json.dumps(self.m.as_dict())
        self.contrib_json = json.dumps(self.contributions)
        self.board_id = self.m.board.id if self.m.board else None
        self.cpu_id = self.m.cpu.id if self.m.cpu else None
        self.chipset_id = self.m.chipsets[0].id if len(self.m.chipsets) == 1 else None

    def keys(self, received: dt.datetime) -> list[list[str]]:
        return _stat_keys(self.obs, self.m, received)


def create_database(admin_url: str, name: str) -> str:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
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


def prepare(url: str) -> None:
    from virtcompat.catalogue.loader import load_seed

    engine = make_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with Session(engine) as session:
        load_seed(session, APP_ROOT / "seed")
        session.commit()
    engine.dispose()


PROBE_COLUMNS = (
    "idempotency_key, content_hash, delete_token_hash, received_at, agent_name, "
    "agent_version, raw_artefacts, facts, diagnosis, matched, warnings, rules_version, "
    "contributions, stat_keys, board_id, cpu_id, chipset_id"
)


def fill(url: str, size: int, seed: int) -> dict[str, float]:
    """Write ``size`` synthetic probes and their aggregates; returns timings in seconds."""
    rng = random.Random(seed)
    engine = make_engine(url)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with Session(engine) as session:
        snapshot = load_snapshot(session)
        temps = [Template(snapshot, b) for b in templates()]
    per_hour: Counter[tuple[int, dt.datetime]] = Counter()
    empty = zlib.compress(b"{}")
    digest = "0" * 64
    span = 365 * 24 * 3600
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY probes ({PROBE_COLUMNS}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for i in range(size):
                t_index = rng.randrange(len(temps))
                t = temps[t_index]
                received = NOW - dt.timedelta(seconds=rng.randrange(span))
                hour = received.replace(minute=0, second=0, microsecond=0)
                per_hour[(t_index, hour)] += 1
                copy.write_row(
                    (
                        f"bench:{i}",
                        digest,
                        digest,
                        received,
                        "bench",
                        "1",
                        empty,
                        "{}",
                        t.diagnosis,
                        t.matched,
                        "[]",
                        "bench",
                        t.contrib_json,
                        json.dumps(t.keys(received)),
                        t.board_id,
                        t.cpu_id,
                        t.chipset_id,
                    )
                )
        raw.commit()
        timings["probes_copy_s"] = time.perf_counter() - started

        started = time.perf_counter()
        totals: dict[type[Any], Counter[tuple[Any, ...]]] = {
            ProbeStat: Counter(),
            ProbeSeries: Counter(),
            ReleaseStat: Counter(),
        }
        evidence: Counter[tuple[Any, ...]] = Counter()
        for (t_index, hour), n in per_hour.items():
            t = temps[t_index]
            for model, counter in stats.contribution(t.keys(hour), t.statuses).items():
                for key, count in counter.items():
                    totals[model][key] += count * n
            for key, count in stats.evidence_rows(t.contributions).items():
                evidence[key] += count * n
        tables = {
            "probe_stats": ("dimension, key, capability, status, count", totals[ProbeStat]),
            "probe_series": (
                "bucket, board, chipset, cpu_vendor, day, capability, status, count",
                totals[ProbeSeries],
            ),
            "release_stats": (
                "board, axis, release, capability, status, count",
                totals[ReleaseStat],
            ),
        }
        for table, (columns, counter) in tables.items():
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for key, count in counter.items():
                    copy.write_row((*key, count))
        columns = ", ".join(stats.EVIDENCE_COUNTS)
        with cur.copy(  # type: ignore[attr-defined]
            f"COPY {EvidenceCount.__tablename__} (board_id, bios_version, capability, "
            f"{columns}) FROM STDIN"
        ) as copy:
            for key in sorted({k[:3] for k in evidence}):
                copy.write_row((*key, *(evidence[(*key, n)] for n in stats.EVIDENCE_COUNTS)))
        cur.execute("UPDATE catalog_state SET version = version + 1")
        raw.commit()
        timings["aggregates_s"] = time.perf_counter() - started
        started = time.perf_counter()
        driver = raw.driver_connection
        driver.autocommit = True  # type: ignore[union-attr]
        driver.execute("VACUUM ANALYZE")  # type: ignore[union-attr]
        timings["analyze_s"] = time.perf_counter() - started
    finally:
        raw.close()
    engine.dispose()
    return timings


def measure(urls: dict[int, str], rounds: int) -> dict[int, dict[str, list[float]]]:
    from api.db import dispose
    from app import create_app

    apps = {
        size: create_app({"DATABASE_URL": url, "CATALOG_TTL": 0.0}) for size, url in urls.items()
    }
    clients = {size: app.test_client() for size, app in apps.items()}
    samples: dict[int, dict[str, list[float]]] = {s: {e: [] for e in ENDPOINTS} for s in urls}

    def cold(size: int) -> None:
        # Drop every per-process cache: the worst case, as right after a probe bumped the
        # catalogue version.
        ext = apps[size].extensions["virtcompat"]
        for key in ("snapshots", "compat", "stats_memo"):
            ext.pop(key, None)

    for r in range(rounds + 2):  # the first two rounds warm connections and are dropped
        order = list(urls) if r % 2 == 0 else list(reversed(urls))
        for size in order:
            for path in ENDPOINTS:
                cold(size)
                started = time.perf_counter()
                resp = clients[size].get(path)
                elapsed = time.perf_counter() - started
                if resp.status_code != 200:
                    raise SystemExit(f"{path} on {size}: HTTP {resp.status_code}")
                if r >= 2:
                    samples[size][path].append(elapsed)
    for app in apps.values():
        dispose(app)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even above the target")
    args = parser.parse_args()
    admin = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not admin.startswith("postgresql"):
        print(
            "bench/stats_scale.py needs TEST_DATABASE_URL=postgresql://… (a server it may "
            "create databases on)",
            file=sys.stderr,
        )
        return 2
    admin = normalize_url(admin)
    sizes = [int(s) for s in args.sizes.split(",")]
    tag = secrets.token_hex(3)
    names = {size: f"virtcompat_bench_stats_{size}_{tag}" for size in sizes}
    urls: dict[int, str] = {}
    print(
        f"stats at scale on {platform.node()} ({os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}), "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    try:
        for size in sizes:
            started = time.perf_counter()
            urls[size] = create_database(admin, names[size])
            prepare(urls[size])
            timings = fill(urls[size], size, seed=size)
            total = time.perf_counter() - started
            parts = ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
            print(f"  generated {size:>9,} probes in {total:.1f} s ({parts})")
        samples = measure(urls, args.rounds)
    finally:
        if not args.keep:
            for size in sizes:
                drop_database(admin, names[size])
    small, large = min(sizes), max(sizes)
    print(f"\n  {'endpoint':<36} {small:>10,} {large:>10,}   ratio (median ms; target <= {TARGET})")
    worst = 0.0
    for path in ENDPOINTS:
        a = statistics.median(samples[small][path]) * 1000
        b = statistics.median(samples[large][path]) * 1000
        ratio = b / a
        worst = max(worst, ratio)
        flag = "ok" if ratio <= TARGET else "ABOVE TARGET"
        print(f"  {path:<36} {a:>10.2f} {b:>10.2f}   {ratio:.2f} {flag}")
    return 0 if worst <= TARGET or args.no_fail else 1


if __name__ == "__main__":
    raise SystemExit(main())

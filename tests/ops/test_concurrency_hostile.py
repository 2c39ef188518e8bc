"""Idempotency under load against a real gunicorn on PostgreSQL: 2,000 distinct probes
posted from 32 threads, a fifth of them retried (half while the first attempt is still in
flight), must leave exactly 2,000 rows, every acknowledgement pointing at its own row."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.ops.conftest import LiveServer
from virtcompat.db import make_engine, make_sessionmaker
from virtcompat.models import Probe
from virtcompat.tokens import create_token

pytestmark = [
    pytest.mark.hostile,
    pytest.mark.postgres,
    pytest.mark.parametrize("committed_database_url", ["postgresql"], indirect=True),
]

PROBES = 2000
THREADS = 32
RETRY_SHARE = 0.2


def _body(i: int) -> bytes:
    return json.dumps(
        {
            "agent": {"name": "load", "version": "1"},
            "artefacts": {
                "cpuinfo": "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
                "model\t\t: 42\nflags\t\t: fpu vme vmx ept\n",
                "kernel_release": f"6.1.{i}",
            },
        }
    ).encode()


def _post(url: str, token: str, i: int) -> tuple[int, int]:
    """Post like an agent: a 503 (database busy past its timeouts on a loaded machine) is
    not an acknowledgement, so it is retried with the same key after its Retry-After."""
    for _ in range(10):
        status, probe_id = _post_once(url, token, i)
        if status != 503:
            return status, probe_id
        time.sleep(1.0)
    return status, probe_id


def _post_once(url: str, token: str, i: int) -> tuple[int, int]:
    req = urllib.request.Request(
        url + "/api/v1/probes",
        data=_body(i),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"load-{i}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())["id"]
    except urllib.error.HTTPError as err:
        return err.code, -1


def test_two_thousand_posts_with_retries_make_two_thousand_rows(
    live_server_factory: Callable[..., LiveServer], committed_database_url: str
) -> None:
    engine = make_engine(committed_database_url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        _, token = create_token(session, "load", ["probe:write"])
        session.commit()
        before = session.scalar(select(func.count()).select_from(Probe)) or 0
    engine.dispose()
    server = live_server_factory(workers=2)

    rng = random.Random(8)
    retried = set(rng.sample(range(PROBES), int(PROBES * RETRY_SHARE)))
    in_flight = set(rng.sample(sorted(retried), len(retried) // 2))
    jobs: list[tuple[int, bool]] = []
    for i in range(PROBES):
        jobs.append((i, False))
        if i in in_flight:
            jobs.append((i, True))  # submitted right behind the first: both in flight
    later = [(i, True) for i in sorted(retried - in_flight)]
    jobs += later  # retried after the first attempt was answered (or not)

    results: list[tuple[int, int, int, bool]] = []
    lock = threading.Lock()

    def run(job: tuple[int, bool]) -> None:
        i, is_retry = job
        status, probe_id = _post(server.url, token, i)
        with lock:
            results.append((i, status, probe_id, is_retry))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(run, jobs))

    statuses = Counter(status for _, status, _, _ in results)
    assert set(statuses) <= {200, 201}, statuses
    assert sum(statuses.values()) == len(jobs)
    # Never a second "created" for one key (a commit whose answer was lost to a 503 shows up
    # as one more replay, never as one more row).
    assert statuses[201] <= PROBES and statuses[201] + statuses[200] == len(jobs)
    ids: dict[int, set[int]] = {}
    for i, _, probe_id, _ in results:
        ids.setdefault(i, set()).add(probe_id)
    assert all(len(v) == 1 for v in ids.values())  # a retry answers with the first row
    assert len({next(iter(v)) for v in ids.values()}) == PROBES
    try:
        with sessions() as session:
            after = session.scalar(select(func.count()).select_from(Probe)) or 0
    finally:
        engine.dispose()
    assert after - before == PROBES
    assert "Traceback" not in server.log.read_text(errors="replace")

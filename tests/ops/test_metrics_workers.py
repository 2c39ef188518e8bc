"""/metrics under gunicorn with two workers: per-route series, summed over both workers."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.conftest import LiveServer

BOARD = "/api/v1/boards/<key>"
REQUESTS = "virtcompat_http_requests"


def _scrape(server: LiveServer) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    status, body = server.get("/metrics")
    assert status == 200
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def _per_worker_board_requests(folder: Path) -> dict[str, float]:
    """Each worker's own count of board reads, from its own counter file."""
    counts: dict[str, float] = {}
    for path in folder.glob("counter_*.db"):
        pid = path.stem.split("_")[-1]
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True):
            for s in metric.samples:
                if s.name == REQUESTS + "_total" and s.labels.get("route") == BOARD:
                    counts[pid] = counts.get(pid, 0) + s.value
    return counts


def test_metrics_are_per_route_and_summed_over_workers(
    live_server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    # A leftover of an earlier run (garbage, as a crashed run may leave) must be cleaned
    # away at start, or the scrape would fail to read it.
    (folder / "counter_1.db").write_bytes(b"\x00garbage")
    server = live_server_factory(workers=2, extra_env={"PROMETHEUS_MULTIPROC_DIR": str(folder)})
    assert not (folder / "counter_1.db").exists()

    paths = [
        "/api/v1/boards/intel-dq43ap",
        "/api/v1/boards/intel-dq45cb",
        "/api/v1/compat?cpu=E7200",
        "/api/v1/rules",
        "/no/such/route/42",
    ]
    sent: dict[str, int] = defaultdict(int)
    # Bursts of concurrent requests until both workers have answered some (bounded).
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(20):
            statuses = list(pool.map(lambda p: (p, server.get(p)[0]), paths * 8))
            for path, status in statuses:
                sent[f"{path} {status}"] += 1
            if len(_per_worker_board_requests(folder)) == 2:
                break
    per_worker = _per_worker_board_requests(folder)
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker.values()), per_worker

    board_reads = sent["/api/v1/boards/intel-dq43ap 200"] + sent["/api/v1/boards/intel-dq45cb 200"]
    compat = sent["/api/v1/compat?cpu=E7200 200"]
    # Verdict counts reach the shared files within a second (a worker's flush thread).
    deadline = time.monotonic() + 10
    while True:
        samples = _scrape(server)
        vtx = samples["virtcompat_verdicts_total"].get(
            (("capability", "vtx"), ("status", "unsupported")), 0
        )
        if vtx == compat or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert vtx == compat  # E7200 has no VT-x (Intel ARK: "Intel Virtualization Technology: No")

    requests = samples[REQUESTS + "_total"]
    key = (("method", "GET"), ("route", BOARD), ("status", "200"))
    assert requests[key] == board_reads == sum(per_worker.values())
    assert (
        requests[(("method", "GET"), ("route", "/api/v1/rules"), ("status", "200"))]
        == sent["/api/v1/rules 200"]
    )
    assert (
        requests[(("method", "GET"), ("route", "unmatched"), ("status", "404"))]
        == sent["/no/such/route/42 404"]
    )
    # Route templates only: no raw path or id becomes a label value.
    assert not [k for k in requests if any("intel-dq43ap" in v for _, v in k)]
    durations = samples["virtcompat_http_request_duration_seconds_count"]
    assert durations[(("method", "GET"), ("route", BOARD))] == board_reads
    assert samples["virtcompat_db_pool_checkouts_total"][()] >= 1
    assert samples["virtcompat_db_pool_connections"][()] >= 1

"""bench/wrk.py reads wrk's own report: requests/s, the latency percentiles (with their
units), non-2xx answers and socket errors."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

DATA = Path(__file__).parent.parent / "data" / "bench"
ROOT = Path(__file__).parent.parent.parent


def _wrk_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_wrk", ROOT / "bench" / "wrk.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_parse_wrk_reads_a_real_report() -> None:
    # Captured from wrk 4.1 (Debian) against a local http.server: its lines say
    # "Requests/sec:   1251.57", "50%    1.06ms", "99%    8.11ms".
    m = _wrk_module().parse_wrk((DATA / "wrk-latency-output.txt").read_text(), 1.0)
    assert m.rps == 1251.57
    assert m.p50_ms == 1.06
    assert m.p99_ms == 8.11
    assert m.non_2xx == 0
    assert m.errors == 0


def test_parse_wrk_counts_failures_and_converts_units() -> None:
    out = (
        "  Latency Distribution\n"
        "     50%  850.00us\n"
        "     99%    1.20s\n"
        "  Socket errors: connect 0, read 3, write 1, timeout 2\n"
        "  Non-2xx or 3xx responses: 17\n"
        "Requests/sec:     42.00\n"
    )
    m = _wrk_module().parse_wrk(out, 1.0)
    assert m.p50_ms == pytest.approx(0.85)
    assert m.p99_ms == 1200.0
    assert m.non_2xx == 17
    assert m.errors == 6
    assert m.rps == 42.0


def test_baseline_is_measured_like_its_scenario() -> None:
    """A scenario of distinct paths is measured as one short wrk run per path; its baseline
    must be too (as many distinct /ping paths), or it gains the start-up of the other runs."""
    wrk = _wrk_module()
    by_name = {s.name: s for s in wrk.scenarios("token")}
    distinct = by_name["compat-distinct"]
    base = wrk._baseline(distinct)
    assert len(distinct.paths) == 8
    assert len(set(base.paths)) == len(distinct.paths)
    assert all(p.startswith("/ping?") for p in base.paths)
    assert (base.method, base.connections) == (distinct.method, distinct.connections)
    repeated = wrk._baseline(by_name["compat-repeated"])
    assert repeated.paths == () and repeated.path == "/ping"
    post = wrk._baseline(by_name["probes-post"])
    assert post.method == "POST" and len(post.body) == len(by_name["probes-post"].body)


def test_parser_throughput_reports_every_run_and_the_best() -> None:
    found = _wrk_module().parser_throughput(seconds=0.02, runs=3)
    assert set(found) == {
        "xl configs validated/s",
        "xm configs validated/s",
        "dmesg parsed/s",
        "cpuinfo parsed/s",
    }
    for figures in found.values():
        assert len(figures["runs"]) == 3 and all(r > 0 for r in figures["runs"])
        assert figures["best"] == max(figures["runs"])

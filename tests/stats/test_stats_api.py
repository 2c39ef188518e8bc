"""/api/v1/stats after ingesting the probe corpus and a planted BIOS regression: every
endpoint agrees with `stats rebuild` and with direct SQL counts over the probes table."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from tests.stats.corpus import corpus_probes, planted_regression
from virtcompat import stats
from virtcompat.capability import CAPABILITIES
from virtcompat.catalog import bump_version
from virtcompat.models import Board, Probe

STATS = ("summary", "probes", "probes?bucket=week", "support-matrix", "conflicts", "regressions")


@pytest.fixture
def loaded(client: FlaskClient, auth: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    headers = auth("probe:write")
    out = []
    for body in corpus_probes() + planted_regression():
        resp = client.post("/api/v1/probes", json=body, headers=headers)
        assert resp.status_code == 201, resp.get_json()
        out.append(resp.get_json())
    return out


def _sql_statuses(db_session: Session) -> dict[str, Counter[str]]:
    """Verdict counts straight from the stored diagnoses (the probes table itself)."""
    out: dict[str, Counter[str]] = {c: Counter() for c in CAPABILITIES}
    for (diagnosis,) in db_session.execute(select(Probe.diagnosis)):
        for cap in CAPABILITIES:
            out[cap][diagnosis["capabilities"][cap]["status"]] += 1
    return out


def test_every_endpoint_agrees_with_rebuild_and_sql(
    client: FlaskClient, db_session: Session, loaded: list[dict[str, Any]]
) -> None:
    total = db_session.scalar(select(func.count()).select_from(Probe))
    assert total == len(loaded) == len(corpus_probes()) + 5
    by_status = _sql_statuses(db_session)

    summary = client.get("/api/v1/stats/summary").get_json()
    assert summary["probes"] == {"total": total, "last_24h": total, "last_30d": total}
    assert {c: dict(v) for c, v in summary["capabilities"].items()} == {
        c: dict(v) for c, v in by_status.items()
    }
    assert summary["catalogue"]["boards"] == db_session.scalar(
        select(func.count()).select_from(Board)
    )

    week = client.get("/api/v1/stats/probes?bucket=week").get_json()
    assert week["total"] == 26 and len(week["items"]) == 26
    assert week["from"] == week["items"][0]["period"]
    assert week["to"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert sum(p["probes"] for p in week["items"]) == total
    assert week["items"][-1]["capabilities"]["vtd"] == dict(by_status["vtd"])

    on_board = db_session.scalar(
        select(func.count()).select_from(Probe).join(Board).where(Board.slug == "intel-dq45cb")
    )
    assert on_board == 5
    day = client.get("/api/v1/stats/probes?bucket=day&board=intel-dq45cb&chipset=intel-q45")
    assert sum(p["probes"] for p in day.get_json()["items"]) == on_board
    by_board = client.get("/api/v1/stats/probes?by=board").get_json()
    assert [(i["key"], i["probes"]) for i in by_board["items"]] == [("intel-dq45cb", 5)]

    # The 3 probes on 0061 saw VT-d working; the 2 on 0070 saw it off in firmware, which says
    # nothing about the silicon (inconclusive, not a contradiction).
    matrix = client.get("/api/v1/stats/support-matrix?vendor=intel&per_page=200").get_json()
    row = next(r for r in matrix["items"] if r["board"]["slug"] == "intel-dq45cb")
    assert row["capabilities"]["vtd"]["probes"] == {
        "confirm": 3,
        "contradict": 0,
        "inconclusive": 2,
    }
    assert set(row["capabilities"]) == set(CAPABILITIES)

    before = stats.table_counts(db_session)
    with db_session.begin_nested() as sp:
        report = stats.rebuild(db_session)
        assert report.probes == total
        assert stats.table_counts(db_session) == before
        sp.rollback()


def test_planted_bios_regression_is_reported(
    client: FlaskClient, loaded: list[dict[str, Any]]
) -> None:
    body = client.get("/api/v1/stats/regressions?changed=true&board=intel-dq45cb").get_json()
    vtd = next(i for i in body["items"] if i["axis"] == "bios" and i["capability"] == "vtd")
    assert [(r["release"], r["verdict"], r["probes"]) for r in vtd["releases"]] == [
        ("0061", "supported", 3),
        ("0070", "disabled", 2),
    ]
    assert vtd["changes"][0]["change"] == "lost"
    assert vtd["changes"][0]["message"] == (
        "DQ45CB: VT-d supported on 0061 (3 probes), disabled on 0070 (2 probes)"
    )
    # Every probe ran Linux 5.15: one kernel series, so nothing to flag along that axis.
    kernel = client.get("/api/v1/stats/regressions?board=intel-dq45cb&axis=kernel").get_json()
    assert {i["capability"] for i in kernel["items"]} == set(CAPABILITIES)
    assert all(i["changes"] == [] for i in kernel["items"])
    assert [r["release"] for r in kernel["items"][0]["releases"]] == ["5.15"]


def test_conflicts_cite_both_sides(client: FlaskClient) -> None:
    # GM45: the seed records that sources disagree on its VT-d (a conflict note).
    body = client.get("/api/v1/stats/conflicts?capability=vtd").get_json()
    gm45 = next(i for i in body["items"] if i["subjects"][0]["slug"] == "intel-gm45")
    assert "HW-SOURCE-CONFLICT" in gm45["rules"]
    assert gm45["catalogue"] and gm45["contradicted_by"]
    assert {e["id"] for e in gm45["catalogue"] + gm45["contradicted_by"]} == {
        "intel-gm45-vtd-conflict"
    }
    evidence = [i["evidence"] for i in body["items"]]
    assert evidence == sorted(evidence, reverse=True)


def test_probe_tallies_contradicting_the_catalogue_are_a_conflict(
    client: FlaskClient, db_session: Session
) -> None:
    # Intel lists Q45 (DQ45CB) with VT-d; one probe saw it working, two found it missing:
    # the probes disagree with the catalogue and with each other.
    board_id = db_session.scalar(select(Board.id).where(Board.slug == "intel-dq45cb"))
    row = {"board_id": board_id, "bios_version": "", "capability": "vtd"}
    stats.apply_evidence(db_session, [{**row, "confirm": 1, "contradict": 2}], +1)
    bump_version(db_session)
    db_session.commit()
    items = client.get("/api/v1/stats/conflicts?capability=vtd").get_json()["items"]
    mine = next(
        i
        for i in items
        if {"kind": "board", "slug": "intel-dq45cb", "name": "DQ45CB"} in i["subjects"]
    )
    assert mine["probes"] == {"confirm": 1, "contradict": 2}
    assert [e["kind"] for e in mine["contradicted_by"]] == ["probe"]
    assert "2 probes on this board" in mine["contradicted_by"][0]["source"]
    assert mine["catalogue"] and all(e["kind"] != "probe" for e in mine["catalogue"])
    assert items[0]["evidence"] >= mine["evidence"]


@pytest.mark.parametrize("path", STATS)
def test_etag_and_304(client: FlaskClient, path: str) -> None:
    first = client.get(f"/api/v1/stats/{path}")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(f"/api/v1/stats/{path}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "query",
    [
        "probes?bucket=year",
        "probes?bucket=week&by=board",
        "probes?board=intel-dq45cb",
        "probes?bucket=day&from=2026-02-30",
        "probes?bucket=day&from=2026-05-02&to=2026-05-01",
        "probes?bucket=month&from=2000-01-01&to=2026-01-01",
        "probes?bucket=day&board=..%2Fetc",
        "probes?bucket=day&cpu_vendor=Intel%20Inc",
        "probes?bucket=week&board=no-such-board",
        "probes?bucket=week&chipset=intel-q99",
        "regressions?board=no-such-board",
        "conflicts?per_page=0",
        "regressions?per_page=201",
        "conflicts?capability=warp",
        "regressions?axis=uefi",
        "regressions?changed=maybe",
        "support-matrix?vtd=great",
    ],
)
def test_bad_filters_are_problem_json(client: FlaskClient, query: str) -> None:
    resp = client.get(f"/api/v1/stats/{query}")
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["errors"]


def test_series_buckets_cover_the_range(client: FlaskClient) -> None:
    body = client.get("/api/v1/stats/probes?bucket=month&from=2026-01-15&to=2026-03-01")
    items = body.get_json()["items"]
    assert [i["period"] for i in items] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    week = client.get("/api/v1/stats/probes?bucket=week&from=2026-11-25&to=2026-12-01")
    # 2026-11-25 is a Wednesday: its ISO week starts on Monday 2026-11-23.
    assert [i["period"] for i in week.get_json()["items"]] == ["2026-11-23", "2026-11-30"]
    assert dt.date(2026, 11, 25).weekday() == 2


def test_openapi_documents_the_stats_endpoints(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for name in ("summary", "probes", "support-matrix", "conflicts", "regressions"):
        get = paths[f"/api/v1/stats/{name}"]["get"]
        assert "200" in get["responses"] and "304" in get["responses"]
    params = {p["name"] for p in paths["/api/v1/stats/probes"]["get"]["parameters"]}
    assert {"by", "bucket", "from", "to", "board", "chipset", "cpu_vendor"} <= params


def test_no_stats_request_reads_the_probes_table(
    client: FlaskClient, engine: Engine, loaded: list[dict[str, Any]]
) -> None:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for path in (*STATS, "probes?bucket=day&board=intel-dq45cb", "summary"):
            assert client.get(f"/api/v1/stats/{path}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen, "the listener saw no SQL at all"
    probes_table = re.compile(r"\bprobes\b(?!_)", re.IGNORECASE)
    assert [s for s in seen if probes_table.search(s)] == []


def test_summary_catalogue_counts_follow_a_catalogue_write(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    # The counts are memoised per catalogue version: a new board is counted at once.
    before = client.get("/api/v1/stats/summary").get_json()["catalogue"]
    board = {
        "slug": "acme-x1",
        "vendor": "intel",
        "model": "X1",
        "chipset": "intel-q45",
        "sources": [{"source": "seed-blog-2009", "confidence": "low"}],
    }
    created = client.post("/api/v1/boards", json=board, headers=auth("catalog:write"))
    assert created.status_code == 201, created.get_json()
    after = client.get("/api/v1/stats/summary").get_json()["catalogue"]
    assert after["boards"] == before["boards"] + 1
    assert after["citations_by_confidence"]["low"] == before["citations_by_confidence"]["low"] + 1

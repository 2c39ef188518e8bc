"""Incremental aggregates == `stats rebuild`, for random sequences of ingest / delete /
reprocess: serially on SQLite and PostgreSQL, and from concurrent writers on PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.stats.corpus import corpus_probes, dq45cb
from virtcompat import ingest as ingest_mod
from virtcompat import stats
from virtcompat.db import make_engine, make_sessionmaker
from virtcompat.engine.snapshot import load_snapshot
from virtcompat.models import Probe, ProbeStat

SALT = "property-salt"
BODIES = corpus_probes() + [
    dq45cb(bios, dmar=dmar, host=i)
    for i, (bios, dmar) in enumerate(
        [("0061", True), ("0061", True), ("0070", False), ("0070", True), ("0109", False)]
    )
]
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)

Op = tuple[str, int, int]  # (what, which body / probe, days ago)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("ingest"), st.integers(0, len(BODIES) - 1), st.integers(0, 400)),
        st.tuples(st.just("delete"), st.integers(0, 1000), st.just(0)),
        st.tuples(st.just("reprocess"), st.just(0), st.just(0)),
    ),
    max_size=10,
)


@contextmanager
def received(days_ago: int) -> Iterator[None]:
    """Ingest as if the probe arrived ``days_ago`` days (and some hours) before NOW, so the
    day/hour/month keys vary like a real history."""
    when = NOW - dt.timedelta(days=days_ago, hours=days_ago % 24)

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Clock:
            return cls.fromtimestamp(when.timestamp(), tz)

    with mock.patch.object(ingest_mod, "dt", types.SimpleNamespace(datetime=Clock, UTC=dt.UTC)):
        yield


def run(session: Session, op: Op, live: list[tuple[int, str]], *, key: str | None = None) -> None:
    """One operation. With ``key`` (concurrent writers) every ingest is a new probe at the
    real time: patching the module clock is not thread-safe."""
    what, n, days = op
    if what == "ingest":
        clock = received(days) if key is None else contextlib.nullcontext()
        with clock:
            result = ingest_mod.ingest(
                session,
                BODIES[n],
                idempotency_key=key,
                token_id=None,
                salt=SALT,
                snapshot=load_snapshot(session),
            )
        session.commit()
        if result.delete_token:
            live.append((result.probe.id, result.delete_token))
    elif what == "delete" and live:
        probe_id, token = live.pop(n % len(live))
        try:
            ingest_mod.delete_probe(session, probe_id, token)
        except ingest_mod.ProbeNotFound:
            pass  # another writer deleted it first
        session.commit()
    elif what == "reprocess":
        ingest_mod.reprocess_all(session, batch_size=7, salt=SALT)
        session.commit()


def assert_matches_rebuild(session: Session) -> None:
    incremental = stats.table_counts(session)
    with session.begin_nested() as savepoint:
        report = stats.rebuild(session)
        rebuilt = stats.table_counts(session)
        savepoint.rollback()
    assert rebuilt == incremental
    probes = session.scalar(select(func.count()).select_from(Probe))
    assert report.probes == probes
    counted = session.scalar(
        select(func.coalesce(func.sum(ProbeStat.count), 0)).where(
            ProbeStat.dimension == "all", ProbeStat.capability == "vtx"
        )
    )
    assert counted == probes


@pytest.fixture
def live() -> list[tuple[int, str]]:
    return []


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_incremental_equals_rebuild(
    db_session: Session, live: list[tuple[int, str]], ops: list[Op]
) -> None:
    # The database carries over between examples (rolled back after the test), so later
    # examples start from the earlier ones' probes: longer histories than one list.
    for op in ops:
        run(db_session, op, live)
    assert_matches_rebuild(db_session)


@pytest.mark.parametrize("committed_database_url", ["postgresql"], indirect=True)
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(OPS, min_size=3, max_size=3))
def test_concurrent_writers_equal_rebuild(
    committed_database_url: str, plans: list[list[Op]]
) -> None:
    engine = make_engine(committed_database_url)
    factory = make_sessionmaker(engine)
    live: list[tuple[int, str]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(plans))

    class Shared(list[tuple[int, str]]):
        """The live-probe list shared by the writers (pop/append under one lock)."""

        def pop(self, index: Any = -1) -> tuple[int, str]:
            with lock:
                return super().pop(index)

        def append(self, item: tuple[int, str]) -> None:
            with lock:
                super().append(item)

    shared = Shared(live)

    def writer(plan: list[Op]) -> None:
        try:
            barrier.wait()
            with factory() as session:
                for i, op in enumerate(plan):
                    run(session, op, shared, key=f"{threading.get_ident()}-{i}-{op}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with factory() as session:
        assert_matches_rebuild(session)
    engine.dispose()

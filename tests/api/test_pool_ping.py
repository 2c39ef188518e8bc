"""PostgreSQL engines ping a pooled connection at checkout only when it sat idle in the pool
(virtcompat.db.PING_AFTER_IDLE_S), and replace one that fails the ping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from virtcompat import db as vdb
from virtcompat.db import DbTimeouts, make_engine

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("committed_database_url", ["postgresql"], indirect=True),
]


@pytest.fixture
def engine(committed_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setattr(vdb, "PING_AFTER_IDLE_S", 0.2)
    eng = make_engine(committed_database_url, DbTimeouts(), pool_size=1, max_overflow=0)
    yield eng
    eng.dispose()


def _count_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def _pid(engine: Engine) -> int:
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        conn.commit()
    return int(pid)


def test_a_connection_back_a_moment_ago_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(engine, monkeypatch)
    first = _pid(engine)  # a new connection: no ping
    assert _pid(engine) == first and _pid(engine) == first
    assert pings == []
    time.sleep(0.3)
    assert _pid(engine) == first
    assert pings == [1]


def test_an_idle_connection_the_server_dropped_is_replaced(
    engine: Engine, committed_database_url: str
) -> None:
    first = _pid(engine)
    other = make_engine(committed_database_url)
    with other.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        conn.commit()
    other.dispose()
    time.sleep(0.3)  # idle past the window: the checkout pings, fails, and reconnects
    assert _pid(engine) != first

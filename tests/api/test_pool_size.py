"""Each worker's PostgreSQL pool holds one connection per gunicorn thread
(VIRTCOMPAT_DB_POOL_SIZE), so concurrent requests do not open and close overflow connections."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event, text

from api.db import EXT, dispose
from api.gunicorn_hooks import on_starting
from app import create_app
from virtcompat.db import DEFAULT_POOL_SIZE, pool_size_from_env


def test_pool_size_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTCOMPAT_DB_POOL_SIZE", raising=False)
    assert pool_size_from_env() == DEFAULT_POOL_SIZE == 16  # gunicorn.conf.py's THREADS default
    monkeypatch.setenv("VIRTCOMPAT_DB_POOL_SIZE", " 4 ")
    assert pool_size_from_env() == 4
    for bad in ("0", "-3", "four", "2.5"):
        monkeypatch.setenv("VIRTCOMPAT_DB_POOL_SIZE", bad)
        with pytest.raises(RuntimeError, match="VIRTCOMPAT_DB_POOL_SIZE"):
            pool_size_from_env()


def test_gunicorn_passes_its_thread_count_unless_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    server = SimpleNamespace(cfg=SimpleNamespace(threads=7))
    monkeypatch.delenv("VIRTCOMPAT_DB_POOL_SIZE", raising=False)
    on_starting(server)
    assert pool_size_from_env() == 7
    monkeypatch.setenv("VIRTCOMPAT_DB_POOL_SIZE", "3")  # the operator's choice wins
    on_starting(server)
    assert pool_size_from_env() == 3


@pytest.mark.postgres
@pytest.mark.parametrize("committed_database_url", ["postgresql"], indirect=True)
def test_concurrent_requests_reuse_the_pooled_connections(
    committed_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six requests at once, twice over, with a pool of six: six connections in all. (With
    SQLAlchemy's default pool of five, the sixth request of each wave opens a connection
    and closes it on return.)"""
    monkeypatch.setenv("VIRTCOMPAT_DB_POOL_SIZE", "6")
    app = create_app({"TESTING": True, "DATABASE_URL": committed_database_url})
    engine = app.extensions[EXT]["engine"]
    assert engine.pool.size() == 6
    opened: list[int] = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def request() -> None:
        try:
            with engine.connect() as conn:  # what a request's session does: hold one
                conn.execute(text("SELECT 1"))
                barrier.wait(timeout=10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        for _ in range(2):
            threads = [threading.Thread(target=request) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        dispose(app)
    assert not errors, errors
    assert len(opened) == 6

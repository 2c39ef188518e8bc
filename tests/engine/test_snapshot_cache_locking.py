"""SnapshotCache: no thread that may hold a database lock waits for the cache, and a cold
cache is loaded once, not once per thread.

The deadlock this guards against hung every gunicorn worker of a bench run on SQLite: a
probe post's transaction held SQLite's write reservation (taken at BEGIN) and asked the
cache for the snapshot, while a GET /compat held the cache's lock and waited, in its own
BEGIN IMMEDIATE, for that reservation. Here the database lock is a plain lock, and the
version check of the "other request" blocks on it exactly as SQLite's busy wait does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from virtcompat.engine import snapshot as snapshot_module
from virtcompat.engine.snapshot import SnapshotCache

WAIT = 5.0


@dataclass
class FakeSnapshot:
    version: int


class FakeSession:
    """A session whose reads need the database lock unless its transaction holds it (the
    cache takes a factory and opens it only when it asks the database)."""

    def __init__(
        self, db_lock: threading.Lock, holds: bool = False, dialect: str = "sqlite"
    ) -> None:
        self.db_lock = db_lock
        self.holds = holds
        self.dialect = dialect

    def in_transaction(self) -> bool:
        return self.holds

    def get_bind(self) -> Any:
        # SQLite's transactions take the write reservation at BEGIN (virtcompat.db).
        return SimpleNamespace(dialect=SimpleNamespace(name=self.dialect))


class Database:
    def __init__(self, version: int) -> None:
        self.lock = threading.Lock()
        self.version = version
        self.checking = threading.Event()  # a version check is waiting for the lock
        self.loads = 0

    def catalog_version(self, session: Any) -> int:
        if not session.holds:
            self.checking.set()
            if not self.lock.acquire(timeout=WAIT):
                raise TimeoutError("database is locked")  # SQLite's busy timeout
            self.lock.release()
        return self.version

    def load_snapshot(self, session: Any) -> FakeSnapshot:
        self.loads += 1
        return FakeSnapshot(self.version)


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch) -> Database:
    db = Database(version=7)
    monkeypatch.setattr(snapshot_module, "catalog_version", db.catalog_version)
    monkeypatch.setattr(snapshot_module, "load_snapshot", db.load_snapshot)
    return db


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(target: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def wrapped() -> None:
        try:
            out.append(target())
        except BaseException as exc:  # reported by the test, not lost in the thread
            out.append(exc)

    thread = threading.Thread(target=wrapped, daemon=True)
    thread.start()
    return thread, out


@pytest.mark.parametrize("held", [True, False], ids=["stale-snapshot-held", "none-held"])
def test_a_writer_asking_while_another_thread_checks_does_not_deadlock(
    database: Database, held: bool
) -> None:
    clock = Clock()
    cache = SnapshotCache(ttl=1.0, clock=clock)
    if held:
        cache.get(lambda: FakeSession(database.lock))  # version 7 loaded at t=0
        database.checking.clear()
        clock.now = 5.0  # ... and due for a check
    database.version = 8  # a write elsewhere moved the catalogue on

    # The writer's transaction holds the database lock for the whole exchange.
    assert database.lock.acquire(timeout=WAIT)
    try:
        reader, read = _run(lambda: cache.get(lambda: FakeSession(database.lock)))
        assert database.checking.wait(WAIT)  # the reader is in its check, blocked on us
        writer, wrote = _run(lambda: cache.get(lambda: FakeSession(database.lock, holds=True)))
        writer.join(WAIT)
        assert not writer.is_alive(), "the writer waited for the cache: deadlock"
    finally:
        database.lock.release()  # the writer commits
    reader.join(WAIT)
    assert not reader.is_alive()
    assert not isinstance(read[0], BaseException), read
    assert not isinstance(wrote[0], BaseException), wrote
    # The reader saw the new catalogue. The writer, with a snapshot at hand, was answered
    # from it (the check in progress refreshes it); with none, it loaded its own.
    assert read[0].version == 8
    assert wrote[0].version == (7 if held else 8)
    assert cache.get(lambda: FakeSession(database.lock)).version == 8


def test_a_check_begun_before_an_invalidation_stores_nothing(database: Database) -> None:
    """This process's own catalogue write invalidates the cache; a check that read the
    database before that write must not put its older snapshot back."""
    clock = Clock()
    cache = SnapshotCache(ttl=1.0, clock=clock)
    assert database.lock.acquire(timeout=WAIT)
    try:
        reader, read = _run(lambda: cache.get(lambda: FakeSession(database.lock)))
        assert database.checking.wait(WAIT)
        cache.invalidate()  # the write committed in this process
    finally:
        database.lock.release()
    reader.join(WAIT)
    assert read[0].version == 7  # what its own read saw
    database.version = 8
    assert cache.peek() is None  # nothing stored: the next request checks again
    assert cache.get(lambda: FakeSession(database.lock)).version == 8


def test_only_one_thread_checks_while_a_snapshot_is_held(database: Database) -> None:
    clock = Clock()
    cache = SnapshotCache(ttl=1.0, clock=clock)
    first = cache.get(lambda: FakeSession(database.lock))
    database.checking.clear()
    clock.now = 5.0
    assert database.lock.acquire(timeout=WAIT)
    try:
        checker, checked = _run(lambda: cache.get(lambda: FakeSession(database.lock)))
        assert database.checking.wait(WAIT)
        # Others arriving now are answered at once from the snapshot held.
        assert cache.get(lambda: FakeSession(database.lock)) is first
    finally:
        database.lock.release()
    checker.join(WAIT)
    assert checked[0] is first  # same version: the held snapshot is kept, not reloaded
    assert database.loads == 1


def test_a_cold_cache_is_loaded_once_however_many_threads_ask(database: Database) -> None:
    """Threads outside a transaction hold no database lock: they wait for the one loading
    (a gunicorn worker's sixteen threads at start, or after this process's own write)."""
    cache = SnapshotCache(ttl=1.0, clock=Clock())
    assert database.lock.acquire(timeout=WAIT)
    try:
        first, got_first = _run(lambda: cache.get(lambda: FakeSession(database.lock)))
        assert database.checking.wait(WAIT)
        others = [_run(lambda: cache.get(lambda: FakeSession(database.lock))) for _ in range(5)]
    finally:
        database.lock.release()
    for thread, _ in [(first, got_first), *others]:
        thread.join(WAIT)
        assert not thread.is_alive()
    answers = [got_first[0]] + [got[0] for _, got in others]
    assert all(a is answers[0] for a in answers), answers
    assert database.loads == 1


def test_on_postgresql_a_thread_in_a_transaction_waits_like_the_others(
    database: Database,
) -> None:
    """PostgreSQL's reads wait for no row lock, so a transaction there cannot be what the
    refreshing thread waits for: it waits, and the cold cache is still loaded once."""
    cache = SnapshotCache(ttl=1.0, clock=Clock())
    assert database.lock.acquire(timeout=WAIT)
    try:
        first, got_first = _run(lambda: cache.get(lambda: FakeSession(database.lock)))
        assert database.checking.wait(WAIT)
        pg = _run(
            lambda: cache.get(lambda: FakeSession(database.lock, holds=True, dialect="postgresql"))
        )
    finally:
        database.lock.release()
    for thread, _ in [(first, got_first), pg]:
        thread.join(WAIT)
    assert pg[1][0] is got_first[0]
    assert database.loads == 1

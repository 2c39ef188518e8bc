"""Engine and session construction shared by the app, Alembic, the CLI and tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs to psycopg 3 (the only driver we ship)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, and WAL lets gunicorn workers read while
    # one writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # pysqlite opens transactions lazily and on its own terms, which breaks SAVEPOINT and
    # rollback-per-test; hand transaction control to SQLAlchemy (see its SQLite dialect docs
    # on "serializable isolation / savepoints").
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes SQLite's write reservation up front, so concurrent writers (gunicorn
    # workers) queue on busy_timeout instead of failing with "database is locked" when a
    # deferred read transaction tries to upgrade. SQLite is the embedded default; production
    # runs PostgreSQL, where this does not apply.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)

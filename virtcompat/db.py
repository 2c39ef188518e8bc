"""Engine and session construction shared by the app, Alembic, the CLI and tests.

PostgreSQL engines carry three timeouts (issue 8, reproduction 4: with the server stopped
rather than down, a post hung until gunicorn killed the worker and /readyz for 40 s):

- connect: libpq's ``connect_timeout``, so a server that accepts TCP but never answers the
  startup packet costs seconds, not minutes;
- statement: the server's ``statement_timeout`` for a live but slow server, and a client-side
  deadline on every wait for an answer (a stopped server enforces nothing, and its kernel
  still acknowledges our packets, so only the client can notice). A connection that misses
  its deadline is closed and the error is an ``OperationalError``: the API answers 503;
- pool checkout: ``pool_timeout``, so requests queueing for a connection give up too.

A pooled PostgreSQL connection is pinged at checkout when it sat idle in the pool for more
than ``PING_AFTER_IDLE_S`` (a dead one is replaced before the request uses it), not when it
was in use a moment ago: under load that ping was a round trip on every request. A server
that died and came back within that second costs the first request on each such connection
an error (the pool then discards them all), as it would without any ping.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs to psycopg 3 (the only driver we ship)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


_CONNECT_S, _STATEMENT_MS, _POOL_S = 3, 5000, 5.0


@dataclass(frozen=True, slots=True)
class DbTimeouts:
    connect_s: int = _CONNECT_S
    statement_ms: int = _STATEMENT_MS
    pool_s: float = _POOL_S

    @classmethod
    def from_env(cls) -> DbTimeouts:
        def number(name: str, default: float) -> float:
            raw = os.environ.get(name, "").strip()
            try:
                return float(raw) if raw else default
            except ValueError as exc:
                raise RuntimeError(f"{name} must be a number, got {raw!r}") from exc

        return cls(
            # libpq rounds connect_timeout to whole seconds and treats 1 as 2.
            connect_s=max(2, int(number("VIRTCOMPAT_DB_CONNECT_TIMEOUT_S", _CONNECT_S))),
            statement_ms=int(number("VIRTCOMPAT_DB_STATEMENT_TIMEOUT_MS", _STATEMENT_MS)),
            pool_s=number("VIRTCOMPAT_DB_POOL_TIMEOUT_S", _POOL_S),
        )

    @property
    def answer_s(self) -> float | None:
        """Client-side deadline for an answer: the server's own timeout plus a margin for
        it to report the cancellation (none when statements are unbounded)."""
        return self.statement_ms / 1000.0 + 1.0 if self.statement_ms > 0 else None


#: Connections a worker's pool keeps open: one per gunicorn thread (THREADS, 16), since each
#: request holds one for its whole length. With SQLAlchemy's default of 5, a worker serving
#: more than 5 requests at once opened an overflow connection for each extra one and closed
#: it on return: under 8 concurrent probe posts that was a new PostgreSQL backend (fork,
#: authentication, session settings) every few requests. gunicorn.conf.py passes its
#: thread count down when VIRTCOMPAT_DB_POOL_SIZE is unset.
DEFAULT_POOL_SIZE = 16


def pool_size_from_env() -> int:
    """VIRTCOMPAT_DB_POOL_SIZE (default DEFAULT_POOL_SIZE): a positive whole number."""
    raw = os.environ.get("VIRTCOMPAT_DB_POOL_SIZE", "").strip()
    if not raw:
        return DEFAULT_POOL_SIZE
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"VIRTCOMPAT_DB_POOL_SIZE must be a positive integer, got {raw!r}")
    return int(raw)


_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "virtcompat_db_deadline", default=None
)


@contextlib.contextmanager
def answer_deadline(seconds: float) -> Iterator[None]:
    """A shorter client-side deadline for database answers inside the block (/readyz)."""
    token = _deadline.set(seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _deadline_connection_class(default_s: float | None) -> type[Any]:
    import psycopg
    from psycopg.errors import _WaitTimeout

    class DeadlineConnection(psycopg.Connection[Any]):
        """psycopg's connection with a deadline on every wait for the server."""

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            limit = _deadline.get() or default_s
            if timeout is not None:
                limit = timeout if limit is None else min(limit, timeout)
            if limit is None:
                return super().wait(gen, interval=interval)
            try:
                return super().wait(gen, interval=interval, timeout=limit)
            except _WaitTimeout:
                # Mid-protocol with no answer: the connection cannot be reused.
                self.close()
                raise psycopg.OperationalError(
                    f"the database did not answer within {limit:g} s"
                ) from None

    return DeadlineConnection


def make_engine(url: str, timeouts: DbTimeouts | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``. The service passes ``timeouts`` (``DbTimeouts.from_env()``);
    tools (migrations, seed, imports, tests' admin work) get the connect timeout only, since
    a migration or a DROP DATABASE may rightly run longer than any request."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    else:
        t = timeouts or replace(DbTimeouts.from_env(), statement_ms=0)
        ping_idle = kwargs.setdefault("pool_pre_ping", True)
        kwargs["pool_pre_ping"] = False  # our checkout listener pings idle connections only
        kwargs.setdefault("pool_timeout", t.pool_s)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", t.connect_s)
        if t.statement_ms > 0:
            connect_args.setdefault("options", f"-c statement_timeout={t.statement_ms}")
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif engine.dialect.driver == "psycopg":
        factory = _deadline_connection_class(t.answer_s)

        @event.listens_for(engine, "do_connect")
        def _connect(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> Any:
            return factory.connect(*cargs, **cparams)

        if ping_idle:
            _ping_idle_connections(engine)

    return engine


#: A pooled connection back in the pool for longer than this is pinged before reuse.
PING_AFTER_IDLE_S = 1.0
_RETURNED = "virtcompat_returned_at"


def _ping_idle_connections(engine: Engine) -> None:
    """``pool_pre_ping`` for connections that sat idle: a new connection, or one returned
    less than PING_AFTER_IDLE_S ago, is used as it is; any other is pinged, and one that
    fails the ping is replaced (DisconnectionError makes the pool discard it and connect
    anew, as pool_pre_ping does)."""
    dialect = engine.dialect

    def returned(_dbapi: Any, record: Any, *_args: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_RETURNED)
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"stale pooled connection: {error}") from error

    event.listen(engine, "connect", returned)  # a new connection counts as just used
    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checkout)


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


def driver_row(connection: Connection, sql: str, params: Mapping[str, Any]) -> Any:
    """The first row (or None) of one statement in the driver's own SQL, run by a cursor of
    the DBAPI connection under ``connection``, in its transaction (if any).

    For the probe post's two statements on PostgreSQL (the token lookup and the insert):
    ``exec_driver_sql`` adds an execution context and a result object around the cursor,
    about 55 us per statement on the development VM, a fifth of the statements' client-side
    CPU. A driver error is raised as SQLAlchemy raises it (``DBAPIError.instance``: an
    OperationalError stays one, which the API answers with a 503), and a connection the
    error shows lost is invalidated, as SQLAlchemy would; the engine's cursor events fire as
    for any statement.
    """
    if not connection.in_transaction():
        connection.begin()  # as its own execute would: the caller's commit or rollback ends it
    raw = connection.connection
    cursor = None
    # The engine's cursor events still see the statement (tests count statements with them).
    before = connection.dispatch.before_cursor_execute
    after = connection.dispatch.after_cursor_execute
    try:
        cursor = raw.cursor()
        if before:
            before(connection, cursor, sql, params, None, False)
        cursor.execute(sql, params)
        if after:
            after(connection, cursor, sql, params, None, False)
        return cursor.fetchone()
    except connection.dialect.loaded_dbapi.Error as error:
        lost = connection.dialect.is_disconnect(error, raw.dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            sql,
            params,
            error,
            connection.dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=connection.dialect,
        ) from error
    finally:
        if cursor is not None:
            cursor.close()

"""The request-scoped SQLAlchemy session (removed at app-context teardown)."""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from virtcompat.db import DbTimeouts, make_engine, make_sessionmaker, pool_size_from_env

EXT = "virtcompat"


def init_db(app: Flask, factory: sessionmaker[Session] | None = None) -> None:
    engine = None
    if factory is None:
        from api.ops import instrument_pool  # api.ops reads sessions through this module

        # The service's engine: connect, statement and pool timeouts and the pool size
        # (VIRTCOMPAT_DB_*). SQLite ignores the size (no pool of its own to size).
        url = app.config["DATABASE_URL"]
        sized = {} if url.startswith("sqlite") else {"pool_size": pool_size_from_env()}
        engine = make_engine(url, DbTimeouts.from_env(), **sized)
        instrument_pool(engine)
        factory = make_sessionmaker(engine)
    app.extensions[EXT] = {
        "session": scoped_session(factory),
        "factory": factory,
        "engine": engine,
    }

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        app.extensions[EXT]["session"].remove()


def rebind(app: Flask, factory: sessionmaker[Session]) -> None:
    """Point an app at another session factory, with fresh per-app state (the snapshot and
    answer caches live beside the session). The test suite reuses one app per database this
    way: building the app (its OpenAPI document) costs more than most tests."""
    app.extensions[EXT] = {"session": scoped_session(factory), "factory": factory, "engine": None}


def db() -> Session:
    registry: scoped_session[Session] = current_app.extensions[EXT]["session"]
    return registry()


def dispose(app: Flask) -> None:
    """Close the app's own connection pool (tests and tooling that build throwaway apps)."""
    engine = app.extensions[EXT].get("engine")
    if engine is not None:
        engine.dispose()

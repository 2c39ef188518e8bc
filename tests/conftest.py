"""Test harness: schema built by the Alembic migrations, the seed loaded once per database,
and every test inside a transaction that is rolled back (savepoint mode).

Database tests run on SQLite, and also on PostgreSQL when ``TEST_DATABASE_URL`` points at a
server we may create databases on. With ``CI=true`` PostgreSQL is required: the run fails
loudly instead of quietly skipping it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from virtcompat.config import ROOT
from virtcompat.db import make_engine, normalize_url
from virtcompat.migrations import alembic_config

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Property tests explore new inputs on developer machines; in CI they replay a fixed,
# derandomised sequence so a landing never hinges on a lucky draw.
hypothesis.settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    hypothesis.settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI=true requires TEST_DATABASE_URL (PostgreSQL) to be set")


# The heavy robustness runs (marker "hostile") take minutes on a 2-core machine: CI runs them,
# developers opt in with VIRTCOMPAT_HOSTILE=1 (or select them with -m hostile).
RUN_HOSTILE = IN_CI or os.environ.get("VIRTCOMPAT_HOSTILE") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if RUN_HOSTILE or "hostile" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="hostile run: set VIRTCOMPAT_HOSTILE=1 (CI=true runs it)")
    for item in items:
        if "hostile" in item.keywords:
            item.add_marker(skip)


def migrate(engine: Engine) -> None:
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def seed(engine: Engine) -> None:
    from virtcompat.catalogue import import_shipped
    from virtcompat.catalogue.loader import load_seed

    with Session(engine) as session:
        load_seed(session, ROOT / "seed")
        session.commit()
        # the shipped bulk sources too: tests see the catalogue a fresh clone serves
        failed = [
            r.line()
            for r in import_shipped(session, ROOT / "seed" / "sources")
            if r.status == "failed"
        ]
        assert not failed, failed


def _create_pg_database(template: str | None = None) -> tuple[str, Callable[[], None]]:
    admin_url = normalize_url(PG_URL)
    name = f"virtcompat_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    suffix = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    except Exception as exc:  # fail loudly: an unreachable server is not a skip
        raise RuntimeError(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}") from exc
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


BACKENDS = ["sqlite", "postgresql"]

# One migrated and seeded database per backend and run, copied for every database a
# fixture asks for: importing the shipped sources takes seconds, copying a file or a
# PostgreSQL template a fraction of one.
_TEMPLATES: dict[str, str] = {}
_TEMPLATE_DROPS: list[Callable[[], None]] = []


def _template(backend: str, folder: Path) -> str:
    if backend not in _TEMPLATES:
        if backend == "postgresql":
            url, drop = _create_pg_database()
            _TEMPLATE_DROPS.append(drop)
        else:
            url = f"sqlite:///{folder / 'template.sqlite3'}"
        engine = make_engine(url)
        try:
            migrate(engine)
            seed(engine)
        finally:
            engine.dispose()
        _TEMPLATES[backend] = url if backend == "sqlite" else make_url(url).database or ""
    return _TEMPLATES[backend]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for drop in _TEMPLATE_DROPS:
        drop()


def _prepared_database(backend: str, folder: Path) -> tuple[str, Callable[[], None] | None]:
    """A new database on ``backend``, migrated to head and seeded; returns (url, drop)."""
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip("TEST_DATABASE_URL not set (PostgreSQL tests skipped outside CI)")
        return _create_pg_database(template=_template(backend, folder))
    template = make_url(_template(backend, folder)).database or ""
    target = folder / "test.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}", None


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, seeded database per backend for the whole run."""
    url, drop = _prepared_database(request.param, tmp_path_factory.mktemp("db"))
    yield url
    if drop is not None:
        drop()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Commits inside the code under test release savepoints; the outer transaction is
    # rolled back after the test, so no test sees another's writes.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


# One app per database (and snapshot TTL) for the run, rebound to each test's session factory
# with fresh caches (api.db.rebind): building an app (its OpenAPI document) costs more than
# most tests.
_APPS: dict[tuple[str, float], Flask] = {}


def shared_app(
    database_url: str, session_factory: sessionmaker[Session], catalog_ttl: float = 0.0
) -> Flask:
    """The run's app for ``database_url``, bound to ``session_factory``. The suite's TTL of 0
    makes every write visible at once (no snapshot is ever fresh)."""
    from api.db import rebind
    from app import create_app

    key = (database_url, catalog_ttl)
    shared = _APPS.get(key)
    if shared is None:
        shared = _APPS[key] = create_app(
            {"TESTING": True, "DATABASE_URL": database_url, "CATALOG_TTL": catalog_ttl},
            session_factory=session_factory,
        )
    else:
        rebind(shared, session_factory)
    return shared


@pytest.fixture
def app(session_factory: sessionmaker[Session], database_url: str) -> Flask:
    return shared_app(database_url, session_factory)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_token(db_session: Session) -> Callable[..., str]:
    from virtcompat.tokens import create_token

    def make(*scopes: str, name: str = "test") -> str:
        _, secret = create_token(db_session, name, list(scopes))
        db_session.commit()
        return secret

    return make


@pytest.fixture
def auth(make_token: Callable[..., str]) -> Callable[..., dict[str, Any]]:
    def headers(*scopes: str) -> dict[str, Any]:
        return {"Authorization": f"Bearer {make_token(*scopes)}"}

    return headers


@pytest.fixture(scope="module")
def committed_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A separate migrated and seeded database whose writes really commit (for concurrency
    and live-server tests); parametrise it indirectly with "sqlite" or "postgresql"."""
    backend = request.param if hasattr(request, "param") else "sqlite"
    url, drop = _prepared_database(backend, tmp_path_factory.mktemp("live"))
    yield url
    if drop is not None:
        drop()

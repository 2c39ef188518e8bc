"""virtcompat.db.driver_row: a statement on the bare DBAPI cursor that still behaves, to its
callers and observers, like one SQLAlchemy ran (the probe post's two PostgreSQL statements)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import DataError, DBAPIError

from virtcompat.db import driver_row


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("driver SQL in psycopg's paramstyle: the PostgreSQL write path")
    return engine


def test_returns_the_first_row_or_none(pg: Engine) -> None:
    with pg.connect() as conn:
        assert tuple(driver_row(conn, "SELECT %(a)s::int + 1, 'x'", {"a": 2})) == (3, "x")
        assert driver_row(conn, "SELECT 1 WHERE %(no)s", {"no": False}) is None


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(pg: Engine) -> None:
    with pg.connect() as conn:
        with pytest.raises(DataError) as caught:  # division by zero is SQLSTATE class 22
            driver_row(conn, "SELECT 1 / %(z)s", {"z": 0})
        assert isinstance(caught.value, DBAPIError)
        assert isinstance(caught.value.orig, psycopg.errors.DivisionByZero)
        assert not caught.value.connection_invalidated
        # No parameter values in the message: a probe row's would be quoted in logs.
        assert "0" not in str(caught.value).split("[SQL:")[-1].split("]")[-1]
        conn.rollback()
        assert tuple(driver_row(conn, "SELECT 5", {})) == (5,)  # still usable


def test_the_engines_cursor_events_see_the_statement(pg: Engine) -> None:
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(pg, "before_cursor_execute", before)
    try:
        with pg.connect() as conn:
            driver_row(conn, "SELECT %(a)s::int", {"a": 7})
    finally:
        event.remove(pg, "before_cursor_execute", before)
    assert ("SELECT %(a)s::int", {"a": 7}) in seen

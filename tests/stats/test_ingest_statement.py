"""PostgreSQL writes a new probe and everything it adds as one statement (ingest's
``_insert_counted``): the same rows as the separate statements SQLite runs, and one round
trip per new probe. And the content hash's body encoding, which reuses the artefacts'."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from tests.stats.corpus import corpus_probes, dq45cb
from virtcompat import ingest as ingest_mod
from virtcompat import stats
from virtcompat.catalog import catalog_version
from virtcompat.engine.snapshot import load_snapshot
from virtcompat.models import CatalogState, UnverifiedHardware

SALT = "statement-salt"
UNKNOWN_BOARD = {
    "agent": {"name": "odd", "version": "1"},
    "artefacts": {
        "dmi": {"board_vendor": "Nobody Ltd", "board_name": "NB-0001", "bios_version": "1.0"},
        "lspci": "00:00.0 Host bridge [0600]: Nobody Device [1d0f:ffff] (rev 01)\n",
        "cpuinfo": "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Imaginary 9000\n",
    },
}
BODIES: list[dict[str, Any]] = [
    *corpus_probes(),
    dq45cb("0061", dmar=True, host=1),
    dq45cb("0061", dmar=True, host=2),
    dq45cb("0070", dmar=False, host=3),
    UNKNOWN_BOARD,
    UNKNOWN_BOARD,  # same content, a second probe: the unknown rows count up
]


def _ingest_all(session: Session) -> dict[str, Any]:
    """Ingest BODIES (each with its own key, then one replay) and read back every table a
    new probe touches; probe ids as their position in BODIES. (No commit: the caller rolls
    the whole run back to a savepoint.)"""
    version = catalog_version(session)
    ids: dict[int, int] = {}
    for n, body in enumerate(BODIES):
        for _ in range(2):  # the second post replays the first
            result = ingest_mod.ingest(
                session,
                body,
                idempotency_key=f"key-{n}",
                token_id=None,
                salt=SALT,
                snapshot=load_snapshot(session),
            )
            if result.created:
                ids[result.probe.id] = n
    unverified = {
        (u.kind, u.key): (u.details, u.probe_count, ids.get(u.first_probe_id or 0))
        for u in session.scalars(select(UnverifiedHardware))
    }
    return {
        "aggregates": stats.table_counts(session),
        "unverified": unverified,
        "version_moved": catalog_version(session) - version,
    }


@pytest.mark.parametrize("catalog_row", [True, False], ids=["catalog-row", "no-catalog-row"])
def test_one_statement_writes_what_separate_statements_write(
    db_session: Session, monkeypatch: pytest.MonkeyPatch, catalog_row: bool
) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite always writes separate statements")
    if not catalog_row:  # bump_version creates it; so must the one statement
        db_session.execute(delete(CatalogState))
    with db_session.begin_nested() as savepoint:
        together = _ingest_all(db_session)
        together["catalog"] = db_session.execute(
            select(CatalogState.id, CatalogState.version, CatalogState.spec_stamp != "")
        ).all()
        savepoint.rollback()
    monkeypatch.setattr(ingest_mod, "_one_statement", lambda dialect: False)
    with db_session.begin_nested() as savepoint:
        apart = _ingest_all(db_session)
        apart["catalog"] = db_session.execute(
            select(CatalogState.id, CatalogState.version, CatalogState.spec_stamp != "")
        ).all()
        savepoint.rollback()
    assert together == apart
    assert len(together["catalog"]) == 1
    assert together["unverified"] and together["version_moved"] == 3  # three DQ45CB probes
    assert together["aggregates"]["evidence_counts"] and together["aggregates"]["release_stats"]


def test_a_new_probe_is_one_round_trip(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips")
    snapshot = load_snapshot(db_session)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db_session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(2):
            ingest_mod.ingest(
                db_session,
                dq45cb("0061", dmar=True, host=7),
                idempotency_key="round-trips",
                token_id=None,
                salt=SALT,
                snapshot=snapshot,
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # New probe: the one statement. Replay: the same statement (it adds nothing) and the read
    # of the first probe.
    assert len(statements) == 3
    assert statements[0].startswith("WITH p AS (INSERT INTO probes")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.dictionaries(
        st.sampled_from(["agent", "artefacts", "collected_at", "é", "a b", "\u2028"]), json_values
    ),
    artefacts=st.dictionaries(st.text(max_size=4), json_values, max_size=3),
    same=st.booleans(),
)
def test_content_hash_bytes_reuse_the_artefacts_encoding(
    payload: dict[str, Any], artefacts: dict[str, Any], same: bool
) -> None:
    """The content hash's canonical body, built around the artefacts' own encoding, is
    byte for byte canonical(payload)."""
    if same:
        payload["artefacts"] = artefacts
    encoded = ingest_mod.canonical(artefacts)
    assert ingest_mod._canonical_payload(payload, artefacts, encoded) == ingest_mod.canonical(
        payload
    )

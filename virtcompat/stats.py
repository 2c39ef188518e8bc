"""Dashboard aggregates: probe verdict counts per dimension, and the support matrix.

Counts are kept incrementally (``apply``) in the probe's own transaction and undone with the
same keys on deletion or reprocessing, so reads are a small indexed query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from virtcompat.capability import CAPABILITIES
from virtcompat.models import ProbeStat

DIMENSIONS = ("all", "month", "cpu_vendor", "board_vendor", "chipset", "board")


def keys_for(
    *,
    month: str,
    cpu_vendor: str | None,
    board: tuple[str, str] | None,  # (board slug, board vendor slug)
    chipset: str | None,
) -> list[list[str]]:
    """The dimension values one probe is counted under."""
    keys = [["all", "all"], ["month", month]]
    if cpu_vendor:
        keys.append(["cpu_vendor", cpu_vendor[:200]])
    if board is not None:
        keys.append(["board", board[0]])
        keys.append(["board_vendor", board[1]])
    if chipset:
        keys.append(["chipset", chipset])
    return keys


def statuses(diagnosis: Mapping[str, Any]) -> dict[str, str]:
    caps = diagnosis.get("capabilities", {}) if isinstance(diagnosis, Mapping) else {}
    return {cap: str((caps.get(cap) or {}).get("status", "unknown")) for cap in CAPABILITIES}


def apply(
    session: Session, keys: Sequence[Sequence[str]], by_cap: Mapping[str, str], sign: int
) -> None:
    """Add (sign=+1) or remove (sign=-1) one probe's verdicts under ``keys``."""
    rows = [
        {"dimension": dimension, "key": key, "capability": cap, "status": status, "count": sign}
        for dimension, key in keys
        for cap, status in by_cap.items()
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ProbeStat).values(rows)
    # One atomic multi-row upsert, like the evidence tallies: concurrent probes never lose a
    # count, and a probe costs one statement however many dimensions it is counted under.
    stmt = stmt.on_conflict_do_update(
        index_elements=["dimension", "key", "capability", "status"],
        set_={"count": ProbeStat.count + stmt.excluded.count},
    )
    session.execute(stmt)


def probe_counts(session: Session, by: str) -> list[dict[str, Any]]:
    """Per value of dimension ``by``: how many probes, and their verdicts per capability."""
    rows = session.scalars(
        select(ProbeStat)
        .where(ProbeStat.dimension == by, ProbeStat.count > 0)
        .order_by(ProbeStat.key, ProbeStat.capability, ProbeStat.status)
    )
    items: dict[str, dict[str, Any]] = {}
    for r in rows:
        item = items.setdefault(
            r.key, {"key": r.key, "probes": 0, "capabilities": {c: {} for c in CAPABILITIES}}
        )
        item["capabilities"].setdefault(r.capability, {})[r.status] = r.count
    for item in items.values():
        item["probes"] = sum(item["capabilities"]["vtx"].values())
    return sorted(items.values(), key=lambda i: (-i["probes"], i["key"]))

"""Dashboard aggregates, kept incrementally with each probe, and the reads built on them.

A probe records in ``Probe.stat_keys`` the dimension values it was counted under
(``[["board", "intel-dq45cb"], ["day", "2026-11-26"], ["bios", "0061"], ...]``); together with
its stored diagnosis that is everything it added, so deletion and reprocessing subtract
exactly that, and ``rebuild`` re-sums the same contributions from the probes. Three tables
are maintained, each by one multi-row upsert per probe:

* ``probe_stats``: probes per dimension value (all, month, hour, CPU vendor, board, ...),
* ``probe_series``: probes per UTC day under every board/chipset/CPU-vendor filter mix,
* ``release_stats``: a board's verdicts per BIOS build, kernel series and Xen version.

No read here touches the probes table: every dashboard query is bounded by the catalogue
and the date range asked for, not by how many probes were posted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, delete, func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from virtcompat.capability import CAPABILITIES
from virtcompat.engine.compat import QueryError, clean_query
from virtcompat.engine.resolve import ResolveError
from virtcompat.engine.snapshot import Snapshot
from virtcompat.models import (
    BiosRelease,
    Board,
    Chipset,
    Citation,
    Cpu,
    EvidenceCount,
    Note,
    Probe,
    ProbeSeries,
    ProbeStat,
    ReleaseStat,
    Source,
    Vendor,
)

# Dimensions of /stats/probes?by=…; "hour" is counted too but only read by the summary.
DIMENSIONS = ("all", "month", "cpu_vendor", "board_vendor", "chipset", "board")
_COUNTED_DIMENSIONS = frozenset((*DIMENSIONS, "hour"))
SERIES_FILTERS = ("board", "chipset", "cpu_vendor")
AXES = ("bios", "kernel", "xen")
BUCKETS = ("day", "week", "month")
STATUSES = ("supported", "unsupported", "disabled", "masked", "unknown", "conflict")
ANY = "*"

# A probe's evidence for a board / BIOS release (virtcompat.ingest.contributions).
EVIDENCE_COUNTS = ("confirm", "contradict", "inconclusive")

# (key columns, count columns) of each aggregate table, in the upsert's conflict order.
_SHAPES: dict[type[Any], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ProbeStat: (("dimension", "key", "capability", "status"), ("count",)),
    ProbeSeries: (
        ("bucket", "board", "chipset", "cpu_vendor", "day", "capability", "status"),
        ("count",),
    ),
    ReleaseStat: (("board", "axis", "release", "capability", "status"), ("count",)),
    EvidenceCount: (("board_id", "bios_version", "capability"), EVIDENCE_COUNTS),
}


# -- what one probe counts under --------------------------------------------------------------


def keys_for(
    *,
    received: dt.datetime,
    cpu_vendor: str | None,
    board: tuple[str, str] | None,  # (board slug, board vendor slug)
    chipset: str | None,
    bios: str | None = None,
    kernel: tuple[int, ...] | None = None,
    xen: str | None = None,
) -> list[list[str]]:
    """The dimension values one probe is counted under."""
    # SQLite hands back naive datetimes; every stored time is UTC.
    when = (
        received.replace(tzinfo=dt.UTC) if received.tzinfo is None else received.astimezone(dt.UTC)
    )
    keys = [
        ["all", "all"],
        ["month", when.strftime("%Y-%m")],
        ["day", when.strftime("%Y-%m-%d")],
        ["hour", when.strftime("%Y-%m-%dT%H")],
    ]
    if cpu_vendor:
        keys.append(["cpu_vendor", cpu_vendor[:200]])
    if board is not None:
        keys.append(["board", board[0]])
        keys.append(["board_vendor", board[1]])
        # Releases only mean something for a known board: they are that board's history.
        if bios:
            keys.append(["bios", bios[:100]])
        if kernel and len(kernel) >= 2:
            keys.append(["kernel", f"{kernel[0]}.{kernel[1]}"])
        if xen:
            series = ".".join(re.findall(r"\d+", xen)[:2])
            if series:
                keys.append(["xen", series])
    if chipset:
        keys.append(["chipset", chipset])
    return keys


def statuses(diagnosis: Mapping[str, Any]) -> dict[str, str]:
    caps = diagnosis.get("capabilities", {}) if isinstance(diagnosis, Mapping) else {}
    if not isinstance(caps, Mapping):
        caps = {}
    return {cap: str((caps.get(cap) or {}).get("status", "unknown")) for cap in CAPABILITIES}


Rows = dict[type[Any], Counter[tuple[Any, ...]]]


def contribution(keys: Sequence[Sequence[str]], by_cap: Mapping[str, str]) -> Rows:
    """The aggregate rows (key tuple -> count) one probe adds, per table."""
    dims: dict[str, str] = {}
    stat: Counter[tuple[Any, ...]] = Counter()
    for dimension, key in keys:
        dims.setdefault(dimension, key)
        if dimension in _COUNTED_DIMENSIONS:
            for cap, status in by_cap.items():
                stat[(dimension, key, cap, status)] += 1
    series: Counter[tuple[Any, ...]] = Counter()
    day = dims.get("day")
    if day is not None:
        date = dt.date.fromisoformat(day)
        starts = [(b, bucket_start(date, b).isoformat()) for b in BUCKETS]
        options = [sorted({ANY, dims[f]}) if f in dims else [ANY] for f in SERIES_FILTERS]
        for board, chipset, vendor in itertools.product(*options):
            for bucket, start in starts:
                for cap, status in by_cap.items():
                    series[(bucket, board, chipset, vendor, start, cap, status)] += 1
    releases: Counter[tuple[Any, ...]] = Counter()
    board_slug = dims.get("board")
    if board_slug is not None:
        for axis in AXES:
            if axis in dims:
                for cap, status in by_cap.items():
                    releases[(board_slug, axis, dims[axis], cap, status)] += 1
    return {ProbeStat: stat, ProbeSeries: series, ReleaseStat: releases}


def evidence_rows(contributions: Iterable[Mapping[str, Any]]) -> Counter[tuple[Any, ...]]:
    """A probe's evidence tallies as (board_id, bios_version, capability, count name) -> n
    (contributions stored before a count existed lack it: zero)."""
    out: Counter[tuple[Any, ...]] = Counter()
    for c in contributions:
        key = (c["board_id"], c["bios_version"], c["capability"])
        for name in EVIDENCE_COUNTS:
            out[(*key, name)] += int(c.get(name, 0))
    return out


def _evidence_table(
    packed: Counter[tuple[Any, ...]], sign: int = 1
) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Packed evidence counts -> {(board_id, bios_version, capability): (confirm, ...)}."""
    rows = {}
    for key in {k[:3] for k in packed}:
        counts = tuple(sign * packed[(*key, name)] for name in EVIDENCE_COUNTS)
        if any(counts):
            rows[key] = counts
    return rows


# -- writing ----------------------------------------------------------------------------------


def upsert_add(
    session: Session, model: type[Any], rows: Mapping[tuple[Any, ...], Sequence[int]]
) -> None:
    """Add counts to ``model`` rows in one ``INSERT … ON CONFLICT DO UPDATE`` statement.

    Atomic per row, so concurrent probes never lose an increment; rows go in key order so two
    transactions touching the same rows lock them in the same order (no deadlock).

    The statement's shape does not depend on the rows, so it is compiled once per table: a
    multi-row ``VALUES`` list compiled per call cost more than the rest of an ingest. On
    PostgreSQL the rows travel as one array per column (``unnest``: one statement, one round
    trip); SQLite runs the same cached upsert over the rows (in process, no round trips).
    """
    if not rows:
        return
    key_cols, count_cols = _SHAPES[model]
    items = sorted(rows.items())
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        columns: dict[str, list[Any]] = {c: [] for c in (*key_cols, *count_cols)}
        for key, counts in items:
            for c, v in zip(key_cols, key, strict=True):
                columns[c].append(v)
            for c, v in zip(count_cols, counts, strict=True):
                columns[c].append(v)
        session.execute(_upsert_statement(model, dialect), columns)
        return
    values = [
        {**dict(zip(key_cols, key, strict=True)), **dict(zip(count_cols, counts, strict=True))}
        for key, counts in items
    ]
    session.execute(_upsert_statement(model, dialect), values)


_UPSERTS: dict[tuple[type[Any], str], Any] = {}


def _upsert_statement(model: type[Any], dialect: str) -> Any:
    stmt = _UPSERTS.get((model, dialect))
    if stmt is None:
        stmt = _UPSERTS[(model, dialect)] = _build_upsert(model, dialect)
    return stmt


def _build_upsert(model: type[Any], dialect: str) -> Any:
    key_cols, count_cols = _SHAPES[model]
    table = model.__table__
    if dialect == "postgresql":
        # Table and column names come from _SHAPES, never from a request.
        arrays = ", ".join(
            f"CAST(:{c} AS {'integer' if isinstance(table.c[c].type, Integer) else 'text'}[])"
            for c in (*key_cols, *count_cols)
        )
        updates = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in count_cols)
        return text(
            f"INSERT INTO {table.name} ({', '.join((*key_cols, *count_cols))}) "
            f"SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {updates}"
        )
    stmt = sqlite.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(key_cols),
        set_={c: table.c[c] + stmt.excluded[c] for c in count_cols},
    )


def apply(
    session: Session, keys: Sequence[Sequence[str]], by_cap: Mapping[str, str], sign: int
) -> None:
    """Add (sign=+1) or remove (sign=-1) one probe's verdicts under ``keys``."""
    for model, counter in contribution(keys, by_cap).items():
        upsert_add(session, model, {k: (sign * n,) for k, n in counter.items()})


def apply_evidence(session: Session, contributions: Sequence[Mapping[str, Any]], sign: int) -> None:
    """Add or remove one probe's board / BIOS evidence tallies (one upsert)."""
    upsert_add(session, EvidenceCount, _evidence_table(evidence_rows(contributions), sign))


#: The aggregate tables in the order every writer (ingest, deletion, reprocessing) upserts
#: them, so concurrent transactions lock their rows in one global order (no deadlock).
WRITE_ORDER: tuple[type[Any], ...] = (EvidenceCount, ProbeStat, ProbeSeries, ReleaseStat)


def probe_rows(
    keys: Sequence[Sequence[str]],
    by_cap: Mapping[str, str],
    contributions: Sequence[Mapping[str, Any]],
    sign: int,
) -> dict[type[Any], list[list[Any]]]:
    """Everything one probe adds (sign=+1) to each aggregate table, in :data:`WRITE_ORDER`:
    per table the rows ``[*key, *counts]`` in key order (the rows of :func:`apply_evidence` and
    :func:`apply`)."""
    evidence = _evidence_table(evidence_rows(contributions), sign)
    out: dict[type[Any], list[list[Any]]] = {
        EvidenceCount: [[*key, *counts] for key, counts in sorted(evidence.items())]
    }
    for model, counter in contribution(keys, by_cap).items():
        out[model] = [[*key, sign * n] for key, n in sorted(counter.items())]
    return {model: out[model] for model in WRITE_ORDER}


def upsert_cte(model: type[Any], name: str, source: str) -> str:
    """PostgreSQL driver SQL: ``name AS (INSERT … ON CONFLICT DO UPDATE … RETURNING 1)``
    adding the rows of the JSON array parameter ``%(name)s`` (``[*key, *counts]`` each, see
    :func:`probe_rows`) to ``model``, in array order, once per row of ``source`` (a CTE of at
    most one row: the probe just inserted, so a replay adds nothing)."""
    key_cols, count_cols = _SHAPES[model]
    table = model.__table__
    values = ", ".join(
        f"CAST(r.v->>{i} AS integer)" if isinstance(table.c[c].type, Integer) else f"r.v->>{i}"
        for i, c in enumerate((*key_cols, *count_cols))
    )
    updates = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in count_cols)
    # Table and column names come from _SHAPES, never from a request.
    return (
        f"{name} AS (INSERT INTO {table.name} ({', '.join((*key_cols, *count_cols))}) "
        f"SELECT {values} FROM {source}, "
        f"json_array_elements(CAST(%({name})s AS json)) WITH ORDINALITY AS r(v, n) ORDER BY r.n "
        f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {updates} RETURNING 1)"
    )


class Batch:
    """Net aggregate changes of several probes, written as one upsert per table.

    Reprocessing undoes and redoes many probes in one transaction; summing first keeps it to
    four statements, and writing every table in the same order and key order as a single
    ingest means concurrent writers lock rows in one global order (no deadlocks)."""

    def __init__(self) -> None:
        self.evidence: Counter[tuple[Any, ...]] = Counter()
        self.rows: Rows = {model: Counter() for model in (ProbeStat, ProbeSeries, ReleaseStat)}

    def add(
        self,
        keys: Sequence[Sequence[str]],
        by_cap: Mapping[str, str],
        contributions: Sequence[Mapping[str, Any]],
        sign: int,
    ) -> None:
        for key, n in evidence_rows(contributions).items():
            self.evidence[key] += sign * n
        for model, counter in contribution(keys, by_cap).items():
            for key, n in counter.items():
                self.rows[model][key] += sign * n

    def flush(self, session: Session) -> None:
        upsert_add(session, EvidenceCount, _evidence_table(self.evidence))
        for model, counter in self.rows.items():
            upsert_add(session, model, {k: (n,) for k, n in counter.items() if n})
        self.evidence.clear()
        for counter in self.rows.values():
            counter.clear()


@dataclass(frozen=True)
class RebuildReport:
    probes: int
    rows: dict[str, int]

    def __str__(self) -> str:
        tables = ", ".join(f"{n} {t} rows" for t, n in self.rows.items())
        return f"recounted {self.probes} probes: {tables}"


def rebuild(session: Session, *, batch_size: int = 2000) -> RebuildReport:
    """Recompute every probe aggregate from the stored probes (same contributions as ingest)."""
    if session.get_bind().dialect.name == "postgresql":
        # Blocks probe inserts/deletes until this transaction ends, so no probe is counted
        # twice or missed while the tables are refilled.
        session.execute(text("LOCK TABLE probes IN SHARE MODE"))
    for model in _SHAPES:
        session.execute(delete(model))
    totals: Rows = {model: Counter() for model in (ProbeStat, ProbeSeries, ReleaseStat)}
    evidence: Counter[tuple[Any, ...]] = Counter()
    count = 0
    stmt = select(Probe.stat_keys, Probe.diagnosis, Probe.contributions).order_by(Probe.id)
    for keys, diagnosis, contributions in session.execute(
        stmt.execution_options(yield_per=batch_size)
    ):
        for model, counter in contribution(keys or [], statuses(diagnosis or {})).items():
            totals[model].update(counter)
        evidence.update(evidence_rows(contributions or []))
        count += 1
    report: dict[str, int] = {}
    for model, counter in totals.items():
        rows = {k: (n,) for k, n in counter.items() if n}
        _insert_chunks(session, model, rows)
        report[model.__tablename__] = len(rows)
    ev_rows = _evidence_table(evidence)
    _insert_chunks(session, EvidenceCount, ev_rows)
    report[EvidenceCount.__tablename__] = len(ev_rows)
    return RebuildReport(probes=count, rows=report)


def _insert_chunks(
    session: Session, model: type[Any], rows: Mapping[tuple[Any, ...], Sequence[int]]
) -> None:
    items = sorted(rows.items())
    for i in range(0, len(items), 500):
        upsert_add(session, model, dict(items[i : i + 500]))


def table_counts(session: Session) -> dict[str, dict[tuple[Any, ...], tuple[int, ...]]]:
    """Every non-zero aggregate row (for checks that incremental == rebuild)."""
    out: dict[str, dict[tuple[Any, ...], tuple[int, ...]]] = {}
    for model, (key_cols, count_cols) in _SHAPES.items():
        cols = [getattr(model, c) for c in (*key_cols, *count_cols)]
        found: dict[tuple[Any, ...], tuple[int, ...]] = {}
        for row in session.execute(select(*cols)):
            counts = tuple(row[len(key_cols) :])
            if any(counts):
                found[tuple(row[: len(key_cols)])] = counts
        out[model.__tablename__] = found
    return out


# -- reading: counts by dimension ---------------------------------------------------------------


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


# -- reading: the trend -----------------------------------------------------------------------

DEFAULT_SPAN = {"day": 30, "week": 26, "month": 12}  # buckets shown when `from` is not given
MAX_SPAN_DAYS = 3 * 366


def bucket_start(day: dt.date, bucket: str) -> dt.date:
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_bucket(start: dt.date, bucket: str) -> dt.date:
    if bucket == "week":
        return start + dt.timedelta(days=7)
    if bucket == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


def default_range(bucket: str, today: dt.date) -> tuple[dt.date, dt.date]:
    start = bucket_start(today, bucket)
    for _ in range(DEFAULT_SPAN[bucket] - 1):
        start = bucket_start(start - dt.timedelta(days=1), bucket)
    return start, today


def series(
    session: Session,
    *,
    bucket: str,
    start: dt.date,
    end: dt.date,
    filters: Mapping[str, str | None],
) -> list[dict[str, Any]]:
    """Probe verdicts per capability for each bucket that overlaps ``start``..``end``
    (inclusive; a bucket counts whole); empty buckets are present with zeros so a chart's x
    axis is continuous."""
    where = [getattr(ProbeSeries, f) == (filters.get(f) or ANY) for f in SERIES_FILTERS]
    stmt = select(
        ProbeSeries.day, ProbeSeries.capability, ProbeSeries.status, ProbeSeries.count
    ).where(
        ProbeSeries.bucket == bucket,
        *where,
        ProbeSeries.day >= bucket_start(start, bucket).isoformat(),
        ProbeSeries.day <= end.isoformat(),
        ProbeSeries.count > 0,
    )
    points: dict[str, dict[str, Any]] = {}
    cursor = bucket_start(start, bucket)
    while cursor <= end:
        points[cursor.isoformat()] = {
            "period": cursor.isoformat(),
            "probes": 0,
            "capabilities": {c: {} for c in CAPABILITIES},
        }
        cursor = _next_bucket(cursor, bucket)
    for day, cap, status, count in session.execute(stmt):
        point = points[day]  # rows are keyed by their bucket's first day
        by_status = point["capabilities"].setdefault(cap, {})
        by_status[status] = by_status.get(status, 0) + count
        if cap == "vtx":  # every probe has exactly one vtx status: that is the probe count
            point["probes"] += count
    return list(points.values())


# -- reading: the summary ---------------------------------------------------------------------


def summary(
    session: Session,
    now: dt.datetime,
    catalogue: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Probe totals and verdicts from the aggregates; the catalogue counts from
    ``catalogue`` (a memo of ``catalogue_counts`` for the current catalogue) when given."""
    now = now.astimezone(dt.UTC)
    caps: dict[str, dict[str, int]] = {c: {} for c in CAPABILITIES}
    for cap, status, count in session.execute(
        select(ProbeStat.capability, ProbeStat.status, ProbeStat.count).where(
            ProbeStat.dimension == "all", ProbeStat.key == "all", ProbeStat.count > 0
        )
    ):
        caps.setdefault(cap, {})[status] = count
    total = sum(caps["vtx"].values())
    since_hour = (now - dt.timedelta(hours=23)).strftime("%Y-%m-%dT%H")
    last_24h = session.scalar(
        select(func.coalesce(func.sum(ProbeStat.count), 0)).where(
            ProbeStat.dimension == "hour",
            ProbeStat.capability == "vtx",
            ProbeStat.key >= since_hour,
        )
    )
    since_day = (now.date() - dt.timedelta(days=29)).isoformat()
    last_30d = session.scalar(
        select(func.coalesce(func.sum(ProbeSeries.count), 0)).where(
            ProbeSeries.bucket == "day",
            ProbeSeries.board == ANY,
            ProbeSeries.chipset == ANY,
            ProbeSeries.cpu_vendor == ANY,
            ProbeSeries.capability == "vtx",
            ProbeSeries.day >= since_day,
        )
    )
    return {
        "catalogue": catalogue() if catalogue is not None else catalogue_counts(session),
        "probes": {
            "total": total,
            "last_24h": int(last_24h or 0),
            "last_30d": int(last_30d or 0),
        },
        "capabilities": caps,
    }


def catalogue_counts(session: Session) -> dict[str, Any]:
    rows = {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in (
            ("boards", Board),
            ("chipsets", Chipset),
            ("cpus", Cpu),
            ("bios_releases", BiosRelease),
            ("notes", Note),
            ("sources", Source),
        )
    }
    by_confidence = {"high": 0, "medium": 0, "low": 0}
    sources: dict[str, dict[str, Any]] = {}
    stmt = (
        select(Source.slug, Source.title, Source.kind, Citation.confidence, func.count())
        .join(Citation, Citation.source_id == Source.id)
        .group_by(Source.slug, Source.title, Source.kind, Citation.confidence)
    )
    for slug, title, kind, confidence, count in session.execute(stmt):
        level = getattr(confidence, "value", str(confidence))
        item = sources.setdefault(
            slug,
            {"source": slug, "title": title, "kind": kind, "citations": 0}
            | {c: 0 for c in by_confidence},
        )
        item[level] = item.get(level, 0) + count
        item["citations"] += count
        by_confidence[level] = by_confidence.get(level, 0) + count
    return {
        **rows,
        "citations_by_confidence": by_confidence,
        "by_source": sorted(sources.values(), key=lambda s: (-s["citations"], s["source"])),
    }


# -- reading: regressions ---------------------------------------------------------------------

LABELS = {
    "vtx": "VT-x",
    "vtd": "VT-d",
    "slat": "EPT",
    "hvm": "HVM",
    "pci_passthrough": "PCI passthrough",
}
_AMD_LABELS = {"vtx": "AMD-V", "vtd": "AMD-Vi", "slat": "NPT"}
_CLEAR = ("supported", "unsupported", "disabled")
_AXIS_PREFIX = {"bios": "", "kernel": "Linux ", "xen": "Xen "}


def release_order(release: str) -> tuple[Any, ...]:
    """Natural order: "0061" < "0070", "5.4" < "5.15" < "6.1"."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p.lower())
        for p in re.split(r"(\d+)", release)
        if p
    )


def label(cap: str, amd: bool) -> str:
    return (_AMD_LABELS.get(cap) if amd else None) or LABELS.get(cap, cap)


def _verdict(by_status: Mapping[str, int]) -> str:
    """The release's verdict: the clear status most probes saw; a tie is a conflict, and
    probes that saw nothing clear (unknown, masked) leave it unknown."""
    ranked = sorted(((by_status.get(s, 0), s) for s in _CLEAR), reverse=True)
    if ranked[0][0] == 0:
        return "unknown"
    if ranked[1][0] == ranked[0][0]:
        return "conflict"
    return ranked[0][1]


def _probes(n: int) -> str:
    return f"{n} probe{'s' if n != 1 else ''}"


def _board_labels(session: Session, slugs: Iterable[str]) -> dict[str, tuple[str, str, bool]]:
    """slug -> (model, vendor slug, AMD IOMMU?) for the boards a report names: a small
    indexed read instead of loading the whole catalogue."""
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    stmt = (
        select(Board.slug, Board.model, Vendor.slug, Chipset.iommu_kind)
        .join(Vendor, Board.vendor_id == Vendor.id)
        .outerjoin(Chipset, Board.chipset_id == Chipset.id)
        .where(Board.slug.in_(wanted))
    )
    return {
        slug: (model, vendor, getattr(kind, "value", kind) == "amd-vi")
        for slug, model, vendor, kind in session.execute(stmt)
    }


def regressions(
    session: Session,
    *,
    board: str | None = None,
    axis: str | None = None,
    capability: str | None = None,
    changed_only: bool = False,
) -> list[dict[str, Any]]:
    """Per board, axis and capability: verdicts by release, and where the verdict flipped
    between one release and the next that has a clear verdict."""
    stmt = select(
        ReleaseStat.board,
        ReleaseStat.axis,
        ReleaseStat.release,
        ReleaseStat.capability,
        ReleaseStat.status,
        ReleaseStat.count,
    ).where(ReleaseStat.count > 0)
    if board:
        stmt = stmt.where(ReleaseStat.board == board)
    if axis:
        stmt = stmt.where(ReleaseStat.axis == axis)
    if capability:
        stmt = stmt.where(ReleaseStat.capability == capability)
    items: list[dict[str, Any]] = []
    grouped: dict[tuple[str, str, str], dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for b, ax, release, cap, status, count in session.execute(stmt):
        grouped[(b, ax, cap)][release][status] = count
    labels = _board_labels(session, (slug for slug, _, _ in grouped))
    for (slug, ax, cap), releases in grouped.items():
        name, vendor, amd = labels.get(slug, (slug, None, False))
        history: list[dict[str, Any]] = []
        for release in sorted(releases, key=release_order):
            by_status = dict(sorted(releases[release].items()))
            history.append(
                {
                    "release": release,
                    "verdict": _verdict(by_status),
                    "probes": sum(by_status.values()),
                    "statuses": by_status,
                }
            )
        changes: list[dict[str, Any]] = []
        previous: dict[str, Any] | None = None
        for entry in history:
            if entry["verdict"] not in _CLEAR:
                continue
            if previous is not None and previous["verdict"] != entry["verdict"]:
                before, after = previous, entry
                kind = (
                    "lost"
                    if before["verdict"] == "supported"
                    else "gained"
                    if after["verdict"] == "supported"
                    else "changed"
                )
                n_before = before["statuses"][before["verdict"]]
                n_after = after["statuses"][after["verdict"]]
                prefix = _AXIS_PREFIX[ax]
                changes.append(
                    {
                        "change": kind,
                        "from": {
                            "release": before["release"],
                            "status": before["verdict"],
                            "probes": n_before,
                        },
                        "to": {
                            "release": after["release"],
                            "status": after["verdict"],
                            "probes": n_after,
                        },
                        "message": f"{name}: {label(cap, amd)} {before['verdict']} on "
                        f"{prefix}{before['release']} ({_probes(n_before)}), "
                        f"{after['verdict']} on {prefix}{after['release']} ({_probes(n_after)})",
                    }
                )
            previous = entry
        if changed_only and not changes:
            continue
        items.append(
            {
                "board": {"slug": slug, "vendor": vendor, "model": name},
                "axis": ax,
                "capability": cap,
                "releases": history,
                "changes": changes,
            }
        )
    rank = {"lost": 0, "changed": 1, "gained": 2}
    items.sort(
        key=lambda i: (
            min((rank[c["change"]] for c in i["changes"]), default=3),
            -sum(h["probes"] for h in i["releases"]),
            i["board"]["slug"],
            AXES.index(i["axis"]) if i["axis"] in AXES else 9,
            i["capability"],
        )
    )
    return items


# -- reading: conflicts ---------------------------------------------------------------------


def conflicts(
    snapshot: Snapshot, answer: Callable[[dict[str, str | None]], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Catalogue facts that probes or other sources contradict: every capability whose
    verdict is ``conflict`` for a catalogue chipset, CPU or board, with the catalogue side
    and the contradicting side cited, most evidence first. A conflict inherited by several
    rows (a chipset note seen from each of its boards) is listed once with every subject."""
    found: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    item: dict[str, Any] | None
    subjects: list[tuple[str, str, str]] = [
        *(("chipset", s.slug, s.name) for s in snapshot.chipsets.values()),
        *(("cpu", s.slug, s.brand) for s in snapshot.cpus.values()),
        *(("board", s.slug, s.model) for s in snapshot.boards.values()),
    ]
    for kind, slug, name in sorted(subjects):
        try:
            doc = answer(clean_query({kind: slug}))
        except (ResolveError, QueryError):
            continue
        for cap, verdict in doc.get("capabilities", {}).items():
            if verdict.get("status") != "conflict":
                continue
            reasons = [r for r in verdict["reasons"] if not r.get("advisory")]
            clashing = [r for r in reasons if r["status"] == "conflict"]
            signature = (cap, tuple(sorted(r["message"] for r in clashing)))
            catalogue: list[dict[str, Any]] = []
            probes: list[dict[str, Any]] = []
            for r in clashing:
                for e in r.get("evidence", []):
                    (probes if e.get("kind") == "probe" else catalogue).append(e)
            if not catalogue:
                # A probe tally contradicting the catalogue: the catalogue's side is the
                # spec reason it contradicts.
                for r in reasons:
                    if r["status"] in _CLEAR:
                        catalogue += [e for e in r.get("evidence", []) if e.get("kind") != "probe"]
            tally = (
                _tally(snapshot, slug, cap) if kind == "board" else {"confirm": 0, "contradict": 0}
            )
            item = found.get(signature)
            subject = {"kind": kind, "slug": slug, "name": name}
            if item is not None:
                item["subjects"].append(subject)
                for k in ("confirm", "contradict"):
                    item["probes"][k] += tally[k]
                continue
            found[signature] = {
                "capability": cap,
                "subjects": [subject],
                "rules": sorted({r["rule"] for r in clashing}),
                "messages": [r["message"] for r in clashing],
                **_sides(catalogue, probes),
                "probes": dict(tally),
            }
    items = list(found.values())
    for item in items:
        item["evidence"] = (
            item["probes"]["confirm"]
            + item["probes"]["contradict"]
            + len(item["catalogue"])
            + sum(1 for e in item["contradicted_by"] if e.get("kind") != "probe")
        )
    items.sort(key=lambda i: (-i["evidence"], i["capability"], i["subjects"][0]["slug"]))
    return items


def _sides(catalogue: list[dict[str, Any]], probes: list[dict[str, Any]]) -> dict[str, Any]:
    """The catalogue's side and the contradicting side: probes when they contradict it, else
    the second source of a conflict note (its first citation is the catalogue's fact)."""
    ours = _unique(catalogue)
    if probes:
        return {"catalogue": ours, "contradicted_by": _unique(probes)}
    return {"catalogue": ours[:1], "contradicted_by": ours[1:]}


def _tally(snapshot: Snapshot, slug: str, cap: str) -> dict[str, int]:
    spec = snapshot.boards.get(slug)
    tallies = snapshot.evidence.get(spec.id, ()) if spec else ()
    rows = [t for t in tallies if t.capability == cap and t.bios_version == ""]
    return {
        "confirm": sum(t.confirm for t in rows),
        "contradict": sum(t.contradict for t in rows),
    }


def _unique(evidence: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for e in evidence:
        key = (e.get("kind"), e.get("id"), e.get("source"))
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out

"""Answer one compatibility query: resolve names, build HostFacts, judge, serialise.

Answers are pure functions of (catalogue snapshot version, normalised query), so they are
memoised per snapshot: a procurement script asking about the same board a thousand times
costs one verdict.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from virtcompat.capability import CAPABILITIES, Confidence
from virtcompat.catalogue.types import CpuSpec
from virtcompat.engine.resolve import ResolveError, catalog_facts
from virtcompat.engine.snapshot import Snapshot
from virtcompat.engine.verdict import judge
from virtcompat.rules.registry import rules_version

QUERY_FIELDS = ("board", "cpu", "bios", "chipset", "stepping", "hypervisor", "min_confidence")
HYPERVISORS = ("xen", "kvm")
CONFIDENCES = tuple(c.value for c in Confidence)


class QueryError(ValueError):
    """A query that names nothing (no board, cpu or chipset) or a bad parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def clean_query(raw: Mapping[str, Any]) -> dict[str, str | None]:
    query: dict[str, str | None] = {}
    for key in QUERY_FIELDS:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            query[key] = None
        elif isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value).strip()
            if len(text) > 200:
                raise QueryError(key, "must be at most 200 characters")
            query[key] = text
        else:
            raise QueryError(key, "must be a string")
    if query["hypervisor"] is not None:
        query["hypervisor"] = query["hypervisor"].lower()
        if query["hypervisor"] not in HYPERVISORS:
            raise QueryError("hypervisor", "must be one of: xen, kvm")
    if query["min_confidence"] is not None:
        query["min_confidence"] = query["min_confidence"].lower()
        if query["min_confidence"] not in CONFIDENCES:
            raise QueryError("min_confidence", "must be one of: high, medium, low")
    if not (query["board"] or query["cpu"] or query["chipset"]):
        raise QueryError("board", "give at least one of board, cpu, chipset")
    if query["bios"] and not query["board"]:
        raise QueryError("bios", "a BIOS version needs a board")
    return query


@dataclass(frozen=True, slots=True)
class Rendered:
    """A verdict document with its JSON body and a strong validator, computed once."""

    doc: dict[str, Any]
    body: bytes
    etag: str  # the quoted weak validator, ready for the ETag header
    statuses: tuple[tuple[str, str], ...]  # (capability, status), for metrics


class CompatService:
    def __init__(self, max_entries: int = 4096) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._version: int | None = None
        self._cache: OrderedDict[tuple[str | None, ...], Rendered] = OrderedDict()
        # Raw query string -> answer: a repeated request skips parsing and cleaning too.
        self._by_raw: dict[str, Rendered] = {}

    def lookup_raw(self, snapshot: Snapshot, raw_query: str) -> Rendered | None:
        """The answer already rendered for this exact query string, if any."""
        if self._version != snapshot.version:
            return None
        return self._by_raw.get(raw_query)

    def remember_raw(self, snapshot: Snapshot, raw_query: str, rendered: Rendered) -> None:
        with self._lock:
            if self._version == snapshot.version and len(raw_query) <= 2048:
                if len(self._by_raw) >= self._max:
                    self._by_raw.clear()  # bounded; rebuilt by the next requests
                self._by_raw[raw_query] = rendered

    def answer(self, snapshot: Snapshot, query: dict[str, str | None]) -> dict[str, Any]:
        """The verdict document for a cleaned query; raises ResolveError."""
        return self.render(snapshot, query).doc

    def render(self, snapshot: Snapshot, query: dict[str, str | None]) -> Rendered:
        """Like ``answer``, with the serialised body cached beside the document."""
        key = tuple(query[k] for k in QUERY_FIELDS)
        with self._lock:
            if self._version != snapshot.version:
                self._cache.clear()
                self._by_raw.clear()
                self._version = snapshot.version
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        doc = _answer(snapshot, query)
        body = json.dumps(doc, separators=(",", ":")).encode()
        rendered = Rendered(
            doc,
            body,
            f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"',
            tuple((cap, v["status"]) for cap, v in doc["capabilities"].items()),
        )
        with self._lock:
            if self._version == snapshot.version:
                self._cache[key] = rendered
                if len(self._cache) > self._max:
                    self._cache.popitem(last=False)
        return rendered


def _answer(snapshot: Snapshot, query: dict[str, str | None]) -> dict[str, Any]:
    facts = catalog_facts(
        snapshot,
        board=query["board"],
        cpu=query["cpu"],
        bios=query["bios"],
        chipset=query["chipset"],
        stepping=query["stepping"],
    )
    demanded = query["min_confidence"]
    caps = judge(facts, query["hypervisor"], Confidence(demanded) if demanded else None)
    board, cpu = facts.board.spec, facts.cpu.spec
    chips = facts.chipset.candidates
    return {
        "query": {k: v for k, v in query.items() if v is not None},
        "resolved": {
            "board": {
                "id": board.id,
                "slug": board.slug,
                "name": board.model,
                "vendor": board.vendor,
            }
            if board
            else None,
            "cpu": _cpu_doc(cpu) if cpu else None,
            "chipset": (
                {
                    "id": chips[0].id,
                    "slug": chips[0].slug,
                    "name": chips[0].name,
                    "vendor": chips[0].vendor,
                }
                if len(chips) == 1
                else None
            ),
            "chipset_candidates": [c.slug for c in chips] if len(chips) > 1 else [],
            "bios": (
                {
                    "version": facts.board.bios_version,
                    "id": facts.board.bios_spec.id if facts.board.bios_spec else None,
                    "known": facts.board.bios_spec is not None,
                }
                if facts.board.bios_version
                else None
            ),
        },
        "unresolved": [u.as_dict() for u in facts.unresolved],
        "capabilities": {name: caps[name].as_dict() for name in CAPABILITIES},
        "rules_version": rules_version(),
        "catalog_version": snapshot.version,
    }


def _cpu_doc(cpu: CpuSpec) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": cpu.id, "slug": cpu.slug, "name": cpu.brand, "vendor": cpu.vendor}
    if cpu.processor_number:
        doc["processor_number"] = cpu.processor_number
    if cpu.microarch or cpu.code_name:
        doc["microarch"] = cpu.microarch
        doc["code_name"] = cpu.code_name
    if cpu.isa != "x86":
        doc["isa"] = cpu.isa
    return doc


CSV_COLUMNS = (
    "board",
    "cpu",
    "bios",
    "chipset",
    "hypervisor",
    "resolved_board",
    "resolved_cpu",
    "resolved_chipset",
    *(
        f"{cap}_{part}"
        for cap in CAPABILITIES
        for part in ("status", "confidence", "rule", "reason")
    ),
    "unresolved",
    "error",
)


def csv_rows(results: Iterable[Mapping[str, Any]]) -> str:
    """One flat row per result (a spreadsheet opens it); errors fill the ``error`` column."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for result in results:
        row: dict[str, Any] = {}
        if "error" in result:
            err = result["error"]
            row.update(
                {k: (err.get("query") or {}).get(k, "") for k in QUERY_FIELDS if k in CSV_COLUMNS}
            )
            row["error"] = err.get("detail", "")
            row["unresolved"] = _csv_unresolved(err.get("unresolved") or [])
        else:
            q = result["query"]
            row.update({k: q.get(k, "") for k in QUERY_FIELDS if k in CSV_COLUMNS})
            res = result["resolved"]
            row["resolved_board"] = (res.get("board") or {}).get("slug", "")
            row["resolved_cpu"] = (res.get("cpu") or {}).get("slug", "")
            row["resolved_chipset"] = (res.get("chipset") or {}).get("slug", "") or " | ".join(
                res.get("chipset_candidates") or []
            )
            for cap in CAPABILITIES:
                verdict = result["capabilities"][cap]
                decisive = [
                    r
                    for r in verdict["reasons"]
                    if not r.get("advisory") and r["status"] == verdict["status"]
                ]
                first = decisive[0] if decisive else (verdict["reasons"] or [{}])[0]
                row[f"{cap}_status"] = verdict["status"]
                row[f"{cap}_confidence"] = verdict.get("confidence", "")
                row[f"{cap}_rule"] = first.get("rule", "")
                row[f"{cap}_reason"] = first.get("message", "")
            row["unresolved"] = _csv_unresolved(result.get("unresolved") or [])
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    return out.getvalue()


def _csv_unresolved(items: Iterable[Mapping[str, Any]]) -> str:
    """One cell: "cpu=i5-99999 (unknown); cpu=920 (ambiguous: Pentium D 920 | Core i7-920)"."""
    parts = []
    for u in items:
        cands = " | ".join(u.get("candidates") or [])
        detail = f"{u.get('reason', 'unknown')}: {cands}" if cands else u.get("reason", "unknown")
        parts.append(f"{u.get('field')}={u.get('value')} ({detail})")
    return "; ".join(parts)


def _csv_safe(value: Any) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it, since the
    # query echo is caller-controlled text.
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


__all__ = ["CompatService", "QueryError", "ResolveError", "clean_query", "csv_rows"]

"""Import bulk source files: one transaction per file, skipping files already imported
with the same content (sha256 kept in ``source_files``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from virtcompat.catalog import bump_version
from virtcompat.catalogue.importers import PARSERS
from virtcompat.catalogue.records import MAX_FILE_BYTES, ParseError, slugify
from virtcompat.catalogue.store import Context, Writer
from virtcompat.models import Source, SourceFile

# The shipped sources (seed/sources/), in import order: the newest explicit records first,
# so the first statement a new row takes is ARK's 2023 one.
SHIPPED: tuple[tuple[str, str], ...] = (
    ("ark", "intel-ark-2023/*.csv"),
    ("ark-json", "intel-cpu-database/*.json"),
    ("codenames", "intel-codenames/*.csv"),
    ("amd", "amd/*.csv"),
    ("cpuid", "instlatx64/*.csv"),
    ("lpc-ids", "chipset-ids/lpc-ids.csv"),
    ("qubes-hcl", "qubes-hcl/*.csv"),
)


# The date of a shipped source that does not print its own (seed/sources/README.md).
SHIPPED_DATES = {
    "instlatx64": "2026-07",  # InstLatx64 commit 087af2c7
    "qubes-hcl": "2025-06",  # QubesOS/qubes-hcl commit 9002a273
    "intel-codenames": "2025-Q1",  # toUpperCase78/intel-processors v1.9: to Q1 2025
}


@dataclass
class FileResult:
    kind: str
    name: str
    status: str  # imported | skipped | failed
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def line(self) -> str:
        if self.status == "failed":
            return f"{self.kind} {self.name}: failed, nothing written: {self.error}"
        if self.status == "skipped":
            return f"{self.kind} {self.name}: unchanged file (same sha256), skipped"
        s = self.summary
        text = (
            f"{self.kind} {self.name}: {s['added']} added, {s['updated']} updated, "
            f"{s['unchanged']} unchanged, {s['rejected']} rejected"
        )
        if s.get("conflicts"):
            text += f", {s['conflicts']} conflict notes"
        if s.get("rejected_reasons"):
            why = "; ".join(f"{n} × {r}" for r, n in s["rejected_reasons"].items())
            text += f" ({why})"
        return text


def _source(
    session: Session, kind: str, name: str, title: str, url: str | None, exported: str | None
) -> Source:
    slug = slugify(f"{kind} {name}")
    src = session.scalar(select(Source).where(Source.slug == slug))
    values = {
        "title": title[:500],
        "url": url,
        "document_id": name[:200],
        "published": exported,
        "kind": "database",
    }
    if src is None:
        src = Source(slug=slug, **values)
        session.add(src)
        session.flush()
    else:
        for k, v in values.items():
            if getattr(src, k) != v:
                setattr(src, k, v)
    return src


@contextmanager
def importing(session: Session) -> Iterator[Context]:
    """A run's shared context; objects stay loaded across the per-file commits."""
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield Context()
    finally:
        session.expire_on_commit = before


def import_bytes(
    session: Session,
    kind: str,
    name: str,
    data: bytes,
    *,
    force: bool = False,
    ctx: Context | None = None,
    default_date: str | None = None,
) -> FileResult:
    """Import one file's bytes and commit; on any parse error nothing is written."""
    if kind not in PARSERS:
        return FileResult(kind, name, "failed", error=f"unknown source kind {kind!r}")
    digest = hashlib.sha256(data).hexdigest()
    seen = session.scalar(
        select(SourceFile).where(SourceFile.kind == kind, SourceFile.name == name)
    )
    if seen is not None and seen.sha256 == digest and not force:
        return FileResult(kind, name, "skipped", summary=dict(seen.summary))
    try:
        parsed = PARSERS[kind](data, name)
    except ParseError as exc:
        return FileResult(kind, name, "failed", error=str(exc))
    if parsed.exported is None:
        parsed.exported = default_date
    try:
        src = _source(session, kind, name, parsed.source_title, parsed.source_url, parsed.exported)
        summary = Writer(session, parsed, src, ctx).run()
        result = summary.as_dict()
        if seen is None:
            session.add(
                SourceFile(
                    kind=kind, name=name, sha256=digest, exported=parsed.exported, summary=result
                )
            )
        else:
            seen.sha256, seen.exported, seen.summary = digest, parsed.exported, result
        if summary.changed or summary.conflicts:
            bump_version(session)
        session.commit()
    except Exception:
        session.rollback()
        if ctx is not None:
            ctx.reset()  # rolled-back rows must not be reused
        raise
    return FileResult(kind, name, "imported", summary=result)


def import_paths(
    session: Session,
    kind: str,
    paths: list[Path],
    *,
    force: bool = False,
    root: Path | None = None,
) -> list[FileResult]:
    """Import files; a file under ``root`` (the shipped sources) keeps the name the seed
    gave it, so importing a shipped file by hand is the same source, not a second one."""
    with importing(session) as ctx:
        return [_import_path(session, kind, path, force, ctx, root) for path in paths]


def _import_path(
    session: Session, kind: str, path: Path, force: bool, ctx: Context, root: Path | None
) -> FileResult:
    name = path.name
    if root is not None:
        try:
            name = path.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            pass
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return FileResult(kind, name, "failed", error=f"larger than {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(kind, name, "failed", error=exc.strerror or str(exc))
    return import_bytes(session, kind, name, data, force=force, ctx=ctx)


def import_shipped(session: Session, root: Path, *, force: bool = False) -> list[FileResult]:
    """Import every shipped source under ``root`` (seed/sources/), unchanged files skipped."""
    results: list[FileResult] = []
    with importing(session) as ctx:
        for kind, pattern in SHIPPED:
            for path in sorted(root.glob(pattern)):
                data = path.read_bytes()
                name = path.relative_to(root).as_posix()
                date = SHIPPED_DATES.get(name.split("/", 1)[0])
                results.append(
                    import_bytes(session, kind, name, data, force=force, ctx=ctx, default_date=date)
                )
    return results

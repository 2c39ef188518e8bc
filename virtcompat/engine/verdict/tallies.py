"""Probe evidence counted per board x BIOS release, cited by catalogue verdicts."""

from __future__ import annotations

from virtcompat.capability import Evidence, Layer, Reason, Status
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.snapshot import EvidenceTally
from virtcompat.engine.verdict.bios import bios_build
from virtcompat.engine.verdict.common import S, reason


def tally(f: HostFacts, capability: str) -> EvidenceTally | None:
    """The tally for the queried BIOS release (or the board-wide one without a release)."""
    wanted = bios_build(f.board.bios_version) if f.board.bios_version else ""
    for t in f.tallies:
        if t.capability == capability and (bios_build(t.bios_version) or "") == (wanted or ""):
            return t
    return None


def _plural(n: int) -> str:
    return f"{n} probe{'s' if n != 1 else ''}"


def tally_reason(f: HostFacts, capability: str, spec_status: Status, what: str) -> Reason | None:
    t = tally(f, capability)
    if t is None or (t.confirm == 0 and t.contradict == 0):
        return None
    where = f"BIOS {t.bios_version}" if t.bios_version else "this board"
    parts = []
    if t.confirm:
        parts.append(f"{_plural(t.confirm)} on {where} saw {what}")
    if t.contradict:
        parts.append(f"{_plural(t.contradict)} on {where} found it missing")
    message = "; ".join(parts) + "."
    board = f.board.spec.slug if f.board.spec else "?"
    ev = [
        Evidence(
            kind="probe",
            id=f"board:{board}:{t.bios_version or '*'}:{capability}",
            source=message,
        )
    ]
    if t.confirm and t.contradict:
        status = S.CONFLICT
    elif t.contradict:
        status = S.CONFLICT if spec_status == S.SUPPORTED else S.UNSUPPORTED
    else:
        status = S.SUPPORTED
    return reason(R.PROBE_EVIDENCE, Layer.BOARD, status, message, ev)

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


def tally_reason(
    f: HostFacts, capability: str, spec_status: Status, what: str, documented: bool = False
) -> Reason | None:
    """HW-PROBE-EVIDENCE: what probes of this board showed, beside the catalogue's answer.

    Probes never flip a status on their own: confirmations support a verdict; a contradiction
    (only evidence that rules out firmware and kernel causes is counted as one) against a
    spec fact makes a ``conflict`` citing both sides with their counts; inconclusive probes
    (off in BIOS, unknown, absence only) are cited and change nothing.
    """
    t = tally(f, capability)
    if t is None or not (t.confirm or t.contradict or t.inconclusive):
        return None
    where = f"BIOS {t.bios_version}" if t.bios_version else "this board"
    parts = []
    if t.confirm:
        parts.append(f"{_plural(t.confirm)} on {where} saw {what}")
    if t.contradict:
        parts.append(
            f"{_plural(t.contradict)} on {where} showed the hardware without it (evidence "
            "that rules out firmware and kernel settings)"
        )
    if t.inconclusive:
        parts.append(
            f"{_plural(t.inconclusive)} on {where} inconclusive (switched off, hidden, not "
            "shown, or only absent)"
        )
    message = "; ".join(parts) + "."
    if t.contradict and (t.confirm or documented or spec_status == S.SUPPORTED):
        sides = "other probes saw it" if t.confirm else "the catalogue documents it"
        message = f"Conflict: {sides}, but {message[0].lower()}{message[1:]}"
        status = S.CONFLICT
    elif t.confirm and not t.contradict:
        status = S.SUPPORTED
    else:
        # Contradictions alone agree with an 'unsupported' spec and never replace an
        # 'unknown' one; inconclusive probes change nothing.
        status = spec_status if spec_status != S.CONFLICT else S.UNKNOWN
    board = f.board.spec.slug if f.board.spec else "?"
    ev = [
        Evidence(
            kind="probe",
            id=f"board:{board}:{t.bios_version or '*'}:{capability}",
            source=message,
        )
    ]
    return reason(R.PROBE_EVIDENCE, Layer.BOARD, status, message, ev)

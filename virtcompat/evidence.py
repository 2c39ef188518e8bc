"""Probe evidence per board / BIOS release: counts kept incrementally, read without scans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from virtcompat.models import EvidenceCount


def board_evidence(session: Session, board_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(EvidenceCount)
        .where(EvidenceCount.board_id == board_id)
        .order_by(EvidenceCount.bios_version, EvidenceCount.capability, EvidenceCount.id)
    )
    return [
        {
            "bios_version": r.bios_version or None,
            "capability": r.capability,
            "confirm": r.confirm,
            "contradict": r.contradict,
            "inconclusive": r.inconclusive or 0,
        }
        for r in rows
        if r.confirm or r.contradict or r.inconclusive
    ]

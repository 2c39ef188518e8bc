"""Real public kernel logs (tests/data/probe/realworld), diagnosed end to end.

The expected verdicts live in ``expectations.yaml``, written from each log's text before the
service ran on it; every ``why`` there quotes the deciding line. Besides the listed verdicts,
two properties hold for every log: no capability is ``supported`` without a reason that
positively says so, and a non-x86 host is never answered in VT-d/DMAR words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session

from virtcompat.engine.snapshot import load_snapshot
from virtcompat.ingest import diagnose

DATA = Path(__file__).resolve().parents[1] / "data" / "probe" / "realworld"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (DATA / "expectations.yaml").read_text(encoding="utf-8")
)
CAPS = ("vtx", "vtd", "slat", "hvm", "pci_passthrough")


def test_every_log_has_expectations_and_a_source() -> None:
    logs = {p.name for p in DATA.glob("*.dmesg")}
    assert logs == set(EXPECTED)
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    for name in logs:
        assert f"| {name} |" in sources
        assert EXPECTED[name]["why"].strip()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_realworld_log(db_session: Session, name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    _, _, caps = diagnose(load_snapshot(db_session), {"dmesg": text}, "salt", "probe")
    expected = EXPECTED[name]
    for cap in CAPS:
        if cap in expected:
            assert caps[cap].status.value == expected[cap], (cap, caps[cap].reasons)
    for cap in CAPS:
        if caps[cap].status.value == "supported":
            assert any(r.status.value == "supported" and not r.advisory for r in caps[cap].reasons)
    if expected.get("no_x86_words"):
        words = " ".join(r.message for c in CAPS for r in caps[c].reasons)
        assert "DMAR" not in words and "VT-d" not in words and "IVRS" not in words

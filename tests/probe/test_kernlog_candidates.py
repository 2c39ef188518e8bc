"""The kernel log's candidate regex (a trie of the rule needles) matches at exactly the
positions a flat alternation of the same needles matches."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from virtcompat.probe import kernlog

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"
NEEDLES = sorted({r.needle for r in kernlog._RULES} | set(kernlog._ALWAYS), key=len, reverse=True)
FLAT = re.compile("|".join(re.escape(n) for n in NEEDLES))


def _positions(pattern: re.Pattern[str], text: str) -> list[int]:
    found, pos = [], 0
    while (m := pattern.search(text, pos)) is not None:
        found.append(m.start())
        pos = m.start() + 1
    return found


def test_corpus_positions() -> None:
    for path in sorted(DATA.rglob("*.dmesg")):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert _positions(kernlog._CANDIDATE_RE, text) == _positions(FLAT, text), path.name


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.one_of(st.sampled_from(NEEDLES), st.text(max_size=8), st.sampled_from([" ", "\n"])),
        max_size=30,
    ).map("".join)
)
def test_generated_positions(text: str) -> None:
    assert _positions(kernlog._CANDIDATE_RE, text) == _positions(FLAT, text)

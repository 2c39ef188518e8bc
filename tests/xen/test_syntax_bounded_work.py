"""Any 256 KiB config is validated with bounded work (issue 8, reproduction 3: 256 KiB of
backslashes or '(' took 2.3 s). Work is counted in lexer tokens, not timed: timings belong
to bench/ (``bench/pathological_configs.py`` prints them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from virtcompat.xen import syntax
from virtcompat.xen.validate import validate_config

SIZE = 256 * 1024

PATHOLOGICAL = {
    "backslashes": b"\\" * SIZE,
    "open-parens": b"(" * SIZE,
    "open-brackets": b"[" * SIZE,
    "quotes": b"'" * SIZE,
    "newlines": b"\n" * SIZE,
    "comment-lines": b"#\n" * (SIZE // 2),
    "semicolons": b";" * SIZE,
    "lone-cr": b"\r" * SIZE,
    "key-equals": b"a=" * (SIZE // 2),
    "long-list": b"a=[" + b"1," * (SIZE // 2 - 4) + b"]\n",
    "unclosed-paren-lines": b"a=(1\n" * (SIZE // 5),
    "xm-continuations": b"a=1+\\\n" * (SIZE // 6),
}

#: A real config has tens of tokens per line and at most a few hundred lines; 30,000 tokens
#: leaves room for any of those, and is a tenth of one token per byte.
MAX_TOKENS = 30_000


@pytest.fixture
def token_count(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    count = [0]
    original = syntax._Lexer.next

    def counting(self: syntax._Lexer) -> syntax._Token:
        count[0] += 1
        return original(self)

    monkeypatch.setattr(syntax._Lexer, "next", counting)
    yield count


@pytest.mark.parametrize("fmt", ["xl", "xm"])
@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_config_costs_bounded_tokens(
    token_count: list[int], name: str, fmt: str
) -> None:
    result = validate_config(PATHOLOGICAL[name], fmt, None)
    assert token_count[0] <= MAX_TOKENS, token_count[0]
    # Still judged: bounded work never turns garbage into a clean bill.
    assert not result.valid


def test_long_list_reports_the_limit() -> None:
    result = validate_config(PATHOLOGICAL["long-list"], "xl", None)
    assert any("longer than" in f.message for f in result.findings)

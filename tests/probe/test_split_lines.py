"""split_lines (the list form parsers that read every line use) yields exactly the lines of
iter_lines, and counts the cut lines iter_lines warns about."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from virtcompat.probe._common import Warnings, iter_lines, split_lines

pieces = st.lists(
    st.one_of(
        st.sampled_from(["\n", "\r", "\r\n", "\n\n", " ", "\t", "a", "x" * 9, "\u2028", "\x0c"]),
        st.text(max_size=12),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=pieces, max_chars=st.integers(1, 12))
def test_split_lines_is_iter_lines(text: str, max_chars: int) -> None:
    warnings = Warnings()
    expected = [line for _, line in iter_lines(text, max_chars, warnings)]
    lines, cut = split_lines(text, max_chars)
    assert lines == expected
    assert warnings.freeze() == (
        (f"{cut} lines longer than {max_chars} characters were cut",) if cut else ()
    )

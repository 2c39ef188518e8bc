"""The readers: the libxlu grammar for xl, its xm-compat widening, positions and resync."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from virtcompat.xen import syntax
from virtcompat.xen.syntax import (
    Gate,
    IssueKind,
    ListValue,
    Mode,
    Opaque,
    ParseResult,
    Scalar,
    parse,
)


def xl(text: str) -> ParseResult:
    return parse(text, Mode.XL)


def xm(text: str) -> ParseResult:
    return parse(text, Mode.XM)


def kinds(result: ParseResult) -> list[IssueKind]:
    return [i.kind for i in result.issues]


# ---- xl: the libxlu grammar -------------------------------------------------------------------


def test_xl_reads_atoms_lists_and_separators() -> None:
    r = xl('a = 1; b = "two"\nc = [ "x", \'y\', ]\nd = [\n  1,\n  2 # note\n]\n')
    assert not r.issues
    values = {a.key: a.value for a in r.assignments}
    assert values["a"] == Scalar("number", "1", 1, 5)
    assert isinstance(values["c"], ListValue)
    assert [i.text for i in values["c"].items if isinstance(i, Scalar)] == ["x", "y"]
    assert isinstance(values["d"], ListValue) and len(values["d"].items) == 2


def test_xl_numbers_are_kept_as_text() -> None:
    r = xl("a = 0x200\nb = 010\nc = 12abc\n")
    assert not r.issues
    assert [a.value.text for a in r.assignments if isinstance(a.value, Scalar)] == [
        "0x200",
        "010",
        "12abc",
    ]


@pytest.mark.parametrize(
    ("text", "kind", "column"),
    [
        ("a = 0x1F\n", IssueKind.SYNTAX, 5),  # uppercase hex digit
        ("a = 1.5\n", IssueKind.SYNTAX, 5),  # no floats
        ("a = -3600\n", IssueKind.NEGATIVE_NUMBER, 5),  # no negative literals
        ("Name = 1\n", IssueKind.XL_LEXICAL, 1),  # lowercase identifiers only
        ("_a = 1\n", IssueKind.XL_LEXICAL, 1),
        ("1a = 1\n", IssueKind.XL_LEXICAL, 1),
        ("a = True\n", IssueKind.XL_LEXICAL, 5),
        ("a = 1 b = 2\n", IssueKind.SYNTAX, 7),  # two statements need ';'
        ("a = [ , ]\n", IssueKind.SYNTAX, 7),
        ("a = 'x\n", IssueKind.SYNTAX, 5),  # no raw newline in strings
        ('a = "\\x41"\n', IssueKind.BAD_ESCAPE, 6),
        ('a = "\\101"\n', IssueKind.BAD_ESCAPE, 6),  # octal: silently dropped by libxlu
        ('a = "\\q"\n', IssueKind.BAD_ESCAPE, 6),
        ("a = 1 \\\n", IssueKind.SYNTAX, 7),  # no line continuation
        ("a = 1\r\n", IssueKind.XL_LEXICAL, 6),  # CRLF
        ("a = 1\n# trailing comment", IssueKind.XL_LEXICAL, 1),  # comment needs its newline
        ("a = b\n", IssueKind.SYNTAX, 5),  # names are not values
        ("a = f(1)\n", IssueKind.SYNTAX, 5),
        ("a =\n", IssueKind.SYNTAX, 4),
    ],
)
def test_xl_lexical_and_syntax_errors_have_positions(
    text: str, kind: IssueKind, column: int
) -> None:
    r = xl(text)
    assert r.issues, text
    issue = r.issues[0]
    assert issue.kind is kind
    expected_line = 2 if text.startswith("a = 1\n#") else 1
    assert (issue.line, issue.column) == (expected_line, column)


def test_xl_escapes() -> None:
    r = xl('a = "q\\"\\\'\\\\\\a\\b\\f\\n\\r\\t\\v"\n')
    assert not r.issues
    value = r.assignments[0].value
    assert isinstance(value, Scalar) and value.text == "q\"'\\\a\b\f\n\r\t\v"


def test_xl_high_bit_bytes_in_strings_are_accepted() -> None:
    r = xl('a = "caf\u00e9"\n')
    assert not r.issues


def test_xl_version_gates_are_recorded() -> None:
    r = xl('a.b = 1\nc = [[1], [2]]\nd = "x"\nd += "y"\ne = 1')
    gates = {g.gate for g in r.gates}
    assert gates == {Gate.DOTTED_KEY, Gate.NESTED_LIST, Gate.PLUS_ASSIGN, Gate.NO_FINAL_NEWLINE}
    assert not r.issues


def test_xl_resynchronises_after_an_error() -> None:
    r = xl("a = -1\nb = 2\nc = [ 1 2 ]\nd = 4\n")
    assert [a.key for a in r.assignments if not isinstance(a.value, Opaque)] == ["b", "d"]
    assert [i.line for i in r.issues] == [1, 3]


def test_xl_unclosed_list_does_not_swallow_the_file() -> None:
    r = xl("disk = [ 'a',\nmemory = 512\nvcpus = 2\n")
    keys = [a.key for a in r.assignments if not isinstance(a.value, Opaque)]
    assert "memory" in keys and "vcpus" in keys
    assert r.issues


# ---- xm: the literal subset of Python -----------------------------------------------------------


def test_xm_compat_literals() -> None:
    r = xm(
        "Name_X = 'a'\nb = -5\nc = 1.5\nd = True\ne = None\nf = '''multi\nline'''\n"
        "g = 0x1F\nh = 010\ni = 3L\nj = r'\\d'\nk = [1, [2, 3],]\nl = - 7\n"
    )
    assert not r.issues
    v = {a.key: a.value for a in r.assignments}
    assert v["b"] == Scalar("int", "-5", 2, 5)
    assert isinstance(v["c"], Scalar) and v["c"].kind == "float"
    assert isinstance(v["d"], Scalar) and v["d"].kind == "bool"
    assert isinstance(v["e"], Scalar) and v["e"].kind == "none"
    assert isinstance(v["f"], Scalar) and v["f"].text == "multi\nline"
    assert isinstance(v["i"], Scalar) and v["i"].kind == "long"
    assert isinstance(v["j"], Scalar) and v["j"].text == "\\d"
    assert isinstance(v["l"], Scalar) and v["l"].text == "-7"
    assert r.xm_markers  # all of this is outside the xl grammar


def test_xm_python_string_escapes() -> None:
    r = xm("a = 'x\\x41\\101\\d\\n'\nb = \"a\\\nb\"\n")
    assert not r.issues
    v = {a.key: a.value for a in r.assignments}
    assert isinstance(v["a"], Scalar) and v["a"].text == "xAA\\d\n"
    assert isinstance(v["b"], Scalar) and v["b"].text == "ab"


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("import os\n", 1, "`import` statement"),
        ("from xen.util.ip import *\n", 1, "`from` statement"),
        ("name = 'VM%d' % vmid\n", 1, "`%` formatting"),
        ("a = 'x' + 'y'\n", 1, "`+` expression"),
        ("a = vmid\n", 1, "name `vmid` used as a value"),
        ("a = os.uname()[0]\n", 1, "call of os.uname()"),
        ("os.system('touch /tmp/x')\n", 1, "call of os.system()"),
        ("a = (1, 2)\n", 1, "parenthesised expression"),
        ("a = {'k': 1}\n", 1, "dict or set literal"),
        ("a = [1][0]\n", 1, "subscript"),
        ("a = 'x' 'y'\n", 1, "implicit string concatenation"),
        ("a += [1]\n", 1, "augmented assignment"),
        ("a = 1 if b else 2\n", 1, "`if` expression"),
        ("x.y = 1\n", 1, "attribute assignment to x.y"),
        ("\n\ndef f(v):\n    return v\n", 3, "`def` statement"),
    ],
)
def test_xm_python_constructs_need_evaluation(text: str, line: int, what: str) -> None:
    r = xm(text)
    python = [i for i in r.issues if i.kind is IssueKind.NEEDS_PYTHON]
    assert python, text
    assert python[0].line == line
    assert what in python[0].message
    assert "not validated" in python[0].message


def test_xm_resynchronises_after_python() -> None:
    text = (
        "import os\n"
        "def f(x):\n"
        "    if x:\n"
        "        return 1\n"
        "    return 2\n"
        "memory = 128\n"
        "disk = [ 'phy:sda%d,sda1,w' % (7+vmid),\n"
        "         'phy:sda6,sda6,r' ]\n"
        "vcpus = 2; name = f(1); kernel = '/k'\n"
    )
    r = xm(text)
    readable = {a.key for a in r.assignments if not isinstance(a.value, Opaque)}
    assert readable == {"memory", "vcpus", "kernel"}
    opaque = {a.key for a in r.assignments if isinstance(a.value, Opaque)}
    assert opaque == {"disk", "name"}
    python = [i for i in r.issues if i.kind is IssueKind.NEEDS_PYTHON]
    assert [i.line for i in python] == [1, 2, 7, 9]
    assert python[1].message.startswith("lines 2-5")


def test_xm_syntax_errors_are_not_python() -> None:
    for text in ("  a = 1\n", "a = 'unterminated\n", "a = 08\n", "a = $\n", "a = (1\n"):
        r = xm(text)
        assert IssueKind.SYNTAX in kinds(r), text


def test_xm_accepts_crlf_comments_at_eof_and_bom() -> None:
    r = xm("\ufeffa = 1\r\nb = 2 # end")
    assert not r.issues
    assert [a.key for a in r.assignments] == ["a", "b"]


# ---- limits -----------------------------------------------------------------------------------


def test_nesting_depth_is_capped() -> None:
    r = xl("a = " + "[" * 100 + "]" * 100 + "\nb = 1\n")
    assert IssueKind.LIMIT in kinds(r)
    assert any(a.key == "b" for a in r.assignments)


def test_string_length_is_capped() -> None:
    r = xl("a = '" + "x" * 5000 + "'\n")
    assert kinds(r) == [IssueKind.LIMIT]


def test_assignment_count_is_capped() -> None:
    r = xl("".join(f"k{i} = {i}\n" for i in range(1100)))
    assert len(r.assignments) == 1024
    assert r.truncated and r.issues[-1].kind is IssueKind.LIMIT


def test_issue_count_is_capped() -> None:
    r = xl("-\n" * 1000)
    assert len(r.issues) <= 201 and r.truncated


def test_secret_values_are_not_quoted_in_errors() -> None:
    r = parse("vncpasswd = -hunter2\n", Mode.XL, lambda k: "passwd" in k)
    assert r.issues and all("hunter2" not in i.message for i in r.issues)
    r = parse("vncpasswd = Hunter2\n", Mode.XL, lambda k: "passwd" in k)
    assert r.issues and all("Hunter2" not in i.message for i in r.issues)


# ---- the one-match path for common xl statements ----------------------------------------------

_KEYS = ["name", "a", "vif", "x_1", "a.b", "Name", "_x", "9a", "k" * 300, "vncpasswd"]
_VALUES = [
    '"abc"', "'abc'", '""', "123", "0x1f", "08", "-1", '"a\\"b"', "'a\\nb'", '"a\rb"', "[]",
    "[ 'a' ]", '[ "a", "b", ]', "[1, 2]", "[['a']]", "['a'", "[ 'a',, ]", "abc", "'é'",
    '"\0"', "[ 'a' ,\n 'b' ]", "'a' 'b'", '"' + "x" * 4096 + '"', '"' + "x" * 4097 + '"',
    "[" + ",".join(["'a'"] * 64) + "]", "[" + ",".join(["'a'"] * 65) + "]",
]  # fmt: skip
_ENDS = ["\n", " # c\n", "\t\n", ";\n", "; b = 1\n", "", "\r\n", "\n\n  \n# x\n\t#\n", "\n#eof"]
_LINES = st.one_of(
    st.sampled_from(["\n", "   \n", "# comment\n", ";\n", "#"]),
    st.builds(
        "".join,
        st.tuples(
            st.sampled_from(["", " ", "\t"]),
            st.sampled_from(_KEYS),
            st.sampled_from([" = ", "=", "\t=\t", " += "]),
            st.sampled_from(_VALUES),
            st.sampled_from(_ENDS),
        ),
    ),
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(_LINES, min_size=1, max_size=12).map("".join))
def test_xl_one_match_statements_read_as_the_tokenizer_reads_them(text: str) -> None:
    """Plain `key = "s"` / `key = 1` / `key = [ "a", ... ]` lines (and the blank lines after
    them) are taken in one regex match; the result is the one the tokenizer builds."""
    fast = parse(text, Mode.XL)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(syntax, "_take_simple", lambda s, i, line, start, out: (i, line, start))
        slow = parse(text, Mode.XL)
    assert fast == slow

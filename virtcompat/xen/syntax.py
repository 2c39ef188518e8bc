"""Non-executing readers for Xen domain configs.

* ``Mode.XL`` implements the libxlu grammar (XEN-CONFIG.md §3) exactly: lowercase
  identifiers with dots, NUMBER kept as text, '…'/"…" strings with the listed escapes,
  lists (nested, trailing comma), newline or ';' between statements, ``+=``, and ``#``
  comments that must end with a newline. CR, NUL and uppercase identifiers are errors.
* ``Mode.XM`` reads the literal subset of xm's Python files: the xl grammar widened by the
  §3 "xm-compat" list (any-case identifiers, unary minus, floats, True/False/None,
  triple-quoted and prefixed strings, Python number forms). Anything that needs evaluation
  (import, def, calls, operators, names as values, tuples, dicts...) becomes a
  NEEDS_PYTHON issue and the reader resynchronises at the next top-level statement.

Nothing here evaluates, imports or opens anything (§6: xm executed configs with dom0 root
privileges; pygrub's ``exec`` of guest data was CVE-2007-4993). The tokenizer is a single
left-to-right pass with bounded lookahead, list nesting is capped, and every loop consumes
input, so any text is answered in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from virtcompat.frozen import slot_setters, twin

MAX_LINE_CHARS = 4096
MAX_STRING_CHARS = 4096
MAX_LIST_DEPTH = 16
MAX_ASSIGNMENTS = 1024
MAX_ISSUES = 200

_XL_IDENT_RE = re.compile(r"[a-z][._0-9a-z]*")
_XL_NUMBER_CHARS = frozenset("0123456789abcdefx")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_OCT = frozenset("01234567")
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_CHARS = _IDENT_START | _DIGITS
# Blank lines after a newline: one NEWLINE token stands for all of them (the parser treats a
# run of newlines like one), so a file of 256 KiB of newlines is one token, not 262,144.
_BLANK_LINES_XL = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)+")
_BLANK_LINES_XM = re.compile(r"(?:[ \t\f]*(?:#[^\r\n]*)?(?:\r\n?|\n))+")
MAX_LIST_ITEMS = 4096
# The common xl statements, whole, each alone on its line (maybe with a comment) and with
# the blank and comment-only lines after it: `key = "string"`, `key = 123`, or a list of plain
# strings `key = [ "a", 'b' ]` (disk, vif, ...: at most 64 items, maybe a trailing comma).
# Nothing in them can raise an issue, a gate or a marker (no dotted key, no escape, no
# CR/NUL, strings within MAX_STRING_CHARS, a final newline), so the parser takes each in one
# match instead of several tokens; anything else falls to the tokenizer. Groups: 1 key,
# 2/3 a "..."/'...' string, 4 a number; a list of one string: 5 its '[', 6/7 the string;
# any other list: 8 its '[' and 9 its items (None: an empty list); 10 the trailing lines
# (maybe none), what the lexer's blank-line run (_BLANK_LINES_XL) would take: one line per
# repetition, so greedy is the same maximal run. Bounded quantifiers, each list item starts at
# a quote, and no line is crossed before the statement's newline: linear on any input.
# Each repeat of one character class is possessive (*+, {m,n}+): what follows it never
# starts with a character of its class, so giving one back could not help the match; so
# is the repeat of list items (after one, giving it back leaves a ',' or blank and a quote
# where only ',', blanks and ']' could follow). The engine keeps no backtrack points: a
# sixth less work for sre per config, the same matches and groups.
_XL_STRING_ITEM = r"(?:\"[^\"\\\n\r\0]{0,LIMIT}+\"|'[^'\\\n\r\0]{0,LIMIT}+')"
_XL_SIMPLE_STATEMENT = re.compile(
    (
        r"[ \t]*+([a-z][_0-9a-z]{0,255}+)[ \t]*+=[ \t]*+"
        r"(?:\"([^\"\\\n\r\0]{0,LIMIT}+)\"|'([^'\\\n\r\0]{0,LIMIT}+)'|([0-9][0-9a-fx]{0,63}+)"
        r"|(\[)[ \t]*+(?:\"([^\"\\\n\r\0]{0,LIMIT}+)\"|'([^'\\\n\r\0]{0,LIMIT}+)')"
        r"[ \t]*+,?[ \t]*+\]"
        r"|(\[)[ \t]*+((?:ITEM(?:[ \t]*+,[ \t]*+ITEM){0,63}+)[ \t]*+,?)?[ \t]*+\])"
        r"[ \t]*+(?:#[^\n]*+)?\n((?:[ \t]*+(?:#[^\n]*+)?\n)*)"
    )
    .replace("ITEM", _XL_STRING_ITEM)
    .replace("LIMIT", str(MAX_STRING_CHARS))
)
_XL_LIST_ITEM = re.compile(_XL_STRING_ITEM.replace("LIMIT", str(MAX_STRING_CHARS)))
# Where error recovery may resume once a bad statement has swallowed many tokens: a line that
# starts like an assignment.
# (A backslash before the newline continues the line in xm, so that is no statement start.)
_STATEMENT_LINE_RE = re.compile(r"(?<!\\)(?<!\\\r)\n(?=[A-Za-z_][\w.]{0,63}[ \t]*\+?=)")
#: Tokens error recovery may skip in one file before it stops tokenizing bad statements and
#: scans for the next line that looks like an assignment instead: the lexer's per-token cost
#: would otherwise let 256 KiB of garbage take seconds.
_SKIP_TOKEN_BUDGET = 8192
# libxlu sets its "looks like Python" flag on these characters (§3).
_PYTHONISH = frozenset("-+.():")
_PY_PUNCT = frozenset("()[]{}.,:;@=+-*/%<>&|^~!`")
_PY_STRING_PREFIXES = frozenset({"r", "u", "b", "ur", "br"})
_PY_KEYWORDS = frozenset(
    {
        "and", "as", "assert", "break", "class", "continue", "def", "del", "elif", "else",
        "except", "exec", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "not", "or", "pass", "print", "raise", "return", "try", "while", "with",
        "yield",
    }
)  # fmt: skip
_PY_COMPOUND = frozenset(
    {"if", "elif", "else", "for", "while", "def", "class", "try", "except", "finally", "with"}
)
_XL_ESCAPES = {
    '"': '"', "'": "'", "\\": "\\",
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip


class Mode(StrEnum):
    XL = "xl"
    XM = "xm"


class IssueKind(StrEnum):
    SYNTAX = "syntax"  # lexical or syntax error
    NEEDS_PYTHON = "needs-python"  # xm construct that only Python evaluation could read
    XL_LEXICAL = "xl-lexical"  # uppercase/underscore key, CR, NUL, comment at EOF
    BAD_ESCAPE = "bad-escape"  # xl string escape libxlu rejects or drops
    NEGATIVE_NUMBER = "negative-number"  # unquoted negative number in xl
    LIMIT = "limit"  # input bounds


class Gate(StrEnum):
    """xl syntax that older libxlu versions reject (§3, §7 XEN-FMT-009)."""

    DOTTED_KEY = "dotted key"
    NO_FINAL_NEWLINE = "last statement without a newline"
    NESTED_LIST = "nested list"
    PLUS_ASSIGN = "'+='"


# First release accepting each gate (§3: 9e14c516b6, 3e71234b6a, 3ba52a60ff, a30910bfd7).
GATE_RELEASE: dict[Gate, str] = {
    Gate.DOTTED_KEY: "4.3",
    Gate.NO_FINAL_NEWLINE: "4.3",
    Gate.NESTED_LIST: "4.6",
    Gate.PLUS_ASSIGN: "4.13",
}


@dataclass(frozen=True, slots=True)
class Issue:
    kind: IssueKind
    line: int
    column: int
    message: str
    hint: str | None = None
    key: str | None = None
    quotes_value: bool = False  # message shows value text: replace it for secret keys


@dataclass(frozen=True, slots=True, init=False)
class Scalar:
    """A literal. ``kind``: string | number | float | bool | none | long | complex.

    For xl every atom is text (libxlu keeps NUMBER as text and converts on lookup with
    ``strtol(…, 0)``); for xm ``text`` is the Python literal's source (sign included).
    """

    kind: str
    text: str
    line: int
    column: int

    def __init__(self, kind: str, text: str, line: int, column: int) -> None:
        # Built per atom of every config: the slots directly (virtcompat.frozen).
        _scalar_kind(self, kind)
        _scalar_text(self, text)
        _scalar_line(self, line)
        _scalar_column(self, column)


_scalar_kind, _scalar_text, _scalar_line, _scalar_column = slot_setters(
    Scalar, "kind", "text", "line", "column"
)


@dataclass(frozen=True, slots=True, init=False)
class ListValue:
    items: tuple[Value, ...]
    line: int
    column: int

    def __init__(self, items: tuple[Value, ...], line: int, column: int) -> None:
        _list_items(self, items)
        _list_line(self, line)
        _list_column(self, column)


_list_items, _list_line, _list_column = slot_setters(ListValue, "items", "line", "column")


@dataclass(frozen=True, slots=True)
class Opaque:
    """A value that could not be read (needs Python, or a syntax error)."""

    reason: str
    line: int
    column: int


Value = Scalar | ListValue | Opaque


@dataclass(frozen=True, slots=True, init=False)
class Assignment:
    key: str
    op: str  # "=" or "+="
    value: Value
    line: int
    column: int

    def __init__(self, key: str, op: str, value: Value, line: int, column: int) -> None:
        _assign_key(self, key)
        _assign_op(self, op)
        _assign_value(self, value)
        _assign_line(self, line)
        _assign_column(self, column)


_assign_key, _assign_op, _assign_value, _assign_line, _assign_column = slot_setters(
    Assignment, "key", "op", "value", "line", "column"
)
# The xl fast path (_take_simple) builds these three through their twins.
_ScalarTwin, _ListValueTwin, _AssignmentTwin = twin(Scalar), twin(ListValue), twin(Assignment)


@dataclass(frozen=True, slots=True)
class GateUse:
    gate: Gate
    line: int
    column: int
    key: str | None


@dataclass(slots=True)
class ParseResult:
    mode: Mode
    assignments: list[Assignment] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    gates: list[GateUse] = field(default_factory=list)
    # xm syntax outside the xl grammar, and Python constructs: (line, description),
    # used by format auto-detection.
    xm_markers: list[tuple[int, str]] = field(default_factory=list)
    truncated: bool = False


class _T(StrEnum):
    IDENT = "identifier"
    NUMBER = "number"
    STRING = "string"
    NEWLINE = "newline"
    SEMI = "';'"
    EQ = "'='"
    PLUSEQ = "'+='"
    COMMA = "','"
    LBRACK = "'['"
    RBRACK = "']'"
    OP = "operator"
    ERROR = "error"
    EOF = "end of file"


@dataclass(slots=True)
class _Token:
    kind: _T
    text: str
    line: int
    column: int
    first_on_line: bool
    problem: Issue | None = None
    flavour: str = ""  # STRING: "triple"/"prefixed"; NUMBER (xm): int/long/float/complex


def _describe(tok: _Token) -> str:
    if tok.kind is _T.OP:
        return f"'{tok.text}'"
    if tok.kind is _T.IDENT:
        return "identifier"
    return tok.kind.value


class _Lexer:
    def __init__(self, src: str, mode: Mode) -> None:
        self.s = src
        self.n = len(src)
        self.mode = mode
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.at_line_start = True
        self.side_issues: list[Issue] = []
        self.markers: list[tuple[int, str]] = []
        self._crlf_reported = False
        self._cr_reported = False
        self._eof_comment_reported = False
        if mode is Mode.XM and src.startswith("\ufeff"):
            self.i = 1  # Python accepts a UTF-8 byte-order mark
            self.line_start = 1

    # -- helpers ---------------------------------------------------------------------
    def _col(self, i: int) -> int:
        return i - self.line_start + 1

    def _newline_at(self, j: int) -> None:
        """Position ``j`` is the first character of a new line."""
        self.line += 1
        self.line_start = j

    def _tok(self, kind: _T, text: str, i: int, first: bool, flavour: str = "") -> _Token:
        return _Token(kind, text, self.line, self._col(i), first, flavour=flavour)

    def _error(self, i: int, end: int, first: bool, issue: Issue | None) -> _Token:
        tok = _Token(_T.ERROR, self.s[i:end], self.line, self._col(i), first, problem=issue)
        self.i = max(end, i + 1)
        return tok

    def _issue(
        self, kind: IssueKind, i: int, msg: str, hint: str | None = None, quotes: bool = False
    ) -> Issue:
        return Issue(kind, self.line, self._col(i), msg, hint, quotes_value=quotes)

    # -- main ------------------------------------------------------------------------
    def next(self) -> _Token:  # noqa: C901 - one dispatch over the first character
        s, n, xm = self.s, self.n, self.mode is Mode.XM
        while self.i < n:
            c = s[self.i]
            if c == " " or c == "\t" or (xm and c == "\f"):
                self.i += 1
                continue
            if xm and c == "\\":
                j = self.i + 1
                if j < n and s[j] == "\n":
                    self.i = j + 1
                    self._newline_at(j + 1)
                    self.markers.append((self.line - 1, "backslash line continuation"))
                    continue
                if j + 1 < n and s[j] == "\r" and s[j + 1] == "\n":
                    self.i = j + 2
                    self._newline_at(j + 2)
                    continue
            break
        i = self.i
        if i >= n:
            return _Token(_T.EOF, "", self.line, self._col(i), self.at_line_start)
        first = self.at_line_start
        self.at_line_start = False
        c = s[i]
        if c == "\n":
            tok = self._tok(_T.NEWLINE, "\n", i, first)
            self.i = i + 1
            self._newline_at(i + 1)
            self.at_line_start = True
            self._eat_blank_lines()
            return tok
        if c == "\r":
            if i + 1 < n and s[i + 1] == "\n":
                if not xm and not self._crlf_reported:
                    self._crlf_reported = True
                    self.side_issues.append(
                        self._issue(
                            IssueKind.XL_LEXICAL,
                            i,
                            "CRLF line ending: xl's lexer rejects the carriage return "
                            "(reported once for the file)",
                            "convert the file to Unix line endings (dos2unix)",
                        )
                    )
                tok = self._tok(_T.NEWLINE, "\n", i, first)
                self.i = i + 2
                self._newline_at(i + 2)
                self.at_line_start = True
                return tok
            if xm:  # universal newlines: a lone CR ends the line
                tok = self._tok(_T.NEWLINE, "\n", i, first)
                self.i = i + 1
                self._newline_at(i + 1)
                self.at_line_start = True
                self._eat_blank_lines()
                return tok
            issue = None
            if not self._cr_reported:
                self._cr_reported = True
                issue = self._issue(
                    IssueKind.XL_LEXICAL, i, "carriage return: a lexical error in xl"
                )
            return self._error(i, i + 1, first, issue)
        if c == "\0":
            # Reported once per file by the caller's pre-scan; here it only ends the statement.
            return self._error(i, i + 1, first, None)
        if c == "#":
            j = s.find("\n", i)
            if j < 0:
                if not xm and not self._eof_comment_reported:
                    self._eof_comment_reported = True
                    self.side_issues.append(
                        self._issue(
                            IssueKind.XL_LEXICAL,
                            i,
                            "comment at end of file without a newline: libxlu's comment "
                            "token includes the newline, so this is a lexical error",
                            "end the file with a newline",
                        )
                    )
                tok = self._tok(_T.NEWLINE, "#", i, first)
                self.i = n
                return tok
            tok = self._tok(_T.NEWLINE, "#", i, first)
            self.i = j + 1
            self._newline_at(j + 1)
            self.at_line_start = True
            self._eat_blank_lines()
            return tok
        if c == ";":
            self.i = i + 1
            if not xm:  # empty statements are allowed in xl: a run of them is one
                while self.i < n and s[self.i] in "; \t":
                    self.i += 1
            return self._tok(_T.SEMI, ";", i, first)
        if c == "=":
            if xm and i + 1 < n and s[i + 1] == "=":
                self.i = i + 2
                return self._tok(_T.OP, "==", i, first)
            self.i = i + 1
            return self._tok(_T.EQ, "=", i, first)
        if c == "+" and i + 1 < n and s[i + 1] == "=":
            self.i = i + 2
            return self._tok(_T.PLUSEQ, "+=", i, first)
        if c == ",":
            self.i = i + 1
            return self._tok(_T.COMMA, ",", i, first)
        if c == "[":
            self.i = i + 1
            return self._tok(_T.LBRACK, "[", i, first)
        if c == "]":
            self.i = i + 1
            return self._tok(_T.RBRACK, "]", i, first)
        if c == "'" or c == '"':
            return self._xm_string(i, first, "") if xm else self._xl_string(i, first)
        if c in _DIGITS or (xm and c == "." and i + 1 < n and s[i + 1] in _DIGITS):
            return self._xm_number(i, first) if xm else self._xl_number(i, first)
        if c in _IDENT_START:
            return self._word(i, first)
        if not xm and c == "-" and i + 1 < n and s[i + 1] in _DIGITS:
            j = i + 1
            while j < n and (s[j] in _IDENT_CHARS or s[j] == "."):
                j += 1
            issue = self._issue(
                IssueKind.NEGATIVE_NUMBER,
                i,
                f"unquoted negative number {s[i:j]}: xl has no negative literals ('-' is a "
                "lexical error)",
                f'quote it: "{s[i:j]}" (libxlu converts quoted numbers with strtol)',
                quotes=True,
            )
            return self._error(i, j, first, issue)
        if xm:
            if c in _PY_PUNCT:
                self.i = i + 1
                return self._tok(_T.OP, c, i, first)
            issue = self._issue(
                IssueKind.SYNTAX, i, f"invalid character {c!r} (Python raises SyntaxError)"
            )
            return self._error(i, self._run_end(i, c), first, issue)
        hint = None
        if c in _PYTHONISH:
            hint = (
                "xl: 'Config file looks like it contains Python code. Arbitrary Python is "
                "no longer supported.' (see wiki.xen.org/wiki/PythonInXlConfig)"
            )
        issue = self._issue(IssueKind.SYNTAX, i, f"lexical error at {c!r}", hint, quotes=True)
        return self._error(i, self._run_end(i, c), first, issue)

    def _eat_blank_lines(self) -> None:
        """Blank and comment-only lines after a newline: one NEWLINE token stands for all of
        them (the parser treats a run of newlines like one)."""
        m = (_BLANK_LINES_XM if self.mode is Mode.XM else _BLANK_LINES_XL).match(self.s, self.i)
        if m is None:
            return
        s, start, end = self.s, self.i, m.end()
        lines = s.count("\n", start, end)
        if self.mode is Mode.XM:
            lines += s.count("\r", start, end) - s.count("\r\n", start, end)
        self.line += lines
        self.line_start = end
        self.i = end

    def _run_end(self, i: int, c: str) -> int:
        """End of the run of ``c`` starting at ``i``: repeated bad characters are one error
        (one token and one finding, whatever the run's length)."""
        j = i + 1
        if j < self.n and self.s[j] == c:
            j = len(self.s) - len(self.s[j:].lstrip(c)) if c != "\n" else j
        return j

    def resync(self) -> None:
        """Error recovery past a long bad statement: resume at the next line that starts
        like an assignment (or at the end), without tokenizing what lies between."""
        m = _STATEMENT_LINE_RE.search(self.s, self.i)
        end = m.start() + 1 if m else self.n
        self.line += self.s.count("\n", self.i, end)
        if m:
            self.line_start = end
        self.i = end
        self.at_line_start = m is not None

    def _word(self, i: int, first: bool) -> _Token:
        s, n, xm = self.s, self.n, self.mode is Mode.XM
        j = i + 1
        while j < n and (s[j] in _IDENT_CHARS or (not xm and s[j] == ".")):
            j += 1
        word = s[i:j]
        if xm:
            if word.lower() in _PY_STRING_PREFIXES and j < n and s[j] in "'\"":
                self.markers.append((self.line, f"string prefix {word}"))
                return self._xm_string(j, first, word.lower(), start=i)
            self.i = j
            return self._tok(_T.IDENT, word, i, first)
        if _XL_IDENT_RE.fullmatch(word):
            self.i = j
            return self._tok(_T.IDENT, word, i, first)
        shown = word if len(word) <= 40 else word[:40] + "…"
        issue = self._issue(
            IssueKind.XL_LEXICAL,
            i,
            f"identifier {shown!r}: xl identifiers are lowercase [a-z][._0-9a-z]* "
            "(uppercase letters and a leading '_' are lexical errors)",
            "use 1/0 for booleans" if word in ("True", "False") else None,
            quotes=True,
        )
        return self._error(i, j, first, issue)

    def _xl_number(self, i: int, first: bool) -> _Token:
        s, n = self.s, self.n
        j = i
        while j < n and s[j] in _XL_NUMBER_CHARS:
            j += 1
        if j < n and (s[j] in _IDENT_CHARS or s[j] == "."):
            k = j
            while k < n and (s[k] in _IDENT_CHARS or s[k] == "."):
                k += 1
            bad = s[i:k]
            if "." in bad:
                msg = f"float {bad}: xl has no float literals ('.' is a lexical error)"
            else:
                msg = f"malformed number {bad}: xl numbers are [0-9][0-9a-fx]* (lowercase hex)"
            return self._error(i, k, first, self._issue(IssueKind.SYNTAX, i, msg, quotes=True))
        self.i = j
        return self._tok(_T.NUMBER, s[i:j], i, first)

    def _xm_number(self, i: int, first: bool) -> _Token:
        s, n = self.s, self.n
        j = i
        flavour = "int"
        bad = False
        if s[i] == "0" and i + 1 < n and s[i + 1] in "xX":
            j = i + 2
            while j < n and s[j] in _HEX:
                j += 1
            bad = j == i + 2
        else:
            while j < n and s[j] in _DIGITS:
                j += 1
            if j < n and s[j] == ".":
                flavour = "float"
                j += 1
                while j < n and s[j] in _DIGITS:
                    j += 1
            if j < n and s[j] in "eE":
                flavour = "float"
                j += 1
                if j < n and s[j] in "+-":
                    j += 1
                k = j
                while j < n and s[j] in _DIGITS:
                    j += 1
                bad = bad or j == k
            text = s[i:j]
            # Python 2 reads a leading 0 as octal; 08 is a SyntaxError there.
            if flavour == "int" and len(text) > 1 and text[0] == "0":
                bad = bad or any(ch not in _OCT for ch in text)
        if j < n and s[j] in "lL" and flavour == "int":
            flavour = "long"
            j += 1
        elif j < n and s[j] in "jJ":
            flavour = "complex"
            j += 1
        if bad or (j < n and (s[j] in _IDENT_CHARS or s[j] == ".")):
            k = j
            while k < n and (s[k] in _IDENT_CHARS or s[k] == "."):
                k += 1
            issue = self._issue(
                IssueKind.SYNTAX, i, f"invalid number {s[i:k]} (Python SyntaxError)", quotes=True
            )
            return self._error(i, k, first, issue)
        if flavour != "int" or s[i : i + 2] in ("0x", "0X") or (s[i] == "0" and j - i > 1):
            self.markers.append((self.line, f"{flavour} literal {s[i:j]}"))
        self.i = j
        return self._tok(_T.NUMBER, s[i:j], i, first, flavour=flavour)

    def _xl_string(self, i: int, first: bool) -> _Token:
        s, n = self.s, self.n
        q = s[i]
        j = i + 1
        out: list[str] = []
        problem: Issue | None = None
        while j < n:
            ch = s[j]
            if ch == q:
                if problem is None and j - i - 1 > MAX_STRING_CHARS:
                    problem = self._issue(
                        IssueKind.LIMIT, i, f"string longer than {MAX_STRING_CHARS} characters"
                    )
                if problem is not None:
                    return self._error(i, j + 1, first, problem)
                self.i = j + 1
                return self._tok(_T.STRING, "".join(out), i, first)
            if ch == "\n":
                break
            if ch == "\\":
                if j + 1 >= n or s[j + 1] == "\n":
                    break  # libxlu's string pattern cannot span a newline: unterminated
                e = s[j + 1]
                mapped = _XL_ESCAPES.get(e)
                if mapped is not None:
                    out.append(mapped)
                elif problem is None:
                    if e == "x":
                        why = "\\x escapes are rejected by libxlu"
                    elif e in _OCT:
                        why = "octal escapes are silently consumed and dropped by libxlu"
                    else:
                        why = "'invalid character after backlash in quoted string'"
                    problem = Issue(
                        IssueKind.BAD_ESCAPE,
                        self.line,
                        self._col(j),
                        f"escape \\{e} in a string: {why}",
                        "xl strings accept only \\\" \\' \\\\ \\a \\b \\f \\n \\r \\t \\v",
                    )
                j += 2
                continue
            out.append(ch)
            j += 1
        issue = self._issue(
            IssueKind.SYNTAX,
            i,
            "unterminated string: xl strings end on the same line with the same quote",
        )
        return self._error(i, j, first, issue)

    def _xm_string(self, i: int, first: bool, prefix: str, start: int | None = None) -> _Token:
        s, n = self.s, self.n
        begin = i if start is None else start
        line0, col0 = self.line, self._col(begin)
        q = s[i]
        triple = s.startswith(q * 3, i)
        raw = "r" in prefix
        uni = "u" in prefix
        j = i + (3 if triple else 1)
        out: list[str] = []
        problem: Issue | None = None
        if triple:
            self.markers.append((line0, "triple-quoted string"))
        while j < n:
            ch = s[j]
            if triple and ch == q and s.startswith(q * 3, j):
                end = j + 3
                break
            if not triple and ch == q:
                end = j + 1
                break
            if ch == "\n" or (ch == "\r" and not (j + 1 < n and s[j + 1] == "\n")):
                if not triple:
                    return self._unterminated(begin, j, first, line0, col0)
                out.append("\n")
                j += 1
                self._newline_at(j)
                continue
            if ch == "\r":  # CR of a CRLF pair inside a triple-quoted string
                j += 1
                continue
            if ch == "\\" and j + 1 < n:
                e = s[j + 1]
                if e == "\n" or e == "\r":
                    # Backslash-newline continues the literal (kept verbatim in raw strings).
                    if raw:
                        out.append("\\\n")
                    skip = 3 if (e == "\r" and j + 2 < n and s[j + 2] == "\n") else 2
                    j += skip
                    self._newline_at(j)
                    continue
                if raw:
                    out.append("\\" + e)
                    j += 2
                    continue
                mapped = _XL_ESCAPES.get(e)
                if mapped is not None:
                    out.append(mapped)
                    j += 2
                    continue
                if e == "x":
                    digits = s[j + 2 : j + 4]
                    if len(digits) == 2 and all(d in _HEX for d in digits):
                        out.append(chr(int(digits, 16)))
                        j += 4
                        continue
                    if problem is None:
                        problem = Issue(
                            IssueKind.SYNTAX,
                            self.line,
                            self._col(j),
                            "invalid \\x escape (Python raises ValueError)",
                        )
                    j += 2
                    continue
                if e in _OCT:
                    k = j + 1
                    while k < n and k < j + 4 and s[k] in _OCT:
                        k += 1
                    out.append(chr(int(s[j + 1 : k], 8)))
                    j = k
                    continue
                if uni and e in "uU":
                    width = 4 if e == "u" else 8
                    digits = s[j + 2 : j + 2 + width]
                    if len(digits) == width and all(d in _HEX for d in digits):
                        code = int(digits, 16)
                        out.append(chr(code) if code <= 0x10FFFF else "\ufffd")
                        j += 2 + width
                        continue
                out.append("\\" + e)  # Python keeps unknown escapes verbatim
                j += 2
                continue
            out.append(ch)
            j += 1
        else:
            return self._unterminated(begin, j, first, line0, col0)
        if problem is None and len(out) > MAX_STRING_CHARS:
            problem = Issue(
                IssueKind.LIMIT, line0, col0, f"string longer than {MAX_STRING_CHARS} characters"
            )
        self.i = end
        if problem is not None:
            return _Token(_T.ERROR, "", line0, col0, first, problem=problem)
        flavour = "triple" if triple else ("prefixed" if prefix else "")
        return _Token(_T.STRING, "".join(out), line0, col0, first, flavour=flavour)

    def _unterminated(self, begin: int, j: int, first: bool, line0: int, col0: int) -> _Token:
        self.i = j
        return _Token(
            _T.ERROR,
            "",
            line0,
            col0,
            first,
            problem=Issue(
                IssueKind.SYNTAX,
                line0,
                col0,
                "unterminated string (Python: 'EOL while scanning string literal')",
            ),
        )


class _Abort(Exception):
    """Stop reading the current statement; ``issue`` says why (None: already reported)."""

    def __init__(self, issue: Issue | None, needs_python: bool = False) -> None:
        super().__init__(issue.message if issue else "")
        self.issue = issue
        self.needs_python = needs_python


class _Parser:
    def __init__(self, src: str, mode: Mode, is_secret: Callable[[str], bool]) -> None:
        self.lx = _Lexer(src, mode)
        self.mode = mode
        self.xm = mode is Mode.XM
        self.buf: list[_Token] = []
        self.res = ParseResult(mode=mode)
        self.open_brackets = 0
        self.secret_key = False
        self.is_secret = is_secret
        self.key: str | None = None
        self.last_kind: _T = _T.NEWLINE
        self.skip_budget = _SKIP_TOKEN_BUDGET

    # -- token stream ---------------------------------------------------------------
    def peek(self, k: int = 0) -> _Token:
        # The hottest call in parsing (several per token): answer from the buffer first.
        buf = self.buf
        if len(buf) > k:
            return buf[k]
        while len(buf) <= k:
            buf.append(self.lx.next())
        return buf[k]

    def advance(self) -> _Token:
        buf = self.buf
        tok = buf.pop(0) if buf else self.lx.next()
        self.last_kind = tok.kind
        return tok

    # -- issues ---------------------------------------------------------------------
    def _add(self, issue: Issue) -> None:
        if self.res.truncated:
            return
        if len(self.res.issues) >= MAX_ISSUES:
            self.res.truncated = True
            self.res.issues.append(
                Issue(
                    IssueKind.LIMIT,
                    issue.line,
                    issue.column,
                    f"more than {MAX_ISSUES} problems: stopped reading here",
                )
            )
            return
        if issue.key is None and self.key is not None:
            issue = replace(issue, key=self.key)
        if issue.quotes_value and self.secret_key:
            # Never echo part of a secret's value (§6): keep position and kind only.
            issue = replace(
                issue,
                message=f"{issue.kind.value} error in the value of {self.key} (value not shown)",
                hint=None,
            )
        self.res.issues.append(issue)

    def _flush_side_issues(self) -> None:
        while self.lx.side_issues:
            self._add(self.lx.side_issues.pop(0))

    def _syntax(self, tok: _Token, msg: str, hint: str | None = None) -> _Abort:
        return _Abort(Issue(IssueKind.SYNTAX, tok.line, tok.column, msg, hint))

    def _python(self, tok: _Token, what: str) -> _Abort:
        return _Abort(
            Issue(
                IssueKind.NEEDS_PYTHON,
                tok.line,
                tok.column,
                f"{what}: needs Python evaluation; not validated",
                "xm executed config files as Python; a validator must not. xl rejects "
                "Python entirely ('Arbitrary Python is no longer supported')",
            ),
            needs_python=True,
        )

    # -- driver ---------------------------------------------------------------------
    def run(self) -> ParseResult:
        xl = not self.xm
        while not self.res.truncated:
            self.key = None
            self.secret_key = False
            self._flush_side_issues()
            if xl and not self.buf and self._simple_statements():
                if self.lx.i >= self.lx.n:
                    break  # what peek() would find: the end of the file
                continue
            tok = self.peek()
            if tok.kind is _T.EOF:
                break
            if tok.kind is _T.NEWLINE:
                self.advance()
                continue
            if tok.kind is _T.SEMI:
                self.advance()
                if self.xm:
                    self._add(
                        Issue(
                            IssueKind.SYNTAX,
                            tok.line,
                            tok.column,
                            "a statement cannot start with ';' (Python SyntaxError)",
                        )
                    )
                continue
            if len(self.res.assignments) >= MAX_ASSIGNMENTS:
                self._add(
                    Issue(
                        IssueKind.LIMIT,
                        tok.line,
                        tok.column,
                        f"more than {MAX_ASSIGNMENTS} assignments: stopped reading here",
                    )
                )
                self.res.truncated = True
                break
            if self.xm and tok.first_on_line and tok.column > 1:
                self._add(
                    Issue(
                        IssueKind.SYNTAX,
                        tok.line,
                        tok.column,
                        "unexpected indent: Python (xm) rejects an indented top-level statement",
                    )
                )
                self._skip(compound=True)
                continue
            self._statement()
        self._flush_side_issues()
        self.res.xm_markers.extend(self.lx.markers)
        return self.res

    def _simple_statements(self) -> bool:
        """_take_simple from the lexer's position (xl, empty token buffer); False when it
        took nothing."""
        lx = self.lx
        i, line, start = _take_simple(lx.s, lx.i, lx.line, lx.line_start, self.res.assignments)
        if i == lx.i:
            return False
        lx.i, lx.line, lx.line_start = i, line, start
        lx.at_line_start = True
        self.last_kind = _T.NEWLINE
        return True

    def _statement(self) -> None:
        start = self.peek()
        self.key = None
        self.secret_key = False
        if start.kind is _T.IDENT:
            if self.xm and start.text in _PY_KEYWORDS:
                compound = start.text in _PY_COMPOUND
                self._python_statement(start, f"`{start.text}` statement", compound)
                return
            nxt = self.peek(1)
            if nxt.kind is _T.EQ or nxt.kind is _T.PLUSEQ:
                self._assignment()
                return
            if self.xm:
                self._python_statement(start, self._describe_statement(), compound=False)
                return
            self._add(
                Issue(
                    IssueKind.SYNTAX,
                    nxt.line,
                    nxt.column,
                    f"unexpected {_describe(nxt)} after {start.text!r}, expecting '=' or '+='",
                )
            )
            self._skip(compound=False)
            return
        if start.kind is _T.ERROR:
            if start.problem is not None:
                self._add(start.problem)
            self._skip(compound=False)
            return
        if start.kind is _T.NUMBER and not self.xm:
            self._add(
                Issue(
                    IssueKind.XL_LEXICAL,
                    start.line,
                    start.column,
                    "a key must start with a lowercase letter (a leading digit reads as a "
                    "number: syntax error)",
                )
            )
            self._skip(compound=False)
            return
        if self.xm and start.kind is _T.STRING and self._string_statement():
            return
        if self.xm:
            what = "decorator" if start.kind is _T.OP and start.text == "@" else "expression"
            self._python_statement(start, what, compound=False)
            return
        self._add(
            Issue(
                IssueKind.SYNTAX,
                start.line,
                start.column,
                f"unexpected {_describe(start)} at the start of a statement, expecting a key",
            )
        )
        self._skip(compound=False)

    def _describe_statement(self) -> str:
        """Name the Python construct starting at an identifier (bounded lookahead)."""
        parts = [self.peek().text]
        k = 1
        while k < 16 and self.peek(k).text == "." and self.peek(k + 1).kind is _T.IDENT:
            parts.append(self.peek(k + 1).text)
            k += 2
        nxt = self.peek(k)
        dotted = ".".join(parts)
        if len(dotted) > 60:
            dotted = dotted[:60] + "…"
        if nxt.kind is _T.OP and nxt.text == "(":
            return f"call of {dotted}()"
        if nxt.kind is _T.EQ:
            return f"attribute assignment to {dotted}"
        if nxt.kind is _T.LBRACK:
            return f"subscript of {dotted}"
        if nxt.kind is _T.OP and nxt.text in "+-*/%&|^<>" and self.peek(k + 1).kind is _T.EQ:
            return f"augmented assignment to {dotted}"
        if k > 1:
            return f"attribute access {dotted}"
        return f"expression statement starting with {dotted}"

    def _string_statement(self) -> bool:
        """A bare string statement (a docstring) is a no-op in Python: accept it."""
        if self.peek(1).kind in (_T.NEWLINE, _T.SEMI, _T.EOF):
            self.advance()
            if self.peek().kind is not _T.EOF:
                self.advance()
            return True
        return False

    def _python_statement(self, start: _Token, what: str, compound: bool) -> None:
        self.res.xm_markers.append((start.line, what))
        last = self._skip(compound=compound)
        abort = self._python(start, what)
        assert abort.issue is not None
        issue = abort.issue
        if last > start.line:
            issue = Issue(
                issue.kind,
                issue.line,
                issue.column,
                f"lines {start.line}-{last}: {issue.message}",
                issue.hint,
            )
        self._add(issue)

    def _assignment(self) -> None:
        key_tok = self.advance()
        op_tok = self.advance()
        key = key_tok.text
        self.key = key
        self.secret_key = self.is_secret(key)
        if self.xm:
            if op_tok.kind is _T.PLUSEQ:
                self._fail_value(key_tok, self._python(op_tok, "augmented assignment `+=`"))
                return
            if not _XL_IDENT_RE.fullmatch(key):
                self.res.xm_markers.append((key_tok.line, f"identifier {key}"))
        else:
            if "." in key:
                self.res.gates.append(GateUse(Gate.DOTTED_KEY, key_tok.line, key_tok.column, key))
            if op_tok.kind is _T.PLUSEQ:
                self.res.gates.append(GateUse(Gate.PLUS_ASSIGN, op_tok.line, op_tok.column, key))
        try:
            value = self._value(0)
            end = self.peek()
            if end.kind not in (_T.NEWLINE, _T.SEMI, _T.EOF):
                raise self._after_value(end)
        except _Abort as abort:
            self._fail_value(key_tok, abort)
            return
        self.res.assignments.append(
            Assignment(key, op_tok.text, value, key_tok.line, key_tok.column)
        )
        if end.kind is _T.EOF:
            if not self.xm:
                self.res.gates.append(GateUse(Gate.NO_FINAL_NEWLINE, end.line, end.column, key))
        else:
            self.advance()

    def _after_value(self, tok: _Token) -> _Abort:
        if self.xm:
            if tok.kind is _T.STRING:
                return self._python(tok, "implicit string concatenation")
            if tok.kind is _T.OP or tok.kind is _T.LBRACK:
                return self._python(tok, _op_description(tok))
            if tok.kind is _T.IDENT:
                return self._python(tok, f"`{tok.text}` expression")
            if tok.kind is _T.ERROR:
                return _Abort(tok.problem)
            return self._syntax(tok, f"unexpected {_describe(tok)} after the value")
        if tok.kind is _T.ERROR:
            return _Abort(tok.problem)
        return self._syntax(
            tok,
            f"unexpected {_describe(tok)} after the value; statements are separated by a "
            "newline or ';'",
        )

    def _fail_value(self, key_tok: _Token, abort: _Abort) -> None:
        reason = "unreadable value"
        if abort.issue is not None:
            self._add(abort.issue)
            if abort.needs_python:
                self.res.xm_markers.append((abort.issue.line, "needs Python"))
                reason = "needs Python evaluation"
        opaque = Opaque(reason, key_tok.line, key_tok.column)
        self.res.assignments.append(
            Assignment(key_tok.text, "=", opaque, key_tok.line, key_tok.column)
        )
        self._skip(compound=False)

    def _value(self, depth: int) -> Value:
        tok = self.peek()
        kind = tok.kind
        if kind is _T.STRING:
            self.advance()
            if self.xm and self.peek().kind is _T.STRING:
                raise self._python(self.peek(), "implicit string concatenation")
            return Scalar("string", tok.text, tok.line, tok.column)
        if kind is _T.NUMBER:
            self.advance()
            return Scalar(tok.flavour or "number", tok.text, tok.line, tok.column)
        if kind is _T.LBRACK:
            return self._list(depth)
        if self.xm:
            if kind is _T.OP and tok.text == "-" and self.peek(1).kind is _T.NUMBER:
                self.advance()
                num = self.advance()
                self.res.xm_markers.append((tok.line, "unary minus"))
                return Scalar(num.flavour or "int", "-" + num.text, tok.line, tok.column)
            if kind is _T.IDENT:
                if tok.text in ("True", "False"):
                    self.advance()
                    self.res.xm_markers.append((tok.line, tok.text))
                    return Scalar("bool", tok.text, tok.line, tok.column)
                if tok.text == "None":
                    self.advance()
                    self.res.xm_markers.append((tok.line, "None"))
                    return Scalar("none", tok.text, tok.line, tok.column)
                if self.secret_key:
                    raise self._python(tok, "a name used as a value")
                what = self._describe_statement()
                if what.startswith("expression statement"):
                    what = f"name `{tok.text}` used as a value"
                raise self._python(tok, what)
            if kind is _T.OP:
                raise self._python(tok, _op_description(tok))
        if kind is _T.ERROR:
            raise _Abort(tok.problem)
        if kind is _T.IDENT:
            raise self._syntax(
                tok,
                "unexpected identifier where a value is expected",
                'quote strings ("...") and use numbers for booleans',
            )
        raise self._syntax(tok, f"unexpected {_describe(tok)}, expecting a string, a number or '['")

    def _list(self, depth: int) -> ListValue:
        open_tok = self.advance()
        self.open_brackets += 1
        if depth + 1 > MAX_LIST_DEPTH:
            raise _Abort(
                Issue(
                    IssueKind.LIMIT,
                    open_tok.line,
                    open_tok.column,
                    f"lists nested deeper than {MAX_LIST_DEPTH} levels",
                )
            )
        if depth >= 1 and not self.xm:
            self.res.gates.append(
                GateUse(Gate.NESTED_LIST, open_tok.line, open_tok.column, self.key)
            )
        items: list[Value] = []
        self._skip_newlines()
        if self.peek().kind is _T.RBRACK:
            self.advance()
            self.open_brackets -= 1
            return ListValue((), open_tok.line, open_tok.column)
        while True:
            items.append(self._value(depth + 1))
            if len(items) > MAX_LIST_ITEMS:
                raise _Abort(
                    Issue(
                        IssueKind.LIMIT,
                        open_tok.line,
                        open_tok.column,
                        f"list longer than {MAX_LIST_ITEMS} items: not validated",
                    )
                )
            self._skip_newlines()
            tok = self.peek()
            if tok.kind is _T.COMMA:
                self.advance()
                self._skip_newlines()
                if self.peek().kind is _T.RBRACK:
                    self.advance()
                    break
                continue
            if tok.kind is _T.RBRACK:
                self.advance()
                break
            if tok.kind is _T.EOF:
                raise self._syntax(open_tok, "'[' is never closed")
            if self.xm and tok.kind in (_T.OP, _T.IDENT, _T.LBRACK, _T.STRING):
                raise self._after_value(tok)
            if tok.kind is _T.ERROR:
                raise _Abort(tok.problem)
            raise self._syntax(tok, f"unexpected {_describe(tok)} in a list, expecting ',' or ']'")
        self.open_brackets -= 1
        return ListValue(tuple(items), open_tok.line, open_tok.column)

    def _skip_newlines(self) -> None:
        while self.peek().kind is _T.NEWLINE:
            self.advance()

    def _skip(self, compound: bool) -> int:
        """Resynchronise after a bad statement; return the last line consumed.

        Skips to the end of the statement (';' or newline outside brackets). For xm a
        compound statement (def, if, for...) also takes the indented lines that follow, so
        the next top-level statement is read again (§3 "resynchronise").
        """
        depth = self.open_brackets
        self.open_brackets = 0
        opened_at = None
        last = self.peek().line
        while True:
            # One budget for the whole file: once spent, every bad statement ends at the
            # next line that starts like an assignment (and adds its finding, so MAX_ISSUES
            # bounds the rest).
            self.skip_budget -= 1
            if self.skip_budget < 0 and not self.buf:
                self.lx.resync()
                break
            tok = self.peek()
            if tok.kind is _T.EOF:
                if depth > 0 and self.xm and opened_at is not None:
                    self._add(
                        Issue(
                            IssueKind.SYNTAX,
                            opened_at[0],
                            opened_at[1],
                            "bracket opened here is never closed (Python SyntaxError)",
                        )
                    )
                break
            kind = tok.kind
            if depth > 0 and not self.xm and tok.first_on_line and self._looks_like_statement(0):
                break  # the unclosed list ended where a new "key =" line begins
            if kind is _T.LBRACK or (self.xm and kind is _T.OP and tok.text in "({"):
                if depth == 0:
                    opened_at = (tok.line, tok.column)
                depth += 1
            elif kind is _T.RBRACK or (self.xm and kind is _T.OP and tok.text in ")}"):
                depth = max(0, depth - 1)
            elif kind is _T.NEWLINE:
                if depth == 0:
                    self.advance()
                    break
                if not self.xm and self._looks_like_statement(1):
                    # xl has no brackets other than '[': an unclosed one should not swallow
                    # the rest of the file, so a new "key =" line at column 1 ends it.
                    self.advance()
                    break
            elif kind is _T.SEMI and depth == 0 and not compound:
                self.advance()
                break
            last = tok.line
            self.advance()
        if compound and self.xm:
            while True:
                self._skip_newlines()
                tok = self.peek()
                if tok.kind is _T.EOF or not (tok.first_on_line and tok.column > 1):
                    break
                last = max(last, self._skip(compound=False))
        self._flush_side_issues()
        return last

    def _looks_like_statement(self, k: int) -> bool:
        tok = self.peek(k)
        return (
            tok.kind is _T.IDENT and tok.column == 1 and self.peek(k + 1).kind in (_T.EQ, _T.PLUSEQ)
        )


def _op_description(tok: _Token) -> str:
    text = tok.text
    if tok.kind is _T.LBRACK:
        return "subscript"
    return {
        "%": "`%` formatting",
        "+": "`+` expression",
        "-": "`-` expression",
        "*": "`*` expression",
        "/": "`/` expression",
        "(": "parenthesised expression, call or tuple",
        "{": "dict or set literal",
        ".": "attribute access",
        "`": "backquote expression",
        "==": "comparison",
        "<": "comparison",
        ">": "comparison",
        "!": "comparison",
    }.get(text, f"`{text}` expression")


def _take_simple(
    s: str, i: int, line: int, start: int, assignments: list[Assignment]
) -> tuple[int, int, int]:
    """Take the blank and comment lines from ``i``, then the run of statements
    _XL_SIMPLE_STATEMENT matches (up to MAX_ASSIGNMENTS in all), appending what
    _Parser._assignment would build: the key's and the value's positions, the value as its
    token would carry it. Returns the new (position, line, line start). (Blank lines are what
    the NEWLINE tokens would take: the lexer skips blanks and tabs before a comment or a
    newline, and eats the _BLANK_LINES_XL run after it.)"""
    match = _XL_SIMPLE_STATEMENT.match
    append = assignments.append
    blank = _BLANK_LINES_XL.match(s, i)
    if blank is not None:
        start = blank.end()
        line += s.count("\n", i, start)
        i = start
    # Each statement builds an Assignment and a Scalar (or a list of them): most of the
    # parse. They are filled as their twins (virtcompat.frozen.twin: plain stores, every
    # field) and then given their class: the same objects as Scalar(...) and
    # Assignment(...) build, at half the cost.
    for _ in range(MAX_ASSIGNMENTS - len(assignments)):
        m = match(s, i)
        if m is None:
            break
        key, dq, sq, number, one, dq1, sq1, bracket, many, after = m.groups()
        value: Value
        if one is None and bracket is None:
            value = sc = _ScalarTwin()
            if number is not None:
                sc.kind = "number"
                sc.text = number
                sc.column = m.start(4) - start + 1
            else:
                # A string token's column is its opening quote's.
                sc.kind = "string"
                if dq is not None:
                    sc.text = dq
                    sc.column = m.start(2) - start
                else:
                    sc.text = sq
                    sc.column = m.start(3) - start
            sc.line = line
            sc.__class__ = Scalar
        elif one is not None:
            g = 6 if dq1 is not None else 7
            item = _ScalarTwin()
            item.kind = "string"
            item.text = m.group(g)
            item.line = line
            item.column = m.start(g) - start
            item.__class__ = Scalar
            value = lv = _ListValueTwin()
            lv.items = (item,)
            lv.line = line
            lv.column = m.start(5) - start + 1
            lv.__class__ = ListValue
        else:
            listed: list[Value] = []
            if many is not None:
                # Items hold no quote of their own kind and no escape: each match is one
                # item, its column the opening quote's.
                for im in _XL_LIST_ITEM.finditer(s, m.start(9), m.end(9)):
                    item = _ScalarTwin()
                    item.kind = "string"
                    item.text = im.group()[1:-1]
                    item.line = line
                    item.column = im.start() - start + 1
                    item.__class__ = Scalar
                    listed.append(item)
            value = lv = _ListValueTwin()
            lv.items = tuple(listed)
            lv.line = line
            lv.column = m.start(8) - start + 1
            lv.__class__ = ListValue
        a = _AssignmentTwin()
        a.key = key
        a.op = "="
        a.value = value
        a.line = line
        a.column = m.start(1) - start + 1
        a.__class__ = Assignment
        append(a)
        # The statement's own newline, and the blank and comment lines after it (counted
        # only when there are some: most statements have none).
        line += 1 + after.count("\n") if after else 1
        i = start = m.end()
    return i, line, start


def _never_secret(key: str) -> bool:
    return False


def parse(src: str, mode: Mode, is_secret: Callable[[str], bool] = _never_secret) -> ParseResult:
    """Read ``src`` in ``mode``; never raises on any input, never evaluates anything.

    ``is_secret(key)`` says whose values must not be quoted in issue messages.
    """
    if mode is Mode.XL:
        # The whole text as common statements (the usual xl file): the parser would build
        # exactly these and nothing else.
        assignments: list[Assignment] = []
        if _take_simple(src, 0, 1, 0, assignments)[0] >= len(src):
            return ParseResult(mode, assignments)
    return _Parser(src, mode, is_secret).run()

"""What a rule check sees: the effective settings of one config, typed the toolstack's way.

Values are coerced the way each toolstack does it, not the way Python would:
xl atoms are typeless text converted with C ``strtol(…, 0)`` on lookup (§3), so
``"0x200"`` is 512 and ``"08"`` is not a number; xm values are Python literals, and xend
converts strings with ``int()`` when it needs a number (§1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from virtcompat.capability import Capability
from virtcompat.frozen import twin
from virtcompat.rules.registry import Rule, Severity
from virtcompat.xen.findings import Finding
from virtcompat.xen.options import Catalogue, OptionForm, XenOption
from virtcompat.xen.redact import Scrubber
from virtcompat.xen.syntax import Assignment, ListValue, Opaque, Scalar, Value
from virtcompat.xen.versions import XenVersion

_FindingTwin = twin(Finding)

# Severity.value without the enum's property lookup (ctx.add runs for every finding).
_SEVERITY_TEXT: dict[Severity, str] = {s: s.value for s in Severity}

# C long on the 64-bit hosts libxl runs on.
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_MAX_DIGITS = 40  # longer digit strings are out of range anyway; never hand them to int()
_WS = " \t\n\r\f\v"


def _plain_decimal(text: str) -> bool:
    """Plain decimal digits that strtol reads as themselves: no sign, no base prefix (a
    leading 0 is octal), no overflow."""
    return text.isascii() and text.isdigit() and len(text) <= 18 and (text[0] != "0" or text == "0")


def c_strtol(text: str) -> int | None:
    """``strtol(text, &end, 0)`` accepted only when it consumes the whole text (libxlu)."""
    if _plain_decimal(text):
        return int(text)  # the common case: no sign, base prefix or overflow
    s = text.lstrip(_WS)
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if len(s) > _MAX_DIGITS or not s:
        return None
    if s[:2] in ("0x", "0X"):
        digits, base = s[2:], 16
        ok = digits != "" and all(c in "0123456789abcdefABCDEF" for c in digits)
    elif s[0] == "0":
        digits, base = s, 8
        ok = all(c in "01234567" for c in digits)
    else:
        digits, base = s, 10
        ok = all(c in "0123456789" for c in digits)
    if not ok:
        return None
    value = sign * int(digits, base)
    return value if _LONG_MIN <= value <= _LONG_MAX else None


def py2_int_literal(text: str) -> int | None:
    """A Python 2 integer literal as the xm reader produced it (sign, 0x, octal 0, L)."""
    s = text.rstrip("lL")
    sign = 1
    if s.startswith("-"):
        sign, s = -1, s[1:]
    if not s or len(s) > _MAX_DIGITS:
        return None
    try:
        if s[:2] in ("0x", "0X"):
            return sign * int(s[2:], 16)
        if len(s) > 1 and s[0] == "0":
            return sign * int(s, 8)
        return sign * int(s, 10)
    except ValueError:
        return None


def py_int_str(text: str) -> int | None:
    """``int(text)`` on a string, as xend applies it to values read from a file."""
    s = text.strip(_WS)
    body = s[1:] if s[:1] in ("+", "-") else s
    if not body or len(body) > _MAX_DIGITS or not all(c in "0123456789" for c in body):
        return None
    return int(s)


def spec_fields(text: str) -> list[tuple[str, str | None]]:
    """Split a 'k=v,k=v' device spec (vif, vfb, pci options); items without '=' get None."""
    out: list[tuple[str, str | None]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            k, v = part.split("=", 1)
            out.append((k.strip(), v.strip()))
        else:
            out.append((part, None))
    return out


@dataclass(frozen=True, slots=True)
class Setting:
    """The effective value of one key as validate builds it (``+=`` applied)."""

    key: str
    value: Value
    line: int
    column: int


# The effective value of one key (last assignment wins; '+=' applied): the statement itself
# when a plain '=' set it last, else a Setting. Checks read key, value, line and column.
AnySetting = Setting | Assignment


def value_position(value: Value) -> tuple[int, int]:
    return value.line, value.column


class Ctx:
    """Everything a check needs, plus the sink for its findings."""

    def __init__(
        self,
        fmt: str,
        version: XenVersion | None,
        host: Mapping[str, Capability] | None,
        settings: Mapping[str, AnySetting],
        catalogue: Catalogue,
        scrub: Scrubber,
    ) -> None:
        self.fmt = fmt
        self.version = version
        self.host = host
        self.settings = settings
        self.catalogue = catalogue
        self.scrub = scrub
        self.guest: str | None = None  # "pv" | "hvm" | "pvh"; None when unknown
        # Some statement needed Python evaluation: it may have set anything, so checks
        # that rely on a key being absent stay quiet.
        self.incomplete = False
        self.findings: list[Finding] = []
        self.requires: set[str] = set()
        # The target's CPU vendor ("intel", "amd") when known: SEV and TDX depend on it.
        self.host_vendor: str | None = None
        # False when no key is password-like, and when no value can hold a password-like
        # k=v field (the validator pre-tests them all at once): checks need not look for one.
        self.secret_keys = True
        self.secret_fields = True
        self.xl = fmt == "xl"
        self.xm = fmt == "xm"
        # The option names of this format; each name -> its form in this format (the checks
        # ask for it for every key); and the tables the checks derive from the catalogue and
        # this format alone (by name), built on first use and shared by every config in this
        # format. One lookup for the three (Catalogue.per_format).
        self._options, self.forms, self.tables = catalogue.per_format(fmt)
        # The readable values, by key: the checks ask for the same few keys many times. (A
        # file read without an error has no unreadable value: one comprehension then.)
        values = {k: s.value for k, s in settings.items()}
        if Opaque in map(type, values.values()):
            values = {k: v for k, v in values.items() if not isinstance(v, Opaque)}
        self.values: dict[str, Scalar | ListValue] = values  # type: ignore[assignment]
        # int_of, per key, once: several checks, the model and the options read the numbers.
        self._ints: dict[str, int | None] = {}
        # at_least, per release, once.
        self._releases: dict[str, bool] = {}
        # fields_of, per spec string, once: a vif entry is read by two checks.
        self._fields: dict[str, list[tuple[str, str | None]]] = {}

    # -- format and version ----------------------------------------------------------
    def at_least(self, release: str) -> bool | None:
        """None when no version was given."""
        return None if self.version is None else self._at_least(self.version, release)

    def at_least_or_head(self, release: str) -> bool:
        """True when the given version is >= release, or no version was given (HEAD)."""
        return self.version is None or self._at_least(self.version, release)

    def _at_least(self, version: XenVersion, release: str) -> bool:
        known = self._releases.get(release)
        if known is None:
            known = self._releases[release] = version.at_least(release)
        return known

    # -- catalogue -------------------------------------------------------------------
    def option(self, key: str) -> XenOption | None:
        return self._options.get(key)

    def form(self, key: str) -> OptionForm | None:
        return self.forms.get(key)

    # -- lookups ---------------------------------------------------------------------
    def has(self, key: str) -> bool:
        """Set at all, including values we could not read (needs Python)."""
        return key in self.settings

    def value(self, key: str) -> Scalar | ListValue | None:
        return self.values.get(key)

    def scalar(self, key: str) -> Scalar | None:
        v = self.values.get(key)
        return v if isinstance(v, Scalar) else None

    def int_of(self, key: str) -> int | None:
        ints = self._ints
        if key in ints:  # (asked about 25 times per config: no cast() call on this path)
            return ints[key]
        v = self.values.get(key)
        n: int | None
        if not isinstance(v, Scalar):
            n = None
        elif (
            self.xl
            and v.kind == "number"
            and (t := v.text).isdigit()
            and t.isascii()
            and len(t) <= 18
            and (t[0] != "0" or len(t) == 1)
        ):
            n = int(t)  # _plain_decimal: c_strtol's common case, spelled out (one per key)
        else:
            n = self.scalar_int(v)
        ints[key] = n
        return n

    def scalar_int(self, sc: Scalar) -> int | None:
        if self.xl:
            return c_strtol(sc.text) if sc.kind in ("number", "string") else None
        if sc.kind in ("int", "long"):
            return py2_int_literal(sc.text)
        if sc.kind == "string":
            return py_int_str(sc.text)
        return None

    def bool_of(self, key: str) -> bool | None:
        sc = self.values.get(key)
        if not isinstance(sc, Scalar):
            return None
        if not self.xl and sc.kind == "float":
            return float(sc.text) != 0.0 if len(sc.text) < 40 else True
        n = self.int_of(key)
        return None if n is None else n != 0

    def truthy(self, key: str) -> bool:
        return self.bool_of(key) is True

    def str_of(self, key: str) -> str | None:
        v = self.values.get(key)
        return v.text if isinstance(v, Scalar) else None

    def strings(self, key: str) -> list[Scalar]:
        """The scalar items of a list value, or the single scalar; [] when absent."""
        v = self.value(key)
        if isinstance(v, Scalar):
            return [v]
        if isinstance(v, ListValue):
            return [item for item in v.items if isinstance(item, Scalar)]
        return []

    def nonempty(self, key: str) -> bool:
        """Set to something that would take effect (non-empty string/list, true bool)."""
        v = self.value(key)
        if v is None:
            return self.has(key)  # unreadable: assume it matters
        if isinstance(v, ListValue):
            return bool(v.items)
        form = self.form(key)
        if form is not None and form.type == "bool":
            return self.bool_of(key) is not False
        return v.text != ""

    def fields_of(self, text: str) -> list[tuple[str, str | None]]:
        """spec_fields(text), split once per config (callers must not change the list)."""
        fields = self._fields.get(text)
        if fields is None:
            fields = self._fields[text] = spec_fields(text)
        return fields

    def position(self, key: str) -> tuple[int | None, int | None]:
        s = self.settings.get(key)
        if s is None:
            return None, None
        return value_position(s.value)

    # -- findings --------------------------------------------------------------------
    def add(
        self,
        rule: Rule,
        message: str,
        *,
        key: str | None = None,
        severity: Severity | None = None,
        at: Value | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
        related: tuple[dict[str, Any], ...] = (),
    ) -> None:
        if at is not None:
            line, column = at.line, at.column
        elif line is None and key is not None:
            s = self.settings.get(key)  # self.position(key)
            if s is not None:
                line, column = s.value.line, s.value.column
            else:
                column = None
        # Finding(rule.id, severity, key, line, column, message, hint, related), through its
        # twin (virtcompat.frozen.twin: the same object at half the cost).
        f = _FindingTwin()
        f.rule = rule.id
        f.severity = _SEVERITY_TEXT[severity or rule.severity]
        f.key = key
        f.line = line
        f.column = column
        f.message = self.scrub(message)
        f.hint = self.scrub(hint) if hint is not None else None
        f.related = related
        f.__class__ = Finding
        self.findings.append(f)

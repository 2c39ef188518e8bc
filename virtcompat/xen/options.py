"""The Xen option catalogue: loads ``options.yaml`` and checks its structure.

The catalogue is data (§2 of XEN-CONFIG.md). A malformed file is a programming error, so
``load_catalogue`` raises :class:`CatalogueError` naming the offending entry instead of
limping on with half a catalogue.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TypeVar

import yaml

from virtcompat.xen.versions import parse_version

T = TypeVar("T")

# The source keys of XEN-CONFIG.md §0; an entry citing anything else is rejected.
SOURCE_KEYS: frozenset[str] = frozenset(
    {
        "C34", "O34", "XC34", "IM34", "XD34", "EX34", "XMCFG", "XLCFG", "XLPCI", "XP",
        "LC", "LDM", "LX86", "LPCI", "LXU", "LV", "RN42", "RN45", "MIG41",
    }
)  # fmt: skip
TYPES: frozenset[str] = frozenset(
    {"bool", "int", "string", "enum", "list", "string_or_list", "bool_or_list", "int_or_enum"}
)
GUEST_TYPES: tuple[str, ...] = ("pv", "hvm", "pvh")
FORMATS: tuple[str, ...] = ("xm", "xl")

_OPTION_FIELDS = frozenset({"summary", "sources", "secret", "xm", "xl"})
_FORM_FIELDS = frozenset(
    {
        "name", "type", "values", "syntax", "min", "max", "applies", "default", "since",
        "removed", "deprecated", "ignored", "note",
    }
)  # fmt: skip
_DEPRECATION_FIELDS = frozenset({"since", "replacement", "note"})


class CatalogueError(ValueError):
    """The option catalogue file is malformed."""


@dataclass(frozen=True, slots=True)
class Deprecation:
    since: str | None
    replacement: str | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since, "replacement": self.replacement, "note": self.note}


@dataclass(frozen=True, slots=True)
class OptionForm:
    """How one toolstack (xm or xl) reads an option."""

    name: str
    type: str
    applies: tuple[str, ...]
    values: tuple[str, ...] = ()
    syntax: str | None = None
    min: int | None = None
    max: int | None = None
    default: Any = None
    since: str | None = None
    removed: str | None = None
    deprecated: Deprecation | None = None
    ignored: bool = False
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "values": list(self.values),
            "syntax": self.syntax,
            "min": self.min,
            "max": self.max,
            "applies": list(self.applies),
            "default": self.default,
            "since": self.since,
            "removed": self.removed,
            "deprecated": self.deprecated.as_dict() if self.deprecated else None,
            "ignored": self.ignored,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class XenOption:
    id: str
    summary: str
    sources: tuple[str, ...]
    secret: bool
    xm: OptionForm | None
    xl: OptionForm | None

    def form(self, fmt: str) -> OptionForm | None:
        return self.xm if fmt == "xm" else self.xl

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.id,
            "summary": self.summary,
            "sources": list(self.sources),
            "secret": self.secret,
            "xm": self.xm.as_dict() if self.xm else None,
            "xl": self.xl.as_dict() if self.xl else None,
        }


@dataclass(frozen=True, slots=True)
class Catalogue:
    options: tuple[XenOption, ...]
    by_id: Mapping[str, XenOption]
    by_xm_name: Mapping[str, XenOption]
    by_xl_name: Mapping[str, XenOption]
    # Tables derived from this catalogue alone (e.g. per-format lookups the checks make on
    # every config), built on first use: see memo().
    _memo: dict[Hashable, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def lookup(self, name: str) -> XenOption | None:
        return self.by_id.get(name) or self.by_xl_name.get(name) or self.by_xm_name.get(name)

    def for_format(self, fmt: str) -> Mapping[str, XenOption]:
        return self.by_xm_name if fmt == "xm" else self.by_xl_name

    def forms(self, fmt: str) -> Mapping[str, OptionForm | None]:
        """Each name ``fmt`` reads -> its form in that format (``option.form(fmt)``)."""
        forms: Mapping[str, OptionForm | None] | None = self._memo.get(("forms", fmt))
        if forms is None:  # (asked for by every Ctx: no closure when it is known)
            forms = self.memo(
                ("forms", fmt),
                lambda: {name: opt.form(fmt) for name, opt in self.for_format(fmt).items()},
            )
        return forms

    def per_format(
        self, fmt: str
    ) -> tuple[Mapping[str, XenOption], Mapping[str, OptionForm | None], dict[str, Any]]:
        """(for_format(fmt), forms(fmt), the checks' tables for fmt): what every Ctx takes,
        in one memo lookup."""
        known: tuple[Any, Any, Any] | None = self._memo.get(("per format", fmt))
        if known is None:
            known = self._memo[("per format", fmt)] = (
                self.for_format(fmt),
                self.forms(fmt),
                self.memo(("tables", fmt), dict),
            )
        return known

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()``, computed once per catalogue and ``key``: for tables that depend on
        the catalogue (and a format) only, never on a config."""
        try:
            value: T = self._memo[key]
        except KeyError:
            value = self._memo[key] = build()
        return value


def _fail(where: str, problem: str) -> CatalogueError:
    return CatalogueError(f"options catalogue: {where}: {problem}")


def _str(value: object, where: str, field: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(where, f"{field} must be a non-empty string, got {value!r}")
    return value


def _version(value: object, where: str, field: str) -> str | None:
    text = _str(value, where, field)
    if text is not None:
        try:
            parse_version(text)
        except ValueError:
            raise _fail(where, f"{field} {text!r} is not a Xen version") from None
    return text


def _int(value: object, where: str, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"{field} must be an integer, got {value!r}")
    return value


def _str_list(value: object, where: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, f"{field} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _form(fmt: str, option_id: str, raw: object) -> OptionForm:
    where = f"{option_id}.{fmt}"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a mapping")
    unknown = set(raw) - _FORM_FIELDS
    if unknown:
        raise _fail(where, f"unknown field(s) {sorted(unknown)}")
    name = _str(raw.get("name", option_id), where, "name", optional=False)
    assert name is not None
    type_ = raw.get("type")
    if type_ not in TYPES:
        raise _fail(where, f"type must be one of {sorted(TYPES)}, got {type_!r}")
    values = _str_list(raw.get("values"), where, "values")
    if type_ in ("enum", "int_or_enum") and not values:
        raise _fail(where, f"type {type_} needs values")
    if values and type_ not in ("enum", "int_or_enum"):
        raise _fail(where, f"values given for type {type_}")
    applies = _str_list(raw.get("applies"), where, "applies")
    allowed_guests = ("pv", "hvm") if fmt == "xm" else GUEST_TYPES
    if not applies or any(a not in allowed_guests for a in applies):
        raise _fail(where, f"applies must be a non-empty subset of {list(allowed_guests)}")
    lo = _int(raw.get("min"), where, "min")
    hi = _int(raw.get("max"), where, "max")
    if (lo is not None or hi is not None) and type_ != "int":
        raise _fail(where, "min/max only apply to type int")
    if lo is not None and hi is not None and lo > hi:
        raise _fail(where, "min > max")
    deprecated: Deprecation | None = None
    dep_raw = raw.get("deprecated")
    if dep_raw is not None:
        if not isinstance(dep_raw, dict) or not dep_raw or set(dep_raw) - _DEPRECATION_FIELDS:
            raise _fail(where, f"deprecated must be a mapping of {sorted(_DEPRECATION_FIELDS)}")
        deprecated = Deprecation(
            since=_version(dep_raw.get("since"), where, "deprecated.since"),
            replacement=_str(dep_raw.get("replacement"), where, "deprecated.replacement"),
            note=_str(dep_raw.get("note"), where, "deprecated.note"),
        )
    default = raw.get("default")
    if not isinstance(default, str | int | list | type(None)) or isinstance(default, bool):
        raise _fail(where, f"default must be a string, an integer or a list, got {default!r}")
    ignored = raw.get("ignored", False)
    if not isinstance(ignored, bool):
        raise _fail(where, "ignored must be true or false")
    return OptionForm(
        name=name,
        type=type_,
        applies=applies,
        values=values,
        syntax=_str(raw.get("syntax"), where, "syntax"),
        min=lo,
        max=hi,
        default=default,
        since=_version(raw.get("since"), where, "since"),
        removed=_version(raw.get("removed"), where, "removed"),
        deprecated=deprecated,
        ignored=ignored,
        note=_str(raw.get("note"), where, "note"),
    )


def _option(option_id: object, raw: object) -> XenOption:
    if not isinstance(option_id, str) or not option_id:
        raise _fail(repr(option_id), "option ids must be non-empty strings")
    where = option_id
    if not isinstance(raw, dict):
        raise _fail(where, "must be a mapping")
    unknown = set(raw) - _OPTION_FIELDS
    if unknown:
        raise _fail(where, f"unknown field(s) {sorted(unknown)}")
    summary = _str(raw.get("summary"), where, "summary", optional=False)
    assert summary is not None
    sources = _str_list(raw.get("sources"), where, "sources")
    if not sources:
        raise _fail(where, "sources must not be empty")
    bad = [s for s in sources if s not in SOURCE_KEYS]
    if bad:
        raise _fail(where, f"unknown source key(s) {bad} (use the keys of XEN-CONFIG.md §0)")
    secret = raw.get("secret", False)
    if not isinstance(secret, bool):
        raise _fail(where, "secret must be true or false")
    xm = _form("xm", option_id, raw["xm"]) if "xm" in raw else None
    xl = _form("xl", option_id, raw["xl"]) if "xl" in raw else None
    if xm is None and xl is None:
        raise _fail(where, "needs an xm or an xl form")
    return XenOption(id=option_id, summary=summary, sources=sources, secret=secret, xm=xm, xl=xl)


def build_catalogue(data: object) -> Catalogue:
    """Check a parsed catalogue document and index it; raise CatalogueError if malformed."""
    if not isinstance(data, dict) or set(data) != {"version", "options"}:
        raise _fail("top level", "must be a mapping with exactly 'version' and 'options'")
    if data["version"] != 1:
        raise _fail("top level", f"unsupported version {data['version']!r}")
    raw_options = data["options"]
    if not isinstance(raw_options, dict) or not raw_options:
        raise _fail("options", "must be a non-empty mapping")
    options = tuple(_option(k, v) for k, v in raw_options.items())
    by_id = {o.id: o for o in options}
    by_xm: dict[str, XenOption] = {}
    by_xl: dict[str, XenOption] = {}
    for o in options:
        for fmt, form, index in (("xm", o.xm, by_xm), ("xl", o.xl, by_xl)):
            if form is None:
                continue
            if form.name in index:
                raise _fail(o.id, f"{fmt} name {form.name!r} also used by {index[form.name].id}")
            index[form.name] = o
    # get_option() looks a name up by id, then xl name, then xm name: a name that means one
    # option in xl and another in xm would make that lookup ambiguous.
    for name in set(by_xm) & set(by_xl):
        if by_xm[name] is not by_xl[name]:
            raise _fail(name, "names a different option in xm and in xl")
    for name, opt in list(by_xm.items()) + list(by_xl.items()):
        if name in by_id and by_id[name] is not opt:
            raise _fail(name, f"is both an option id and a name of {opt.id}")
    return Catalogue(options=options, by_id=by_id, by_xm_name=by_xm, by_xl_name=by_xl)


def load_catalogue(text: str) -> Catalogue:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"options catalogue: not valid YAML: {exc}") from None
    return build_catalogue(data)


@functools.cache
def catalogue() -> Catalogue:
    """The packaged catalogue, loaded and checked once per process."""
    text = resources.files("virtcompat.xen").joinpath("options.yaml").read_text(encoding="utf-8")
    return load_catalogue(text)


def all_options() -> list[XenOption]:
    """Every option, sorted by id (the order ``GET /api/v1/xen/options`` publishes)."""
    return sorted(catalogue().options, key=lambda o: o.id)


def get_option(name: str) -> XenOption | None:
    """An option by id, xl name or xm name (``cpu_cap`` finds ``cap``)."""
    return catalogue().lookup(name)

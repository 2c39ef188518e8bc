"""XEN-FMT-* and XEN-VAL-001: config syntax, unknown keys, value shapes and allowed values."""

from __future__ import annotations

import difflib

from virtcompat.xen.context import Ctx
from virtcompat.xen.options import OptionForm
from virtcompat.xen.rules._base import INFO, E, W, _shown, config_rule
from virtcompat.xen.syntax import ListValue, Scalar

FMT_SYNTAX = config_rule(
    "XEN-FMT-001",
    "The config must parse",
    E,
    "xl reads configs with the libxlu grammar (lowercase keys, '…'/\"…\" strings, NUMBER "
    "[0-9][0-9a-fx]*, lists, newline or ';' between statements); any lexical or syntax "
    "error makes xl refuse the whole file ('Failed to parse config: Invalid argument'). xm "
    "configs are Python and fail with a SyntaxError. Errors carry line and column; reading "
    "resumes at the next statement so later problems are still reported.",
    "LXU",
    "O34",
)


FMT_PYTHON = config_rule(
    "XEN-FMT-002",
    "Needs Python evaluation; not validated",
    E,
    "xm executed config files as Python with dom0 root privileges (Opts.load runs execfile "
    "with os and sys imported), so shipped examples use import, def, '%' formatting and "
    "calls. A safe validator never evaluates them (exec/eval/ast.literal_eval are all "
    "unsafe or wrong here; CVE-2007-4993 was pygrub exec-ing guest data), so such "
    "statements are reported by line and the rest of the file is validated. xl rejects "
    "Python outright (RN45: 'Arbitrary embedded python is not supported').",
    "O34",
    "EX34",
    "LXU",
    "RN45",
    fix="replace the computed values by literals (what xm would have produced)",
)


FMT_DUPLICATE = config_rule(
    "XEN-FMT-003",
    "Key assigned more than once",
    W,
    "xm (Python assignment) and xl (libxlu looks settings up from the most recent) use the "
    "last value; libvirt's virconf.c uses the first. The same file therefore means "
    "different things to xl and to libvirt.",
    "LXU",
    "LV",
)


FMT_UNKNOWN = config_rule(
    "XEN-FMT-004",
    "Unknown key (silently ignored)",
    W,
    "Neither toolstack rejects unknown keys: xm stores any Python name (O34) and xl_parse.c "
    "has no unknown-key check (XP), so a typo such as 'memroy' silently leaves the default "
    "in force. Keys only libvirt's converters read are reported as info.",
    "O34",
    "XP",
    "LV",
)


FMT_XL_LEXICAL = config_rule(
    "XEN-FMT-005",
    "xl lexical restrictions",
    E,
    "libxlu identifiers are [a-z][._0-9a-z]*: an uppercase letter, a leading '_' or digit "
    "is a lexical error (so 'True' and 'Name' fail). CR (CRLF files) and NUL are lexical "
    "errors, and a '#' comment must end with a newline because the comment token includes "
    "it. All tested against libxlu HEAD.",
    "LXU",
)


FMT_ESCAPE = config_rule(
    "XEN-FMT-006",
    "Invalid escape in an xl string",
    E,
    "libxlu accepts only \\\" \\' \\\\ \\a \\b \\f \\n \\r \\t \\v. Any other escape fails with "
    "'invalid character after backlash'; \\x escapes are rejected and octal escapes such "
    "as \\101 are silently consumed and dropped (a libxlu bug, tested).",
    "LXU",
)


FMT_TYPE = config_rule(
    "XEN-FMT-007",
    "Value has the wrong shape or is not a number",
    E,
    "A list where a single value is expected (or the reverse), or a non-numeric value for a "
    "numeric key. xl prints a warning ('parameter is a list but should be a single value', "
    "'is not a valid number') and carries on with the default, so the setting silently "
    "does nothing; xend's int() conversion fails.",
    "LXU",
    "XP",
    "IM34",
)


FMT_XM_DROPPED = config_rule(
    "XEN-FMT-008",
    "xm drops booleans and non-numeric flags",
    W,
    "Opts.load keeps only str, list, int and float locals: True/False, None, tuples, dicts "
    "and Python-2 longs are silently dropped, so 'acpi = False' leaves acpi at its default "
    "of 1. The 'yes'/'no' spellings are only understood on the xm command line (set_bool); "
    "from a file a string such as usb='yes' fails int() in image.py and is skipped.",
    "O34",
    "IM34",
    fix="use the integers 1 and 0",
)


FMT_VERSION_GATE = config_rule(
    "XEN-FMT-009",
    "xl syntax newer than the target Xen",
    E,
    "libxlu grew: dotted keys and an unterminated last statement since 4.3 (9e14c516b6, "
    "3e71234b6a), nested lists since 4.6 (3ba52a60ff), '+=' since 4.13 (a30910bfd7). Older "
    "xl refuses such files. '+=' on a numeric key is ignored with a warning.",
    "LXU",
)


FMT_LIMIT = config_rule(
    "XEN-FMT-010",
    "Input exceeds a validator limit",
    E,
    "Configs are capped (256 KiB, 4096-character lines and strings, lists nested 16 deep, "
    "1024 assignments, 200 problems) so that any input is answered in bounded time; §6 "
    "asks for a size, line, string, depth and key-count cap. Real configs are far smaller.",
    "XEN-CONFIG.md §6",
)


FMT_ENCODING = config_rule(
    "XEN-FMT-011",
    "Not valid UTF-8",
    W,
    "Bytes that are not UTF-8 were replaced by U+FFFD before reading. libxlu passes 8-bit "
    "bytes through inside strings (%option 8bit) but they are a lexical error anywhere else.",
    "LXU",
)


FMT_OTHER_TOOLSTACK = config_rule(
    "XEN-FMT-012",
    "Key of the other toolstack",
    W,
    "xm-only keys (loader, vcpu_avail, nics, vscsi, ...) are silently ignored by xl, and xl "
    "keys (type, maxvcpus, cmdline, spice*, ...) mean nothing to xend; renamed keys (cpu_cap "
    "-> cap, bootargs -> bootloader_args, stdvga -> vga) silently lose their effect.",
    "XP",
    "C34",
)


VAL_ALLOWED = config_rule(
    "XEN-VAL-001",
    "Value outside the catalogued values or range",
    E,
    "Enumerated strings are checked strictly by the toolstacks (xl: 'Unknown vga', 'Invalid "
    "...'); numeric ranges come from the catalogue's min/max.",
    "XP",
    "C34",
)


_MAX_SUGGESTIONS = 100


def _names_for(ctx: Ctx) -> list[str]:
    names: list[str] | None = ctx.tables.get("names")
    if names is None:
        names = ctx.tables["names"] = sorted(ctx.catalogue.for_format(ctx.fmt))
    return names


def _quiet_keys(ctx: Ctx) -> frozenset[str]:
    """The names this format reads and does not ignore: check_keys says nothing about them."""
    quiet: frozenset[str] | None = ctx.tables.get("quiet keys")
    if quiet is None:
        quiet = ctx.tables["quiet keys"] = frozenset(
            k for k, f in ctx.forms.items() if f is not None and not f.ignored
        )
    return quiet


def check_keys(ctx: Ctx) -> None:
    """XEN-FMT-004/012: unknown keys (typos) and keys of the other toolstack.

    Neither toolstack complains about unknown keys (O34: every local is kept; XP: no
    unknown-key check), so a typo silently keeps the default.
    """
    quiet = _quiet_keys(ctx)
    if ctx.settings.keys() <= quiet:
        return  # (one C-level pass; the usual case)
    suggestions = 0
    for key in ctx.settings:
        if key in quiet:
            continue
        opt = ctx.option(key)
        if opt is not None:
            form = opt.form(ctx.fmt)
            if form is not None and form.ignored:
                ctx.add(
                    FMT_UNKNOWN,
                    f"{key} is read only by libvirt's converters; {ctx.fmt} ignores it",
                    key=key,
                    severity=INFO,
                    line=ctx.settings[key].line,
                    column=ctx.settings[key].column,
                )
            continue
        other = ctx.catalogue.lookup(key)
        pos = ctx.settings[key]
        if other is not None:
            if ctx.xl and key in ("paused", "device_model"):
                continue  # XEN-LIFE-003 / XEN-TYPE-005 say it better
            other_fmt = "xl" if ctx.xm else "xm"
            here = other.form(ctx.fmt)
            msg = f"{key} is an {other_fmt} option; {ctx.fmt} ignores it"
            hint = None
            if here is not None:
                hint = f"{ctx.fmt} calls it {here.name}"
            else:
                form = other.form(other_fmt)
                if form is not None and form.deprecated and form.deprecated.replacement:
                    hint = f"use {form.deprecated.replacement}"
            ctx.add(FMT_OTHER_TOOLSTACK, msg, key=key, line=pos.line, column=pos.column, hint=hint)
            continue
        close: list[str] = []
        if len(key) <= 64 and suggestions < _MAX_SUGGESTIONS:
            suggestions += 1
            close = difflib.get_close_matches(key, _names_for(ctx), n=3, cutoff=0.75)
        hint = "did you mean " + " or ".join(close) + "?" if close else None
        ctx.add(
            FMT_UNKNOWN,
            f"unknown key {key}: {ctx.fmt} silently ignores it",
            key=key,
            line=pos.line,
            column=pos.column,
            hint=hint,
        )


_SCALAR_TYPES = frozenset({"bool", "int", "string", "enum", "int_or_enum"})


def check_shapes(ctx: Ctx) -> None:
    """XEN-FMT-007/008: list vs single value, numbers where numbers are read.

    xl prints a warning and uses the default (xlu_cfg_get_long/get_defbool), so the setting
    silently does nothing; xm values from a file are stored raw and fail xend's int().
    """
    scalar_shapes: dict[str, str] | None = ctx.tables.get("scalar shapes")
    if scalar_shapes is None:
        types = ctx.tables["types"] = {k: f.type for k, f in ctx.forms.items() if f is not None}
        # A single value only needs a look when a list or a number is expected. (Stored
        # after "types": whoever finds this table finds that one.)
        scalar_shapes = ctx.tables["scalar shapes"] = {
            k: t for k, t in types.items() if t in ("list", "bool", "int")
        }
    types = ctx.tables["types"]
    for key, value in ctx.values.items():
        if not isinstance(value, ListValue):
            type_ = scalar_shapes.get(key)
            if type_ is None:
                continue
        else:
            type_ = types.get(key)
            if type_ is None:
                continue
            if type_ in _SCALAR_TYPES:
                ctx.add(
                    FMT_TYPE,
                    f"{key} is a list but should be a single value",
                    key=key,
                    hint="xl: 'parameter is a list but should be a single value'; the "
                    "default is used",
                )
                continue
            for item in value.items:
                if isinstance(item, ListValue):
                    ctx.add(
                        FMT_TYPE, f"{key}: nested list where a string is expected", key=key, at=item
                    )
                    break
            continue
        if type_ == "list":
            hint = (
                "xm iterates a string character by character here"
                if ctx.xm
                else "xl: 'parameter is a single value but should be a list'"
            )
            ctx.add(FMT_TYPE, f"{key} should be a list: [ ... ]", key=key, hint=hint)
            continue
        if (type_ == "bool" or type_ == "int") and ctx.int_of(key) is None:
            # (A number is the right shape for both: the helpers start with that test.)
            if type_ == "bool":
                _check_bool_shape(ctx, key, value)
            else:
                _check_int_shape(ctx, key, value)


def _check_bool_shape(ctx: Ctx, key: str, value: Scalar) -> None:
    if ctx.int_of(key) is not None or (ctx.xm and value.kind == "float"):
        return
    if ctx.xm:
        ctx.add(
            FMT_XM_DROPPED,
            f"{key} = {_shown(ctx, key, value.text)}: xend reads flags with int(); from a "
            "file this string fails and the option is silently skipped",
            key=key,
            hint=f"{key} = 1 or {key} = 0 ('yes'/'no' only work on the xm command line)",
        )
        return
    ctx.add(
        FMT_TYPE,
        f"{key} = {_shown(ctx, key, value.text)} is not a number: xl warns and uses the default",
        key=key,
        hint="xl booleans are numbers: 0 is false, anything else true",
    )


def _check_int_shape(ctx: Ctx, key: str, value: Scalar) -> None:
    if ctx.int_of(key) is not None:
        return
    if ctx.xm and value.kind == "float":
        ctx.add(
            FMT_TYPE,
            f"{key} = {value.text}: a float where an integer is expected",
            key=key,
            severity=W,
        )
        return
    ctx.add(
        FMT_TYPE,
        f"{key} = {_shown(ctx, key, value.text)} is not a valid number"
        + (" (libxlu: strtol with base 0, so 08 and 1e3 are invalid)" if ctx.xl else ""),
        key=key,
        hint="xl warns and uses the default" if ctx.xl else "xend's int() fails",
    )


# Keys whose values have a dedicated rule; the generic XEN-VAL-001 check skips them.
_DEDICATED_VALUES = frozenset(
    {
        "builder", "type", "on_poweroff", "on_reboot", "on_crash", "on_watchdog",
        "on_soft_reset", "device_model_version", "timer_mode", "usbdevice", "passthrough",
        "rtc_timeoffset", "memory", "maxmem", "vcpus", "maxvcpus", "cpu_weight", "cap",
        "cpu_cap", "usbversion",
    }
)  # fmt: skip


def _valued(ctx: Ctx) -> dict[str, OptionForm]:
    """The options whose values check_values checks: boot, enumerations, ranged integers
    (not those with a dedicated rule)."""

    valued: dict[str, OptionForm] | None = ctx.tables.get("valued")
    if valued is None:
        valued = ctx.tables["valued"] = {
            k: f
            for k, f in ctx.forms.items()
            if f is not None
            and k not in _DEDICATED_VALUES
            and (
                k == "boot"
                or f.type in ("enum", "int_or_enum")
                or (f.type == "int" and (f.min is not None or f.max is not None))
            )
        }
    return valued


def check_values(ctx: Ctx) -> None:
    """XEN-VAL-001: enumerated values and integer ranges from the catalogue."""
    valued = _valued(ctx)
    if ctx.settings.keys().isdisjoint(valued.keys()):
        return
    for key in ctx.settings:
        form = valued.get(key)
        if form is None:
            continue
        sc = ctx.scalar(key)
        if sc is None:
            continue
        if key == "boot":
            letters = "abcdn" if ctx.xm else "cdn"
            bad = sorted({c for c in sc.text if c not in letters})
            if bad or not sc.text:
                ctx.add(
                    VAL_ALLOWED,
                    f"boot = {sc.text!r}: boot devices are the letters {letters}",
                    key=key,
                    hint="e.g. boot = 'cd' (disk, then CD-ROM)",
                )
        elif form.type == "enum":
            if sc.text not in form.values:
                ctx.add(
                    VAL_ALLOWED,
                    f"{key} = {_shown(ctx, key, sc.text)} is not one of " + ", ".join(form.values),
                    key=key,
                )
        elif form.type == "int_or_enum":
            if sc.text not in form.values and ctx.scalar_int(sc) is None:
                ctx.add(
                    VAL_ALLOWED,
                    f"{key} = {_shown(ctx, key, sc.text)} is not one of " + ", ".join(form.values),
                    key=key,
                )
        elif form.type == "int" and (form.min is not None or form.max is not None):
            n = ctx.int_of(key)
            if n is None:
                continue
            if (form.min is not None and n < form.min) or (form.max is not None and n > form.max):
                lo = "" if form.min is None else str(form.min)
                hi = "" if form.max is None else str(form.max)
                ctx.add(VAL_ALLOWED, f"{key} = {n} is outside {lo}..{hi}", key=key)

"""Validate a domain config (xm, xl or libvirt XML) without executing any of it.

    result = validate_config(text, fmt="auto", xen_version="4.17", host=capabilities)

Everything about the config itself is a finding; ``ValueError`` is raised only for a bad
``fmt`` or an unparseable ``xen_version`` (caller errors, HTTP 422), and its subclass
:class:`~virtcompat.domain.safexml.UnsafeXml` for an XML document refused unread (a DTD or
entity declaration, a limit, undecodable bytes).

Each format's reader yields a :class:`~virtcompat.domain.spec.DomainSpec`; the domain rules
(``virtcompat.domain.rules``) run on it for every format, after the xm/xl key checks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from virtcompat.capability import Capability
from virtcompat.domain.libvirt import spec_from_xml
from virtcompat.domain.rules import MODEL_CHECKS
from virtcompat.domain.rules.format import XML_SYNTAX, XML_TYPE
from virtcompat.domain.safexml import Node, XmlSyntaxError, parse_xml
from virtcompat.domain.spec import DomainSpec
from virtcompat.domain.xen import MODEL_TRIGGERS, spec_from_ctx
from virtcompat.frozen import twin
from virtcompat.rules.registry import Rule, Severity
from virtcompat.xen import rules as R
from virtcompat.xen.context import AnySetting, Ctx, Setting, c_strtol, py2_int_literal
from virtcompat.xen.findings import Finding, ValidationResult
from virtcompat.xen.options import Catalogue, catalogue
from virtcompat.xen.redact import (
    MASK,
    Scrubber,
    is_secret_key,
    mask_fields,
    may_hold_secret,
    spec_secrets,
)
from virtcompat.xen.syntax import (
    GATE_RELEASE,
    MAX_LINE_CHARS,
    Assignment,
    Gate,
    IssueKind,
    ListValue,
    Mode,
    Opaque,
    ParseResult,
    Scalar,
    Value,
    parse,
)
from virtcompat.xen.versions import XenVersion, parse_version

__all__ = ["MAX_CONFIG_BYTES", "Finding", "ValidationResult", "validate_config"]

MAX_CONFIG_BYTES = 256 * 1024
MAX_FINDINGS = 500
_MAX_LINE_FINDINGS = 5
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
_ERROR = Severity.ERROR.value

_FORMATS = ("auto", "xm", "xl", "libvirt")
_MODES = {"xl": Mode.XL, "xm": Mode.XM}
_NO_SECRETS = Scrubber()  # (it keeps no state but the secrets it was given)
_ResultTwin = twin(ValidationResult)


def validate_config(
    config: str | bytes,
    fmt: str = "auto",
    xen_version: str | None = None,
    host: Mapping[str, Capability] | None = None,
    host_vendor: str | None = None,
) -> ValidationResult:
    """Validate ``config``; see the module docstring."""
    if fmt not in _FORMATS:
        raise ValueError(f"format must be one of {', '.join(_FORMATS)}, got {fmt!r}")
    version = parse_version(xen_version) if xen_version is not None else None
    if fmt == "libvirt" or (fmt == "auto" and looks_like_xml(config)):
        reason = "given by the caller" if fmt == "libvirt" else "an XML document (<domain>)"
        return _validate_libvirt(config, reason, version, host, host_vendor)
    pre: list[Finding] = []

    # ASCII text (str.isascii is a flag test) is its own UTF-8: no encoding to measure it
    # or to check that it is encodable.
    ascii_text = isinstance(config, str) and config.isascii()
    size = len(config) if ascii_text else _size(config)
    if size > MAX_CONFIG_BYTES:
        # Refuse before decoding or reading: the HTTP layer says 413, this is the backstop.
        chosen = fmt if fmt != "auto" else "xl"
        reason = "given by the caller" if fmt != "auto" else "not detected: input not read"
        return _result(
            chosen,
            reason,
            version,
            [
                _finding(
                    R.FMT_LIMIT,
                    f"config is {size} bytes; the limit is {MAX_CONFIG_BYTES} (256 KiB): not read",
                )
            ],
            (),
            {},
        )

    text = config if ascii_text and isinstance(config, str) else _decode(config, pre)
    cat = catalogue()
    if fmt == "auto":
        chosen, reason, parsed = _detect(text, version, cat)
    else:
        chosen, reason = fmt, "given by the caller"
        parsed = parse(text, _MODES[chosen], is_secret_key)
    _prescan(text, chosen, pre)

    settings = _settings(parsed, chosen, cat, pre)
    secrets, secret_keys, secret_fields = _secret_values(settings, _verbatim(text, parsed))
    scrub = Scrubber(secrets) if secrets else _NO_SECRETS
    ctx = Ctx(chosen, version, host, settings, cat, scrub)
    ctx.secret_keys, ctx.secret_fields = secret_keys, secret_fields
    ctx.findings.extend(pre)
    if parsed.issues or parsed.gates:  # (a clean file has neither)
        ctx.incomplete = any(i.kind is IssueKind.NEEDS_PYTHON for i in parsed.issues)
        _syntax_findings(ctx, parsed, version)
    ctx.host_vendor = host_vendor
    # Checks whose keys are all absent would say nothing (R.TRIGGERS): not run.
    checks, always, bits = _plan(R.CHECKS, R.TRIGGERS)
    wanted = _wanted(settings, always, bits)
    for check, bit in checks:
        if wanted & bit:
            check(ctx)
    spec = spec_from_ctx(ctx)
    model_checks, always, bits = _plan(MODEL_CHECKS, MODEL_TRIGGERS)
    wanted = _wanted(settings, always, bits)
    for model_check, bit in model_checks:
        if wanted & bit:
            model_check(spec, ctx)
    options = _options(ctx, scrub)
    return _result(chosen, reason, version, ctx.findings, tuple(ctx.requires), options)


_C = TypeVar("_C")
_PLANS: dict[tuple[int, int], tuple[Any, Any, Any]] = {}


def _plan(
    checks: tuple[_C, ...], triggers: Mapping[_C, frozenset[str]]
) -> tuple[tuple[tuple[_C, int], ...], int, dict[str, int]]:
    """Each check with a bit of its own, in the checks' order; the bits of the checks that
    always run (no entry in ``triggers``); and each trigger key's bits (the checks that need
    it). Built once per pair of tables (a test may swap in others: the
    entry keeps the objects, so an id is never mistaken for another's)."""
    key = (id(checks), id(triggers))
    known = _PLANS.get(key)
    if known is not None and known[0] is checks and known[1] is triggers:
        plan: tuple[tuple[tuple[_C, int], ...], int, dict[str, int]] = known[2]
        return plan
    if len(_PLANS) > 16:
        _PLANS.clear()
    always = 0
    bits: dict[str, int] = {}
    for n, check in enumerate(checks):
        needs = triggers.get(check)
        if needs is None:
            always |= 1 << n
        else:
            for name in needs:
                bits[name] = bits.get(name, 0) | 1 << n
    plan = (tuple((check, 1 << n) for n, check in enumerate(checks)), always, bits)
    _PLANS[key] = (checks, triggers, plan)
    return plan


def _wanted(settings: Mapping[str, object], always: int, bits: Mapping[str, int]) -> int:
    """The bits of the checks to run: those that always run and those a set key triggers
    (a check none of whose keys is set would say nothing). A config sets a few trigger
    keys: ORing their bits beats one isdisjoint per check and config (#14)."""
    wanted = always
    for name in settings.keys() & bits.keys():
        wanted |= bits[name]
    return wanted


def _run_model(spec: DomainSpec, ctx: Ctx) -> None:
    for model_check in MODEL_CHECKS:
        model_check(spec, ctx)


# ---- libvirt -------------------------------------------------------------------------------

# An XML declaration or DOCTYPE (refused later, but it is XML), or a <domain> root after
# comments. xm/xl configs can never match: they cannot start with '<'.
_DOMAIN_ROOT = re.compile(
    r"\A\s*(?:<\?xml[\s?]|<!DOCTYPE\s|(?:<!--.{0,2000}?-->\s*)*<domain[\s>/])", re.S
)


def looks_like_xml(config: str | bytes) -> bool:
    """Does ``config`` start like a libvirt domain document (``auto`` detection)?"""
    if isinstance(config, bytes):
        head = config[:4096]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = head.decode("utf-16", "ignore")
        else:
            text = head.decode("utf-8", "ignore")
    else:
        text = config[:4096]
    return _DOMAIN_ROOT.match(text.lstrip("\ufeff")) is not None


def _validate_libvirt(
    config: str | bytes,
    reason: str,
    version: XenVersion | None,
    host: Mapping[str, Capability] | None,
    host_vendor: str | None,
) -> ValidationResult:
    try:
        root = parse_xml(config)  # UnsafeXml (a ValueError) propagates: refused unread
    except XmlSyntaxError as exc:
        finding = _finding(XML_SYNTAX, str(exc), line=exc.line, column=exc.column)
        return _result("libvirt", reason, version, [finding], (), {})
    if root.tag != "domain":
        finding = _finding(
            XML_SYNTAX,
            f"the root element is <{root.tag}>, not <domain>: not a libvirt domain",
            key=root.key,
            line=root.line,
            column=root.column,
        )
        return _result("libvirt", reason, version, [finding], (), {})
    secrets = [g.attrs["passwd"] for g in _graphics(root) if g.attrs.get("passwd")]
    ctx = Ctx("libvirt", version, host, {}, catalogue(), Scrubber(secrets))
    ctx.host_vendor = host_vendor
    spec = spec_from_xml(root)
    if spec.accel is None:
        ctx.add(
            XML_TYPE,
            "<domain> has no type= (kvm, qemu, xen, ...)",
            key="domain/@type",
            line=root.line,
            column=root.column,
        )
    if spec.guest is None:
        os_type = root.path("os", "type")
        ctx.add(
            XML_TYPE,
            "no <os><type> (hvm, linux, xenpvh)"
            if os_type is None
            else f"<os><type>{os_type.text}</type> is not a guest type libvirt knows",
            key=os_type.key if os_type is not None else "os/type",
            line=os_type.line if os_type is not None else None,
            column=os_type.column if os_type is not None else None,
        )
    _run_model(spec, ctx)
    return _result(
        "libvirt", reason, version, ctx.findings, tuple(ctx.requires), libvirt_options(spec)
    )


def _graphics(root: Node) -> list[Node]:
    devices = root.find("devices")
    return devices.findall("graphics") if devices is not None else []


def libvirt_options(spec: DomainSpec) -> dict[str, Any]:
    """The libvirt domain in xl's option names (libvirt's own xen-xl mapping), so the
    normalized ``options`` read the same whichever format was sent; plus what xl has no
    key for (accelerator, machine, vIOMMU, launch security, memory backing)."""
    out: dict[str, Any] = {}
    if spec.name is not None:
        out["name"] = spec.name.value
    if spec.guest is not None:
        out["type"] = spec.guest.value
    if spec.accel is not None:
        out["accelerator"] = spec.accel.value
    if spec.machine is not None:
        out["machine"] = spec.machine.value
    if spec.memory_kib is not None:
        out["memory"] = spec.memory_kib.value // 1024
    if spec.max_memory_kib is not None:
        out["maxmem"] = spec.max_memory_kib.value // 1024
    if spec.vcpus is not None:
        out["vcpus"] = spec.vcpus.value
    if spec.max_vcpus is not None and spec.vcpus is not None and spec.max_vcpus != spec.vcpus:
        out["maxvcpus"] = spec.max_vcpus.value
    for attr in ("acpi", "apic", "pae", "hap"):
        v = getattr(spec, attr)
        if v is not None:
            out[attr] = int(v.value)
    if spec.nested is not None:
        out["nestedhvm"] = int(spec.nested.value)
    if spec.cpu.mode is not None:
        out["cpu_mode"] = spec.cpu.mode.value
    if spec.cpu.required:
        out["cpu_features_required"] = [f.value for f in spec.cpu.required]
    if spec.cpu.forbidden:
        out["cpu_features_forbidden"] = [f.value for f in spec.cpu.forbidden]
    if spec.firmware is not None:
        out["firmware"] = spec.firmware.value
    if spec.boot:
        out["boot"] = [b.value for b in spec.boot]
    pci = [d.address for d in spec.pci_hostdevs()]
    if pci:
        out["pci"] = pci
    usbdev = [d.address for d in spec.hostdevs if d.bus == "usb"]
    if usbdev:
        out["usbdev"] = usbdev
    if spec.usb_controllers:
        out["usb"] = 0 if spec.usb_disabled() is not None else 1
    usb_inputs = [i.type for i in spec.inputs if i.bus == "usb"]
    if usb_inputs:
        out["usbdevice"] = usb_inputs
    for g in spec.graphics:
        if g.type in ("vnc", "sdl", "spice"):
            out[g.type] = 1
            if g.type == "vnc" and g.listen is not None:
                out["vnclisten"] = g.listen
            if g.password is not None:
                out["vncpasswd" if g.type == "vnc" else "spicepasswd"] = MASK
    out["nographic"] = 0 if spec.graphics else 1
    if spec.clock is not None:
        out["localtime"] = int(spec.clock.offset == "localtime" or spec.clock.basis == "localtime")
        if spec.clock.adjustment is not None:
            out["rtc_timeoffset"] = spec.clock.adjustment
    for event, action in spec.lifecycle.items():
        out[event] = action.value
    if spec.viommu is not None:
        out["viommu"] = spec.viommu.model
    if spec.launch_security is not None:
        out["launch_security"] = spec.launch_security.value
    if spec.hugepages is not None:
        out["hugepages"] = 1
    if spec.locked_memory is not None:
        out["locked_memory"] = 1
    return out


# ---- input ---------------------------------------------------------------------------------


def _size(config: str | bytes) -> int:
    if isinstance(config, bytes):
        return len(config)
    if len(config) > MAX_CONFIG_BYTES:
        return len(config)  # at least this many bytes; no need to encode it
    return len(config.encode("utf-8", "surrogatepass"))


def _decode(config: str | bytes, out: list[Finding]) -> str:
    """Text to read; undecodable input is replaced by U+FFFD and reported (XEN-FMT-011)."""
    if isinstance(config, bytes):
        try:
            return config.decode("utf-8")
        except UnicodeDecodeError as exc:
            head = config[: exc.start]
            line = head.count(b"\n") + 1
            column = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
            out.append(
                _finding(
                    R.FMT_ENCODING,
                    f"byte 0x{config[exc.start]:02x} is not valid UTF-8 (replaced by U+FFFD)",
                    line=line,
                    column=column,
                )
            )
            return config.decode("utf-8", "replace")
    try:
        config.encode("utf-8")
        return config
    except UnicodeEncodeError as exc:
        prefix = config[: exc.start]
        out.append(
            _finding(
                R.FMT_ENCODING,
                "lone surrogate code point (not encodable as UTF-8; replaced by U+FFFD)",
                line=prefix.count("\n") + 1,
                column=exc.start - (prefix.rfind("\n") + 1) + 1,
            )
        )
        return config.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _prescan(text: str, fmt: str, out: list[Finding]) -> None:
    """Whole-file checks: long lines and NUL bytes, reported once each."""
    reported = 0
    line_no = 0
    # No line of a text this short can be over-long.
    lines = text.split("\n") if len(text) > MAX_LINE_CHARS else ()
    for line_no, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            reported += 1
            if reported > _MAX_LINE_FINDINGS:
                out.append(_finding(R.FMT_LIMIT, "more over-long lines not listed", line=line_no))
                break
            out.append(
                _finding(
                    R.FMT_LIMIT,
                    f"line is {len(line)} characters long; the limit is {MAX_LINE_CHARS}",
                    line=line_no,
                    column=MAX_LINE_CHARS + 1,
                )
            )
    nul = text.find("\0")
    if nul >= 0:
        head = text[:nul]
        rule = R.FMT_XL_LEXICAL if fmt == "xl" else R.FMT_SYNTAX
        out.append(
            _finding(
                rule,
                "NUL byte: "
                + ("a lexical error in xl" if fmt == "xl" else "Python refuses source with NUL"),
                line=head.count("\n") + 1,
                column=nul - (head.rfind("\n") + 1) + 1,
            )
        )


# ---- format detection ---------------------------------------------------------------------

_XM_COMMENT_MARKERS = ("mode: python", "xm create")
_XL_COMMENT_MARKERS = ("xl.cfg", "xl create", "xl-disk-configuration", "xl-network-configuration")


def _detect(text: str, version: XenVersion | None, cat: Catalogue) -> tuple[str, str, ParseResult]:
    """Pick xm or xl, say why, and return the parse in the chosen format.

    Order: Python constructs (only xm reads them), the target version (no xl before 4.0,
    no xm from 4.5), xl-only syntax, then evidence from keys, values and comments.
    """
    xl = parse(text, Mode.XL, is_secret_key)
    xm = parse(text, Mode.XM, is_secret_key)
    xl_clean = not xl.issues
    python = [i for i in xm.issues if i.kind is IssueKind.NEEDS_PYTHON]
    # A file the xl grammar accepts has no real Python: what the xm reader flags there is
    # xl's own '+=' or dotted keys.
    if python and not xl_clean:
        first = python[0]
        what = first.message.split(": needs Python", 1)[0]
        return "xm", f"Python code at line {first.line} ({what}): only xm reads Python", xm
    if version is not None and version.before("4.0"):
        return "xm", f"Xen {version} predates xl (first shipped in 4.0)", xm
    if version is not None and version.at_least("4.5"):
        return "xl", f"Xen {version} has no xm (removed in 4.5)", xl
    if xl_clean and xl.gates:
        use = xl.gates[0]
        return "xl", f"xl-only syntax at line {use.line} ({use.gate.value})", xl

    source = xl if xl_clean else xm
    xm_score, xl_score = 0, 0
    xm_why: list[str] = []
    xl_why: list[str] = []
    if xm.xm_markers and not xl_clean:
        # Weak evidence: an xl user's typo (-3600, True) looks the same.
        line, what = xm.xm_markers[0]
        xm_score += 1
        xm_why.append(f"{what} at line {line} (outside the xl grammar)")
    keys = {a.key for a in source.assignments}
    for key in sorted(keys):
        opt = cat.lookup(key)
        if opt is None:
            continue
        in_xm = key in cat.by_xm_name and opt.xm is not None and not opt.xm.ignored
        in_xl = key in cat.by_xl_name and opt.xl is not None and not opt.xl.ignored
        if in_xm and not in_xl:
            # libvirt writes device_model into xl configs too: weak evidence.
            xm_score += 1 if key == "device_model" else 2
            xm_why.append(key)
        elif in_xl and not in_xm:
            xl_score += 2
            xl_why.append(key)
    for a in source.assignments:
        if a.key == "disk" and isinstance(a.value, ListValue):
            style = _disk_style(a.value)
            if style == "xl":
                xl_score += 3
                xl_why.append("xl diskspec")
            elif style == "xm":
                xm_score += 1
                xm_why.append("TYPE:SRC disk")
        if a.key == "builder" and isinstance(a.value, Scalar):
            if a.value.text == "linux":
                xm_score += 2
                xm_why.append("builder='linux'")
            elif a.value.text == "generic":
                xl_score += 2
                xl_why.append("builder='generic'")
        if a.key == "kernel" and isinstance(a.value, Scalar) and "hvmloader" in a.value.text:
            xm_score += 1
            xm_why.append("kernel=hvmloader")
    for marker in _XM_COMMENT_MARKERS:
        if marker in text:
            xm_score += 2
            xm_why.append(f"mentions '{marker}'")
    for marker in _XL_COMMENT_MARKERS:
        if marker in text:
            xl_score += 2
            xl_why.append(f"mentions '{marker}'")
    if xm_score > xl_score:
        return "xm", "xm evidence: " + ", ".join(dict.fromkeys(xm_why)), xm
    if xl_score > xm_score:
        return "xl", "xl evidence: " + ", ".join(dict.fromkeys(xl_why)), xl
    if not xl_clean and xm.issues == []:
        return "xm", "only the xm reader accepts it", xm
    return "xl", "nothing format-specific; defaulting to xl (the toolstack since Xen 4.2)", xl


def _disk_style(value: ListValue) -> str | None:
    style = None
    for item in value.items:
        if not isinstance(item, Scalar) or not item.text:
            continue
        parts = [p.strip() for p in item.text.split(",")]
        if any("=" in p for p in parts) or any(
            p in ("raw", "qcow", "qcow2", "vhd", "qed") for p in parts[1:2]
        ):
            return "xl"
        if ":" in parts[0] and 3 <= len(parts) <= 5:
            style = "xm"
    return style


# ---- settings ------------------------------------------------------------------------------

_XM_DROPPED_KINDS = {
    "bool": "a boolean",
    "none": "None",
    "long": "a Python long",
    "complex": "a complex number",
}
_NUMERIC_TYPES = frozenset({"int", "bool"})


def _settings(
    parsed: ParseResult, fmt: str, cat: Catalogue, out: list[Finding]
) -> dict[str, AnySetting]:
    """Effective settings: last assignment wins, xl '+=' appends, xm drops non-vtypes. A key
    a plain '=' set last keeps that Assignment as its setting (no copy)."""
    if fmt != "xm" and not parsed.gates:
        # The usual xl file: without gates there is no '+=' (the xl reader records one for
        # each), so with no key assigned twice each Assignment is its key's setting, in
        # order: one dict comprehension for the loop below (#14).
        plain: dict[str, AnySetting] = {a.key: a for a in parsed.assignments}
        if len(plain) == len(parsed.assignments):
            return plain
    settings: dict[str, AnySetting] = {}
    first_line: dict[str, int] = {}
    duplicates: set[str] = set()
    names = cat.for_format(fmt)
    for a in parsed.assignments:
        value: Value = a.value
        if fmt == "xm" and isinstance(value, Scalar) and value.kind in _XM_DROPPED_KINDS:
            out.append(
                _finding(
                    R.FMT_XM_DROPPED,
                    f"{a.key} = {value.text if not is_secret_key(a.key) else MASK}: xm keeps "
                    f"only str, int, float and list values; {_XM_DROPPED_KINDS[value.kind]} "
                    "is silently dropped" + (" and the default stays" if a.key in names else ""),
                    key=a.key,
                    line=value.line,
                    column=value.column,
                    hint="use 1 or 0" if value.kind == "bool" else None,
                )
            )
            settings.pop(a.key, None)
            continue
        if a.op == "+=" and a.key in settings:
            merged = _append(a, settings[a.key], names, out)
            if merged is None:
                settings.pop(a.key, None)
            else:
                settings[a.key] = merged
            continue
        key = a.key
        if key in first_line:
            if a.op == "=" and key not in duplicates:
                duplicates.add(key)  # once per key: a generated file may repeat one a lot
                out.append(
                    _finding(
                        R.FMT_DUPLICATE,
                        f"{key} is assigned again (first at line {first_line[key]}): xm and "
                        "xl use the last value, libvirt's converter the first",
                        key=key,
                        line=a.line,
                        column=a.column,
                    )
                )
            # (Only a key seen before can be set.) Keep dict order = order of the effective
            # assignment.
            settings.pop(key, None)
        else:
            first_line[key] = a.line
        settings[key] = a if a.op == "=" else Setting(key, value, a.line, a.column)
    return settings


def _append(
    a: Assignment, prev: AnySetting, names: Mapping[str, Any], out: list[Finding]
) -> AnySetting | None:
    """libxlu '+=': string+string and list+list concatenate; numeric keys are ignored."""
    opt = names.get(a.key)
    form = opt.xl if opt is not None else None
    if form is not None and form.type in _NUMERIC_TYPES:
        out.append(
            _finding(
                R.FMT_VERSION_GATE,
                f"'+=' on the numeric option {a.key}: xl warns and ignores the option",
                key=a.key,
                line=a.line,
                column=a.column,
                severity=Severity.WARNING,
            )
        )
        return None
    old, new = prev.value, a.value
    if isinstance(old, Opaque) or isinstance(new, Opaque):
        return Setting(a.key, Opaque("unreadable value", a.line, a.column), a.line, a.column)
    if isinstance(old, ListValue) and isinstance(new, ListValue):
        return Setting(
            a.key, ListValue(old.items + new.items, old.line, old.column), a.line, a.column
        )
    if isinstance(old, Scalar) and isinstance(new, Scalar):
        return Setting(
            a.key, Scalar("string", old.text + new.text, old.line, old.column), a.line, a.column
        )
    out.append(
        _finding(
            R.FMT_TYPE,
            f"'+=' mixes a list and a single value for {a.key}: libxlu refuses it",
            key=a.key,
            line=a.line,
            column=a.column,
        )
    )
    return prev


def _verbatim(text: str, parsed: ParseResult) -> str | None:
    """``text`` when every key and value read from it is a run of its own characters, so a
    secret marker in one is a marker in ``text``: xl without '+='. (An xl escape stands for
    a quote, a backslash or a control character, never a letter, and a bad one makes the
    value unreadable; '+=' glues two strings together; xm escapes can spell letters.)"""
    # (A clean file has no gates: no generator for it.)
    if parsed.mode is not Mode.XL or (
        parsed.gates and any(g.gate is Gate.PLUS_ASSIGN for g in parsed.gates)
    ):
        return None
    return text


def _secret_values(
    settings: Mapping[str, AnySetting], source: str | None = None
) -> tuple[list[str], bool, bool]:
    """(secrets, keys, fields): the literal secrets to mask everywhere (every value of a
    password-like key, the password-like fields of spec strings), whether any key is
    password-like, and whether any value may hold such a field.

    Almost no config has either, so one pre-test stands for one per key and per value: on
    ``source`` (see _verbatim) when given, else on all the keys and values joined by
    newlines. The markers (the same words for keys and for fields) are ASCII words without a
    newline, and lower-casing maps each character on its own as far as ASCII letters go, so
    the text tested matches whenever one of the parts does."""
    if source is not None and not may_hold_secret(source):
        return [], False, False
    texts: list[str] = []
    for s in settings.values():
        value = s.value
        if isinstance(value, Scalar):
            texts.append(value.text)
        elif isinstance(value, ListValue):
            texts.extend(sc.text for sc in _scalars(value))
    marked_keys = may_hold_secret("\n".join(settings))
    marked_values = may_hold_secret("\n".join(texts))
    if not marked_keys and not marked_values:
        return [], False, False
    secrets: list[str] = []
    keys = fields = False
    if not marked_values:  # only password-like keys: their values, in order
        for key, s in settings.items():
            if is_secret_key(key):
                keys = True
                secrets.extend(sc.text for sc in _scalars(s.value))
        return secrets, keys, False
    for key, s in settings.items():
        secret_key = marked_keys and is_secret_key(key)
        keys = keys or secret_key
        for sc in _scalars(s.value):
            if secret_key:
                secrets.append(sc.text)
            if marked_values and may_hold_secret(sc.text):
                fields = True
                secrets.extend(spec_secrets(sc.text))
    return secrets, keys, fields


def _scalars(value: Value) -> list[Scalar]:
    if isinstance(value, Scalar):
        return [value]
    if isinstance(value, ListValue):
        out: list[Scalar] = []
        for item in value.items:
            out.extend(_scalars(item))
        return out
    return []


# ---- syntax findings -----------------------------------------------------------------------

_ISSUE_RULES: dict[IssueKind, Rule] = {
    IssueKind.SYNTAX: R.FMT_SYNTAX,
    IssueKind.NEEDS_PYTHON: R.FMT_PYTHON,
    IssueKind.XL_LEXICAL: R.FMT_XL_LEXICAL,
    IssueKind.BAD_ESCAPE: R.FMT_ESCAPE,
    IssueKind.NEGATIVE_NUMBER: R.FMT_SYNTAX,
    IssueKind.LIMIT: R.FMT_LIMIT,
}


def _syntax_findings(ctx: Ctx, parsed: ParseResult, version: XenVersion | None) -> None:
    for issue in parsed.issues:
        rule = _ISSUE_RULES[issue.kind]
        if issue.kind is IssueKind.NEGATIVE_NUMBER and issue.key == "rtc_timeoffset":
            rule = R.RTC_NEGATIVE
        ctx.add(
            rule,
            issue.message,
            key=issue.key,
            line=issue.line,
            column=issue.column,
            hint=issue.hint,
        )
    if version is None or parsed.mode is not Mode.XL:
        return
    seen: set[object] = set()
    for use in parsed.gates:
        release = GATE_RELEASE[use.gate]
        if use.gate in seen or version.at_least(release):
            continue
        seen.add(use.gate)
        ctx.add(
            R.FMT_VERSION_GATE,
            f"{use.gate.value} needs xl {release} or later; xl {version} refuses the file",
            key=use.key,
            line=use.line,
            column=use.column,
        )


# ---- output --------------------------------------------------------------------------------


_INT_KINDS = frozenset({"number", "int", "long"})


def _options(ctx: Ctx, scrub: Scrubber) -> dict[str, Any]:
    """The settings as JSON (``_json_value``), secrets masked; unreadable values (needs
    Python, syntax errors) are left out. A top-level number is the one the checks read
    (``Ctx.int_of``: strtol for xl, the Python literal for xm). With no password-like field
    in any value (``plain``), scrubbing a string only masks the literal secrets, and with
    none of those either it leaves every string as it is."""
    plain = not ctx.secret_fields
    verbatim = plain and not scrub.active
    secret_keys = ctx.secret_keys
    out: dict[str, Any] = {}
    if verbatim and not secret_keys:
        # The usual config (no secret anywhere): the loop below without its secret tests,
        # strings first (#14). Same values.
        for key, value in ctx.values.items():
            if isinstance(value, Scalar):
                kind = value.kind
                if kind == "string":
                    out[key] = value.text
                elif kind in _INT_KINDS:
                    n = ctx.int_of(key)
                    out[key] = n if n is not None else value.text
                else:
                    out[key] = _json_value(value, scrub, plain)
            else:
                out[key] = [
                    item.text
                    if isinstance(item, Scalar) and item.kind == "string"
                    else _json_value(item, scrub, plain)
                    for item in value.items
                ]
        return out
    for key, value in ctx.values.items():
        if secret_keys and is_secret_key(key):
            out[key] = MASK
        elif isinstance(value, Scalar):
            if value.kind in _INT_KINDS:
                n = ctx.int_of(key)
                out[key] = n if n is not None else value.text
            elif verbatim and value.kind == "string":
                out[key] = value.text
            else:
                out[key] = _json_value(value, scrub, plain)
        elif verbatim:
            out[key] = [
                item.text
                if isinstance(item, Scalar) and item.kind == "string"
                else _json_value(item, scrub, plain)
                for item in value.items
            ]
        else:
            out[key] = _json_value(value, scrub, plain)
    return out


def _json_value(value: Value, scrub: Scrubber, plain: bool = False) -> Any:
    """A JSON-serialisable echo of a value: xl numbers with their strtol meaning. ``plain``:
    no password-like field in any string, only the literal secrets to mask."""
    if isinstance(value, ListValue):
        return [_json_value(v, scrub, plain) for v in value.items]
    if isinstance(value, Opaque):
        return None
    if value.kind == "string":
        return scrub.literals(value.text) if plain else scrub(mask_fields(value.text))
    if value.kind == "number":  # xl atom: strtol meaning, raw text if not a number
        n = c_strtol(value.text)
        return n if n is not None else value.text
    if value.kind in ("int", "long"):
        n = py2_int_literal(value.text)
        return n if n is not None else value.text
    if value.kind == "float":
        try:
            f = float(value.text) if len(value.text) < 64 else math.inf
        except ValueError:
            return value.text
        return f if math.isfinite(f) else value.text
    if value.kind == "bool":
        return value.text == "True"
    if value.kind == "none":
        return None
    return value.text


def _finding(
    rule: Rule,
    message: str,
    *,
    key: str | None = None,
    line: int | None = None,
    column: int | None = None,
    hint: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    return Finding(
        rule=rule.id,
        severity=(severity or rule.severity).value,
        key=key,
        line=line,
        column=column,
        message=message,
        hint=hint,
    )


def _result(
    fmt: str,
    reason: str,
    version: XenVersion | None,
    findings: list[Finding],
    requires: tuple[str, ...],
    options: dict[str, Any],
) -> ValidationResult:
    unique: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        unique.setdefault((f.rule, f.severity, f.key, f.line, f.column, f.message), f)
    ordered = tuple(sorted(unique.values(), key=Finding.sort_key)) if unique else ()
    if len(ordered) > MAX_FINDINGS:
        # Keep the errors first so a truncated report still says why the config is invalid.
        ranked = sorted(ordered, key=lambda f: _SEVERITY_RANK[f.severity])[:MAX_FINDINGS]
        dropped = len(ordered) - len(ranked)
        ranked.append(
            _finding(
                R.FMT_LIMIT,
                f"{dropped} more findings not listed (limit {MAX_FINDINGS})",
                severity=Severity.INFO,
            )
        )
        ordered = tuple(sorted(ranked, key=Finding.sort_key))
    # ValidationResult(valid=..., ..., options=options), through its twin
    # (virtcompat.frozen.twin): the generated frozen __init__ stores each of the seven
    # fields with object.__setattr__.
    result = _ResultTwin()
    result.valid = not ordered or not any(f.severity == _ERROR for f in ordered)
    result.format = fmt
    result.format_reason = reason
    result.xen_version = version.text if version is not None else None
    result.findings = ordered
    result.requires = tuple(sorted(set(requires)))
    result.options = options
    result.__class__ = ValidationResult
    built: ValidationResult = result
    return built

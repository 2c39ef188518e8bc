"""Shared by the XEN-* rule modules: severities, the source keys of XEN-CONFIG.md §0, rule
registration and the host-requirement helper that cites a verdict's reasons."""

from __future__ import annotations

from virtcompat.capability import Capability, Status
from virtcompat.rules.registry import Applies, Rule, Severity, register
from virtcompat.xen.context import Ctx, spec_fields
from virtcompat.xen.redact import is_secret_key

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


# The source keys of XEN-CONFIG.md §0, spelled out for readers of GET /api/v1/rules.
_SOURCES: dict[str, str] = {
    "C34": "C34: xen tools/python/xen/xm/create.py @3.4.0-rc3",
    "O34": "O34: xen tools/python/xen/xm/opts.py @3.4.0-rc3",
    "XC34": "XC34: xen tools/python/xen/xend/XendConfig.py @3.4.0-rc3",
    "IM34": "IM34: xen tools/python/xen/xend/image.py @3.4.0-rc3",
    "XD34": "XD34: xen XendDomainInfo.py, XendError.py, server/pciif.py, blkif.py @3.4.0-rc3",
    "EX34": "EX34: xen tools/examples/xmexample* @3.4.0-rc3",
    "XMCFG": "XMCFG: xen docs/man/xmdomain.cfg.pod.5 @3.4.0-rc3",
    "XLCFG": "XLCFG: xen docs/man/xl.cfg.5.pod.in",
    "XLPCI": "XLPCI: xen docs/man/xl-pci-configuration.5.pod",
    "XP": "XP: xen tools/xl/xl_parse.c (tools/libxl/xl_cmdimpl.c before 4.9)",
    "LC": "LC: xen tools/libs/light/libxl_create.c",
    "LDM": "LDM: xen tools/libs/light/libxl_dm.c",
    "LX86": "LX86: xen tools/libs/light/libxl_x86.c",
    "LPCI": "LPCI: xen tools/libs/light/libxl_pci.c",
    "LXU": "LXU: xen tools/libs/util/libxlu_cfg_l.l, libxlu_cfg_y.y, libxlu_cfg.c",
    "LV": "LV: libvirt src/libxl/xen_common.c, xen_xm.c, xen_xl.c, src/util/virconf.c",
    "RN42": "RN42: Xen 4.2 release notes",
    "RN45": "RN45: Xen Project 4.5 release notes",
    "MIG41": "MIG41: wiki.xenproject.org Migration_Guide_To_Xen4.1+",
    "§4": "XEN-CONFIG.md §4 (hardware-dependent rules)",
    "blog": "blog 'virtualization friends' 2009-10 (nographic, paused, usbdevice, usb, "
    "rtc_timeoffset, localtime)",
}


def config_rule(
    id_: str,
    title: str,
    severity: Severity,
    explanation: str,
    *sources: str,
    fix: str | None = None,
) -> Rule:
    """Register a domain-config rule (XEN-* and the format-neutral DOM-* alike); a source may
    be a key of the shared source list above or the citation itself."""
    return register(
        Rule(
            id=id_,
            title=title,
            severity=severity,
            applies_to=Applies.DOMAIN_CONFIG,
            explanation=explanation,
            hint={"fix": fix} if fix else None,
            sources=tuple(_SOURCES.get(s, s) for s in sources),
        )
    )


_UNMET: dict[Status, Severity] = {
    Status.UNKNOWN: W,
    Status.CONFLICT: W,
    Status.UNSUPPORTED: E,
    Status.DISABLED: E,
    Status.MASKED: E,
}


def _host_capability(ctx: Ctx, name: str) -> Capability | None:
    if ctx.host is None:
        return None
    cap = ctx.host.get(name)
    return cap if cap is not None else Capability(status=Status.UNKNOWN)


def require_host(
    ctx: Ctx,
    rule: Rule,
    capability: str,
    what: str,
    *,
    key: str | None,
    hard: bool = True,
    soft: Severity = W,
    fix: str | None = None,
    line: int | None = None,
    column: int | None = None,
) -> None:
    """Report an unmet host requirement, citing the verdict's status and reasons.

    unknown/conflict -> warning; unsupported/disabled/masked -> error when ``hard``,
    else ``soft`` (the toolstack falls back instead of failing).
    """
    cap = _host_capability(ctx, capability)
    if cap is None or cap.status is Status.SUPPORTED:
        return
    severity = _UNMET[cap.status]
    if severity is E and not hard:
        severity = soft
    reasons = "; ".join(f"{r.rule}: {r.message}" for r in cap.reasons) or "no reasons given"
    related = tuple(
        {
            "capability": capability,
            "rule": r.rule,
            "layer": r.layer.value,
            "status": r.status.value,
            "message": r.message,
        }
        for r in cap.reasons
    )
    host_hints = [
        f"{r.rule}: " + ", ".join(f"{k}: {v}" for k, v in r.hint.items())
        for r in cap.reasons
        if r.hint
    ]
    hint = "; ".join(([fix] if fix else []) + host_hints) or None
    ctx.add(
        rule,
        f"{what} needs host capability '{capability}', which is {cap.status.value} "
        f"(host reasons: {reasons})",
        key=key,
        line=line,
        column=column,
        severity=severity,
        hint=hint,
        related=related,
    )


def _shown(ctx: Ctx, key: str, text: str) -> str:
    """A value quoted in a message: masked for password-like keys."""
    if is_secret_key(key):
        return "'***'"
    shown = text if len(text) <= 80 else text[:80] + "…"
    return repr(shown)


# Split a 'k=v,k=v' device spec (Ctx.fields_of: once per config and text).
_spec_fields = spec_fields


def _guest_label(guest: str) -> str:
    return guest.upper()


def _is_hvm_like(ctx: Ctx) -> bool:
    return ctx.guest in ("hvm", "pvh")


def _gfx_passthru_on(ctx: Ctx) -> bool:
    # A string in both toolstacks ("1", "igd", ...); 0 and "" leave it off.
    return ctx.str_of("gfx_passthru") not in (None, "", "0")

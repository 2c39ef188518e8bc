"""XEN-DISK-001, XEN-VIF-001, XEN-DM-001: disk, network and device-model specifications."""

from __future__ import annotations

import re

from virtcompat.rules.registry import Severity
from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import E, W, config_rule
from virtcompat.xen.syntax import ListValue, Scalar

DISK_SPEC = config_rule(
    "XEN-DISK-001",
    "Disk specification",
    E,
    "xm: 'TYPE:SRC,VDEV[:cdrom],MODE[,BACKEND[,PROTO]]' with 3 to 5 fields ('Invalid disk "
    "specifier'), MODE r, w or w! ('Invalid mode'), TYPE phy, file, tap or a block-TYPE "
    "hotplug script. xl's diskspec has no 'w!' (RN45) and checks access, format, "
    "backendtype and devtype values.",
    "C34",
    "XD34",
    "RN45",
)


VIF_SPEC = config_rule(
    "XEN-VIF-001",
    "Network interface specification",
    E,
    "xm accepts only backend, bridge, ip, mac, script, type, vifname, rate, model, accel, "
    "policy and label ('Invalid vif option: k'). A mac must be six hex octets (xl: 'Invalid "
    "parameter mac'); type is vif or ioemu; xl does not support accel.",
    "C34",
    "XP",
)


DM_VERSION = config_rule(
    "XEN-DM-001",
    "device_model_version",
    E,
    "xl accepts qemu-xen and (4.2-4.20) qemu-xen-traditional, which was removed in 4.21 "
    "(19ab8356ab): 'Unknown device_model_version \"%s\" specified'.",
    "XP",
    "LC",
)


_XM_DISK_TYPES = frozenset({"phy", "file", "tap", "tap2"})


_XL_DISK_VALUES = {
    "access": ("r", "ro", "w", "rw"),
    "format": ("raw", "qcow", "qcow2", "vhd", "qed", "empty"),
    "backendtype": ("phy", "tap", "qdisk", "standalone"),
    "devtype": ("cdrom", "disk"),
}


def check_disks(ctx: Ctx) -> None:
    """XEN-DISK-001: xm disk specifiers (preprocess_disk, blkif.py); xl has no 'w!'."""
    value = ctx.value("disk")
    if not isinstance(value, ListValue):
        return
    for item in value.items:
        if not isinstance(item, Scalar):
            continue
        problem = _xm_disk_problem(item.text) if ctx.xm else _xl_disk_problem(item.text)
        if problem:
            severity, message = problem
            ctx.add(
                DISK_SPEC, f"disk {item.text!r}: {message}", key="disk", at=item, severity=severity
            )


def _xm_disk_problem(spec: str) -> tuple[Severity, str] | None:
    fields = spec.split(",")
    if not 3 <= len(fields) <= 5:
        return E, f"Invalid disk specifier ({len(fields)} fields; xm takes 3 to 5)"
    uname, _dev, mode = fields[0], fields[1], fields[2]
    if mode not in ("r", "w", "w!"):
        return E, f"Invalid mode {mode!r} (r, w or w!)"
    if uname == "":
        return None  # an empty CD-ROM drive: ',hdc:cdrom,r'
    if ":" not in uname:
        return E, "the source needs a type prefix (phy:, file:, tap:...)"
    kind = uname.split(":", 1)[0]
    if kind not in _XM_DISK_TYPES:
        return W, (
            f'Block device type "{kind}" needs a /etc/xen/scripts/block-{kind} hotplug '
            "script, or xend says it is invalid"
        )
    return None


def _xl_disk_problem(spec: str) -> tuple[Severity, str] | None:
    w_bang = False  # a positional 'w!', reported when no key=value is wrong
    for part in spec.split(","):
        if "=" in part:
            # (Stripping key and value is stripping the part first: no '=' is whitespace.)
            k, v = part.split("=", 1)
            k = k.strip()
            allowed = _XL_DISK_VALUES.get(k)
            if allowed is not None and v.strip() not in allowed:
                extra = " (xl has no 'w!')" if k == "access" else ""
                return E, f"{k}={v.strip()} is not one of {', '.join(allowed)}{extra}"
        elif not w_bang:
            w_bang = part.strip() == "w!"
    if w_bang:
        return E, "xl has no 'w!' access mode (RN45); use 'w'"
    return None


_XM_VIF_KEYS = frozenset(
    {"backend", "bridge", "ip", "mac", "script", "type", "vifname", "rate", "model", "accel",
     "policy", "label"}
)  # fmt: skip


_MAC = re.compile(r"[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5}")


def check_vifs(ctx: Ctx) -> None:
    """XEN-VIF-001: xm vif key whitelist; mac syntax; xl type vif/ioemu, no accel."""
    value = ctx.value("vif")
    if not isinstance(value, ListValue):
        return
    for item in value.items:
        if not isinstance(item, Scalar):
            continue
        for k, v in ctx.fields_of(item.text):
            if v is None:
                ctx.add(VIF_SPEC, f"vif item {k!r} is not key=value", key="vif", at=item)
            elif ctx.xm and k not in _XM_VIF_KEYS:
                ctx.add(VIF_SPEC, f"Invalid vif option: {k}", key="vif", at=item)
            elif k == "mac" and not _MAC.fullmatch(v):
                ctx.add(
                    VIF_SPEC, f"Invalid parameter 'mac': {v!r} (six hex octets)", key="vif", at=item
                )
            elif ctx.xl and k == "type" and v not in ("vif", "ioemu"):
                ctx.add(VIF_SPEC, f"vif type={v!r}: vif or ioemu", key="vif", at=item)
            elif ctx.xl and k == "accel":
                ctx.add(VIF_SPEC, "xl does not support vif accel", key="vif", at=item, severity=W)


def check_device_model_version(ctx: Ctx) -> None:
    """XEN-DM-001: qemu-xen-traditional is gone in 4.21; unknown values are fatal."""
    dmv = ctx.str_of("device_model_version")
    if not ctx.xl or dmv is None:
        return
    if dmv == "qemu-xen":
        return
    if dmv == "qemu-xen-traditional":
        if ctx.version is None:
            ctx.add(
                DM_VERSION,
                "qemu-xen-traditional was removed in Xen 4.21",
                severity=W,
                key="device_model_version",
            )
        elif ctx.version.at_least("4.21"):
            ctx.add(
                DM_VERSION,
                f"qemu-xen-traditional was removed in Xen 4.21 (target {ctx.version})",
                key="device_model_version",
            )
        return
    ctx.add(
        DM_VERSION,
        f'Unknown device_model_version "{dmv}" specified',
        key="device_model_version",
        hint="qemu-xen",
    )

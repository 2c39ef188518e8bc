"""XEN-NAME-001 and XEN-TYPE-*: guest type (builder/type), the boot source, and keys the
guest type ignores."""

from __future__ import annotations

from virtcompat.xen.context import Ctx
from virtcompat.xen.options import OptionForm
from virtcompat.xen.rules._base import INFO, E, W, _guest_label, config_rule

NAME_REQUIRED = config_rule(
    "XEN-NAME-001",
    "xl needs a domain name",
    E,
    "xl refuses a config without name ('Domain name must be specified.'); xm defaulted to "
    "the config file's basename.",
    "XP",
    "C34",
)


TYPE_BUILDER = config_rule(
    "XEN-TYPE-001",
    "builder/type values",
    E,
    "xm: builder is 'linux' or 'hvm' (image.py handlers). xl: type is pv, pvh or hvm, and "
    "builder generic or hvm; xl >= 4.10 rejects builder='linux' ('Invalid domain type "
    'linux.\'). xl matches both by prefix (strncmp(buf, "hvm", strlen(buf))), so "" and '
    '"h" silently mean hvm: a quirk worth spelling out. A builder that contradicts type '
    'fails (\'Contradicting "builder" and "type" options specified.\').',
    "C34",
    "IM34",
    "XP",
)


TYPE_BUILDER_DEPRECATED = config_rule(
    "XEN-TYPE-002",
    "builder is deprecated in xl",
    INFO,
    "xl 4.10 replaced builder by type (builder='hvm' -> type='hvm', 'generic' -> 'pv').",
    "XP",
    "XLCFG",
    fix='use type = "hvm" / "pv" / "pvh"',
)


TYPE_PV_KERNEL = config_rule(
    "XEN-TYPE-003",
    "PV guest without kernel or bootloader",
    E,
    "A PV (and PVH) guest is booted from a dom0 kernel image or through a bootloader such as "
    "pygrub; with neither, domain creation fails.",
    "XLCFG",
    "C34",
)


TYPE_IGNORED_FOR_GUEST = config_rule(
    "XEN-TYPE-004",
    "Option ignored for this guest type",
    W,
    "xm create forwards HVM device-model options (acpi, apic, pae, serial, stdvga, boot, "
    "soundhw, usb, viridian, nographic, timer_mode, ...) only for builder='hvm' "
    "(configure_hvm); for a PV guest they silently do nothing, and PV-only keys do nothing "
    "for HVM. The catalogue's applies field decides.",
    "C34",
    "XP",
)


TYPE_XL_IGNORES = config_rule(
    "XEN-TYPE-005",
    "xl ignores xm-style device model and firmware keys",
    W,
    "xl ignores device_model ('WARNING: ignoring device_model directive'; use "
    "device_model_override and device_model_version) and an HVM kernel=...hvmloader (use "
    "firmware_override), both common in configs converted from xm.",
    "XP",
)


def _xl_prefix(value: str, choices: tuple[str, ...]) -> str | None:
    """xl's strncmp(buf, choice, strlen(buf)) match: the first choice ``value`` prefixes."""
    for choice in choices:
        if choice.startswith(value):
            return choice
    return None


def resolve_guest(ctx: Ctx) -> None:
    """XEN-TYPE-001/002: decide PV/HVM/PVH as the toolstack would, and check the spelling.

    xm: builder 'hvm' or 'linux' (default). xl: type (>= 4.10) or builder, both matched by
    prefix in the order hvm, pv, pvh (so "" means hvm); builder 'linux' is an error from
    4.10 and plain PV before.
    """
    if ctx.xm:
        if not ctx.has("builder"):
            ctx.guest = "pv"
            return
        b = ctx.str_of("builder")
        if b is None:
            ctx.guest = None if ctx.value("builder") is None else "pv"
            return
        if b in ("hvm", "linux"):
            ctx.guest = "hvm" if b == "hvm" else "pv"
            return
        ctx.add(
            TYPE_BUILDER,
            f"builder = {b!r}: xend has no such image handler (use 'linux' or 'hvm')",
            key="builder",
        )
        ctx.guest = None
        return

    type_guest: str | None = None
    builder_guest: str | None = None
    unknown = False
    modern = ctx.at_least_or_head("4.10")
    if ctx.has("type") and modern:
        t = ctx.str_of("type")
        if t is None:
            unknown = True
        else:
            type_guest = {"hvm": "hvm", "pv": "pv", "pvh": "pvh"}.get(
                _xl_prefix(t, ("hvm", "pv", "pvh")) or ""
            )
            if type_guest is None:
                ctx.add(
                    TYPE_BUILDER, f"Invalid domain type {t}. (type is pv, pvh or hvm)", key="type"
                )
                unknown = True
            elif t != type_guest:
                ctx.add(
                    TYPE_BUILDER,
                    f"type = {t!r} is read as {type_guest!r} only because xl matches by "
                    "prefix (a quirk)",
                    key="type",
                    hint=f'type = "{type_guest}"',
                )
    if ctx.has("builder"):
        b = ctx.str_of("builder")
        if b is None:
            unknown = unknown or ctx.value("builder") is None
        elif modern:
            match = _xl_prefix(b, ("hvm", "generic"))
            if match is None:
                extra = " (xl >= 4.10 rejects builder='linux')" if b == "linux" else ""
                ctx.add(
                    TYPE_BUILDER,
                    f"Invalid domain type {b}.{extra}",
                    key="builder",
                    hint='type = "pv"' if b == "linux" else 'type = "pv" / "hvm"',
                )
                unknown = True
            else:
                builder_guest = "hvm" if match == "hvm" else "pv"
                if b != match:
                    ctx.add(
                        TYPE_BUILDER,
                        f"builder = {b!r} is read as {match!r} only because xl matches by "
                        "prefix (a quirk)",
                        key="builder",
                    )
            ctx.add(
                TYPE_BUILDER_DEPRECATED,
                "builder is deprecated in xl since 4.10",
                key="builder",
                hint=f'type = "{builder_guest or "pv"}"',
            )
        else:
            builder_guest = "hvm" if "hvm".startswith(b) else "pv"
    if type_guest and builder_guest and type_guest != builder_guest:
        ctx.add(
            TYPE_BUILDER,
            'Contradicting "builder" and "type" options specified.',
            key="builder",
        )
    if unknown and type_guest is None and builder_guest is None:
        ctx.guest = None
    else:
        ctx.guest = type_guest or builder_guest or "pv"


def check_name(ctx: Ctx) -> None:
    """XEN-NAME-001: xl has no default name ('Domain name must be specified.')."""
    if ctx.xl and not ctx.has("name"):
        ctx.add(
            NAME_REQUIRED,
            "Domain name must be specified. (xl has no default name)",
            key="name",
            hint='name = "myguest"',
        )


def check_boot_source(ctx: Ctx) -> None:
    """XEN-TYPE-003: a PV/PVH guest boots from kernel= or a bootloader (or PVH firmware)."""
    if ctx.guest not in ("pv", "pvh") or ctx.incomplete:
        return
    settings = ctx.settings
    if "kernel" in settings or "bootloader" in settings:
        return
    if ctx.guest == "pvh" and "firmware" in settings:
        return
    ctx.add(
        TYPE_PV_KERNEL,
        f"{_guest_label(ctx.guest)} guest without kernel or bootloader: nothing to boot",
        hint='kernel = "/boot/vmlinuz-..." or bootloader = "pygrub"',
    )


# Handled by a more specific rule when set for the wrong guest type.
_TYPE4_SKIP_COMMON = frozenset({"usb", "usbdevice", "rtc_timeoffset", "pci_power_mgmt", "rdm"})


_TYPE4_SKIP = {
    "xm": _TYPE4_SKIP_COMMON | {"vnc", "sdl", "nographic"},
    "xl": _TYPE4_SKIP_COMMON | {"timer_mode"},
}


def check_guest_applicability(ctx: Ctx) -> None:
    """XEN-TYPE-004: options the toolstack does not apply to this guest type.

    xm create forwards HVM options only for builder='hvm' (configure_hvm); the catalogue's
    applies field records this per toolstack.
    """
    guest = ctx.guest
    if guest is None:
        return
    fmt = ctx.fmt
    # The options this format reads but does not apply to this guest type, less those with
    # a more specific rule.
    per_guest: dict[str, dict[str, OptionForm]] | None = ctx.tables.get("inapplicable")
    if per_guest is None:
        per_guest = ctx.tables["inapplicable"] = {}
    inapplicable = per_guest.get(guest)
    if inapplicable is None:
        inapplicable = per_guest[guest] = {
            k: f
            for k, f in ctx.forms.items()
            if f is not None
            and not f.ignored
            and guest not in f.applies
            and k not in _TYPE4_SKIP[fmt]
        }
    if ctx.settings.keys().isdisjoint(inapplicable.keys()):
        return
    for key in ctx.settings:
        form = inapplicable.get(key)
        if form is None or not ctx.nonempty(key):
            continue
        ctx.add(
            TYPE_IGNORED_FOR_GUEST,
            f"{key} is ignored for {_guest_label(guest)} guests ({fmt} applies it to "
            + "/".join(a.upper() for a in form.applies)
            + ")",
            key=key,
        )


def check_xl_ignores(ctx: Ctx) -> None:
    """XEN-TYPE-005: xl ignores device_model and an HVM kernel=hvmloader (XP warnings)."""
    if not ctx.xl:
        return
    if ctx.has("device_model"):
        ctx.add(
            TYPE_XL_IGNORES,
            "xl ignores device_model ('WARNING: ignoring device_model directive')",
            key="device_model",
            hint="use device_model_override (a path) and device_model_version",
        )
    kernel = ctx.str_of("kernel")
    if ctx.guest == "hvm" and kernel is not None and "hvmloader" in kernel:
        ctx.add(
            TYPE_XL_IGNORES,
            "xl ignores kernel=...hvmloader for HVM guests (an xm idiom)",
            key="kernel",
            hint="drop it, or use firmware_override",
        )

"""xm/xl effective settings (a :class:`~virtcompat.xen.context.Ctx`) → :class:`DomainSpec`.

Runs after the guest type is resolved, reading values the toolstack's way (Ctx coerces xl
atoms with strtol and xm values as Python literals). Positions are the value's own, keys the
xl/xm key, so a domain rule's finding on an xl config points where the xl checks would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from virtcompat.domain.rules import (
    clock,
    cpu,
    display,
    lifecycle,
    memory,
    passthrough,
    security,
    usb,
)
from virtcompat.domain.rules._common import ModelCheck
from virtcompat.domain.spec import (
    NOWHERE,
    DomainSpec,
    Graphics,
    HostDev,
    Input,
    Pos,
    UsbController,
    Val,
    clock_at,
    graphics_at,
    pos_at,
    val_at,
    val_with,
)
from virtcompat.xen.context import Ctx
from virtcompat.xen.syntax import ListValue, Scalar

_BDF = re.compile(r"(?:([0-9a-fA-F]{1,4})[:,])?([0-9a-fA-F]{1,2})[:,]([0-9a-fA-F]{1,2})[.,]([0-7])")


def _pos(ctx: Ctx, key: str) -> Pos:
    s = ctx.settings.get(key)  # ctx.position(key), without the tuple
    if s is None:
        return pos_at(None, None, key)
    return pos_at(s.value.line, s.value.column, key)


def _at(item: Scalar, key: str) -> Pos:
    return Pos(item.line, item.column, key)


def _int(ctx: Ctx, key: str, scale: int = 1) -> Val[int] | None:
    """The value as the toolstack reads it (strtol for xl); ``shown`` is that number, which
    is what the xm/xl messages have always quoted ("memory = 512" for memory = 0x200)."""
    n = ctx.int_of(key)
    if n is None:
        return None
    v = ctx.values[key]  # a number: the key is set to a readable scalar
    return val_at(n * scale, v.line, v.column, key, str(n))


def _text(ctx: Ctx, key: str) -> Val[str] | None:
    """A single string (or atom) value, as written."""
    v = ctx.values.get(key)
    if not isinstance(v, Scalar):
        return None
    return val_at(v.text, v.line, v.column, key, v.text)


def _bool(ctx: Ctx, key: str) -> Val[bool] | None:
    b = ctx.bool_of(key)
    if b is None:
        return None
    v = ctx.values[key]  # a boolean: the key is set to a readable scalar
    assert isinstance(v, Scalar)
    return val_at(b, v.line, v.column, key, v.text)


def _pci_address(text: str) -> str | None:
    m = _BDF.match(text.strip())
    if m is None:
        return None
    dom, bus, dev, fn = m.groups()
    return f"{int(dom or '0', 16):04x}:{int(bus, 16):02x}:{int(dev, 16):02x}.{fn}"


_XEN = Val("xen", Pos(), "xen")
_BOOLS = ("hap", "pae", "acpi", "apic", "paused", "nographic", "vnc", "sdl", "nx")
_GRAPHICS = ("vnc", "sdl", "spice")
_EVENTS = ("on_poweroff", "on_reboot", "on_crash")
_XL_EVENTS = ("on_watchdog", "on_soft_reset")
_ALL_EVENTS = _EVENTS + _XL_EVENTS
_GRAPHICS_KEYS = frozenset({"vnc", "sdl", "spice", "vfb"})
# Every key the model reads; a config sets a handful, so only those are looked at (this runs
# on every xl request, after the checks).
_KEYS = frozenset(
    {"name", "memory", "maxmem", "vcpus", "maxvcpus", "nestedhvm", "pci", "dtdev", "usb"}
    | {"usbdevice", "localtime", "rtc_timeoffset", *_BOOLS, *_GRAPHICS, *_EVENTS, *_XL_EVENTS}
    | {"altp2m", "altp2mhvm", "vnclisten", "vfb", "type", "builder"}
)


# The keys without which a domain rule can report nothing on an xm/xl spec: the spec fields
# it reads come only from these keys here (an empty set: fields this reader never fills).
# validate skips such a rule when the config sets none of them; rules not listed always run
# (they read the guest type). tests/xen/test_xen_rules.py runs the corpus both ways.
MODEL_TRIGGERS: Mapping[ModelCheck, frozenset[str]] = {
    cpu.check_nested: frozenset({"nestedhvm"}),  # spec.nested (xl only)
    cpu.check_pae: frozenset({"pae"}),
    memory.check_memory_given: frozenset(),  # libvirt only
    memory.check_pod: frozenset({"maxmem"}),  # spec.max_memory_kib
    memory.check_pod_passthrough: frozenset({"pci", "dtdev"}),  # spec.hostdevs
    passthrough.check_duplicate_hostdevs: frozenset({"pci"}),
    passthrough.check_hostdev_host: frozenset({"pci"}),
    passthrough.check_viommu: frozenset(),  # no vIOMMU in xm/xl
    usb.check_usb_disabled: frozenset(),  # xm/xl controllers are never model='none'
    usb.check_usb_device: frozenset({"usbdevice"}),
    display.check_nographic: frozenset({"nographic"}),
    clock.check_clock: frozenset({"localtime", "rtc_timeoffset"}),  # spec.clock
    lifecycle.check_lifecycle: frozenset(_ALL_EVENTS),
    security.check_launch_security: frozenset(),  # libvirt only
}


def spec_from_ctx(ctx: Ctx) -> DomainSpec:  # noqa: C901 - one block per key family
    spec = DomainSpec(fmt=ctx.fmt, accel=_XEN)
    if ctx.guest is not None:
        # The key that chose the guest type (none when the default applied): xm has no type.
        key = "type" if ctx.has("type") and ctx.xl else ("builder" if ctx.has("builder") else None)
        pos = _pos(ctx, key) if key is not None else NOWHERE
        spec.guest = val_with(ctx.guest, pos, (ctx.str_of(key) if key else None) or ctx.guest)
    # (frozenset.intersection walks the config's keys; keys() & _KEYS walked all of _KEYS.)
    present = _KEYS.intersection(ctx.settings)
    if not present:
        return spec
    if "name" in present:
        spec.name = _text(ctx, "name")
    if "memory" in present:
        spec.memory_kib = _int(ctx, "memory", 1024)
    if "maxmem" in present:
        spec.max_memory_kib = _int(ctx, "maxmem", 1024)
    if "vcpus" in present:
        spec.vcpus = _int(ctx, "vcpus")
    if "maxvcpus" in present:
        spec.max_vcpus = _int(ctx, "maxvcpus")
    if ctx.xl:
        if "nestedhvm" in present:
            spec.nested = _bool(ctx, "nestedhvm")
        altp2m = ctx.str_of("altp2m") if "altp2m" in present else None
        if (altp2m is not None and altp2m != "disabled") or (
            "altp2mhvm" in present and ctx.truthy("altp2mhvm")
        ):
            spec.altp2m = Val(True, _pos(ctx, "altp2m"), altp2m or "1")
    for attr in _BOOLS:
        if attr in present:
            setattr(spec, attr, _bool(ctx, attr))
    devices = [
        HostDev("pci", _pci_address(item.text), _at(item, "pci"))
        for item in (ctx.strings("pci") if "pci" in present else [])
        if item.text.strip()
    ]
    # xl dtdev: device-tree passthrough, which needs the IOMMU (and excludes PoD) just the same.
    if ctx.xl and "dtdev" in present:
        devices += [HostDev("dt", item.text, _at(item, "dtdev")) for item in ctx.strings("dtdev")]
    spec.hostdevs = tuple(devices)
    if "usb" in present and ctx.truthy("usb"):
        spec.usb_controllers = (UsbController(None, _pos(ctx, "usb")),)
    if "usbdevice" in present:
        items = [item for item in ctx.strings("usbdevice") if item.text]
        spec.usbdevice = tuple(Val(i.text, _at(i, "usbdevice"), i.text) for i in items)
        spec.inputs = tuple(
            Input(v.value, "usb", v.pos)
            for v in spec.usbdevice
            if v.value in ("tablet", "mouse", "keyboard")
        )
        listed = isinstance(ctx.value("usbdevice"), ListValue)
        spec.usbdevice_list = Val(listed, _pos(ctx, "usbdevice"), "")
    spec.graphics = _graphics(ctx, present)
    if "localtime" in present or "rtc_timeoffset" in present:
        localtime = ctx.truthy("localtime")
        offset = ctx.int_of("rtc_timeoffset")
        key = "rtc_timeoffset" if "rtc_timeoffset" in present else "localtime"
        spec.clock = clock_at(
            "variable" if offset else ("localtime" if localtime else "utc"),  # offset
            offset,  # adjustment
            "localtime" if localtime else "utc",  # basis
            _pos(ctx, key),
        )
    for event in _ALL_EVENTS if ctx.xl else _EVENTS:
        if event in present and (action := _text(ctx, event)) is not None:
            spec.lifecycle[event] = action
    return spec


def _vnc_on(ctx: Ctx) -> bool:
    """Does the toolstack start a VNC server? xl turns it on by default for HVM."""
    if ctx.xm:
        return ctx.guest == "hvm" and ctx.truthy("vnc")
    return (ctx.guest == "hvm" and ctx.bool_of("vnc") is not False) or (
        ctx.guest == "pv" and ctx.truthy("vnc")
    )


def _password(passwd: str | None) -> bool | None:
    return None if passwd is None else passwd != ""


def _graphics(ctx: Ctx, present: frozenset[str] | set[str]) -> tuple[Graphics, ...]:
    """The consoles the toolstack really starts: VNC (by default for xl HVM), SDL, SPICE,
    and each VNC PV framebuffer (vfb)."""
    if ctx.guest != "hvm" and present.isdisjoint(_GRAPHICS_KEYS):
        return ()  # only an HVM guest gets a console by default (see _vnc_on)
    out: list[Graphics] = []
    passwd = ctx.str_of("vncpasswd")
    if _vnc_on(ctx):
        key = "vnclisten" if "vnclisten" in present else "vnc"
        listen = ctx.str_of("vnclisten")
        out.append(graphics_at("vnc", listen, _password(passwd), _pos(ctx, key)))
    for key in ("sdl", "spice"):
        if key in present and ctx.truthy(key):
            pw = _password(ctx.str_of(f"{key}passwd"))
            out.append(graphics_at(key, None, pw, _pos(ctx, key)))
    if "vfb" in present and isinstance(ctx.value("vfb"), ListValue):
        for item in ctx.strings("vfb"):
            fields = dict(ctx.fields_of(item.text))
            if fields.get("vnc") == "1" or fields.get("type") == "vnc":
                pw = _password(fields.get("vncpasswd", passwd))
                out.append(Graphics("vnc", fields.get("vnclisten"), pw, _at(item, "vfb"), "vfb"))
    return tuple(out)

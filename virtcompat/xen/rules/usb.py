"""XEN-USB-*: the seed's usb and usbdevice, usbversion. XEN-USB-003 (the usbdevice value,
tablet over mouse) runs on the DomainSpec for every format (virtcompat/domain/rules/usb.py)."""

from __future__ import annotations

from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import E, W, config_rule

USB_PV = config_rule(
    "XEN-USB-001",
    "usb/usbdevice need an HVM guest",
    W,
    "usb and usbdevice configure qemu's emulated USB, so they only exist for HVM guests (the "
    "blog lists them as HVM-only); a PV guest silently gets nothing (use PVUSB usbctrl/usbdev "
    "in xl).",
    "C34",
    "XP",
    "blog",
)


USB_IMPLICIT = config_rule(
    "XEN-USB-002",
    "usbdevice without usb=1",
    W,
    "xl.cfg says 'The USB bus must also be enabled using usb=1'. In practice qemu-dm's "
    "-usbdevice sets usb_enabled (3.2 ioemu vl.c) and libxl adds -usb itself, so it works; "
    "say usb=1 for clarity and portability. libvirt adds the machine's default USB "
    "controller by itself; only <controller type='usb' model='none'/> removes it "
    "(DOM-USB-001).",
    "XLCFG",
    "LDM",
)


USB_DEVICE = config_rule(
    "XEN-USB-003",
    "usbdevice value",
    E,
    "usbdevice takes tablet (an absolute pointer that follows the VNC cursor: the blog "
    "recommends it over mouse), mouse, keyboard, host:BUS.ADDR, host:VID:PID or the old "
    "qemu-dm disk:PATH. xm takes one string; xl also a list, since 4.3. libvirt maps only "
    "tablet, mouse and keyboard. The full set depends on the qemu build.",
    "EX34",
    "XLCFG",
    "LV",
    "blog",
)


USB_VERSION = config_rule(
    "XEN-USB-004",
    "usbversion conflicts",
    E,
    "libxl refuses usbversion or spiceusbredirection together with usb/usbdevice, and "
    "usbversion must be 1, 2 or 3.",
    "LC",
    "LDM",
)


_USB_KEYS = frozenset({"usb", "usbdevice", "usbversion", "spiceusbredirection"})


def check_usb(ctx: Ctx) -> None:  # noqa: C901 - one rule family, read top to bottom
    """XEN-USB-001/002/004: usb/usbdevice are HVM-only, usb=1, usbversion. (The usbdevice
    values, XEN-USB-003, run on the DomainSpec: virtcompat/domain/rules/usb.py.)"""
    if ctx.settings.keys().isdisjoint(_USB_KEYS):
        return  # every finding below needs one of these keys set
    usb = ctx.truthy("usb")
    devices = [d for d in ctx.strings("usbdevice") if d.text]
    device_set = bool(devices)
    if ctx.guest == "pv":
        if usb:
            ctx.add(
                USB_PV,
                "usb = 1 does nothing for a PV guest (emulated USB is HVM-only)",
                key="usb",
                hint="PV guests use PVUSB (xl usbctrl/usbdev)",
            )
        if devices:
            ctx.add(
                USB_PV,
                "usbdevice does nothing for a PV guest (emulated USB is HVM-only)",
                key="usbdevice",
            )
    if ctx.guest == "hvm" and devices and not usb:
        ctx.add(
            USB_IMPLICIT,
            "usbdevice without usb = 1: documented as required; qemu-dm and libxl enable the "
            "USB bus implicitly",
            key="usbdevice",
            hint="add usb = 1",
        )
    if ctx.xl:
        version = ctx.int_of("usbversion")
        if version is not None and not 1 <= version <= 3:
            ctx.add(USB_VERSION, f"usbversion = {version}: must be 1, 2 or 3", key="usbversion")
        for key in ("usbversion", "spiceusbredirection"):
            if ctx.has(key) and (ctx.int_of(key) or 0) > 0 and (usb or device_set):
                ctx.add(
                    USB_VERSION,
                    f"{key} cannot be combined with usb/usbdevice (libxl refuses it)",
                    key=key,
                )

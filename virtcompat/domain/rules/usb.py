"""USB controllers, USB input devices and USB host devices.

The seed's ``usbdevice='tablet'`` is ``<input type='tablet' bus='usb'/>`` and ``usb=1`` a USB
controller: XEN-USB-003 (tablet over mouse, and the xm/xl usbdevice values) runs here for
every format; the xm/xl-only USB rules (HVM-only, usb=1, usbversion) stay with the keys. A
USB device on a domain whose only USB controller is ``model='none'`` is refused by libvirt
(DOM-USB-001).
"""

from __future__ import annotations

import re

from virtcompat.domain.rules._common import INFO, QEMU_VALIDATE, E, emit, rule
from virtcompat.domain.spec import DomainSpec, Val
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx

USB_DISABLED = rule(
    "DOM-USB-001",
    "USB device while USB is switched off",
    E,
    "<controller type='usb' model='none'/> removes the USB bus, so a USB input (the "
    "tablet), a USB host device or another USB controller has nothing to attach to. libvirt "
    "refuses the domain: 'USB is disabled for this domain, but USB devices are present in "
    "the domain XML' and 'Can't add another USB controller: USB is disabled for this "
    "domain', 'cannot add redirected USB device: USB is disabled for this domain' (libvirt "
    "tests usb-none-usbtablet, usb-none-other, usb-none-hub).",
    QEMU_VALIDATE,
    fix="drop model='none' (let libvirt pick the machine's USB controller) or the USB devices",
)


_USB_HOST_BUSADDR = re.compile(r"host:\d{1,3}\.\d{1,3}")
_USB_HOST_VIDPID = re.compile(r"host:[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}")

_USB_USER = {
    "hub": "a USB <hub>",
    "redirdev": "cannot add redirected USB device: a USB <redirdev>",
    "disk": "a disk on bus='usb'",
}


def check_usb_disabled(spec: DomainSpec, ctx: Ctx) -> None:
    """DOM-USB-001: USB devices or controllers beside a model='none' USB controller."""
    off = spec.usb_disabled()
    if off is None:
        return
    for c in spec.usb_controllers:
        if c is not off:
            emit(
                ctx,
                USB_DISABLED,
                "Can't add another USB controller: USB is disabled for this domain "
                "(controller model='none')",
                c.pos,
            )
    users = [(i.pos, f"<input type='{i.type}' bus='usb'>") for i in spec.inputs if i.bus == "usb"]
    users += [(d.pos, "a USB <hostdev>") for d in spec.hostdevs if d.bus == "usb"]
    users += [(d.pos, _USB_USER[d.kind]) for d in spec.usb_devices]
    for pos, what in users:
        emit(
            ctx,
            USB_DISABLED,
            f"{what} needs a USB bus, but USB is disabled for this domain (controller "
            f"model='none' at line {off.pos.line})",
            pos,
        )


def check_usb_device(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-USB-003: the seed's usbdevice. A USB mouse drifts from the VNC cursor where a tablet
    does not (the blog's advice); xm/xl also take host:..., the old disk:..., and a list only
    in xl 4.3+."""
    if spec.fmt == "libvirt":
        if not any(i.type == "tablet" for i in spec.inputs):
            _libvirt_mouse(spec, ctx)
        return
    listed = spec.usbdevice_list
    if listed is not None and listed.value:
        if spec.fmt == "xm":
            msg: str | None = "usbdevice takes a single string in xm (libvirt's xen-xm too)"
        elif ctx.version is not None and ctx.version.before("4.3"):
            msg = f"a usbdevice list needs xl 4.3 or later (target {ctx.version})"
        else:
            msg = None
        if msg is not None:
            emit(ctx, X.USB_DEVICE, msg, listed.pos)
    for item in spec.usbdevice:
        _usbdevice_value(spec, ctx, item)


def _libvirt_mouse(spec: DomainSpec, ctx: Ctx) -> None:
    for i in spec.inputs:
        if i.type == "mouse" and i.bus == "usb":
            emit(
                ctx,
                X.USB_DEVICE,
                "<input type='mouse' bus='usb'/> emulates a relative pointer that drifts from "
                "the VNC cursor; a tablet gives an absolute pointer (recommended)",
                i.pos,
                severity=INFO,
                hint="<input type='tablet' bus='usb'/>",
            )


def _usbdevice_value(spec: DomainSpec, ctx: Ctx, item: Val[str]) -> None:
    text = item.value
    if text in ("tablet", "keyboard"):
        return
    if text == "mouse":
        emit(
            ctx,
            X.USB_DEVICE,
            "usbdevice = 'mouse' emulates a relative pointer that drifts from the VNC cursor; "
            "'tablet' gives an absolute pointer (recommended)",
            item.pos,
            severity=INFO,
            hint="usbdevice = 'tablet'",
        )
        return
    if text.startswith("host:"):
        if _USB_HOST_BUSADDR.fullmatch(text) or _USB_HOST_VIDPID.fullmatch(text):
            return
        emit(
            ctx,
            X.USB_DEVICE,
            f"usbdevice = {text!r}: host devices are host:BUS.ADDR or host:VID:PID (hex)",
            item.pos,
        )
        return
    if text.startswith("disk:"):
        if spec.fmt == "xl":
            emit(
                ctx,
                X.USB_DEVICE,
                "usbdevice disk:... is an old qemu-dm form; qemu-xen may not accept it",
                item.pos,
                severity=INFO,
            )
        return
    emit(
        ctx,
        X.USB_DEVICE,
        f"usbdevice = {text!r} is not a known device (tablet, mouse, keyboard, host:..., "
        "disk:...); the accepted set depends on the qemu build",
        item.pos,
        hint="usbdevice = 'tablet'",
    )

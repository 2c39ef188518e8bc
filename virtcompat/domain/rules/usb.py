"""USB controllers, USB input devices and USB host devices.

The seed's ``usbdevice='tablet'`` is ``<input type='tablet' bus='usb'/>`` and ``usb=1`` a USB
controller: the tablet-over-mouse advice keeps its xl id (XEN-USB-003). A USB device on a
domain whose only USB controller is ``model='none'`` is refused by libvirt (DOM-USB-001).
"""

from __future__ import annotations

from virtcompat.domain.rules._common import INFO, QEMU_VALIDATE, E, emit, rule
from virtcompat.domain.spec import DomainSpec
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


def check_usb_pointer(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-USB-003 (libvirt): a USB mouse drifts from the VNC cursor; a tablet does not."""
    if spec.fmt != "libvirt" or any(i.type == "tablet" for i in spec.inputs):
        return
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

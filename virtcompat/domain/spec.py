"""DomainSpec: one format-neutral description of a VM, whatever file it was read from.

The xm, xl and libvirt readers each build one; the domain rules (``virtcompat.domain.rules``)
read only this, so a rule that means the same thing in every format has one id. Every value
keeps where it came from (:class:`Pos`: line, column and the key as the user wrote it: an xl
key such as ``maxmem`` or an XPath-like libvirt key such as ``devices/hostdev[1]``), so a
finding points at the user's own text. ``shown`` keeps the value as written, so a message can
quote ``memory = 394`` for xl and ``currentMemory = 403456 KiB`` for libvirt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from virtcompat.frozen import slot_setters, twin

T = TypeVar("T")


@dataclass(frozen=True, slots=True, init=False)
class Pos:
    line: int | None = None
    column: int | None = None
    key: str | None = None

    def __init__(
        self, line: int | None = None, column: int | None = None, key: str | None = None
    ) -> None:
        # Built per value of every config: the slots directly (virtcompat.frozen).
        _pos_line(self, line)
        _pos_column(self, column)
        _pos_key(self, key)


_pos_line, _pos_column, _pos_key = slot_setters(Pos, "line", "column", "key")


NOWHERE = Pos()


@dataclass(frozen=True, slots=True, init=False)
class Val(Generic[T]):
    """A value with its source position and its text as written."""

    value: T
    pos: Pos = NOWHERE
    shown: str = ""

    def __init__(self, value: T, pos: Pos = NOWHERE, shown: str = "") -> None:
        _val_value(self, value)
        _val_pos(self, pos)
        _val_shown(self, shown)


_val_value, _val_pos, _val_shown = slot_setters(Val, "value", "pos", "shown")
_PosTwin, _ValTwin = twin(Pos), twin(Val)


def val_at(value: T, line: int | None, column: int | None, key: str, shown: str) -> Val[T]:
    """``Val(value, Pos(line, column, key), shown)``: the xm/xl reader builds one per key of
    every config, here through the classes' twins (virtcompat.frozen.twin: the same
    objects at half the cost of the class calls)."""
    pos = _PosTwin()
    pos.line = line
    pos.column = column
    pos.key = key
    pos.__class__ = Pos
    val = _ValTwin()
    val.value = value
    val.pos = pos
    val.shown = shown
    val.__class__ = Val
    built: Val[T] = val
    return built


def pos_at(line: int | None, column: int | None, key: str | None) -> Pos:
    """``Pos(line, column, key)`` through its twin (see val_at)."""
    pos = _PosTwin()
    pos.line = line
    pos.column = column
    pos.key = key
    pos.__class__ = Pos
    built: Pos = pos
    return built


def val_with(value: T, pos: Pos, shown: str) -> Val[T]:
    """``Val(value, pos, shown)`` through its twin (see val_at)."""
    val = _ValTwin()
    val.value = value
    val.pos = pos
    val.shown = shown
    val.__class__ = Val
    built: Val[T] = val
    return built


@dataclass(frozen=True, slots=True)
class HostDev:
    """A host device given to the guest: PCI (``address`` DDDD:BB:DD.F) or USB."""

    bus: str  # "pci" | "usb"
    address: str | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Device:
    """A device the model only needs to count and point at (disk, NIC, console...)."""

    kind: str  # e.g. "disk", "cdrom", "bridge", "pty", "serial"
    pos: Pos
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Input:
    type: str  # "tablet" | "mouse" | "keyboard" | ...
    bus: str | None  # "usb" | "ps2" | "virtio" | "xen" | None (not said)
    pos: Pos


@dataclass(frozen=True, slots=True)
class Graphics:
    type: str  # "vnc" | "spice" | "sdl" | ...
    listen: str | None
    password: bool | None  # None: not said; False: set but empty
    pos: Pos
    via: str = ""  # "vfb": an xm/xl PV framebuffer entry rather than the top-level keys


_GraphicsTwin = twin(Graphics)


def graphics_at(
    type: str, listen: str | None, password: bool | None, pos: Pos, via: str = ""
) -> Graphics:
    """``Graphics(type, listen, password, pos, via)`` through its twin (see val_at): the
    generated frozen __init__ stores each field with object.__setattr__."""
    g = _GraphicsTwin()
    g.type = type
    g.listen = listen
    g.password = password
    g.pos = pos
    g.via = via
    g.__class__ = Graphics
    built: Graphics = g
    return built


@dataclass(frozen=True, slots=True)
class UsbController:
    model: str | None  # None: the machine's default; "none": USB switched off
    pos: Pos


@dataclass(frozen=True, slots=True)
class Viommu:
    model: str  # "intel" | "virtio" | "smmuv3" | "amd"
    intremap: bool | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Clock:
    """``offset``: utc | localtime | variable | timezone; ``adjustment`` in seconds."""

    offset: str
    adjustment: int | None
    basis: str | None  # for offset="variable": "utc" | "localtime"
    pos: Pos


_ClockTwin = twin(Clock)


def clock_at(offset: str, adjustment: int | None, basis: str | None, pos: Pos) -> Clock:
    """``Clock(offset, adjustment, basis, pos)`` through its twin (see graphics_at)."""
    c = _ClockTwin()
    c.offset = offset
    c.adjustment = adjustment
    c.basis = basis
    c.pos = pos
    c.__class__ = Clock
    built: Clock = c
    return built


@dataclass(frozen=True, slots=True)
class CpuSpec:
    mode: Val[str] | None = None  # host-passthrough | host-model | custom | maximum
    required: tuple[Val[str], ...] = ()  # features the guest must see (require/force)
    forbidden: tuple[Val[str], ...] = ()  # features hidden from the guest (disable/forbid)

    def requires(self, *names: str) -> Val[str] | None:
        return next((f for f in self.required if f.value in names), None)

    def forbids(self, *names: str) -> bool:
        return any(f.value in names for f in self.forbidden)


NO_CPU = CpuSpec()


@dataclass(slots=True)
class DomainSpec:
    fmt: str  # "xm" | "xl" | "libvirt"
    name: Val[str] | None = None
    guest: Val[str] | None = None  # "hvm" | "pv" | "pvh"; None when unknown
    accel: Val[str] | None = None  # "xen" | "kvm" | "tcg" | other libvirt domain types
    machine: Val[str] | None = None  # "q35", "pc-i440fx-8.0", "xenfv", ...
    memory_kib: Val[int] | None = None  # what the guest starts with (xl memory)
    max_memory_kib: Val[int] | None = None  # the ceiling (xl maxmem, libvirt <memory>)
    vcpus: Val[int] | None = None
    max_vcpus: Val[int] | None = None
    cpu: CpuSpec = NO_CPU  # (frozen: one shared empty CpuSpec, not one per spec)
    nested: Val[bool] | None = None  # nested HVM asked for (xl nestedhvm, vmx/svm feature)
    firmware: Val[str] | None = None  # "bios" | "efi" | a loader path
    boot: tuple[Val[str], ...] = ()
    disks: tuple[Device, ...] = ()
    nics: tuple[Device, ...] = ()
    hostdevs: tuple[HostDev, ...] = ()
    viommu: Viommu | None = None
    acpi: Val[bool] | None = None
    apic: Val[bool] | None = None
    pae: Val[bool] | None = None
    hap: Val[bool] | None = None
    ioapic_driver: Val[str] | None = None
    graphics: tuple[Graphics, ...] = ()
    consoles: tuple[Device, ...] = ()
    inputs: tuple[Input, ...] = ()
    usb_controllers: tuple[UsbController, ...] = ()
    usb_devices: tuple[Device, ...] = ()  # other USB users: hubs, redirected devices, USB disks
    clock: Clock | None = None
    lifecycle: dict[str, Val[str]] = field(default_factory=dict)  # on_poweroff/reboot/crash
    launch_security: Val[str] | None = None  # "sev" | "sev-snp" | "tdx" | "s390-pv"
    hugepages: Val[bool] | None = None
    locked_memory: Val[bool] | None = None
    paused: Val[bool] | None = None  # xm 'paused'; no libvirt XML equivalent
    nographic: Val[bool] | None = None
    # xm/xl only: switches with no libvirt element of their own. vnc/sdl as written (absent
    # means the toolstack's default), nx (needs PAE), altp2m (excludes nested HVM).
    vnc: Val[bool] | None = None
    sdl: Val[bool] | None = None
    nx: Val[bool] | None = None
    altp2m: Val[bool] | None = None
    # xm/xl usbdevice entries as written (any string: tablet, host:..., disk:...), and
    # whether they were given as a list (xl 4.3+ only).
    usbdevice: tuple[Val[str], ...] = ()
    usbdevice_list: Val[bool] | None = None

    @property
    def guest_type(self) -> str | None:
        return self.guest.value if self.guest is not None else None

    @property
    def accelerator(self) -> str | None:
        return self.accel.value if self.accel is not None else None

    def pci_hostdevs(self) -> list[HostDev]:
        return [d for d in self.hostdevs if d.bus == "pci"]

    def usb_disabled(self) -> UsbController | None:
        """The controller that switches USB off (libvirt model='none'), if any."""
        return next((c for c in self.usb_controllers if c.model == "none"), None)

"""PCI functions (``lspci -nn``/``-nnmm``/``-vmmnn`` or the agent's sysfs list) -> PciDevices.

Chipset identity needs the host bridge *and* the LPC bridge (HW-FACTS §5: 8086:2e10 is shared
by Q45 and Q43; only the ICH10DO/ICH10D LPC id tells them apart), and on AMD the IOMMU's own
PCI function (1002:5a23 on RD890/990, class 0806 on Family 17h+) is a better signal than the
host bridge. So the result keeps every function with its numeric class and ids.

The sysfs form is what the agent sends as the ``pci_devices`` artefact when ``lspci`` is not
installed: a list of :class:`SysfsPciDevice` objects holding the raw contents of
``/sys/bus/pci/devices/<slot>/{class,vendor,device,revision}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from virtcompat.probe._common import Warnings, clip, decode_input, fields_as_dict, iter_lines
from virtcompat.probe.limits import ARTEFACT_ITEM_LIMITS, ARTEFACT_LIMITS

__all__ = ["PciDevice", "PciDevices", "SysfsPciDevice", "parse_lspci"]


#: One entry of the ``pci_devices`` artefact: the raw contents of the sysfs files of
#: ``/sys/bus/pci/devices/<slot>/`` (``"class": "0x060100"`` is base class, subclass and
#: prog-if; ``vendor``/``device``/``revision`` look like ``"0x8086"``), plus ``iommu_group``,
#: the number the ``iommu_group`` symlink points to. Only ``slot`` is required.
SysfsPciDevice = TypedDict(
    "SysfsPciDevice",
    {
        "slot": str,
        "class": str,
        "vendor": str,
        "device": str,
        "revision": str,
        "subsystem_vendor": str,
        "subsystem_device": str,
        "iommu_group": int,
    },
    total=False,
)

#: AMD IOMMU functions that are not always class 0806 (HW-FACTS §5; RD890 is
#: PCI_DEVICE_ID_RD890_IOMMU in include/linux/pci_ids.h).
AMD_IOMMU_IDS = frozenset({"1002:5a23", "1022:1451", "1022:1481", "1022:15d1"})

_SLOT = (
    r"(?:(?P<domain>[0-9a-fA-F]{4,8}):)?(?P<bus>[0-9a-fA-F]{2}):(?P<dev>[0-1][0-9a-fA-F])"
    r"\.(?P<fn>[0-7])"
)
_SLOT_RE = re.compile(_SLOT + r"$")
_LINE_RE = re.compile(r"^" + _SLOT + r"\s+(?P<rest>.*)$")
_CLASS_RE = re.compile(r"^(?P<name>[^\[\]:]{0,96}?)\s*\[(?P<code>[0-9a-fA-F]{4})\]:\s*")
_CLASS_ONLY_RE = re.compile(r"^(?P<name>[^:]{1,96}):\s*")
_ID_RE = re.compile(r"\[(?P<vendor>[0-9a-fA-F]{4}):(?P<device>[0-9a-fA-F]{4})\]")
_REV_RE = re.compile(r"\(rev (?P<rev>[0-9a-fA-F]{2})\)")
_PROGIF_RE = re.compile(r"\(prog-if (?P<progif>[0-9a-fA-F]{2})")
_MM_TOKEN_RE = re.compile(r'"(?P<quoted>[^"]{0,256})"|(?P<opt>-[rp][0-9a-fA-F]{2})')
_TRAILING_ID_RE = re.compile(r"^(?P<name>.*?)\s*\[(?P<id>[0-9a-fA-F]{4})\]$")
# Field names of ``lspci -vmm`` records.
_VMM_KEYS = frozenset(
    {"Slot", "Class", "Vendor", "Device", "SVendor", "SDevice", "Rev", "ProgIf", "IOMMUGroup",
     "PhySlot", "NUMANode", "Driver", "Module"}
)  # fmt: skip
_HEX_RE = re.compile(r"^(?:0x)?(?P<hex>[0-9a-fA-F]{1,8})$")


@dataclass(frozen=True, slots=True)
class PciDevice:
    #: normalised "dddd:bb:dd.f", lower case
    slot: str
    #: base class + subclass, 4 hex digits ("0600"); None when lspci ran without -nn
    class_code: str | None
    prog_if: str | None
    class_name: str | None
    vendor_id: str | None
    device_id: str | None
    revision: str | None
    #: vendor and device names as lspci printed them
    description: str | None
    #: "vvvv:dddd" of the subsystem, when the input has it
    subsystem_id: str | None
    iommu_group: int | None

    @property
    def pci_id(self) -> str | None:
        if self.vendor_id is None or self.device_id is None:
            return None
        return f"{self.vendor_id}:{self.device_id}"

    def as_dict(self) -> dict[str, Any]:
        data = fields_as_dict(self)
        data["pci_id"] = self.pci_id
        return data


@dataclass(frozen=True, slots=True)
class PciDevices:
    devices: tuple[PciDevice, ...]
    #: lspci-nn, lspci-mm, lspci-vmm, lspci (no numeric ids), sysfs or empty
    source: str
    warnings: tuple[str, ...]

    @property
    def host_bridges(self) -> tuple[PciDevice, ...]:
        return tuple(d for d in self.devices if d.class_code == "0600")

    @property
    def lpc_bridges(self) -> tuple[PciDevice, ...]:
        """ISA/LPC bridges (class 0601): the chipset id from the 5 Series on."""
        return tuple(d for d in self.devices if d.class_code == "0601")

    @property
    def iommu_functions(self) -> tuple[PciDevice, ...]:
        return tuple(d for d in self.devices if d.class_code == "0806" or d.pci_id in AMD_IOMMU_IDS)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(d.pci_id for d in self.devices if d.pci_id is not None)

    def find(self, pci_id: str) -> tuple[PciDevice, ...]:
        pci_id = pci_id.lower()
        return tuple(d for d in self.devices if d.pci_id == pci_id)

    def as_dict(self) -> dict[str, Any]:
        data = fields_as_dict(self)
        data["ids"] = sorted(self.ids)
        return data


def _slot(m: re.Match[str]) -> str:
    domain = (m["domain"] or "0000").lower().rjust(4, "0")
    return f"{domain}:{m['bus'].lower()}:{m['dev'].lower()}.{m['fn']}"


def _hex(value: object, width: int) -> str | None:
    if not isinstance(value, str):
        return None
    m = _HEX_RE.match(value.strip())
    if m is None:
        return None
    digits = m["hex"].lower()
    return digits.rjust(width, "0")[-width:] if len(digits) <= width else None


def _device(slot: str, **fields: Any) -> PciDevice:
    values: dict[str, Any] = {
        "class_code": None,
        "prog_if": None,
        "class_name": None,
        "vendor_id": None,
        "device_id": None,
        "revision": None,
        "description": None,
        "subsystem_id": None,
        "iommu_group": None,
    }
    values.update(fields)
    return PciDevice(slot=slot, **values)


def _parse_nn(m: re.Match[str]) -> PciDevice:
    rest = m["rest"]
    class_m = _CLASS_RE.match(rest)
    class_code = class_name = None
    if class_m is not None:
        class_code, class_name = class_m["code"].lower(), class_m["name"].strip() or None
        rest = rest[class_m.end() :]
    else:
        plain = _CLASS_ONLY_RE.match(rest)
        if plain is not None:
            class_name = plain["name"].strip()
            rest = rest[plain.end() :]
    ids = list(_ID_RE.finditer(rest))
    vendor = device = None
    description = rest
    if ids:
        last = ids[-1]
        vendor, device = last["vendor"].lower(), last["device"].lower()
        description = rest[: last.start()]
    rev = _REV_RE.search(rest)
    progif = _PROGIF_RE.search(rest)
    return _device(
        _slot(m),
        class_code=class_code,
        class_name=clip(class_name, 96) if class_name else None,
        vendor_id=vendor,
        device_id=device,
        revision=rev["rev"].lower() if rev else None,
        prog_if=progif["progif"].lower() if progif else None,
        description=clip(description.strip(), 200) or None,
    )


def _split_named_id(value: str) -> tuple[str | None, str | None]:
    m = _TRAILING_ID_RE.match(value.strip())
    if m is None:
        return value.strip() or None, None
    return m["name"].strip() or None, m["id"].lower()


def _parse_mm(m: re.Match[str]) -> PciDevice | None:
    quoted: list[str] = []
    options: dict[str, str] = {}
    for token in _MM_TOKEN_RE.finditer(m["rest"]):
        if token["quoted"] is not None:
            quoted.append(token["quoted"])
        else:
            options[token["opt"][1]] = token["opt"][2:].lower()
    if len(quoted) < 3:
        return None
    class_name, class_code = _split_named_id(quoted[0])
    vendor_name, vendor = _split_named_id(quoted[1])
    device_name, device = _split_named_id(quoted[2])
    subsystem = None
    if len(quoted) >= 5:
        svendor = _split_named_id(quoted[3])[1]
        sdevice = _split_named_id(quoted[4])[1]
        if svendor and sdevice:
            subsystem = f"{svendor}:{sdevice}"
    description = " ".join(x for x in (vendor_name, device_name) if x)
    return _device(
        _slot(m),
        class_code=class_code,
        class_name=class_name,
        vendor_id=vendor,
        device_id=device,
        revision=options.get("r"),
        prog_if=options.get("p"),
        description=clip(description, 200) or None,
        subsystem_id=subsystem,
    )


def _parse_vmm_record(record: dict[str, str]) -> PciDevice | None:
    slot_m = _SLOT_RE.match(record.get("Slot", "").strip())
    if slot_m is None:
        return None
    class_name, class_code = _split_named_id(record.get("Class", ""))
    vendor_name, vendor = _split_named_id(record.get("Vendor", ""))
    device_name, device = _split_named_id(record.get("Device", ""))
    svendor = _split_named_id(record.get("SVendor", ""))[1]
    sdevice = _split_named_id(record.get("SDevice", ""))[1]
    group = record.get("IOMMUGroup", "").strip()
    description = " ".join(x for x in (vendor_name, device_name) if x)
    return _device(
        _slot(slot_m),
        class_code=class_code,
        class_name=class_name,
        vendor_id=vendor,
        device_id=device,
        revision=_hex(record.get("Rev"), 2),
        prog_if=_hex(record.get("ProgIf"), 2),
        description=clip(description, 200) or None,
        subsystem_id=f"{svendor}:{sdevice}" if svendor and sdevice else None,
        iommu_group=int(group) if group.isascii() and group.isdigit() and len(group) < 7 else None,
    )


def _from_text(text: str, warnings: Warnings) -> tuple[list[PciDevice], str]:
    devices: list[PciDevice] = []
    styles: set[str] = set()
    record: dict[str, str] | None = None
    skipped = 0
    cap = ARTEFACT_ITEM_LIMITS["pci_devices"]

    def flush() -> None:
        nonlocal record
        if record is not None:
            device = _parse_vmm_record(record)
            if device is not None:
                devices.append(device)
                styles.add("lspci-vmm")
            record = None

    for _, line in iter_lines(text, 1024, warnings):
        if len(devices) >= cap:
            warnings.add(f"more than {cap} PCI functions; the rest ignored")
            break
        if not line.strip():
            flush()
            continue
        key, sep, value = line.partition(":")
        if sep and key in _VMM_KEYS:
            if key == "Slot":
                flush()
                record = {}
            if record is not None and len(record) < 32:
                record.setdefault(key, value.strip())
            continue
        if line[:1].isspace():
            continue  # lspci -v/-k detail lines
        m = _LINE_RE.match(line)
        if m is None:
            skipped += 1
            continue
        if m["rest"].startswith('"'):
            device = _parse_mm(m)
            style = "lspci-mm"
        else:
            device = _parse_nn(m)
            style = "lspci-nn" if device.vendor_id else "lspci"
        if device is None:
            skipped += 1
            continue
        devices.append(device)
        styles.add(style)
    flush()
    if skipped:
        warnings.add(f"{skipped} lines are not lspci device lines")
    if "lspci" in styles:
        warnings.add("some lines carry no [vendor:device] ids: run lspci with -nn")
    source = "empty" if not styles else sorted(styles)[0] if len(styles) == 1 else "mixed"
    return devices, source


def _from_sysfs(entries: Sequence[object], warnings: Warnings) -> list[PciDevice]:
    devices: list[PciDevice] = []
    cap = ARTEFACT_ITEM_LIMITS["pci_devices"]
    bad = 0
    for entry in list(entries)[:cap]:
        if not isinstance(entry, Mapping):
            bad += 1
            continue
        slot = entry.get("slot")
        slot_m = _SLOT_RE.match(slot.strip()) if isinstance(slot, str) else None
        if slot_m is None:
            bad += 1
            continue
        klass = _hex(entry.get("class"), 6)
        vendor = _hex(entry.get("vendor"), 4)
        device = _hex(entry.get("device"), 4)
        svendor = _hex(entry.get("subsystem_vendor"), 4)
        sdevice = _hex(entry.get("subsystem_device"), 4)
        group = entry.get("iommu_group")
        devices.append(
            _device(
                _slot(slot_m),
                class_code=klass[:4] if klass else None,
                prog_if=klass[4:] if klass else None,
                vendor_id=vendor,
                device_id=device,
                revision=_hex(entry.get("revision"), 2),
                subsystem_id=f"{svendor}:{sdevice}" if svendor and sdevice else None,
                iommu_group=group
                if isinstance(group, int) and not isinstance(group, bool) and 0 <= group < 10**6
                else None,
            )
        )
    if len(entries) > cap:
        warnings.add(f"more than {cap} PCI functions; the rest ignored")
    if bad:
        warnings.add(f"{bad} sysfs PCI entries are not {{slot, class, vendor, device}} objects")
    return devices


def parse_lspci(data: str | bytes | Sequence[Mapping[str, Any]] | object) -> PciDevices:
    """Parse lspci text output or the agent's sysfs list; never raises."""
    warnings = Warnings()
    if isinstance(data, list | tuple):
        devices = _from_sysfs(data, warnings)
        source = "sysfs" if devices else "empty"
    else:
        text, _ = decode_input(data, ARTEFACT_LIMITS["lspci"], warnings)
        devices, source = _from_text(text, warnings)
    devices.sort(key=lambda d: d.slot)
    return PciDevices(devices=tuple(devices), source=source, warnings=warnings.freeze())

"""Per-device passthrough readiness: IOMMU groups, group mates, bridges, reset methods.

VFIO assigns IOMMU groups, not devices: every endpoint in a group must go to the same guest
(bridges in the group may stay with the host). So a device is ``ready`` alone in its group,
must be passed ``with its group`` when it shares one with its own other functions or other
spare devices, and cannot be passed without ACS (or another slot) when its group holds a
device the host needs (storage, the LPC/ISA bridge, SMBus). A device the kernel can reset
(``/sys/bus/pci/devices/*/reset_method``: flr, pm, bus…) is handed back clean between guests.

Sources: torvalds/linux Documentation/driver-api/vfio.rst (groups are the unit of
ownership; "viable" groups), Documentation/ABI/testing/sysfs-bus-pci (reset_method),
drivers/pci/quirks.c (ACS quirks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from virtcompat.probe.artefacts import Observations
from virtcompat.probe.lspci import PciDevice
from virtcompat.rules.registry import Applies, Rule, Severity, register

__all__ = ["PT_DEVICE", "DeviceReadiness", "device_readiness"]

PT_DEVICE = register(
    Rule(
        id="HW-PT-DEVICE",
        title="A PCI device's passthrough readiness: its IOMMU group, group mates and reset",
        severity=Severity.WARNING,
        applies_to=Applies.HARDWARE,
        explanation="VFIO assigns whole IOMMU groups. A device alone in its group (bridges "
        "aside) is ready; functions of one card share a group and go together; a group that "
        "also holds a device the host needs (SATA/NVMe storage, the LPC bridge, SMBus) cannot "
        "be assigned without ACS isolation or moving the card to another slot. Without a "
        "reset method the device may keep state between guests.",
        sources=(
            "torvalds/linux Documentation/driver-api/vfio.rst",
            "torvalds/linux Documentation/ABI/testing/sysfs-bus-pci (reset_method)",
        ),
    )
)

# PCI class codes (base class + subclass) of bridges, and of devices the host keeps.
_BRIDGES = {"0600": "host bridge", "0601": "ISA/LPC bridge", "0604": "PCI bridge"}
_HOST_NEEDS = {
    "0100": "SCSI controller",
    "0101": "IDE controller",
    "0104": "RAID controller",
    "0106": "SATA controller",
    "0107": "SAS controller",
    "0108": "NVMe controller",
    "0601": "LPC/ISA bridge",
    "0c05": "SMBus controller",
    "0600": "host bridge",
}
_CLASS_WORDS = {"03": "GPU", "04": "audio", "02": "network", "0c03": "USB controller"}


@dataclass(frozen=True, slots=True)
class DeviceReadiness:
    address: str  # "0000:01:00.0"
    description: str | None
    class_code: str | None
    group: int | None
    group_mates: tuple[str, ...]  # other devices of the group, bridges included
    bridge: bool | None
    resettable: bool | None  # None: reset_method not read
    reset_method: str | None
    verdict: str  # ready | pass-group | needs-acs | bridge | no-group
    message: str
    rule: str = PT_DEVICE.id

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "description": self.description,
            "class_code": self.class_code,
            "group": self.group,
            "group_mates": list(self.group_mates),
            "bridge": self.bridge,
            "resettable": self.resettable,
            "reset_method": self.reset_method,
            "verdict": self.verdict,
            "message": self.message,
            "rule": self.rule,
        }


def _short(address: str) -> str:
    return address[5:] if len(address) == 12 and address[4] == ":" else address


def _word(d: PciDevice | None) -> str:
    if d is None or d.class_code is None:
        return "device"
    code = d.class_code.lower()
    return _CLASS_WORDS.get(code) or _CLASS_WORDS.get(code[:2]) or (d.class_name or "device")


def _label(address: str, d: PciDevice | None) -> str:
    return f"{_short(address)} {_word(d)}"


def _same_card(a: str, b: str) -> bool:
    """Functions of one device (01:00.0 and 01:00.1) differ only after the dot."""
    return a.rsplit(".", 1)[0] == b.rsplit(".", 1)[0]


def _groups(obs: Observations) -> dict[str, tuple[int, str | None]]:
    """address -> (group, reset_method) from the agent's per-device walk, else lspci/sysfs."""
    out: dict[str, tuple[int, str | None]] = {}
    for g in obs.checks.group_devices or ():
        out[g.address] = (g.group, g.reset_method)
    if not out and obs.pci is not None:
        for d in obs.pci.devices:
            if d.iommu_group is not None:
                out[d.slot] = (d.iommu_group, None)
    return out


def _verdict(
    address: str,
    d: PciDevice | None,
    mates: list[str],
    pci: dict[str, PciDevice],
) -> tuple[str, str]:
    me = _label(address, d)
    endpoints = [m for m in mates if not _is_bridge(pci.get(m))]
    if not endpoints:
        return "ready", f"{me}: alone in its IOMMU group, ready for passthrough."
    host = [m for m in endpoints if _host_need(pci.get(m))]
    if host:
        first = host[0]
        what = _host_need(pci.get(first)) or "device"
        return (
            "needs-acs",
            f"{me}: shares IOMMU group with the host's {what} ({_short(first)}): needs ACS "
            "isolation or another slot.",
        )
    listing = ", ".join(_label(m, pci.get(m)) for m in endpoints)
    scope = "its other functions" if all(_same_card(address, m) for m in endpoints) else "them"
    return (
        "pass-group",
        f"{me}: pass the whole group ({_short(address)} with {listing}); all of {scope} go "
        "to the same guest.",
    )


def _is_bridge(d: PciDevice | None) -> bool:
    return d is not None and d.class_code is not None and d.class_code.lower() in _BRIDGES


def _host_need(d: PciDevice | None) -> str | None:
    if d is None or d.class_code is None:
        return None
    return _HOST_NEEDS.get(d.class_code.lower())


def device_readiness(obs: Observations) -> list[DeviceReadiness]:
    """One entry per PCI function the probe placed in an IOMMU group (empty without groups)."""
    groups = _groups(obs)
    pci = {d.slot: d for d in (obs.pci.devices if obs.pci is not None else ())}
    members: dict[int, list[str]] = {}
    for address, (group, _) in groups.items():
        members.setdefault(group, []).append(address)
    out = []
    for address, (group, reset) in sorted(groups.items(), key=lambda kv: (kv[1][0], kv[0])):
        d = pci.get(address)
        mates = sorted(a for a in members[group] if a != address)
        bridge = _is_bridge(d) if d is not None and d.class_code is not None else None
        resettable = None if reset is None else bool(reset.strip())
        if bridge:
            kind = _BRIDGES.get((d.class_code or "").lower(), "bridge") if d else "bridge"
            verdict = "bridge"
            message = f"{_short(address)} is a {kind}: it stays with the host; it does not stop "
            message += "the endpoints of its group from being assigned."
        else:
            verdict, message = _verdict(address, d, mates, pci)
            if resettable is False:
                message += " It has no reset method: it may keep state between guests."
        out.append(
            DeviceReadiness(
                address=address,
                description=d.description if d else None,
                class_code=d.class_code if d else None,
                group=group,
                group_mates=tuple(_short(m) for m in mates),
                bridge=bridge,
                resettable=resettable,
                reset_method=reset,
                verdict=verdict,
                message=message,
            )
        )
    return out

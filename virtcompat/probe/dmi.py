"""DMI (SMBIOS) identity -> :class:`Dmi`.

Accepts the agent's mapping of ``/sys/class/dmi/id`` file names to contents, a text dump in
``key: value`` / ``grep . /sys/class/dmi/id/*`` form, ``dmidecode -s`` keywords, or plain
``dmidecode`` output (System / Base Board / BIOS / Chassis sections). Serial numbers, UUIDs
and asset tags are never kept (see :mod:`virtcompat.probe.redact`): only the names of the
identity keys that were present.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from virtcompat.probe._common import Warnings, clip, decode_input, fields_as_dict, iter_lines
from virtcompat.probe.limits import ARTEFACT_ITEM_LIMITS, ARTEFACT_LIMITS
from virtcompat.probe.redact import DMI_IDENTITY_KEYS

__all__ = ["DMI_FIELDS", "Dmi", "cpuid_from_signature", "parse_dmi", "virtual_platform"]

#: The fields kept, named as the files in /sys/class/dmi/id (drivers/firmware/dmi-id.c).
DMI_FIELDS: tuple[str, ...] = (
    "sys_vendor",
    "product_name",
    "product_version",
    "product_family",
    "product_sku",
    "board_vendor",
    "board_name",
    "board_version",
    "bios_vendor",
    "bios_version",
    "bios_date",
    "bios_release",
    "chassis_vendor",
    "chassis_type",
    # Not in /sys/class/dmi/id: from dmidecode's "Processor Information" (SMBIOS type 4).
    "processor_version",
    "processor_signature",
)

_ALIASES: dict[str, str] = {
    # dmidecode -s keywords
    "system-manufacturer": "sys_vendor",
    "system-product-name": "product_name",
    "system-version": "product_version",
    "system-family": "product_family",
    "system-sku-number": "product_sku",
    "baseboard-manufacturer": "board_vendor",
    "baseboard-product-name": "board_name",
    "baseboard-version": "board_version",
    "bios-vendor": "bios_vendor",
    "bios-version": "bios_version",
    "bios-release-date": "bios_date",
    "bios-revision": "bios_release",
    "chassis-manufacturer": "chassis_vendor",
    "chassis-type": "chassis_type",
    "system-serial-number": "product_serial",
    "system-uuid": "product_uuid",
    "baseboard-serial-number": "board_serial",
    "baseboard-asset-tag": "board_asset_tag",
    "chassis-serial-number": "chassis_serial",
    "chassis-asset-tag": "chassis_asset_tag",
}

# dmidecode section title -> {field label -> our key}
_DMIDECODE_SECTIONS: dict[str, dict[str, str]] = {
    "System Information": {
        "Manufacturer": "sys_vendor",
        "Product Name": "product_name",
        "Version": "product_version",
        "Family": "product_family",
        "SKU Number": "product_sku",
        "Serial Number": "product_serial",
        "UUID": "product_uuid",
    },
    "Base Board Information": {
        "Manufacturer": "board_vendor",
        "Product Name": "board_name",
        "Version": "board_version",
        "Serial Number": "board_serial",
        "Asset Tag": "board_asset_tag",
    },
    "BIOS Information": {
        "Vendor": "bios_vendor",
        "Version": "bios_version",
        "Release Date": "bios_date",
        "BIOS Revision": "bios_release",
    },
    "Processor Information": {
        "Version": "processor_version",
        "Signature": "processor_signature",
    },
    "Chassis Information": {
        "Manufacturer": "chassis_vendor",
        "Type": "chassis_type",
        "Serial Number": "chassis_serial",
        "Asset Tag": "chassis_asset_tag",
    },
}

# SMBIOS 3.x, 7.4.1 "System Enclosure or Chassis Types" (/sys/class/dmi/id/chassis_type holds
# the number).
_CHASSIS_TYPES: dict[int, str] = {
    1: "Other", 2: "Unknown", 3: "Desktop", 4: "Low Profile Desktop", 5: "Pizza Box",
    6: "Mini Tower", 7: "Tower", 8: "Portable", 9: "Laptop", 10: "Notebook",
    11: "Hand Held", 12: "Docking Station", 13: "All in One", 14: "Sub Notebook",
    15: "Space-saving", 16: "Lunch Box", 17: "Main Server Chassis", 18: "Expansion Chassis",
    19: "SubChassis", 20: "Bus Expansion Chassis", 21: "Peripheral Chassis",
    22: "RAID Chassis", 23: "Rack Mount Chassis", 24: "Sealed-case PC",
    25: "Multi-system chassis", 26: "Compact PCI", 27: "Advanced TCA", 28: "Blade",
    29: "Blade Enclosure", 30: "Tablet", 31: "Convertible", 32: "Detachable",
    33: "IoT Gateway", 34: "Embedded PC", 35: "Mini PC", 36: "Stick PC",
}  # fmt: skip

# Values firmware vendors leave in unfilled SMBIOS strings; kept, but flagged so that board
# matching does not treat "System Product Name" as a model.
_PLACEHOLDERS = frozenset(
    v.casefold()
    for v in (
        "To be filled by O.E.M.", "To Be Filled By O.E.M.", "Default string", "System Product Name",
        "System manufacturer", "System Version", "Not Applicable", "Not Specified", "None",
        "OEM", "O.E.M.", "Type1ProductConfigId", "Type2 - Board Product Name1", "x.x",
        "Base Board Product Name", "Base Board Version", "Board Product Name", "0123456789",
        "Unknown", "N/A", "Default", "INVALID",
    )
)  # fmt: skip

# (regex over the joined vendor/product/BIOS strings, platform name). Sources: the DMI tables
# of systemd src/basic/virt.c and virt-what, and the corpus (VirtualBox guest log).
_VIRTUAL_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (r"\bVirtualBox\b|\binnotek GmbH\b", "VirtualBox"),
        (r"\bVMware\b|\bVMW\b", "VMware"),
        (r"\bMicrosoft Corporation Virtual Machine\b|\bHyper-V\b", "Hyper-V"),
        (r"\bStandard PC \((?:i440FX|Q35)\b|\bQEMU\b", "QEMU"),
        (r"\bKVM\b", "KVM"),
        (r"\bBochs\b", "Bochs"),
        (r"\bHVM domU\b|\bXen\b", "Xen"),
        (r"\bAmazon EC2\b", "Amazon EC2"),
        (r"\bGoogle Compute Engine\b", "Google Compute Engine"),
        (r"\bParallels\b", "Parallels"),
        (r"\bBHYVE\b", "bhyve"),
        (r"\bOpenStack\b", "OpenStack"),
        (r"\bCloud Hypervisor\b", "Cloud Hypervisor"),
        (r"\bFirecracker\b", "Firecracker"),
        (r"\bApple Virtualization\b", "Apple Virtualization"),
    )
)


def virtual_platform(text: str) -> str | None:
    """The virtual platform named by a DMI string (``"innotek GmbH VirtualBox/..."``), if any.

    EC2 ``*.metal`` instances carry "Amazon EC2" in DMI but are bare metal.
    """
    text = text[:1024]
    if ".metal" in text:
        return None
    for pattern, name in _VIRTUAL_MARKERS:
        if pattern.search(text):
            return name
    return None


_SIGNATURE_RE = re.compile(
    r"Family (?P<family>\d{1,3}), Model (?P<model>\d{1,3}), Stepping (?P<stepping>\d{1,3})"
)


def cpuid_from_signature(signature: str | None) -> tuple[int, int, int] | None:
    """(family, model, stepping) from dmidecode's decimal "Signature:" line, if it has one."""
    m = _SIGNATURE_RE.search(signature or "")
    if m is None:
        return None
    return int(m["family"]), int(m["model"]), int(m["stepping"])


@dataclass(frozen=True, slots=True)
class Dmi:
    sys_vendor: str | None
    product_name: str | None
    product_version: str | None
    product_family: str | None
    product_sku: str | None
    board_vendor: str | None
    board_name: str | None
    board_version: str | None
    bios_vendor: str | None
    bios_version: str | None
    bios_date: str | None
    bios_release: str | None
    chassis_vendor: str | None
    #: as given: the SMBIOS number from sysfs ("10") or dmidecode's name ("Notebook")
    chassis_type: str | None
    #: SMBIOS name for a numeric chassis_type
    chassis_type_name: str | None
    #: SMBIOS type 4: "Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz" and
    #: "Type 0, Family 6, Model 23, Stepping 10" (first processor only)
    processor_version: str | None
    processor_signature: str | None
    #: fields whose value is a vendor placeholder ("To be filled by O.E.M.")
    placeholders: frozenset[str]
    #: the virtual platform the strings name (VirtualBox, QEMU, VMware...) or None
    virtual_platform: str | None
    #: identity keys (serial, uuid, asset tag) that were present and dropped
    identity_keys_seen: tuple[str, ...]
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return fields_as_dict(self)


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = "".join(ch for ch in value[:512] if ch.isprintable()).strip()
    return clip(value, 256) or None


def _from_text(text: str, warnings: Warnings) -> dict[str, str]:
    values: dict[str, str] = {}
    section: dict[str, str] | None = None
    for _, line in iter_lines(text, 1024, warnings):
        stripped = line.strip()
        if not stripped:
            continue
        indented = line[:1].isspace()
        if not indented:
            # A top-level line starts a dmidecode section (or ends one).
            section = _DMIDECODE_SECTIONS.get(stripped)
            if section is not None:
                continue
        key, sep, value = stripped.partition(":")
        if not sep:
            continue
        key = key.strip()
        if indented:
            # Indented lines belong to a dmidecode section; other sections (Processor,
            # Memory Device...) reuse labels like "Version" and are skipped.
            name = section.get(key) if section is not None else None
        else:
            # "/sys/class/dmi/id/board_name:X" (grep . /sys/class/dmi/id/*) or "board_name: X"
            key = key.rsplit("/", 1)[-1]
            name = _ALIASES.get(key, key)
        if name and name not in values and len(values) < ARTEFACT_ITEM_LIMITS["dmi"]:
            values[name] = value.strip()
    if not values and text.strip():
        warnings.add("no DMI fields recognised in the text")
    return values


def parse_dmi(data: Mapping[str, Any] | str | bytes | object) -> Dmi:
    """Parse DMI identity from a mapping or text; never raises."""
    warnings = Warnings()
    values: dict[str, Any] = {}
    if isinstance(data, Mapping):
        for key, value in list(data.items())[: ARTEFACT_ITEM_LIMITS["dmi"]]:
            if not isinstance(key, str):
                warnings.add("non-string DMI key ignored")
                continue
            name = _ALIASES.get(key, key)
            if value is not None and not isinstance(value, str):
                warnings.add(f"DMI field {name[:64]!r} is not a string; ignored")
                continue
            values[name] = value
    else:
        text, _ = decode_input(data, ARTEFACT_LIMITS["dmi"], warnings)
        values = dict(_from_text(text, warnings))

    identity = tuple(k for k in DMI_IDENTITY_KEYS if k in values)
    fields = {name: _clean(values.get(name)) for name in DMI_FIELDS}
    unknown = [k for k in values if k not in DMI_FIELDS and k not in DMI_IDENTITY_KEYS]
    if unknown:
        shown = ", ".join(sorted(k[:32] for k in unknown)[:8])
        warnings.add(f"unknown DMI fields ignored: {shown}")

    chassis = fields["chassis_type"]
    chassis_name = None
    if chassis is not None and chassis.isascii() and chassis.isdigit() and len(chassis) <= 3:
        chassis_name = _CHASSIS_TYPES.get(int(chassis))
    placeholders = frozenset(
        name for name, value in fields.items() if value and value.casefold() in _PLACEHOLDERS
    )
    joined = " / ".join(
        fields[n] or ""
        for n in ("sys_vendor", "product_name", "product_version", "board_vendor", "bios_vendor")
    )
    return Dmi(
        sys_vendor=fields["sys_vendor"],
        product_name=fields["product_name"],
        product_version=fields["product_version"],
        product_family=fields["product_family"],
        product_sku=fields["product_sku"],
        board_vendor=fields["board_vendor"],
        board_name=fields["board_name"],
        board_version=fields["board_version"],
        bios_vendor=fields["bios_vendor"],
        bios_version=fields["bios_version"],
        bios_date=fields["bios_date"],
        bios_release=fields["bios_release"],
        chassis_vendor=fields["chassis_vendor"],
        chassis_type=chassis,
        chassis_type_name=chassis_name,
        processor_version=fields["processor_version"],
        processor_signature=fields["processor_signature"],
        placeholders=placeholders,
        virtual_platform=virtual_platform(joined),
        identity_keys_seen=identity,
        warnings=warnings.freeze(),
    )

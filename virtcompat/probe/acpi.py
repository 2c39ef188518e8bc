"""ACPI table names (``/sys/firmware/acpi/tables``) -> :class:`AcpiTables`.

A signature is always 4 characters (ACPI spec 5.2.6); sysfs appends an instance number when a
table occurs more than once (``SSDT1`` .. ``SSDT17``, ``DMAR1``), so the signature is the first
four characters and the rest is the instance. Stripping "trailing digits" instead would turn
``TPM2`` into ``TPM``. libvirt's virt-host-validate keys VT-d on ``DMAR``, AMD-Vi on ``IVRS``
and the ARM SMMU on ``IORT`` in the same directory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from virtcompat.probe._common import Warnings, decode_input, fields_as_dict
from virtcompat.probe.limits import ARTEFACT_ITEM_LIMITS, ARTEFACT_LIMITS

__all__ = ["AcpiTables", "parse_acpi_tables"]

_NAME_RE = re.compile(r"^(?P<sig>[A-Za-z0-9_!$]{4})(?P<instance>\d{0,4})$")
# Subdirectories of /sys/firmware/acpi/tables, not tables.
_DIRECTORIES = frozenset({"data", "dynamic"})


@dataclass(frozen=True, slots=True)
class AcpiTables:
    #: names as given (deduplicated, in order): "DMAR", "SSDT3"
    names: tuple[str, ...]
    #: the 4-character signatures: "DMAR", "SSDT"
    signatures: frozenset[str]
    warnings: tuple[str, ...]

    @property
    def has_dmar(self) -> bool:
        return "DMAR" in self.signatures

    @property
    def has_ivrs(self) -> bool:
        return "IVRS" in self.signatures

    @property
    def has_iort(self) -> bool:
        return "IORT" in self.signatures

    def has(self, signature: str) -> bool:
        return signature.upper() in self.signatures

    def as_dict(self) -> dict[str, Any]:
        data = fields_as_dict(self)
        data.update(has_dmar=self.has_dmar, has_ivrs=self.has_ivrs, has_iort=self.has_iort)
        return data


def parse_acpi_tables(data: Sequence[object] | str | bytes | object) -> AcpiTables:
    """Parse a list of table names, or text with names separated by blanks/commas."""
    warnings = Warnings()
    items: list[object]
    if isinstance(data, list | tuple):
        items = list(data)
    else:
        text, _ = decode_input(data, ARTEFACT_LIMITS["acpi_tables"], warnings)
        items = list(text.replace(",", " ").split())
    cap = ARTEFACT_ITEM_LIMITS["acpi_tables"]
    if len(items) > cap:
        warnings.add(f"{len(items)} names; only the first {cap} read")
        items = items[:cap]
    names: list[str] = []
    bad = 0
    for item in items:
        if not isinstance(item, str):
            bad += 1
            continue
        name = item.strip().rsplit("/", 1)[-1]
        if name in _DIRECTORIES:
            continue
        if _NAME_RE.match(name) is None:
            bad += 1
            continue
        if name not in names:
            names.append(name)
    if bad:
        warnings.add(f"{bad} entries are not ACPI table names")
    return AcpiTables(
        names=tuple(names),
        signatures=frozenset(n[:4].upper() for n in names),
        warnings=warnings.freeze(),
    )

"""Probe artefact parsers and redaction (no Flask, standard library only).

Each ``parse_*`` function accepts anything (``str``, ``bytes`` or worse), never raises, caps
its input (:data:`ARTEFACT_LIMITS`) and returns a frozen dataclass with a ``warnings`` tuple
and an ``as_dict()`` JSON view. :func:`parse_artefacts` runs them all over a probe body's
``artefacts``; :func:`scrub_artefacts` removes host identifiers before anything is stored.
"""

from virtcompat.probe.acpi import AcpiTables, parse_acpi_tables
from virtcompat.probe.artefacts import ARTEFACT_FIELDS, Observations, parse_artefacts
from virtcompat.probe.cmdline import Cmdline, parse_cmdline
from virtcompat.probe.cpuinfo import Arch, CpuBlock, CpuInfo, parse_cpuinfo
from virtcompat.probe.dmi import Dmi, parse_dmi
from virtcompat.probe.kernlog import (
    EVENT_CODES,
    EVENT_SPECS,
    EventSpec,
    KernelLog,
    LogEvent,
    parse_kernel_log,
)
from virtcompat.probe.limits import ARTEFACT_ITEM_LIMITS, ARTEFACT_LIMITS
from virtcompat.probe.lspci import PciDevice, PciDevices, SysfsPciDevice, parse_lspci
from virtcompat.probe.redact import RedactionReport, scrub_artefacts, scrub_text
from virtcompat.probe.xlinfo import XlInfo, parse_xl_info

__all__ = [
    "ARTEFACT_FIELDS",
    "ARTEFACT_ITEM_LIMITS",
    "ARTEFACT_LIMITS",
    "EVENT_CODES",
    "EVENT_SPECS",
    "AcpiTables",
    "Arch",
    "Cmdline",
    "CpuBlock",
    "CpuInfo",
    "Dmi",
    "EventSpec",
    "KernelLog",
    "LogEvent",
    "Observations",
    "PciDevice",
    "PciDevices",
    "RedactionReport",
    "SysfsPciDevice",
    "XlInfo",
    "parse_acpi_tables",
    "parse_artefacts",
    "parse_cmdline",
    "parse_cpuinfo",
    "parse_dmi",
    "parse_kernel_log",
    "parse_lspci",
    "parse_xl_info",
    "scrub_artefacts",
    "scrub_text",
]

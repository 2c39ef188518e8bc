"""``xl info`` (or ``xm info``) output -> :class:`XlInfo`.

Which ``virt_caps`` tokens exist depends on the Xen release (XEN-CONFIG.md §4, from xl_info.c
and xm's xc.c): xm 3.4 and xl 4.1-4.11 print only ``hvm`` and ``hvm_directio``; 4.12 adds
``pv`` and ``pv_directio``; 4.13 adds ``hap``, ``shadow`` and ``iommu_hap_pt_share``. So a
missing ``hap`` means "no HAP" only when the line has the 4.13 vocabulary, else "unknown".
``hvm`` needs VT-x/AMD-V enabled (Xen also lists ``hvm-3.0-*`` in ``xen_caps``);
``hvm_directio``/``pv_directio`` need an IOMMU (xen commit f089fddd941).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from virtcompat.probe._common import (
    Warnings,
    clip,
    decode_input,
    fields_as_dict,
    iter_lines,
    parse_version,
)
from virtcompat.probe.limits import ARTEFACT_LIMITS
from virtcompat.probe.redact import scrub_text

__all__ = ["XlInfo", "parse_xl_info"]

_KEY_RE = re.compile(r"^(?P<key>[a-z][a-z0-9_]{0,40})\s*:\s?(?P<value>.*)$")
_MAX_TOKENS = 64


@dataclass(frozen=True, slots=True)
class XlInfo:
    #: "4.17.3" (xen_version, else xen_major.xen_minor + xen_extra)
    xen_version: str | None
    xen_version_tuple: tuple[int, int, int] | None
    xen_caps: tuple[str, ...]
    #: None when the line is absent (very old Xen), empty when present but empty
    virt_caps: tuple[str, ...] | None
    #: dom0 kernel release
    release: str | None
    #: host name (the agent and the server send it only as a placeholder)
    host: str | None
    nr_cpus: int | None
    machine: str | None
    xen_commandline: str | None
    #: HVM guests possible (virt_caps "hvm", or hvm-* in xen_caps); None if neither line
    hvm: bool | None
    #: device passthrough possible (hvm_directio or pv_directio); None without virt_caps
    directio: bool | None
    #: hardware assisted paging; None when virt_caps predates the "hap" token (Xen < 4.13)
    hap: bool | None
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return fields_as_dict(self)


def _tokens(value: str | None) -> tuple[str, ...]:
    return tuple(t[:64] for t in (value or "").split()[:_MAX_TOKENS])


def parse_xl_info(data: str | bytes | object, *, salt: str | None = None) -> XlInfo:
    """Parse ``xl info`` text; never raises."""
    warnings = Warnings()
    text, _ = decode_input(data, ARTEFACT_LIMITS["xl_info"], warnings)
    values: dict[str, str] = {}
    odd = 0
    for _, line in iter_lines(text, 2048, warnings):
        if not line.strip():
            continue
        m = _KEY_RE.match(line)
        if m is None:
            odd += 1
            continue
        if m["key"] not in values and len(values) < 128:
            values[m["key"]] = m["value"].strip()
    if odd:
        warnings.add(f"{odd} lines are not 'key : value' pairs (xl error output?)")
    if not values:
        warnings.add("no xl info fields found")

    version = values.get("xen_version")
    if not version and values.get("xen_major") and values.get("xen_minor"):
        version = f"{values['xen_major']}.{values['xen_minor']}{values.get('xen_extra', '')}"
    version = clip(version, 64) if version else None
    xen_caps = _tokens(values.get("xen_caps"))
    virt_caps = _tokens(values["virt_caps"]) if "virt_caps" in values else None

    hvm: bool | None = None
    if virt_caps is not None and "hvm" in virt_caps:
        hvm = True
    elif xen_caps:
        hvm = any(cap.startswith("hvm-") for cap in xen_caps)
    elif virt_caps is not None:
        hvm = False
    directio = None
    hap = None
    if virt_caps is not None:
        directio = "hvm_directio" in virt_caps or "pv_directio" in virt_caps
        if "hap" in virt_caps:
            hap = True
        elif "shadow" in virt_caps:
            hap = False  # 4.13+ vocabulary without "hap": no HAP
    nr_cpus = values.get("nr_cpus", "")
    commandline = values.get("xen_commandline")
    host = values.get("host")
    return XlInfo(
        xen_version=version,
        xen_version_tuple=parse_version(version),
        xen_caps=xen_caps,
        virt_caps=virt_caps,
        release=clip(values["release"], 128) if values.get("release") else None,
        host=clip(host, 253) if host else None,
        nr_cpus=int(nr_cpus)
        if nr_cpus.isascii() and nr_cpus.isdigit() and len(nr_cpus) < 7
        else None,
        machine=clip(values["machine"], 64) if values.get("machine") else None,
        xen_commandline=clip(scrub_text(commandline, salt)[0], 2048) if commandline else None,
        hvm=hvm,
        directio=directio,
        hap=hap,
        warnings=warnings.freeze(),
    )

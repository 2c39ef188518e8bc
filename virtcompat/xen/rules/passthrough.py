"""XEN-PCI-*: PCI passthrough syntax, options and the host IOMMU it needs."""

from __future__ import annotations

import re

from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import (
    INFO,
    E,
    W,
    _gfx_passthru_on,
    _guest_label,
    _is_hvm_like,
    _spec_fields,
    config_rule,
    require_host,
)
from virtcompat.xen.syntax import Scalar

PCI_HVM_IOMMU = config_rule(
    "XEN-PCI-001",
    "HVM passthrough needs an IOMMU",
    E,
    "Assigning a PCI device (or the graphics card, gfx_passthru) to an HVM guest needs VT-d "
    "or AMD-Vi ('hvm_directio' in virt_caps). xm: 'failed to assign device: maybe the "
    "platform doesn't support VT-d, or VT-d isn't enabled properly?'. Xen 3.4 leaves the "
    "IOMMU off unless booted with iommu=1; from 4.0 it is on by default.",
    "§4",
    "LC",
    "XD34",
)


PCI_PV_IOMMU = config_rule(
    "XEN-PCI-002",
    "PV passthrough without an IOMMU",
    E,
    "xl >= 4.13 refuses passthrough to any guest type without an IOMMU ('passthrough not "
    "supported on this platform'). Before, and with xm, PV passthrough worked through "
    "pciback alone, which lets the guest DMA anywhere: a warning.",
    "LC",
    "LPCI",
    "XD34",
)


PCI_BDF = config_rule(
    "XEN-PCI-003",
    "PCI device specification syntax",
    E,
    "xm: [DDDD:]BB:SS.F[@VSLOT][,msitranslate=0|1][,power_mgmt=0|1] in hex, other options "
    "'Invalid pci option'. xl (xl-pci-configuration): [DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...], "
    "F may be *, keys bdf, vslot, permissive, msitranslate, seize, power_mgmt, rdm_policy, "
    "name. Device numbers go to 0x1f, functions to 7.",
    "C34",
    "XLPCI",
)


PCI_PASSTHROUGH_MODE = config_rule(
    "XEN-PCI-004",
    "passthrough= mode",
    E,
    "passthrough is disabled, enabled, sync_pt, share_pt or default (4.13). 'disabled' with "
    "pci or dtdev devices fails ('passthrough disabled but devices are specified'); share_pt "
    "is HVM/PVH only and needs iommu_hap_pt_share.",
    "LC",
    "XLCFG",
)


PCI_POD = config_rule(
    "XEN-PCI-005",
    "Passthrough with PoD (memory < maxmem)",
    E,
    "libxl: 'IOMMU required for device passthrough but not supported together with PoD' "
    "for HVM/PVH guests with memory < maxmem.",
    "LC",
)


PCI_TRUSTED = config_rule(
    "XEN-PCI-006",
    "Options for trusted guests only",
    W,
    "permissive/pci_permissive, seize, iomem, ioports and irqs give the guest raw hardware "
    "access; xl.cfg and xl-pci-configuration reserve them for trusted VMs.",
    "XLPCI",
    "XLCFG",
)


PCI_DEFAULTS = config_rule(
    "XEN-PCI-007",
    "Passthrough defaults differ between xm and xl",
    INFO,
    "pci_msitranslate defaults to 1 in xm and 0 in xl; xl sets e820_host=1 for a PV guest "
    "with PCI devices.",
    "C34",
    "XLPCI",
    "XP",
)


PCI_HVM_ONLY = config_rule(
    "XEN-PCI-008",
    "PCI options for HVM only",
    E,
    "power_mgmt/pci_power_mgmt, rdm and rdm_policy only exist for HVM (x86) guests.",
    "XLCFG",
    "XLPCI",
)


_XM_BDF = re.compile(
    r"(?:([0-9a-fA-F]{1,4})[:,])?([0-9a-fA-F]{1,2})[:,]([0-9a-fA-F]{1,2})[.,]([0-7])"
    r"(?:@([0-9a-fA-F]{1,2}))?"
)


_XL_BDF = re.compile(
    r"(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7*])"
    r"(?:@([0-9a-fA-F]{1,2}))?"
)


_XM_PCI_OPTS = frozenset({"msitranslate", "power_mgmt"})


_XL_PCI_KEYS = frozenset(
    {"bdf", "vslot", "permissive", "msitranslate", "seize", "power_mgmt", "rdm_policy", "name"}
)


# Every key check_pci reads (gfx_passthru only matters without devices; pci_msitranslate
# and e820_host only with them).
_PCI_KEYS = frozenset(
    {
        "pci", "dtdev", "passthrough", "pci_permissive", "pci_seize", "iomem", "ioports",
        "irqs", "irq", "pci_power_mgmt", "rdm", "gfx_passthru",
    }
)  # fmt: skip


def _pci_devices(ctx: Ctx) -> list[Scalar]:
    return [d for d in ctx.strings("pci") if d.text.strip()] if ctx.has("pci") else []


def _parse_pci(ctx: Ctx, item: Scalar) -> tuple[str | None, dict[str, str | None]]:
    """(problem, options) for one pci entry."""
    text = item.text.strip()
    regex = _XM_BDF if ctx.xm else _XL_BDF
    fields: dict[str, str | None] = {}
    m = regex.match(text)
    rest = text
    if m is not None:
        rest = text[m.end() :]
        if rest and not rest.startswith(","):
            return f"unexpected {rest[:20]!r} after the device address", fields
        rest = rest[1:]
        if int(m.group(3), 16) > 0x1F:
            return f"device number {m.group(3)} is above 0x1f", fields
        if m.group(5) is not None and int(m.group(5), 16) > 0x1F:
            return f"virtual slot {m.group(5)} is above 0x1f", fields
    for k, v in _spec_fields(rest):
        fields[k] = v
    if m is None:
        bdf = fields.get("bdf")
        if ctx.xm or (bdf is None and "name" not in fields):
            form = "[DDDD:]BB:SS.F" if ctx.xm else "[DDDD:]BB:DD.F"
            return f"not a PCI address ({form}, hex)", fields
        if bdf is not None and not _XL_BDF.fullmatch(bdf):
            return f"bdf={bdf!r} is not a PCI address", fields
    allowed = _XM_PCI_OPTS if ctx.xm else _XL_PCI_KEYS
    for k, v in fields.items():
        if k not in allowed:
            return f"Invalid pci option: {k}", fields
        if v is None:
            return f"pci option {k} needs a value", fields
        if ctx.xm and v not in ("0", "1"):
            return f"pci option {k}={v}: must be 0 or 1", fields
    return None, fields


def check_pci(ctx: Ctx) -> None:  # noqa: C901 - one rule family, read top to bottom
    """XEN-PCI-003..008 (config side) and XEN-PCI-001/002 (host side) for passthrough."""
    if ctx.settings.keys().isdisjoint(_PCI_KEYS):
        return  # every finding below needs one of these keys set
    devices = _pci_devices(ctx)
    per_device: list[tuple[Scalar, dict[str, str | None]]] = []
    for item in devices:
        problem, fields = _parse_pci(ctx, item)
        per_device.append((item, fields))
        if problem:
            ctx.add(PCI_BDF, f"pci {item.text.strip()!r}: {problem}", key="pci", at=item)
    dtdevs = ctx.strings("dtdev") if ctx.xl else []
    if ctx.xl:
        mode = ctx.str_of("passthrough")
        if mode is not None:
            allowed = ("disabled", "enabled", "sync_pt", "share_pt", "default")
            if mode not in allowed:
                ctx.add(
                    PCI_PASSTHROUGH_MODE,
                    f"passthrough = {mode!r}: one of " + ", ".join(allowed),
                    key="passthrough",
                )
            elif mode == "disabled" and (devices or dtdevs):
                ctx.add(
                    PCI_PASSTHROUGH_MODE,
                    "passthrough disabled but devices are specified",
                    key="passthrough",
                )
            elif mode == "share_pt" and ctx.guest == "pv":
                ctx.add(
                    PCI_PASSTHROUGH_MODE,
                    "passthrough = 'share_pt' is for HVM/PVH guests only",
                    key="passthrough",
                )
        # XEN-PCI-005 (PoD with passthrough) runs on the DomainSpec: domain/rules/memory.py.
    # XEN-PCI-006: raw hardware access for trusted guests only.
    for key in ("pci_permissive", "pci_seize"):
        if ctx.truthy(key):
            ctx.add(PCI_TRUSTED, f"{key} = 1: only for trusted guests", key=key)
    for key in ("iomem", "ioports", "irqs", "irq"):
        if ctx.form(key) is not None and ctx.strings(key):
            ctx.add(
                PCI_TRUSTED, f"{key} passes raw hardware resources: trusted guests only", key=key
            )
    for item, fields in per_device:
        for k in ("permissive", "seize"):
            if fields.get(k) not in (None, "0"):
                ctx.add(PCI_TRUSTED, f"pci {k}=1: only for trusted guests", key="pci", at=item)
    # XEN-PCI-008: HVM-only PCI options.
    if ctx.guest in ("pv", "pvh"):
        label = _guest_label(ctx.guest)
        if ctx.truthy("pci_power_mgmt"):
            ctx.add(
                PCI_HVM_ONLY, f"pci_power_mgmt is HVM-only (guest is {label})", key="pci_power_mgmt"
            )
        if ctx.xl and ctx.has("rdm"):
            ctx.add(PCI_HVM_ONLY, f"rdm is HVM-only (guest is {label})", key="rdm")
        for item, fields in per_device:
            if fields.get("power_mgmt") not in (None, "0") or "rdm_policy" in fields:
                ctx.add(
                    PCI_HVM_ONLY,
                    f"power_mgmt/rdm_policy are HVM-only (guest is {label})",
                    key="pci",
                    at=item,
                )
    if not devices:
        if _gfx_passthru_on(ctx):
            passthrough_host(ctx, "gfx_passthru", "graphics passthrough (gfx_passthru)")
        return
    # XEN-PCI-007: defaults that changed between the toolstacks.
    if ctx.guest == "hvm" and not ctx.has("pci_msitranslate"):
        ctx.add(
            PCI_DEFAULTS,
            f"pci_msitranslate defaults to {'1' if ctx.xm else '0'} in {ctx.fmt} "
            f"({'0' if ctx.xm else '1'} in {'xl' if ctx.xm else 'xm'})",
            key="pci",
        )
    if ctx.xl and ctx.guest == "pv" and not ctx.has("e820_host"):
        ctx.add(PCI_DEFAULTS, "xl sets e820_host = 1 for a PV guest with PCI devices", key="pci")
    # XEN-PCI-001/002 for the devices themselves run on the DomainSpec
    # (domain/rules/passthrough.py), which calls passthrough_host() below.


def passthrough_host(ctx: Ctx, key: str, what: str) -> None:
    """XEN-PCI-001/002: the host IOMMU an xm/xl passthrough needs, by guest type and version."""
    old_xen = ctx.version is not None and ctx.version.before("4.0")
    iommu_hint = (
        "Xen 3.4 leaves the IOMMU off by default: boot Xen with iommu=1"
        if old_xen
        else "enable VT-d/AMD-Vi in the firmware"
    )
    if _is_hvm_like(ctx):
        ctx.requires.add("pci_passthrough")
        require_host(
            ctx,
            PCI_HVM_IOMMU,
            "pci_passthrough",
            f"{what} to an HVM guest",
            key=key,
            fix=iommu_hint,
        )
        if old_xen and ctx.host is None:
            ctx.add(PCI_HVM_IOMMU, f"{what}: {iommu_hint}", key=key, severity=INFO)
        return
    if ctx.guest != "pv":
        return
    strict = ctx.xl and ctx.at_least_or_head("4.13")
    if strict:
        ctx.requires.add("pci_passthrough")
        require_host(
            ctx,
            PCI_PV_IOMMU,
            "pci_passthrough",
            f"{what} (xl >= 4.13: 'passthrough not supported on this platform')",
            key=key,
            fix=iommu_hint,
        )
    else:
        require_host(
            ctx,
            PCI_PV_IOMMU,
            "pci_passthrough",
            f"{what} to a PV guest without an IOMMU is insecure (pciback only);",
            key=key,
            hard=False,
            fix=iommu_hint,
        )

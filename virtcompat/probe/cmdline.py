"""Kernel command line (``/proc/cmdline``) -> :class:`Cmdline`.

Tokenised like ``next_arg()`` in lib/cmdline.c (whitespace separates, double quotes protect
spaces) and matched like ``parameq()`` in kernel/params.c (``-`` and ``_`` are the same in a
parameter name, so ``kvm-intel.nested`` is ``kvm_intel.nested``). Everything after ``--`` is
for init and is kept apart.

Value sets (Documentation/admin-guide/kernel-parameters.txt and the parsers it names):
- ``intel_iommu=`` (``intel_iommu_setup()``): on, off, igfx_off, sp_off, sm_on, sm_off,
  tboot_noforce; ``forcedac`` and ``strict`` still accepted but deprecated.
- ``amd_iommu=`` (``parse_amd_iommu_options()``): fullflush (deprecated), off,
  force_isolation, force_enable, pgtbl_v1, pgtbl_v2, irtcachedis, nohugepages,
  v2_pgsizes_only. ``on`` is not one of them: mainline prints ``AMD-Vi: Unknown option -
  'on'`` (seen in the Proxmox corpus log); AMD-Vi is on by default when IVRS exists.
- ``iommu=`` (``iommu_setup()`` in arch/x86/kernel/pci-dma.c plus the GART options): ``pt``
  makes host-owned devices identity-mapped (no DMA isolation for them); a number only sets
  the legacy GART aperture size, so ``iommu=1`` enables nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from virtcompat.probe._common import Warnings, clip, decode_input, fields_as_dict
from virtcompat.probe.limits import ARTEFACT_LIMITS
from virtcompat.probe.redact import scrub_text_lines

__all__ = ["Cmdline", "parse_cmdline"]

_MAX_TOKENS = 512

INTEL_IOMMU_VALUES = frozenset(
    {"on", "off", "igfx_off", "sp_off", "sm_on", "sm_off", "tboot_noforce", "forcedac", "strict"}
)
_INTEL_DEPRECATED = {"forcedac": "iommu.forcedac=1", "strict": "iommu.strict=1"}
AMD_IOMMU_VALUES = frozenset(
    {
        "fullflush",
        "off",
        "force_isolation",
        "force_enable",
        "pgtbl_v1",
        "pgtbl_v2",
        "irtcachedis",
        "nohugepages",
        "v2_pgsizes_only",
    }
)
IOMMU_VALUES = frozenset(
    {
        "off", "on", "force", "noforce", "biomerge", "panic", "nopanic", "merge", "nomerge",
        "soft", "pt", "nopt", "forcesac", "allowdac", "nodac", "usedac", "calgary",
        "fullflush", "nofullflush", "noagp", "noaperture", "leak", "memaper",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cmdline:
    #: the whole line, redacted, at most 4 KiB
    raw: str
    #: kernel parameters as (normalised name, value or None for a bare flag), redacted
    params: tuple[tuple[str, str | None], ...]
    #: arguments after "--" (passed to init)
    init_args: tuple[str, ...]
    #: every intel_iommu= value, in order (comma lists split)
    intel_iommu: tuple[str, ...]
    #: the last of on/off; None when neither was given (the build default applies)
    intel_iommu_enabled: bool | None
    intel_iommu_igfx_off: bool
    amd_iommu: tuple[str, ...]
    amd_iommu_off: bool
    #: every iommu= value, in order
    iommu: tuple[str, ...]
    iommu_off: bool
    iommu_force: bool
    #: from iommu=pt / iommu=nopt / iommu.passthrough=; None when not set
    iommu_passthrough: bool | None
    iommu_strict: bool | None
    #: intremap= values (off, nosid, no_x2apic_optout, nopost)
    intremap: tuple[str, ...]
    kvm_intel_nested: bool | None
    kvm_amd_nested: bool | None
    #: kvm_intel.ept= / kvm_amd.npt=: False means KVM was told not to use SLAT
    kvm_intel_ept: bool | None
    kvm_amd_npt: bool | None
    #: pcie_acs_override= value: ACS is faked, IOMMU groups no longer prove isolation
    pcie_acs_override: str | None
    #: vfio-pci.ids= device ids bound to vfio at boot
    vfio_pci_ids: tuple[str, ...]
    #: parameters that point at Xen (xen_*, xen-pciback.*, console=hvc0, earlyprintk=xen)
    xen_hints: tuple[str, ...]
    #: "name=value" of values the kernel rejects or ignores (e.g. "amd_iommu=on")
    invalid_values: tuple[str, ...]
    warnings: tuple[str, ...]

    def get(self, name: str) -> str | None:
        """The last value of parameter ``name`` (``-``/``_`` insensitive); "" if bare."""
        name = _norm(name)
        found: str | None = None
        for key, value in self.params:
            if key == name:
                found = "" if value is None else value
        return found

    def has(self, name: str) -> bool:
        name = _norm(name)
        return any(key == name for key, _ in self.params)

    def as_dict(self) -> dict[str, Any]:
        return fields_as_dict(self)


def _norm(name: str) -> str:
    return name.replace("-", "_")


def _tokenize(line: str) -> list[str]:
    """Split like lib/cmdline.c next_arg(): quotes group, and are then dropped."""
    if '"' not in line:
        # No quotes: the loop below splits at every whitespace run, as str.split() does.
        return line.split()[:_MAX_TOKENS]
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
            continue
        if char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
                if len(tokens) >= _MAX_TOKENS:
                    return tokens
            continue
        current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def _bool(value: str | None) -> bool | None:
    """kstrtobool(): y/Y/1/on true, n/N/0/off false; a bare bool parameter means true."""
    if value is None or value == "":
        return True
    first = value[0].lower()
    if first in "y1":
        return True
    if first in "n0":
        return False
    if value.lower() == "on":
        return True
    if value.lower() == "off":
        return False
    return None


def parse_cmdline(data: str | bytes | object, *, salt: str | None = None) -> Cmdline:
    """Parse a kernel command line; never raises. Values are redacted with ``salt``."""
    warnings = Warnings()
    text, _ = decode_input(data, ARTEFACT_LIMITS["cmdline"], warnings)
    text, _ = scrub_text_lines(" ".join(text.split()), salt)  # scrub_text, candidates only

    tokens = _tokenize(text)
    if len(tokens) >= _MAX_TOKENS:
        warnings.add(f"more than {_MAX_TOKENS} arguments; the rest ignored")
    params: list[tuple[str, str | None]] = []
    init_args: list[str] = []
    for index, token in enumerate(tokens):
        if token == "--":
            init_args = [clip(t, 256) for t in tokens[index + 1 :]]
            break
        key, sep, raw_value = token.partition("=")
        params.append((_norm(key)[:128], clip(raw_value, 1024) if sep else None))

    intel: list[str] = []
    amd: list[str] = []
    iommu: list[str] = []
    intremap: list[str] = []
    vfio: list[str] = []
    xen: list[str] = []
    invalid: list[str] = []
    intel_enabled: bool | None = None
    passthrough: bool | None = None
    strict: bool | None = None
    nested_intel: bool | None = None
    nested_amd: bool | None = None
    ept: bool | None = None
    npt: bool | None = None
    acs: str | None = None

    def flag(name: str, value: str | None) -> bool | None:
        result = _bool(value)
        if result is None:
            invalid.append(f"{name}={value}")
            warnings.add(f"{name}={value}: not a boolean (y/n, 1/0, on/off); rejected")
        return result

    for name, value in params:
        values = [v for v in (value or "").split(",") if v]
        if name == "intel_iommu":
            for v in values:
                intel.append(v)
                if v == "on":
                    intel_enabled = True
                elif v == "off":
                    intel_enabled = False
                elif v not in INTEL_IOMMU_VALUES:
                    invalid.append(f"intel_iommu={v}")
                    warnings.add(f"intel_iommu={v}: not a value intel_iommu_setup() knows")
                if v in _INTEL_DEPRECATED:
                    warnings.add(
                        f"intel_iommu={v} is deprecated; the current spelling is "
                        f"{_INTEL_DEPRECATED[v]}"
                    )
        elif name == "amd_iommu":
            for v in values:
                amd.append(v)
                if v == "on":
                    invalid.append("amd_iommu=on")
                    warnings.add(
                        'amd_iommu=on is not a valid value: the driver prints "AMD-Vi: Unknown '
                        "option - 'on'\" and ignores it; AMD-Vi is enabled by default when the "
                        "firmware publishes an IVRS table (amd_iommu=off disables it)"
                    )
                elif v not in AMD_IOMMU_VALUES:
                    invalid.append(f"amd_iommu={v}")
                    warnings.add(f"amd_iommu={v}: not a value parse_amd_iommu_options() knows")
                elif v == "fullflush":
                    warnings.add("amd_iommu=fullflush is deprecated; use iommu.strict=1")
        elif name == "iommu":
            for v in values:
                iommu.append(v)
                base = v.split("=", 1)[0]
                if v == "pt":
                    passthrough = True
                    warnings.add(
                        "iommu=pt: devices the host keeps are identity-mapped, so the IOMMU "
                        "no longer isolates them (devices passed to guests are still "
                        "translated)"
                    )
                elif v == "nopt":
                    passthrough = False
                elif v.isdigit():
                    invalid.append(f"iommu={v}")
                    warnings.add(
                        f"iommu={v}: a number only sets the legacy GART aperture size; it "
                        "does not enable an IOMMU"
                    )
                elif base not in IOMMU_VALUES:
                    invalid.append(f"iommu={v}")
                    warnings.add(f"iommu={v}: not a value iommu_setup() knows")
        elif name == "iommu.passthrough":
            passthrough = flag(name, value)
            if passthrough:
                warnings.add("iommu.passthrough=1: host-owned devices are not isolated")
        elif name == "iommu.strict":
            strict = flag(name, value)
        elif name == "intremap":
            intremap.extend(values)
        elif name == "kvm_intel.nested":
            nested_intel = flag(name, value)
        elif name == "kvm_amd.nested":
            nested_amd = flag(name, value)
        elif name == "kvm_intel.ept":
            ept = flag(name, value)
        elif name == "kvm_amd.npt":
            npt = flag(name, value)
        elif name == "pcie_acs_override":
            acs = clip(value or "", 128)
            warnings.add(
                "pcie_acs_override: ACS is faked by an out-of-tree patch, so IOMMU groups no "
                "longer prove that devices are isolated"
            )
        elif name == "vfio_pci.ids":
            vfio.extend(v.lower() for v in values[:64])
        if (
            name.startswith(("xen_", "xen.", "xen-"))
            or name == "xen"
            or (name == "console" and value is not None and value.startswith("hvc"))
            or (name == "earlyprintk" and value == "xen")
        ):
            xen.append(clip(name if value is None else f"{name}={value}", 128))

    iommu_off = "off" in iommu
    return Cmdline(
        raw=clip(text, 4096),
        params=tuple(params),
        init_args=tuple(init_args),
        intel_iommu=tuple(intel),
        intel_iommu_enabled=intel_enabled,
        intel_iommu_igfx_off="igfx_off" in intel,
        amd_iommu=tuple(amd),
        amd_iommu_off="off" in amd or iommu_off,
        iommu=tuple(iommu),
        iommu_off=iommu_off,
        iommu_force="force" in iommu,
        iommu_passthrough=passthrough,
        iommu_strict=strict,
        intremap=tuple(intremap),
        kvm_intel_nested=nested_intel,
        kvm_amd_nested=nested_amd,
        kvm_intel_ept=ept,
        kvm_amd_npt=npt,
        pcie_acs_override=acs,
        vfio_pci_ids=tuple(vfio),
        xen_hints=tuple(xen[:32]),
        invalid_values=tuple(invalid[:32]),
        warnings=warnings.freeze(),
    )

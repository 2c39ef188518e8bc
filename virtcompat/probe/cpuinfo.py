"""``/proc/cpuinfo`` -> :class:`CpuInfo`.

What the flags mean comes from ``arch/x86/include/asm/cpufeatures.h`` (``vmx`` word 4 bit 5,
``svm`` word 6 bit 2, ``hypervisor`` word 4 bit 31, the synthetic ``ept``/``vpid``/
``flexpriority``/``tpr_shadow``/``vnmi`` word 8, AMD ``npt`` word 15) and, since v5.6,
``arch/x86/kernel/cpu/proc.c`` printing a separate ``vmx flags`` line (commit 14442a159cf4).

Two kernel-era facts shape how the result must be read (the engine does that, with
``kernel_version``): before v5.6 a BIOS that locks VT-x off leaves ``vmx`` visible; from v5.6
(commit ef4d3bf19855, ``feat_ctl.c``) the kernel clears it. A PV Xen dom0 never sees
``vmx``/``svm`` (Xen masks them for PV guests).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from virtcompat.probe._common import (
    MAX_LINE_CHARS,
    Warnings,
    decode_input,
    fields_as_dict,
    split_lines,
)
from virtcompat.probe.limits import ARTEFACT_LIMITS

__all__ = ["Arch", "CpuBlock", "CpuInfo", "parse_cpuinfo"]

_MAX_FLAGS = 1024
_MAX_KEYS_PER_BLOCK = 128
_MAX_BLOCKS = 8192


class Arch(StrEnum):
    X86 = "x86"
    ARM = "arm"
    AARCH64 = "aarch64"
    POWER = "power"
    IA64 = "ia64"
    S390 = "s390"
    UNKNOWN = "unknown"


_VENDORS: dict[str, str] = {
    "GenuineIntel": "intel",
    "AuthenticAMD": "amd",
    "HygonGenuine": "hygon",
    "CentaurHauls": "centaur",
    "Shanghai": "zhaoxin",
    "GenuineTMx86": "transmeta",
    "CyrixInstead": "cyrix",
    "Geode by NSC": "nsc",
    "VIA VIA VIA": "via",
    "IBM/S390": "ibm",
}


@dataclass(frozen=True, slots=True)
class CpuBlock:
    """One ``processor : N`` block (x86 fields; None where the block lacks the line)."""

    processor: int | None
    vendor_id: str | None
    family: int | None
    model: int | None
    stepping: int | None
    model_name: str | None
    microcode: str | None
    #: ``flags`` (x86) or ``Features`` (ARM) tokens; None when the block has no such line
    flags: frozenset[str] | None
    #: the v5.6+ ``vmx flags`` line; None when absent, empty set when present but empty
    vmx_flags: frozenset[str] | None

    def as_dict(self) -> dict[str, Any]:
        return fields_as_dict(self)


@dataclass(frozen=True, slots=True)
class CpuInfo:
    arch: Arch
    #: the raw ``vendor_id`` of the first block (``GenuineIntel``, ``AuthenticAMD``...)
    vendor_id: str | None
    #: normalised vendor: intel, amd, hygon, centaur, zhaoxin, ... or None
    vendor: str | None
    family: int | None
    model: int | None
    stepping: int | None
    model_name: str | None
    microcode: str | None
    #: flags every block with a flags line has (the conservative set a verdict may rely on)
    flags: frozenset[str]
    #: flags at least one block has
    flags_any: frozenset[str]
    #: False when no block had a ``flags``/``Features`` line (filtered or damaged dump)
    flags_present: bool
    #: intersection of the ``vmx flags`` lines; None when no block has one (kernel < 5.6,
    #: CONFIG_X86_VMX_FEATURE_NAMES unset, or VMX cleared/absent)
    vmx_flags: frozenset[str] | None
    #: number of ``processor`` blocks (``# processors`` on s390)
    logical_cpus: int
    #: blocks differ in vendor/family/model/model name/flags, or some lack flags
    blocks_disagree: bool
    #: the input was cut at the size cap (the last block may be partial)
    truncated: bool
    hypervisor: bool
    has_vmx: bool
    has_svm: bool
    has_ept: bool
    has_vpid: bool
    has_npt: bool
    #: None when there is no ``vmx flags`` line to tell
    has_unrestricted_guest: bool | None
    has_smx: bool
    has_lm: bool
    blocks: tuple[CpuBlock, ...]
    warnings: tuple[str, ...]

    @property
    def has_slat(self) -> bool:
        """Second-level address translation: Intel EPT or AMD NPT (RVI)."""
        return self.has_ept or self.has_npt

    def as_dict(self) -> dict[str, Any]:
        """JSON view. ``blocks`` is listed only when the blocks disagree: otherwise every block
        repeats the summary, and a 256-thread host would store 256 copies of its flags."""
        # Blocks that repeat the summary are not even converted (a flags set per thread).
        data = fields_as_dict(self, None if self.blocks_disagree else {"blocks": []})
        data["has_slat"] = self.has_slat
        return data


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


class _Tokens:
    """Flags lines to token sets. Every processor block repeats the same flags line: each
    distinct line is split once per dump, and its warning (if any) repeated for each block
    like a fresh split would."""

    __slots__ = ("_seen", "_warnings")

    def __init__(self, warnings: Warnings) -> None:
        self._seen: dict[tuple[str, str], tuple[frozenset[str], str | None]] = {}
        self._warnings = warnings

    def __call__(self, value: str, what: str) -> frozenset[str]:
        found = self._seen.get((value, what))
        if found is None:
            tokens = value.replace(",", " ").split()
            warning = None
            if len(tokens) > _MAX_FLAGS:
                warning = f"{what} line has {len(tokens)} entries; only the first {_MAX_FLAGS} read"
                tokens = tokens[:_MAX_FLAGS]
            found = self._seen[(value, what)] = (frozenset(t[:64] for t in tokens), warning)
        if found[1] is not None:
            self._warnings.add(found[1])
        return found[0]


def _intersection(sets: list[frozenset[str]]) -> frozenset[str] | None:
    if not sets:
        return None
    result = sets[0]
    for other in sets[1:]:
        if other is not sets[0]:  # a block sharing the first one's set changes nothing
            result &= other
    return result


def _union(sets: list[frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*{id(s): s for s in sets}.values())


# Line kinds of the cpuinfo loop.
_BLANK, _ODD, _PROCESSOR, _S390_CPU, _FIELD = range(5)


def _classify(line: str) -> tuple[int, str, str]:
    """(kind, key, value) of one line; a dump repeats most lines once per processor."""
    if not line.strip():
        return _BLANK, "", ""
    key, sep, value = line.partition(":")
    key = key.strip()
    value = value.strip()
    if not sep or not key or len(key) > 64:
        return _ODD, "", ""
    if key == "processor" and _int(value) is not None:
        return _PROCESSOR, key, value
    if key.startswith("processor ") and _int(key[10:]) is not None:
        return _S390_CPU, "", ""
    return _FIELD, key, value[:4096]


def _detect_arch(blocks: list[dict[str, str]], common: dict[str, str]) -> Arch:
    merged: dict[str, str] = {}
    for source in (common, *blocks[:4]):
        for key, value in source.items():
            merged.setdefault(key, value)
    vendor = merged.get("vendor_id", "")
    if vendor == "IBM/S390" or "# processors" in merged:
        return Arch.S390
    if merged.get("arch", "").upper().startswith("IA-64") or "Itanium" in merged.get("family", ""):
        return Arch.IA64
    if vendor or "flags" in merged or "cpu family" in merged:
        return Arch.X86
    arm_arch = merged.get("CPU architecture", "")
    if arm_arch or "CPU implementer" in merged:
        text = " ".join((arm_arch, merged.get("Processor", ""), merged.get("model name", "")))
        features = merged.get("Features", "").split()
        # "asimd" is the AArch64 name of NEON; a 32-bit kernel says "neon" even on v8 cores.
        v8_without_neon = arm_arch.strip() == "8" and "neon" not in features
        if "AArch64" in text or "asimd" in features or v8_without_neon:
            return Arch.AARCH64
        return Arch.ARM
    cpu = merged.get("cpu", "")
    if cpu.startswith(("POWER", "PPC", "ppc", "e500", "e5500", "e6500")) or "timebase" in merged:
        return Arch.POWER
    return Arch.UNKNOWN


_NON_X86_NOTES: dict[Arch, str] = {
    Arch.AARCH64: (
        "aarch64: VT-x/AMD-V flags do not exist here and cpuinfo does not show whether EL2 "
        "(hypervisor mode) is usable; judge from /dev/kvm and 'kvm [N]: Hyp mode initialized' "
        "in the kernel log"
    ),
    Arch.ARM: (
        "arm (32-bit): VT-x/AMD-V flags do not exist here; virtualization extensions cannot "
        "be judged from cpuinfo"
    ),
    Arch.IA64: (
        "ia64: Itanium's VT-i is not reported in /proc/cpuinfo; VT-x/VT-i cannot be judged "
        "from cpuinfo"
    ),
    Arch.POWER: (
        "power: hardware virtualization depends on the platform (PowerNV/KVM-HV or PowerVM) "
        "and cannot be judged from cpuinfo"
    ),
    Arch.S390: (
        "s390: virtualization is the SIE facility ('sie' in features), not VT-x/AMD-V; cannot "
        "be judged like x86"
    ),
    Arch.UNKNOWN: "architecture not recognised; VT-x/AMD-V cannot be judged from this cpuinfo",
}


def _block(raw: dict[str, str], arch: Arch, tokens: _Tokens) -> CpuBlock:
    x86 = arch is Arch.X86
    flags_line = raw.get("flags") if x86 else raw.get("Features", raw.get("features"))
    vmx_line = raw.get("vmx flags") if x86 else None
    return CpuBlock(
        processor=_int(raw.get("processor")),
        vendor_id=(raw.get("vendor_id") or raw.get("vendor") or None),
        family=_int(raw.get("cpu family")) if x86 else None,
        model=_int(raw.get("model")) if x86 else None,
        stepping=_int(raw.get("stepping")) if x86 else None,
        model_name=(raw.get("model name") or None),
        microcode=(raw.get("microcode") or None),
        flags=None if flags_line is None else tokens(flags_line, "flags"),
        vmx_flags=None if vmx_line is None else tokens(vmx_line, "vmx flags"),
    )


def parse_cpuinfo(data: str | bytes | object) -> CpuInfo:
    """Parse ``/proc/cpuinfo`` of any architecture; never raises."""
    warnings = Warnings()
    text, truncated = decode_input(data, ARTEFACT_LIMITS["cpuinfo"], warnings)

    raw_blocks: list[dict[str, str]] = []
    common: dict[str, str] = {}
    current: dict[str, str] | None = None
    odd_lines = 0
    s390_cpus = 0
    lines, cut = split_lines(text)
    seen: dict[str, tuple[int, str, str]] = {}
    for line in lines:
        parsed = seen.get(line)
        if parsed is None:
            parsed = seen[line] = _classify(line)
        kind, key, value = parsed
        if kind == _FIELD:
            target = current if current is not None else common
            if key not in target and len(target) < _MAX_KEYS_PER_BLOCK:
                target[key] = value
        elif kind == _BLANK:
            current = None
        elif kind == _ODD:
            odd_lines += 1
        elif kind == _PROCESSOR:
            if len(raw_blocks) >= _MAX_BLOCKS:
                current = None
                continue
            current = {"processor": value}
            raw_blocks.append(current)
        else:
            # s390: "processor 0: version = FF,  identification = 0E9B87,  machine = 2964"
            s390_cpus += 1
    if cut:
        warnings.add(f"{cut} lines longer than {MAX_LINE_CHARS} characters were cut")

    arch = _detect_arch(raw_blocks, common)
    if odd_lines:
        warnings.add(f"{odd_lines} lines are not 'key : value' pairs")
    if not raw_blocks and arch is not Arch.S390:
        if text.strip():
            warnings.add("no 'processor' block found; not a /proc/cpuinfo dump?")
        else:
            warnings.add("empty cpuinfo")
    if arch is not Arch.X86:
        warnings.add(_NON_X86_NOTES[arch])
    if arch is Arch.S390 and not raw_blocks:
        # s390 has one global block; treat it as the block carrying the features line.
        raw_blocks.append(common)

    tokens = _Tokens(warnings)
    blocks = [_block(raw, arch, tokens) for raw in raw_blocks]
    # ARM (and old 32-bit ARM kernels) print Features once, after the processor blocks.
    shared_features = common.get("Features", common.get("features"))
    if arch is not Arch.X86 and shared_features is not None:
        features = tokens(shared_features, "Features")
        blocks = [b if b.flags is not None else replace(b, flags=features) for b in blocks]

    # A block cut by the size cap may have lost the end of its flags line: keep it counted
    # but out of the summary.
    summary_blocks = blocks[:-1] if truncated and len(blocks) > 1 else blocks
    if truncated and len(blocks) > 1:
        warnings.add("input truncated: the last processor block is left out of the summary")
    with_flags = [b.flags for b in summary_blocks if b.flags is not None]
    flags = _intersection(with_flags) or frozenset()
    flags_any = _union(with_flags)
    if not with_flags and blocks:
        warnings.add(
            "no flags line in any processor block: the dump is filtered or damaged, so "
            "VT-x/AMD-V cannot be judged from it"
        )
    missing = len(summary_blocks) - len(with_flags)
    if with_flags and missing:
        warnings.add(f"{missing} processor blocks have no flags line (damaged dump?)")

    vmx_flags = _intersection([b.vmx_flags for b in summary_blocks if b.vmx_flags is not None])

    signatures = {
        (b.vendor_id, b.family, b.model, b.model_name, b.flags, b.vmx_flags) for b in summary_blocks
    }
    disagree = len(signatures) > 1
    if disagree:
        warnings.add(
            "processor blocks disagree (hybrid CPU, mixed sockets or a damaged dump); "
            "'flags' holds what every block has"
        )

    logical = (
        len(raw_blocks)
        if arch is not Arch.S390
        else (_int(common.get("# processors")) or s390_cpus or len(raw_blocks))
    )
    siblings = max((_int(raw.get("siblings")) or 0 for raw in raw_blocks), default=0)
    if arch is Arch.X86 and siblings > logical:
        warnings.add(
            f"'siblings' says {siblings} threads per package but only {logical} processor "
            "blocks are present: the dump is filtered or truncated"
        )

    first = blocks[0] if blocks else None
    x86 = arch is Arch.X86
    vendor_id = first.vendor_id if first else common.get("vendor_id")
    model_name = first.model_name if first else None
    if model_name is None:
        model_name = common.get("Processor") or common.get("cpu") or common.get("model name")
    vmx = vmx_flags or frozenset()
    return CpuInfo(
        arch=arch,
        vendor_id=vendor_id,
        vendor=_VENDORS.get(vendor_id.strip()) if vendor_id else None,
        family=first.family if first else None,
        model=first.model if first else None,
        stepping=first.stepping if first else None,
        model_name=model_name,
        microcode=first.microcode if first else None,
        flags=flags,
        flags_any=flags_any,
        flags_present=bool(with_flags),
        vmx_flags=vmx_flags,
        logical_cpus=logical,
        blocks_disagree=disagree,
        truncated=truncated,
        hypervisor=x86 and "hypervisor" in flags_any,
        has_vmx=x86 and "vmx" in flags,
        has_svm=x86 and "svm" in flags,
        # The synthetic word-8 flags stay on the flags line for ABI reasons; from v5.6 the
        # same names also appear under "vmx flags" (commit 14442a159cf4 message).
        has_ept=x86 and ("ept" in flags or "ept" in vmx),
        has_vpid=x86 and ("vpid" in flags or "vpid" in vmx),
        has_npt=x86 and "npt" in flags,
        has_unrestricted_guest=(
            None if not x86 or vmx_flags is None else "unrestricted_guest" in vmx_flags
        ),
        has_smx=x86 and "smx" in flags,
        has_lm=x86 and "lm" in flags,
        blocks=tuple(blocks),
        warnings=warnings.freeze(),
    )

"""VT-d / AMD-Vi: silicon (CPU or chipset), firmware (DMAR/IVRS, BIOS releases, board notes)
and kernel (remapping actually started). Each layer is a few small checks."""

from __future__ import annotations

import re

from virtcompat.capability import Capability, Layer, Reason, Status
from virtcompat.catalogue.types import ChipsetSpec, CpuSpec, NoteSpec
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.infer import infer_vtd, iommu_in_cpu
from virtcompat.engine.verdict.bios import bios_at_least
from virtcompat.engine.verdict.common import (
    S,
    capability,
    combine,
    cpu_missing,
    inferred,
    notes,
    reason,
    source_notes,
    tri,
    vendor,
)
from virtcompat.engine.verdict.kvm import non_x86_arch, non_x86_iommu
from virtcompat.engine.verdict.tallies import tally_reason


def iommu_name(f: HostFacts) -> str:
    """ "AMD-Vi" or "VT-d", from the chipset, the CPU vendor, or (last) the firmware tables."""
    arch = non_x86_arch(f)
    if arch is not None:
        return "SMMU" if arch in ("arm", "aarch64") else "IOMMU"
    kinds = {c.iommu_kind for c in f.chipset.candidates}
    if kinds == {"amd-vi"} or (vendor(f) == "amd" and not kinds - {"unknown", "amd-vi"}):
        return "AMD-Vi"
    if not kinds - {"unknown"} and vendor(f) is None and f.firmware.ivrs and not f.firmware.dmar:
        return "AMD-Vi"  # only the firmware tells: an IVRS table and no DMAR
    return "VT-d"


# -- silicon: CPU layer ------------------------------------------------------------------------

_HUB = {
    "mch": "memory controller hub (MCH)",
    "ioh": "I/O hub (IOH)",
    "northbridge": "northbridge",
}


def _record_excludes(cpu: CpuSpec | None, name: str, chip: ChipsetSpec | None) -> Reason | None:
    """An explicit "No" in the CPU's own record (ARK's VT-d line) decides the CPU layer even
    where the IOMMU sits in a hub or the chipset: Intel lists VT-d per CPU (Xeon Phi 72xx,
    Core 2 parts without VT-x), and the record is not overridden by where the engine is."""
    if cpu is None or cpu.vtd != "no" or (chip is not None and chip.iommu_location == "cpu"):
        return None
    if iommu_in_cpu(cpu) and chip is None:
        return None  # judged below, as a CPU-package IOMMU
    return reason(
        R.VTD_CPU,
        Layer.CPU,
        S.UNSUPPORTED,
        f"{cpu.brand} lacks {name} per its own record, whatever the chipset provides.",
        cpu.evidence(("vtd",)),
        hint={"choose_cpu": f"a SKU whose record lists {name}"},
    )


_BRAND_NOISE = re.compile(r"\((?:R|TM)\)|\bCPU\b|\bProcessor\b|@.*$", re.IGNORECASE)


def logged_cpu(f: HostFacts) -> CpuSpec | None:
    """The CPU a probe names (smpboot line, cpuinfo, DMI) but the catalogue does not know, as
    a record that says nothing: enough for HW-INFER-* to place it by SKU class and signature.

    "Intel(R) Celeron(R) CPU G3930 @ 2.90GHz" becomes "Intel Celeron G3930" so the SKU-class
    patterns see the part's own words, not the trademark and clock decorations.
    """
    c = f.cpu
    if not f.observed or c.spec is not None or not c.brand or c.vendor not in ("intel", "amd"):
        return None
    if c.family is None:
        return None
    brand = " ".join(_BRAND_NOISE.sub(" ", c.brand).split())
    return CpuSpec(
        id=0,
        slug="logged-cpu",
        brand=brand,
        vendor=c.vendor,
        family=c.family,
        model=c.model,
        vtx="unknown",
        vtd="unknown",
        slat="unknown",
        slat_kind="",
        iommu_in_cpu=False,
        steppings=(),
        cites=(),
        notes=(),
        stepping=c.stepping,
        curated=False,
    )


def _logged_cpu_layer(f: HostFacts, name: str) -> list[Reason]:
    """HW-INFER-*-VTD for a CPU the log names but the catalogue lacks, where the IOMMU lives in
    that CPU's package (so no chipset gates it): a low-confidence answer citing the rule."""
    spec = logged_cpu(f)
    if spec is None or not iommu_in_cpu(spec):
        return []
    guess = infer_vtd(spec)
    return [inferred(guess, spec)] if guess is not None else []


def _cpu_layer(f: HostFacts, name: str, chip: ChipsetSpec | None) -> list[Reason]:
    """HW-VTD-CPU: where the IOMMU lives decides whether the CPU SKU gates it."""
    cands = f.chipset.candidates
    cpu = f.cpu.spec
    if cpu is None and chip is None:
        logged = _logged_cpu_layer(f, name)
        if logged:
            return logged
    excluded = _record_excludes(cpu, name, chip)
    if excluded is not None:
        return [excluded]
    if chip is not None and chip.iommu_location in _HUB:
        return [
            reason(
                R.VTD_CPU,
                Layer.CPU,
                S.SUPPORTED,
                f"On {'/'.join(c.name for c in cands)} the IOMMU lives in the "
                f"{_HUB[chip.iommu_location]}; the CPU does not gate {name}.",
                chip.evidence(("iommu.location", "iommu.support")),
            )
        ]
    in_cpu = (chip is not None and chip.iommu_location == "cpu") or (
        chip is None and cpu is not None and iommu_in_cpu(cpu)
    )
    if in_cpu and cpu is None:
        return [
            cpu_missing(
                f,
                name,
                f"On this platform {name} is in the CPU package and not every SKU has it; "
                "the CPU is not known.",
            )
        ]
    if in_cpu and cpu is not None:
        status, word = tri(cpu.vtd)
        if status == S.UNKNOWN:
            guess = infer_vtd(cpu)
            if guess is not None:
                return [inferred(guess, cpu)]
        return [
            reason(
                R.VTD_CPU,
                Layer.CPU,
                status,
                f"{cpu.brand} {word} {name} (the IOMMU is in the CPU on this platform).",
                cpu.evidence(("vtd",)),
                hint=None if status == S.SUPPORTED else {"choose_cpu": "a SKU with VT-d"},
            )
        ]
    if cpu is not None and chip is None:
        return [
            reason(
                R.VTD_CPU,
                Layer.CPU,
                S.SUPPORTED,
                f"{cpu.brand}: {name} is a chipset feature on this platform, not a CPU one.",
                cpu.evidence(("vtd",)),
            )
        ]
    return []


# -- silicon: chipset layer --------------------------------------------------------------------


def _ambiguous_chipset(f: HostFacts, name: str) -> Reason | None:
    """HW-VTD-CHIPSET-AMBIGUOUS: a shared PCI id whose chipsets differ on the IOMMU."""
    cands = f.chipset.candidates
    if len(cands) < 2 or len({c.iommu_support for c in cands}) < 2:
        return None
    listing = ", ".join(f"{c.name} ({c.iommu_support})" for c in cands)
    return reason(
        R.VTD_CHIPSET_AMBIGUOUS,
        Layer.CHIPSET,
        S.UNKNOWN,
        f"{f.chipset.via or 'The PCI id'} matches several chipsets that differ on {name}: "
        f"{listing}.",
        tuple(e for c in cands for e in c.evidence(("iommu.support", "pci_ids"))),
        hint={
            "give": "lpc bridge PCI id (lspci -nn) or chipset name",
            "candidates": [c.slug for c in cands],
        },
    )


def _unknown_chipset(f: HostFacts, name: str) -> list[Reason]:
    if f.observed and f.kernel.iommu_active:
        return []  # an active IOMMU proves the silicon (see judge_vtd)
    return [
        reason(
            R.UNKNOWN_HARDWARE,
            Layer.CHIPSET,
            S.UNKNOWN,
            f"The chipset is not known, so its {name} support is not either.",
            hint={"give": "board or chipset (or lspci -nn in a probe)"},
        )
    ]


def _board_enables(f: HostFacts, name: str, label: str) -> list[Reason]:
    """HW-VTD-BOARD (unknown): a board-dependent chipset on an undocumented board."""
    board = f.board.spec
    if board is not None and board.vtd_status != "unknown":
        return []
    return [
        reason(
            R.VTD_BOARD,
            Layer.BOARD,
            S.UNKNOWN,
            f"Whether {'this board' if board else 'the board'} enables {name} on {label} is not "
            "documented.",
            board.evidence() if board else (),
            hint={
                "check": "an ACPI DMAR table (/sys/firmware/acpi/tables/DMAR)",
                "or": "post a probe from the host",
            },
        )
    ]


def _chipset_layer(f: HostFacts, name: str, chip: ChipsetSpec) -> list[Reason]:
    """HW-VTD-CHIPSET: what the chipset row says. Candidates that share a PCI id but agree on
    the IOMMU are judged together ("G33/P35")."""
    label = "/".join(c.name for c in f.chipset.candidates)
    ev = chip.evidence(("iommu.support",))
    support = chip.iommu_support
    if support == "yes":
        return [
            reason(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.SUPPORTED,
                f"Chipset {label} has {name} hardware.",
                ev,
            )
        ]
    if support == "partial":
        return [
            reason(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.SUPPORTED,
                f"Chipset {label} has {name} hardware with limitations (see notes).",
                ev,
            )
        ]
    if support == "no":
        return [
            reason(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.UNSUPPORTED,
                f"Chipset {label} has no {name} hardware.",
                ev,
                hint={"choose_board": f"a board whose chipset has {name}"},
            )
        ]
    if support == "board_dependent":
        return [
            reason(
                R.VTD_CHIPSET,
                Layer.CHIPSET,
                S.SUPPORTED,
                f"Chipset {label} is {name}-capable, but each board's BIOS must enable it.",
                ev,
            ),
            *_board_enables(f, name, label),
        ]
    return [
        reason(
            R.VTD_CHIPSET,
            Layer.CHIPSET,
            S.UNKNOWN,
            f"Whether chipset {label} has {name} is not established.",
            ev,
            hint={"check": "an ACPI DMAR/IVRS table", "or": "post a probe"},
        )
    ]


def _cpu_holds_iommu(f: HostFacts, cpu_reasons: list[Reason]) -> bool:
    """On a probe whose CPU (catalogued or only logged) carries the IOMMU in its package
    (Sandy Bridge and later, Lynnfield/Clarkdale, Zen), the unknown chipset is no layer of
    VT-d: the CPU layer alone decides the silicon."""
    if not f.observed or not cpu_reasons:
        return False
    spec = f.cpu.spec or logged_cpu(f)
    return spec is not None and iommu_in_cpu(spec)


def silicon(f: HostFacts, name: str) -> list[Reason]:
    ambiguous = _ambiguous_chipset(f, name)
    if ambiguous is not None:
        return [ambiguous]
    cands = f.chipset.candidates
    chip = cands[0] if cands else None
    reasons = _cpu_layer(f, name, chip)
    if chip is None and _cpu_holds_iommu(f, reasons):
        return reasons  # the IOMMU is in the CPU package: no chipset gates it
    if chip is None:
        return reasons + _unknown_chipset(f, name)
    return reasons + _chipset_layer(f, name, chip)


# -- firmware: notes, BIOS releases, the board -------------------------------------------------


def _option_traps(f: HostFacts, name: str) -> list[Reason]:
    """HW-VTD-BIOS-OPTION-TRAP: a VT-d setup option on a chipset without VT-d (DQ43AP/Q43)."""
    chips = f.chipset.candidates
    chip_no = bool(chips) and all(c.iommu_support == "no" for c in chips)
    out = []
    for n in notes(f, "vtd"):
        if n.kind != "trap":
            continue
        chip_names = ", ".join(c.name for c in chips) or "this chipset"
        ev = (*n.evidence(), *(e for c in chips for e in c.evidence(("iommu.support",))))
        message = (
            f"{n.text} The setup option is not evidence: chipset {chip_names} has no {name} "
            "hardware."
            if chip_no
            else n.text
        )
        out.append(
            reason(
                R.VTD_BIOS_TRAP,
                Layer.FIRMWARE,
                S.UNSUPPORTED if chip_no else S.UNKNOWN,
                message,
                ev,
            )
        )
    return out


def _min_bios(f: HostFacts, name: str, n: NoteSpec) -> Reason:
    """HW-VTD-MIN-BIOS: a board whose VT-d works only from a given BIOS release."""
    assert n.min_bios_version is not None
    minimum = n.min_bios_version
    version = f.board.bios_version
    if version is None:
        return reason(
            R.VTD_MIN_BIOS,
            Layer.FIRMWARE,
            S.UNKNOWN,
            f"{name} needs BIOS {minimum} or later on this board; the BIOS version is not known.",
            n.evidence(),
            hint={"give": "bios", "min_bios_version": minimum},
        )
    ok = bios_at_least(version, minimum)
    if ok is True:
        return reason(
            R.VTD_MIN_BIOS,
            Layer.FIRMWARE,
            S.SUPPORTED,
            f"BIOS {version} meets the minimum {minimum} for {name} on this board.",
            n.evidence(),
        )
    if ok is False:
        return reason(
            R.VTD_MIN_BIOS,
            Layer.FIRMWARE,
            S.UNSUPPORTED,
            f"BIOS {version} is older than {minimum}, the first release with working {name} on "
            f"this board. {n.text}",
            n.evidence(),
            hint={"bios_update": minimum},
        )
    return reason(
        R.VTD_MIN_BIOS,
        Layer.FIRMWARE,
        S.UNKNOWN,
        f"Cannot compare BIOS {version} with the required {minimum}.",
        n.evidence(),
        hint={"min_bios_version": minimum},
    )


def _bios_requirements(f: HostFacts, name: str) -> list[Reason]:
    return [
        _min_bios(f, name, n)
        for n in notes(f, "vtd")
        if n.kind == "requirement" and n.min_bios_version
    ]


def _bios_release(f: HostFacts, name: str) -> list[Reason]:
    """HW-VTD-BOARD: a documented BIOS release on which VT-d works or not."""
    bios = f.board.bios_spec
    if bios is None or bios.vtd_works not in ("yes", "no"):
        return []
    works = bios.vtd_works == "yes"
    return [
        reason(
            R.VTD_BOARD,
            Layer.FIRMWARE,
            S.SUPPORTED if works else S.UNSUPPORTED,
            f"BIOS {bios.version}: {name} {'works' if works else 'does not work'} with this "
            "release.",
            tuple(c.evidence("spec", f"bios:{bios.version}") for c in bios.cites),
        )
    ]


_BOARD_TEXT = {
    "works": "{model} is documented with {name} enabled.",
    "absent": "{model} is documented without {name}.",
    "broken": "{model} is documented with a broken {name} implementation.",
}


def _board_documented(f: HostFacts, name: str) -> list[Reason]:
    """HW-VTD-BOARD: what the board's documentation says of VT-d."""
    board = f.board.spec
    if board is None or board.vtd_status not in _BOARD_TEXT:
        return []
    return [
        reason(
            R.VTD_BOARD,
            Layer.BOARD,
            S.SUPPORTED if board.vtd_status == "works" else S.UNSUPPORTED,
            _BOARD_TEXT[board.vtd_status].format(model=board.model, name=name),
            board.evidence(("vtd", "vtd_status")),
        )
    ]


# -- firmware: the ACPI table a probe saw ---------------------------------------------------------


def _table_name(name: str) -> str:
    return "IVRS" if name == "AMD-Vi" else "DMAR"


def _observed_table(f: HostFacts, name: str, silicon_status: Status) -> Reason:
    """HW-VTD-FIRMWARE-TABLE: whether the firmware publishes DMAR (Intel) or IVRS (AMD)."""
    table = f.firmware.ivrs if name == "AMD-Vi" else f.firmware.dmar
    tname = _table_name(name)
    if table is None and f.kernel.iommu_active:
        return reason(
            R.VTD_FIRMWARE_TABLE,
            Layer.FIRMWARE,
            S.SUPPORTED,
            f"The probe does not list ACPI tables, but an active {name} IOMMU implies the "
            f"firmware's {tname} table.",
            f.kernel.evidence,
            hint={},
        )
    if table is True:
        return reason(
            R.VTD_FIRMWARE_TABLE,
            Layer.FIRMWARE,
            S.SUPPORTED,
            f"The firmware publishes an ACPI {tname} table.",
            f.firmware.evidence,
            hint={},
        )
    if table is False and f.hypervisor.present:
        # In a guest the DMAR/IVRS table is the hypervisor's virtual firmware: its absence says
        # the VM has no virtual IOMMU, nothing about the host's hardware.
        return reason(
            R.VTD_FIRMWARE_TABLE,
            Layer.HYPERVISOR,
            S.MASKED,
            f"This is a guest ({f.hypervisor.name or 'hypervisor'}) whose virtual firmware has "
            f"no {tname} table: the VM has no virtual IOMMU. The host's {name} cannot be judged "
            "from inside it.",
            (*f.firmware.evidence, *f.hypervisor.evidence),
            hint={
                "host_setting": "give the VM a virtual IOMMU (e.g. QEMU intel-iommu / amd-iommu "
                "device), or probe the host itself"
            },
        )
    if table is False:
        return _table_absent(f, name, silicon_status)
    return reason(
        R.VTD_FIRMWARE_TABLE,
        Layer.FIRMWARE,
        S.UNKNOWN,
        f"The probe did not say whether an ACPI {tname} table exists.",
        hint={"give": "acpi_tables (names in /sys/firmware/acpi/tables)"},
    )


def _table_absent(f: HostFacts, name: str, silicon_status: Status) -> Reason:
    """HW-VTD-FIRMWARE-TABLE, no table: judged by what is known of the silicon.

    Firmware leaves the table out when the IOMMU is switched off in setup, so absence alone
    never proves the hardware lacks it: ``disabled`` when the silicon is known to have it,
    ``unsupported`` only when a spec fact says it has none, ``unknown`` otherwise.
    """
    tname = _table_name(name)
    setting = {
        "bios_setting": "AMD IOMMU / AMD-Vi: Enabled"
        if name == "AMD-Vi"
        else ("Intel VT-d (Virtualization Technology for Directed I/O): Enabled")
    }
    if silicon_status == S.SUPPORTED:
        status, why = S.DISABLED, f"the hardware has {name}, so the BIOS has it switched off"
    elif silicon_status == S.UNSUPPORTED:
        status, why = S.UNSUPPORTED, f"consistent with hardware without {name}"
        setting = {}
    else:
        status = S.UNKNOWN
        why = (
            f"{name} is either switched off in BIOS setup or absent, and whether this "
            "hardware has it is not known"
        )
    return reason(
        R.VTD_FIRMWARE_TABLE,
        Layer.FIRMWARE,
        status,
        f"No ACPI {tname} table: {why}.",
        f.firmware.evidence,
        hint=setting,
    )


def _firmware_not_shown(
    f: HostFacts, name: str, silicon_status: Status, so_far: list[Reason]
) -> list[Reason]:
    """A catalogue query with nothing documenting that the firmware enables the IOMMU."""
    if silicon_status == S.UNSUPPORTED:
        return []
    if any(r.layer in (Layer.FIRMWARE, Layer.BOARD) and r.status == S.SUPPORTED for r in so_far):
        return []
    board = f.board.spec
    return [
        reason(
            R.VTD_FIRMWARE_TABLE,
            Layer.FIRMWARE,
            S.UNKNOWN,
            f"Nothing shows that the firmware of {board.model if board else 'this board'} "
            f"enables {name} (publishes a DMAR/IVRS table).",
            board.evidence() if board else (),
            hint={
                "give": "board and bios",
                "or": "post a probe from the host",
                "bios_setting": "Intel VT-d / IOMMU: Enabled",
            },
        )
    ]


def firmware(f: HostFacts, name: str, silicon_status: Status) -> list[Reason]:
    reasons = [
        *_option_traps(f, name),
        *_bios_requirements(f, name),
        *_bios_release(f, name),
        *_board_documented(f, name),
    ]
    if f.observed:
        return [*reasons, _observed_table(f, name, silicon_status)]
    return reasons + _firmware_not_shown(f, name, silicon_status, reasons)


# -- kernel ----------------------------------------------------------------------------------------


def _catalogue_guidance(name: str) -> Reason:
    """HW-GUIDANCE-KERNEL: a catalogue query cannot see the kernel; say what it needs."""
    amd = name == "AMD-Vi"
    add = "amd_iommu is on by default (no option needed)" if amd else "intel_iommu=on"
    return reason(
        R.GUIDANCE_KERNEL,
        Layer.KERNEL,
        S.UNKNOWN,
        f"Not judged for a catalogue query: the kernel must enable the IOMMU ({add}).",
        hint=None if amd else {"kernel_cmdline_add": "intel_iommu=on"},
    )


def _remapping(f: HostFacts, name: str) -> list[Reason]:
    """HW-VTD-KERNEL: did the kernel start DMA remapping?"""
    k = f.kernel
    amd = name == "AMD-Vi"
    table = f.firmware.ivrs if amd else f.firmware.dmar
    if k.iommu_active:
        what = (
            f"{k.iommu_groups} IOMMU groups"
            if k.iommu_groups
            else "the kernel's IOMMU initialisation line"
        )
        return [
            reason(
                R.VTD_KERNEL,
                Layer.KERNEL,
                S.SUPPORTED,
                f"The IOMMU is active ({what}).",
                k.evidence,
                hint={},
            )
        ]
    if not table:
        return []
    enable = (
        {"check": "kernel built with CONFIG_AMD_IOMMU; 'amd_iommu=off' must not be set"}
        if amd
        else {"kernel_cmdline_add": "intel_iommu=on"}
    )
    if k.iommu_active is False:
        return [
            reason(
                R.VTD_KERNEL,
                Layer.KERNEL,
                S.DISABLED,
                f"The firmware publishes the table but the kernel did not turn {name} on (no "
                "IOMMU groups, no initialisation line in a log that reaches userspace).",
                k.evidence,
                hint=enable,
            )
        ]
    return [
        reason(
            R.VTD_KERNEL,
            Layer.KERNEL,
            S.UNKNOWN,
            f"The firmware publishes the table, but the log ends before the kernel's {name} "
            "initialisation and no IOMMU group count was sent: whether remapping started is not "
            "known.",
            k.evidence,
            hint={
                "give": "iommu_groups (count of /sys/kernel/iommu_groups) or the full kernel log",
                **({} if amd else {"kernel_cmdline_add": "intel_iommu=on"}),
            },
        )
    ]


def _cmdline_echo(f: HostFacts) -> list[Reason]:
    """HW-VTD-CMDLINE-ECHO: 'DMAR: IOMMU enabled' only echoes intel_iommu=on."""
    k = f.kernel
    if not k.cmdline_iommu_echo or k.iommu_active:
        return []
    return [
        reason(
            R.VTD_CMDLINE_ECHO,
            Layer.KERNEL,
            S.UNKNOWN,
            "'DMAR: IOMMU enabled' appears, but it only echoes intel_iommu=on; it does not show "
            "that remapping started.",
            k.evidence,
        )
    ]


def _kernel_options(f: HostFacts) -> list[Reason]:
    """HW-IOMMU-PASSTHROUGH and HW-AMD-IOMMU-INVALID: command-line options worth a word."""
    k = f.kernel
    out = []
    if k.iommu_passthrough:
        out.append(
            reason(
                R.IOMMU_PASSTHROUGH,
                Layer.KERNEL,
                S.SUPPORTED,
                "iommu=pt: host devices are identity-mapped; guests still get translation.",
                k.evidence,
            )
        )
    if k.invalid_amd_iommu_values:
        out.append(
            reason(
                R.AMD_IOMMU_INVALID,
                Layer.KERNEL,
                S.UNKNOWN,
                f"amd_iommu={','.join(k.invalid_amd_iommu_values)} is not a valid value and is "
                "ignored.",
                k.evidence,
            )
        )
    return out


def kernel(f: HostFacts, name: str) -> list[Reason]:
    if not f.observed:
        return [_catalogue_guidance(name)]
    return [*_remapping(f, name), *_cmdline_echo(f), *_kernel_options(f)]


# -- the capability --------------------------------------------------------------------------------


def _proven_by_active_iommu(f: HostFacts, name: str, reasons: list[Reason]) -> list[Reason]:
    """An active IOMMU proves the silicon: drop "unknown chipset/CPU" layers."""
    if not (f.observed and f.kernel.iommu_active):
        return reasons
    return [
        *(r for r in reasons if r.status != S.UNKNOWN),
        reason(
            R.VTD_CHIPSET,
            Layer.CHIPSET,
            S.SUPPORTED,
            f"An active {name} IOMMU was observed on this host.",
            f.kernel.evidence,
            hint={},
        ),
    ]


def _with_tally(f: HostFacts, reasons: list[Reason]) -> list[Reason]:
    """Probe tallies for the board (catalogue queries only): confirmations settle an unknown
    firmware layer."""
    if f.observed:
        return reasons
    # A board documented with working VT-d is the spec fact a contradiction conflicts with,
    # even while the CPU layer is still unknown.
    documented = any(
        r.layer == Layer.BOARD and r.status == S.SUPPORTED and not r.advisory for r in reasons
    )
    tr = tally_reason(
        f, "vtd", combine(reasons), "an ACPI table and an active IOMMU", documented=documented
    )
    if tr is None:
        return reasons
    if tr.status == S.SUPPORTED:
        reasons = [r for r in reasons if not (r.layer == Layer.FIRMWARE and r.status == S.UNKNOWN)]
    return [*reasons, tr]


def judge_vtd(f: HostFacts) -> Capability:
    if non_x86_arch(f) is not None:
        return capability([non_x86_iommu(f)])
    name = iommu_name(f)
    chips = _proven_by_active_iommu(f, name, silicon(f, name))
    reasons = [*chips, *firmware(f, name, combine(chips)), *kernel(f, name)]
    reasons += source_notes(f, "vtd", combine(reasons))
    return capability(_with_tally(f, reasons))

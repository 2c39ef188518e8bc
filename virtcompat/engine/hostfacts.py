"""HostFacts: one typed shape of what is known about a host, whatever the origin.

Built from catalogue rows for a ``/compat`` query (spec facts) and from parsed observations
for a probe (observed facts, joined with the catalogue rows they matched). Every field keeps
its provenance so the verdict can cite it; ``None`` always means "not known", never "no".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from virtcompat.capability import Evidence
from virtcompat.catalogue.types import BiosSpec, BoardSpec, ChipsetSpec, CpuSpec
from virtcompat.engine.snapshot import EvidenceTally


@dataclass(frozen=True, slots=True)
class CpuFacts:
    vendor: str | None = None  # "intel" | "amd" | other vendor slug
    brand: str | None = None
    family: int | None = None
    model: int | None = None
    stepping: int | None = None  # CPUID stepping number
    stepping_name: str | None = None  # "R0"
    spec: CpuSpec | None = None
    arch: str | None = None  # from cpuinfo: "x86", "aarch64", "arm", "power", "ia64"…
    # Observed on a probe; None for a catalogue query.
    flags: frozenset[str] | None = None
    vmx_flags: frozenset[str] | None = None
    # Where the family/model/stepping were read ("cpuinfo", "kernel log smpboot line").
    identity_source: str | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class ChipsetFacts:
    """Chipset candidates: one when identified, several when a PCI id is shared."""

    candidates: tuple[ChipsetSpec, ...] = ()
    # How the candidates were found ("board", "name", "pci:8086:2e10", "pci:8086:3a1a").
    via: str | None = None
    # PCI ids seen on a probe that name no catalogue chipset.
    unknown_pci_ids: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class BoardFacts:
    spec: BoardSpec | None = None
    bios_version: str | None = None
    bios_spec: BiosSpec | None = None
    dmi_vendor: str | None = None
    dmi_name: str | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class FirmwareFacts:
    """ACPI tables the firmware publishes: DMAR (Intel VT-d) and IVRS (AMD-Vi)."""

    dmar: bool | None = None
    ivrs: bool | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class KernelFacts:
    release: str | None = None
    release_tuple: tuple[int, int] | None = None
    iommu_active: bool | None = None
    iommu_groups: int | None = None
    cmdline_iommu_echo: bool = False  # "DMAR: IOMMU enabled": only echoes intel_iommu=on
    intel_iommu: tuple[str, ...] = ()
    amd_iommu: tuple[str, ...] = ()
    iommu_passthrough: bool = False
    invalid_amd_iommu_values: tuple[str, ...] = ()
    kvm_disabled_by_bios: bool = False
    vmx_disabled_by_bios: bool = False
    svm_disabled_by_bios: bool = False
    kvm_no_hardware_support: bool = False
    dev_kvm: bool | None = None
    # Interrupt remapping: True enabled, False switched off (erratum, IVRS), None not shown.
    irq_remapping: bool | None = None
    # Kernel-log lines KVM prints only after VMX/SVM passed its checks (code, quoted line).
    kvm_log: tuple[tuple[str, str], ...] = ()
    # Kernel-log lines that show EPT/NPT in use by KVM (code, quoted line).
    slat_log: tuple[tuple[str, str], ...] = ()
    # The agent's KVM check: /dev/kvm opened read-write, KVM_GET_API_VERSION and
    # KVM_CREATE_VM answered. None: not checked (older agent).
    kvm_usable: bool | None = None
    kvm_api_version: int | None = None
    kvm_error: str | None = None
    # The module providing /dev/kvm: "kvm_intel", "kvm_amd" or another (e.g. "kvm_pvm").
    kvm_module: str | None = None
    # /sys/module/kvm_{intel,amd}/parameters: name -> raw value ("Y", "1", "N", "0").
    kvm_params: tuple[tuple[str, str], ...] = ()
    # Firmware lock read from MSR 0x3a (Intel) / VM_CR (AMD): True locked off, False not.
    msr_locked_off: bool | None = None
    msr_detail: str | None = None
    # Device nodes the agent looked for (/dev/net/tun, /dev/vhost-net, /dev/vfio/vfio...)
    # and the cgroup v2 controllers; empty / None when an older agent did not look.
    devices: tuple[tuple[str, bool], ...] = ()
    cgroup_controllers: tuple[str, ...] | None = None
    evidence: tuple[Evidence, ...] = ()

    def param(self, name: str) -> bool | None:
        """A boolean kvm module parameter, None when not read."""
        for key, value in self.kvm_params:
            if key == name:
                return value.strip() in ("Y", "y", "1")
        return None


@dataclass(frozen=True, slots=True)
class HypervisorFacts:
    """Whether the facts were taken inside a guest (cpuinfo ``hypervisor`` flag, dmesg)."""

    present: bool | None = None
    name: str | None = None
    # Linux is a Xen PV domain (dom0 or domU): the firmware tables it sees are Xen's choice.
    xen_pv_domain: bool = False
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class XenFacts:
    """From ``xl info`` in a dom0: Xen masks vmx/svm from a PV dom0, so judge from here."""

    version: str | None = None
    xen_caps: tuple[str, ...] = ()
    virt_caps: tuple[str, ...] = ()
    # virt_caps names "hap" only from Xen 4.13: None means this Xen does not say.
    hap: bool | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A component the query named that matched no catalogue row, or several."""

    field: str  # "board" | "cpu" | "chipset"
    value: str
    reason: str  # "unknown" | "ambiguous"
    candidates: tuple[str, ...] = ()

    @property
    def next_step(self) -> str:
        if self.reason == "ambiguous":
            return f"name the {self.field} exactly: one of the candidates"
        if self.field == "cpu":
            return (
                "post a probe from that machine (POST /api/v1/probes), or import an ARK export "
                "that lists the CPU (flask --app app catalogue import --source ark FILE)"
            )
        return (
            f"post a probe from that machine (POST /api/v1/probes): the {self.field} is then "
            "recorded for curators; or add it to the catalogue"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
            "candidates": list(self.candidates),
            "next_step": self.next_step,
        }


@dataclass(frozen=True, slots=True)
class HostFacts:
    origin: str  # "catalog" | "probe"
    cpu: CpuFacts = field(default_factory=CpuFacts)
    chipset: ChipsetFacts = field(default_factory=ChipsetFacts)
    board: BoardFacts = field(default_factory=BoardFacts)
    firmware: FirmwareFacts = field(default_factory=FirmwareFacts)
    kernel: KernelFacts = field(default_factory=KernelFacts)
    hypervisor: HypervisorFacts = field(default_factory=HypervisorFacts)
    xen: XenFacts | None = None
    # Probe tallies for the matched board (all BIOS releases and "" for any BIOS).
    tallies: tuple[EvidenceTally, ...] = ()
    # Components the query named that did not resolve: their layers are judged "unknown".
    unresolved: tuple[Unresolved, ...] = ()

    @property
    def observed(self) -> bool:
        return self.origin == "probe"

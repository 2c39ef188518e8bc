"""Kernel log (dmesg, ``dmesg -T``, ``journalctl -k``, /var/log/dmesg) -> :class:`KernelLog`.

Each line is stripped of its transport prefix and matched against :data:`EVENT_SPECS`: one
stable event code per kernel message that says something about VT-x/AMD-V, VT-d/AMD-Vi,
interrupt remapping, KVM, a hypervisor underneath, or firmware bugs in the tables behind them.
The message texts, and the kernel eras in which each spelling was printed, come from
``shared/facts/dmesg_patterns.csv`` and ``kernel_quirks.csv`` (sources: the kernel files named
in each spec's ``source``).

Summary booleans are computed over the **last boot** in the log (a /var/log/kern.log may hold
several). ``iommu_active`` is set only by lines printed after DMA remapping was actually set
up; ``DMAR: IOMMU enabled`` merely echoes ``intel_iommu=on`` from the command line
(``intel_iommu_setup()``) and is reported as ``dmar.cmdline_enabled_echo``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from virtcompat.probe._common import (
    MAX_LINE_CHARS,
    Warnings,
    clip,
    decode_input,
    fields_as_dict,
    parse_version,
)
from virtcompat.probe.dmi import virtual_platform
from virtcompat.probe.limits import ARTEFACT_LIMITS
from virtcompat.probe.redact import scrub_text_lines

__all__ = [
    "EVENT_CODES",
    "EVENT_SPECS",
    "EventSpec",
    "KernelLog",
    "LogEvent",
    "parse_kernel_log",
]

_EVENT_TEXT_CHARS = 240
_EVENTS_PER_CODE = 32
_MAX_GROUPS = 65536


@dataclass(frozen=True, slots=True)
class EventSpec:
    """What an event code means (published so verdict reasons can cite it)."""

    code: str
    meaning: str
    source: str


def _specs(*rows: tuple[str, str, str]) -> dict[str, EventSpec]:
    return {code: EventSpec(code, meaning, source) for code, meaning, source in rows}


_INTEL = "drivers/iommu/intel/iommu.c (old: drivers/pci/intel-iommu.c, drivers/iommu/intel-iommu.c)"
_DMAR_C = "drivers/iommu/intel/dmar.c"
_AMD = "drivers/iommu/amd/init.c (old: drivers/iommu/amd_iommu_init.c)"
_KVM = "arch/x86/kvm/x86.c, vmx/vmx.c, svm/svm.c (old: drivers/kvm/kvm_main.c)"
_XEN = "Xen hypervisor console (xl dmesg): xen/arch/x86/hvm/hvm.c, drivers/passthrough/iommu.c"

#: Every event code this parser can emit.
EVENT_SPECS: Mapping[str, EventSpec] = _specs(
    # --- Intel VT-d ---------------------------------------------------------------------
    ("dmar.remapping_active", "VT-d DMA remapping initialised (last line of intel_iommu_init)",
     _INTEL),
    ("dmar.cmdline_enabled_echo", "intel_iommu=on was parsed; NOT proof that remapping works",
     "intel_iommu_setup() in " + _INTEL),
    ("dmar.cmdline_disabled", "intel_iommu=off was parsed", "intel_iommu_setup() in " + _INTEL),
    ("dmar.unknown_option", "an intel_iommu= value the kernel did not recognise",
     "intel_iommu_setup() in " + _INTEL),
    ("dmar.platform_optin_forced",
     "VT-d forced on: DMAR platform opt-in flag plus an external-facing (Thunderbolt) port",
     "platform_optin_force_iommu() in " + _INTEL),
    ("dmar.tboot_forced", "VT-d forced on by a tboot/TXT launch",
     "tboot_force_iommu() in arch/x86/kernel/tboot.c"),
    ("dmar.table_present",
     "the ACPI DMAR table was parsed (printed even without intel_iommu=on)", _DMAR_C),
    ("dmar.init_failed", "VT-d initialisation failed", _INTEL),
    ("dmar.no_devices", "DMAR table without usable remapping units",
     "dmar_table_init() " + _DMAR_C),
    ("dmar.table_parse_failed", "the DMAR table could not be parsed",
     "dmar_table_init() " + _DMAR_C),
    ("dmar.quirk_rwbf", "chipset quirk: write-buffer flush forced (GM45 / 4 Series)",
     "quirk_iommu_rwbf in " + _INTEL),
    ("dmar.quirk_igfx_disabled",
     "chipset quirk: integrated graphics excluded from VT-d (G4x/GM45, QM57, Broadwell)",
     "quirk_iommu_igfx / quirk_iommu_g4x_gfx in " + _INTEL),
    ("dmar.quirk_calpella_no_shadow_gtt",
     "Ironlake quirk: BIOS allocated no shadow GTT, graphics excluded from VT-d",
     "quirk_calpella_no_shadow_gtt in " + _INTEL),
    ("dmar.quirk_ironlake_batched_flush", "Ironlake quirk: batched IOTLB flush disabled",
     "quirk_calpella_no_shadow_gtt in " + _INTEL),
    ("dmar.quirk_igfx_skip_te_disable", "Gen11+ graphics quirk: translation not disabled",
     "quirk_igfx_skip_te_disable in " + _INTEL),
    ("dmar.tylersburg_isoch_tlb", "5500/5520/X58 IOH: ISOCH unit TLB entries set by the BIOS",
     "check_tylersburg_isoch() in " + _INTEL),
    ("dmar_ir.enabled", "interrupt remapping enabled ('DMAR-IR:' is VT-d; the unprefixed "
     "v3.x line was printed for AMD-Vi too)",
     "drivers/iommu/intel/irq_remapping.c, arch/x86/kernel/apic/apic.c"),
    ("dmar_ir.x2apic_optout", "BIOS set the DMAR x2APIC opt-out bit; IR stays in xAPIC mode",
     "drivers/iommu/intel/irq_remapping.c"),
    ("dmar_ir.erratum_disabled",
     "interrupt remapping disabled: 5500/5520/X58 IOH erratum (DMA remapping still works)",
     "intel_remapping_check() in arch/x86/kernel/early-quirks.c"),
    # --- firmware bugs ----------------------------------------------------------------------
    ("firmware_bug.dmar_all_ones", "a DMAR unit's registers read as all ones (BIOS lists "
     "VT-d hardware that is absent or disabled)", "warn_invalid_dmar() in " + _DMAR_C),
    ("firmware_bug.dmar_bad_address", "a DMAR unit with a zero register address",
     "warn_invalid_dmar() in " + _DMAR_C),
    ("firmware_bug.dmar_bad_rmrr", "malformed RMRR in the DMAR table", _INTEL),
    ("firmware_bug.dmar_rhsa_bad_unit", "RHSA refers to a non-existent DMAR unit", _DMAR_C),
    ("firmware_bug.dmar_andd_name", "ANDD object name not NUL-terminated", _DMAR_C),
    ("firmware_bug.dmar_no_drhd", "DMAR table without DRHD structure", _DMAR_C),
    ("firmware_bug.dmar_invalid_haw", "DMAR table with an invalid host address width", _DMAR_C),
    ("firmware_bug.dmar_rmrr_entry_broken", "broken RMRR device entry (workaround applied)",
     _DMAR_C),
    ("firmware_bug.dmar_record_past_end", "DMAR record extends past the table end", _DMAR_C),
    ("firmware_bug.tylersburg_isoch_no_tlb",
     "5500/5520/X58: DMA routed to the ISOCH DMAR unit but the BIOS gave it no TLB space",
     "check_tylersburg_isoch() in " + _INTEL),
    ("firmware_bug.ioat_snb_vtd_unit",
     "SNB-EP QuickData device assigned to the wrong VT-d unit by the BIOS",
     "quirk_ioat_snb_local_iommu in " + _INTEL),
    ("firmware_bug.rmrr_no_reserved_region", "an RMRR not covered by a reserved memory region",
     _INTEL),
    ("firmware_bug.bios_identity", "BIOS vendor/version printed after a 'Your BIOS is broken' "
     "line", _DMAR_C),
    ("firmware_bug.other", "another [Firmware Bug] line (not VT-d/AMD-Vi specific)",
     "FW_BUG in include/linux/printk.h"),
    # --- AMD-Vi -----------------------------------------------------------------------------
    ("amdvi.found_iommu", "AMD IOMMU found and set up (requires an IVRS table)",
     "print_iommu_info() in " + _AMD),
    ("amdvi.passthrough_mode", "AMD IOMMU initialised in passthrough mode", _AMD),
    ("amdvi.ivrs_parsed", "IVRS table entries parsed", _AMD),
    ("amdvi.extended_features", "AMD IOMMU extended features listed", _AMD),
    ("amdvi.ir_enabled", "interrupt remapping enabled (AMD-Vi)", _AMD),
    ("amdvi.ir_disabled", "interrupt remapping disabled (AMD-Vi; DMA remapping may still work)",
     _AMD),
    ("amdvi.vapic_enabled", "AMD-Vi virtual APIC (AVIC/GA) enabled", _AMD),
    ("amdvi.lazy_flush", "AMD-Vi lazy IO/TLB flushing", _AMD),
    ("amdvi.perf_counters", "AMD IOMMU performance counters detected",
     "arch/x86/events/amd/iommu.c"),
    ("amdvi.ivrs_ioapic_missing", "IVRS does not list an IOAPIC (interrupt remapping at risk; "
     "ivrs_ioapic= works around it)", _AMD),
    ("amdvi.no_southbridge_ioapic", "IVRS lacks the southbridge IOAPIC; interrupt remapping off",
     _AMD),
    ("amdvi.unknown_option", "an amd_iommu= value the driver did not recognise (e.g. 'on')",
     "parse_amd_iommu_options() in " + _AMD),
    ("amdvi.disabled", "AMD IOMMU disabled (amd_iommu=off or iommu=off)", _AMD),
    # --- generic IOMMU ----------------------------------------------------------------------
    ("iommu.default_domain_passthrough",
     "default DMA domain is identity (iommu=pt): host devices are not isolated",
     "drivers/iommu/iommu.c"),
    ("iommu.default_domain_translated", "default DMA domain is translated",
     "drivers/iommu/iommu.c"),
    ("iommu.tlb_policy", "DMA domain TLB invalidation policy (lazy/strict)",
     "drivers/iommu/iommu.c"),
    ("iommu.group_added", "a device was put into an IOMMU group (an IOMMU driver is active)",
     "drivers/iommu/iommu.c"),
    # --- ACPI table list --------------------------------------------------------------------
    ("acpi.dmar_table", "the firmware publishes an ACPI DMAR table (VT-d)",
     "drivers/acpi/acpica/tbprint.c"),
    ("acpi.ivrs_table", "the firmware publishes an ACPI IVRS table (AMD-Vi)",
     "drivers/acpi/acpica/tbprint.c"),
    # --- VT-x / AMD-V and KVM ---------------------------------------------------------------
    ("kvm.no_hardware_support", "KVM: the CPU lacks VT-x/AMD-V (or a hypervisor hides it)",
     _KVM),
    ("kvm.disabled_by_bios", "KVM: VT-x/AMD-V locked off by the firmware", _KVM),
    ("kvm.txt_disable", "KVM: VMX enabled only inside SMX (TXT); disable TXT or launch via TXT",
     "arch/x86/kvm/vmx/vmx.c (<= v5.5)"),
    ("kvm.modprobe_failed", "userspace could not load the KVM module", "kmod (modprobe)"),
    ("kvm.nested_enabled", "KVM nested virtualization enabled (kvm_amd printed it once its SVM "
     "checks passed)", "svm_hardware_setup() in arch/x86/kvm/svm/svm.c (old: arch/x86/kvm/svm.c)"),
    ("kvm.vmx_setup", "kvm_intel read the VMX capability MSRs and set up its VMCS config "
     "(Nehalem/Westmere PERF_GLOBAL_CTRL erratum workaround): VMX passed KVM's support and BIOS "
     "checks", "setup_vmcs_config() / vmx_hardware_setup() in arch/x86/kvm/vmx/vmx.c"),
    ("kvm_intel.l1tf_ept", "kvm_intel created a VM with EPT on (the L1TF warning is printed by "
     "vmx_vm_init only when enable_ept is set)", "vmx_vm_init() in arch/x86/kvm/vmx/vmx.c"),
    ("kvm.virtualization_enabled_cpu", "KVM turned VMX/SVM on for a CPU coming online",
     "kvm_cpu_hotplug() in virt/kvm/kvm_main.c (2.6.2x)"),
    ("kvm.virtualization_enable_failed", "KVM could not turn VMX/SVM on for a CPU",
     "hardware_enable_nolock() / kvm_enable_virtualization_cpu() in virt/kvm/kvm_main.c"),
    ("kvm.vendor_module_loaded", "a second KVM vendor module was refused because one is "
     "already loaded: KVM is initialised", "kvm_arch_init() / kvm_x86_vendor_init() in "
     "arch/x86/kvm/x86.c"),
    ("kvm_intel.vmx_unsupported", "kvm_intel: VMX not supported by the CPU",
     "__kvm_is_vmx_supported() in arch/x86/kvm/vmx/vmx.c"),
    ("kvm_intel.vmx_disabled_by_bios", "kvm_intel: VMX not enabled by the BIOS in "
     "MSR_IA32_FEAT_CTL", "__kvm_is_vmx_supported() in arch/x86/kvm/vmx/vmx.c"),
    ("kvm_intel.vmx_not_fully_enabled", "kvm_intel: VMX not fully enabled (feature control)",
     "arch/x86/kvm/vmx/vmx.c"),
    ("kvm_amd.svm_unsupported", "kvm_amd: SVM not supported by the CPU",
     "__kvm_is_svm_supported() in arch/x86/kvm/svm/svm.c"),
    ("kvm_amd.svm_disabled_by_bios", "kvm_amd: SVM disabled by the BIOS in MSR_VM_CR",
     "__kvm_is_svm_supported() in arch/x86/kvm/svm/svm.c"),
    ("kvm_amd.npt_enabled", "kvm_amd: nested paging (NPT/RVI) in use", "arch/x86/kvm/svm/svm.c"),
    ("kvm_amd.npt_disabled", "kvm_amd: nested paging (NPT/RVI) not used", "arch/x86/kvm/svm/svm.c"),
    ("x86cpu.vmx_disabled_by_bios", "core kernel found VMX locked off in IA32_FEAT_CTL and "
     "cleared the vmx flag (v5.6+)", "init_ia32_feat_ctl() in arch/x86/kernel/cpu/feat_ctl.c"),
    ("svm.disabled_by_bios", "core kernel found SVMDIS set in VM_CR and cleared the svm flag",
     "arch/x86/kernel/cpu/amd.c"),
    ("kvm_arm.hyp_ok", "arm64 KVM: hypervisor mode (EL2) initialised", "arch/arm64/kvm/arm.c"),
    ("kvm_arm.hyp_unavailable", "arm64 KVM: the kernel was not entered at EL2",
     "arch/arm64/kvm/arm.c"),
    # --- what runs underneath ---------------------------------------------------------------
    # --- how far the log reaches ------------------------------------------------------------
    ("boot.userspace", "the kernel finished booting and started userspace: every IOMMU and "
     "KVM initialisation line of this boot is before this point",
     "kernel_init() in init/main.c ('Run %s as init process', 'Freeing unused kernel ...')"),
    ("hypervisor.detected", "the kernel runs under a hypervisor (CPUID leaf 0x40000000)",
     "init_hypervisor_platform() in arch/x86/kernel/cpu/hypervisor.c"),
    ("hypervisor.paravirt_boot", "paravirtualized kernel booted on a hypervisor",
     "arch/x86/kernel/paravirt.c / setup.c"),
    ("hypervisor.bare_hardware", "paravirt-capable kernel booted on bare hardware",
     "arch/x86/kernel/paravirt.c / setup.c"),
    ("hypervisor.dmi_virtual", "the DMI strings name a virtual platform",
     "dmi_dump_ids() in drivers/firmware/dmi_scan.c"),
    ("xen.pv_domain", "Linux booted as a Xen PV domain (dom0 or domU): Xen, not the firmware, "
     "provides the memory map", "xen_memory_setup() in arch/x86/xen/setup.c"),
    ("acpi.dmar_hidden_by_xen", "Xen renamed the firmware's DMAR table to XMAR before dom0 saw "
     "it: the table exists and Xen owns VT-d", "acpi_dmar_zap() in xen/drivers/passthrough/vtd/"
     "dmar.c"),
    ("hypervisor.acpi_oem", "the ACPI tables carry a virtual platform's OEM id (VBOX, BOCHS/BXPC, "
     "VRTUAL, Xen, PRLS): the firmware is a hypervisor's", "drivers/acpi/acpica/tbprint.c"),
    ("xen.version", "Linux runs on Xen (Xen version printed by the guest/dom0 kernel)",
     "arch/x86/xen/enlighten*.c"),
    ("xen.hvm_enabled", "Xen: HVM (VMX/SVM) support enabled", _XEN),
    ("xen.hap_enabled", "Xen: hardware assisted paging (EPT/NPT) in use", _XEN),
    ("xen.hap_disabled", "Xen: HAP detected but disabled", _XEN),
    ("xen.iommu_enabled", "Xen: I/O virtualisation (IOMMU) enabled", _XEN),
    ("xen.iommu_disabled", "Xen: I/O virtualisation (IOMMU) disabled", _XEN),
    ("xen.intremap_enabled", "Xen: interrupt remapping enabled", _XEN),
)  # fmt: skip

EVENT_CODES: frozenset[str] = frozenset(EVENT_SPECS)


@dataclass(frozen=True, slots=True)
class LogEvent:
    code: str
    #: 1-based line number in the artefact as received
    line_no: int
    #: the message with its transport prefix removed, redacted, at most 240 characters
    text: str
    #: the kernel era in which this spelling was printed
    era: str
    #: values captured from the line (unit names, CPU numbers, modes...)
    detail: tuple[tuple[str, str], ...] = ()
    #: 0 for the first boot in the log, counting up at each "Linux version" line
    boot: int = 0

    def get(self, key: str) -> str | None:
        for name, value in self.detail:
            if name == key:
                return value
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "line_no": self.line_no,
            "text": self.text,
            "era": self.era,
            "detail": dict(self.detail),
            "boot": self.boot,
        }


Era = str | Callable[[re.Match[str]], str]


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    #: a plain substring every matching line contains (cheap pre-filter)
    needle: str
    regex: re.Pattern[str] | None
    era: Era
    #: names of the regex groups kept as detail
    keep: tuple[str, ...] = ()


def _rule(code: str, needle: str, pattern: str | None, era: Era, *keep: str) -> _Rule:
    assert code in EVENT_SPECS, code
    return _Rule(code, needle, re.compile(pattern) if pattern else None, era, keep)


_CURRENT = "current"
_DMAR_ERA = "v4.2+ ('DMAR: ' prefix; the release of the prefix change is not verified)"
_OLD_INTEL_ERA = "2.6.24 .. ~v4.1 ('PCI-DMA:'/'Intel-IOMMU:' prefixes)"


def _kvm_era(m: re.Match[str]) -> str:
    if not m["vendor"]:
        return "2.6.20 .. ~v5.15"
    if m["pfx"]:
        return "~v5.16 .. ~v6.2 (patch Oct 2021; release not verified)"
    return "~v6.2+ (__kvm_x86_vendor_init, no 'kvm: ' prefix; release not verified)"


def _hw_era(m: re.Match[str]) -> str:
    if m["cpu"]:
        return "~v6.3+ (series Nov 2022; release not verified)"
    return "intermediate revision of the ~v6.3 series (no CPU number)"


# Order matters: the first rule that matches a line wins, so specific rules come before the
# generic ones (e.g. the DMAR firmware bugs before firmware_bug.other).
_RULES: tuple[_Rule, ...] = (
    # Intel VT-d activation and command-line echoes
    _rule("dmar.remapping_active", "DMAR: Intel(R) Virtualization Technology for Directed I/O",
          None, _DMAR_ERA),
    _rule("dmar.remapping_active", "PCI-DMA: Intel(R) Virtualization Technology for Directed I/O",
          None, _OLD_INTEL_ERA),
    _rule("dmar.cmdline_enabled_echo", "DMAR: IOMMU enabled", r"DMAR: IOMMU enabled\s*$",
          _CURRENT),
    _rule("dmar.cmdline_enabled_echo", "Intel-IOMMU: enabled", r"Intel-IOMMU: enabled\s*$",
          _OLD_INTEL_ERA),
    _rule("dmar.cmdline_disabled", "DMAR: IOMMU disabled", r"DMAR: IOMMU disabled\s*$", _CURRENT),
    _rule("dmar.cmdline_disabled", "Intel-IOMMU: disabled", r"Intel-IOMMU: disabled\s*$",
          _OLD_INTEL_ERA),
    _rule("dmar.unknown_option", "Unknown option",
          r"DMAR: Unknown option - '(?P<value>[^']{0,64})'", _CURRENT, "value"),
    _rule("dmar.platform_optin_forced", "Intel-IOMMU force enabled due to platform opt in", None,
          "v5.x+"),
    _rule("dmar.tboot_forced", "Forcing Intel-IOMMU to enabled", None, _CURRENT),
    # DMAR firmware bugs (before the table-present rules: the same lines say "DMAR")
    _rule("firmware_bug.dmar_all_ones", "returns all ones",
          r"DMAR reported at address (?P<address>[0-9a-fA-Fx]{1,18}) returns all ones",
          _CURRENT, "address"),
    _rule("firmware_bug.dmar_bad_address", "DMAR reported at address",
          r"DMAR reported at address (?P<address>[0-9a-fA-Fx]{1,18})", _CURRENT, "address"),
    _rule("firmware_bug.dmar_bad_rmrr", "Your BIOS is broken; bad RMRR", None, _CURRENT),
    _rule("firmware_bug.dmar_rhsa_bad_unit", "RHSA refers to non-existent DMAR unit", None,
          _CURRENT),
    _rule("firmware_bug.dmar_andd_name", "ANDD object name is not NUL-terminated", None, _CURRENT),
    _rule("firmware_bug.dmar_no_drhd", "No DRHD structure found in DMAR table", None, _CURRENT),
    _rule("firmware_bug.dmar_invalid_haw", "Invalid DMAR haw", None, _CURRENT),
    _rule("firmware_bug.dmar_rmrr_entry_broken", "is broken - applying workaround",
          r"RMRR entry for device (?P<device>[0-9a-fA-F:.]{1,16}) is broken", _CURRENT, "device"),
    _rule("firmware_bug.dmar_record_past_end", "Record passes table end", None, _CURRENT),
    _rule("firmware_bug.tylersburg_isoch_no_tlb", "DMA routed to ISOCH DMAR unit but no TLB space",
          None, "all eras"),
    _rule("dmar.tylersburg_isoch_tlb", "Recommended TLB entries for ISOCH unit",
          r"Recommended TLB entries for ISOCH unit is \d+; your BIOS set (?P<entries>\d{1,6})",
          "all eras", "entries"),
    _rule("firmware_bug.ioat_snb_vtd_unit", "BIOS assigned incorrect VT-d unit", None, _CURRENT),
    _rule("firmware_bug.rmrr_no_reserved_region", "No firmware reserved region can cover this RMRR",
          None, _CURRENT),
    _rule("firmware_bug.bios_identity", "BIOS vendor: ",
          r"BIOS vendor: (?P<vendor>[^;]{0,64}); Ver: (?P<version>[^;]{0,64});"
          r" Product Version: (?P<product_version>.{0,64})$",
          "all eras", "vendor", "version", "product_version"),
    # DMAR table present (printed whether or not remapping is enabled)
    _rule("dmar.table_present", "Host address width",
          r"(?i:dmar): Host address width (?P<haw>\d{1,3})", "all eras", "haw"),
    _rule("dmar.table_present", "DRHD base:",
          r"DRHD base: (?P<base>0x[0-9a-fA-F]{1,16}) flags: (?P<flags>0x[0-9a-fA-F]{1,8})",
          "all eras", "base", "flags"),
    _rule("dmar.table_present", "reg_base_addr",
          r"(?:(?P<unit>dmar\d{1,4})|IOMMU (?P<old_unit>\d{1,4})): reg_base_addr "
          r"(?P<reg_base>[0-9a-fA-F]{1,16}) ver (?P<ver>\d{1,3}:\d{1,3})",
          lambda m: "v3.x+ ('dmarN:')" if m["unit"] else "2.6.x .. v3.x ('IOMMU N:')",
          "unit", "old_unit", "ver"),
    _rule("dmar.table_present", "RMRR base:",
          r"RMRR base: (?P<base>0x[0-9a-fA-F]{1,16}) end: (?P<end>0x[0-9a-fA-F]{1,16})",
          "all eras", "base", "end"),
    _rule("dmar.table_present", "DMAR: ",
          r"DMAR: (?P<record>ANDD device|SATC flags|ATSR flags|RHSA base)", _CURRENT, "record"),
    _rule("dmar.no_devices", "No DMAR devices found", None, _CURRENT),
    _rule("dmar.table_parse_failed", "Parse DMAR table failure", None, _CURRENT),
    _rule("dmar.init_failed", "DMAR: Initialization failed", None, _CURRENT),
    _rule("dmar.init_failed", "IOMMU: dmar init failed", None, "2.6.x .. v3.x"),
    _rule("dmar.init_failed", "tboot: Failed to initialize DMAR table", None, "all eras (tboot)"),
    # chipset quirks (kernel_quirks.csv)
    _rule("dmar.quirk_rwbf", "Forcing write-buffer flush capability", None, "2.6.3x+"),
    _rule("dmar.quirk_igfx_disabled", "Disabling IOMMU for graphics on this chipset", None,
          "~v3.x+"),
    _rule("dmar.quirk_calpella_no_shadow_gtt", "BIOS has allocated no shadow GTT", None, "~v3.x+"),
    _rule("dmar.quirk_ironlake_batched_flush", "Disabling batched IOTLB flush on Ironlake", None,
          "~v3.x+"),
    _rule("dmar.quirk_igfx_skip_te_disable", "Skip IOMMU disabling for graphics", None, _CURRENT),
    # interrupt remapping (VT-d)
    _rule("dmar_ir.enabled", "Enabled IRQ remapping in",
          r"(?P<pfx>DMAR-IR: )?Enabled IRQ remapping in (?P<mode>x2apic|xapic) mode",
          lambda m: "v4.x+ ('DMAR-IR: ')" if m["pfx"] else "v3.x (no prefix)", "mode"),
    _rule("dmar_ir.x2apic_optout", "x2apic is disabled because BIOS sets x2apic opt out bit", None,
          _CURRENT),
    _rule("dmar_ir.erratum_disabled", "on a chipset that contains an erratum", None, "v3.x+"),
    # AMD-Vi
    _rule("amdvi.found_iommu", "AMD-Vi: Found IOMMU cap",
          r"(?P<device>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]): AMD-Vi: Found IOMMU "
          r"cap (?P<cap>0x[0-9a-fA-F]{1,8})",
          "~v5.x+ (pci_info format)", "device", "cap"),
    _rule("amdvi.found_iommu", "AMD-Vi: Found IOMMU at",
          r"AMD-Vi: Found IOMMU at (?P<device>[0-9a-fA-F:.]{7,16}) cap (?P<cap>0x[0-9a-fA-F]{1,8})",
          "~v3.x .. v4.x", "device", "cap"),
    _rule("amdvi.passthrough_mode", "AMD-Vi: Initialized for Passthrough Mode", None,
          "~v3.x .. v4.x"),
    _rule("amdvi.ivrs_ioapic_missing", "not in IVRS table",
          r"AMD-Vi: \[Firmware Bug\]:[ :]{0,4}IOAPIC\[(?P<ioapic>\d{1,4})\] not in IVRS table",
          "newer ('AMD-Vi: [Firmware Bug]:' order)", "ioapic"),
    _rule("amdvi.ivrs_ioapic_missing", "not in IVRS table",
          r"\[Firmware Bug\]: AMD-Vi: IOAPIC\[(?P<ioapic>\d{1,4})\] not in IVRS table",
          "older ('[Firmware Bug]: AMD-Vi:' order)", "ioapic"),
    _rule("amdvi.no_southbridge_ioapic", "No southbridge IOAPIC found", None, _CURRENT),
    _rule("amdvi.ir_disabled", "AMD-Vi: Disabling interrupt remapping", None, _CURRENT),
    _rule("amdvi.ir_enabled", "AMD-Vi: Interrupt remapping enabled", None, "~v3.x+"),
    _rule("amdvi.vapic_enabled", "AMD-Vi: Virtual APIC enabled", None, "~v4.x+"),
    _rule("amdvi.lazy_flush", "AMD-Vi: Lazy IO/TLB flushing enabled", None, "~v3.x .. v5.x"),
    _rule("amdvi.extended_features", "Extended features", r"AMD-Vi:\s{1,4}Extended features",
          "all eras"),
    _rule("amdvi.unknown_option", "AMD-Vi: Unknown option",
          r"AMD-Vi: Unknown option - '(?P<value>[^']{0,64})'", _CURRENT, "value"),
    _rule("amdvi.ivrs_parsed", "AMD-Vi: ",
          r"AMD-Vi: (?:ivrs, add |Using global IVHD EFR|Using IVHD type)", "~v4.x+"),
    _rule("amdvi.disabled", "AMD IOMMU disabled", None, "not verified"),
    _rule("amdvi.perf_counters", "perf/amd_iommu: Detected AMD IOMMU #",
          r"perf/amd_iommu: Detected AMD IOMMU #(?P<index>\d{1,4})", "~v4.x+", "index"),
    # generic IOMMU core
    _rule("iommu.default_domain_passthrough", "Default domain type: Passthrough",
          r"Default domain type: Passthrough(?: \((?P<set_by>set via kernel command line)\))?",
          "v5.x+", "set_by"),
    _rule("iommu.default_domain_translated", "Default domain type: Translated",
          r"Default domain type: Translated(?: \((?P<set_by>set via kernel command line)\))?",
          "v5.x+", "set_by"),
    _rule("iommu.tlb_policy", "TLB invalidation policy",
          r"DMA domain TLB invalidation policy: (?P<mode>\w{1,16}) mode", "v5.x+", "mode"),
    _rule("iommu.group_added", "iommu group",
          r"Adding to iommu group (?P<group>\d{1,6})", "~v5.x+"),
    _rule("iommu.group_added", "to group",
          r"iommu: Adding device \S{1,32} to group (?P<group>\d{1,6})", "v3.5 .. v5.x"),
    # VT-x / AMD-V: core kernel
    _rule("x86cpu.vmx_disabled_by_bios", "TXT) disabled by BIOS",
          r"VMX \((?P<txt>outside|inside) TXT\) disabled by BIOS", "v5.6+", "txt"),
    # KVM, all eras (dmesg_patterns.csv)
    _rule("kvm.no_hardware_support", "no hardware support",
          r"(?:^|\s)(?P<pfx>kvm: )?no hardware support(?: for '(?P<vendor>kvm_\w{1,8})')?\s*$",
          _kvm_era, "vendor"),
    _rule("kvm.disabled_by_bios", "disabled by bios",
          r"(?:^|\s)(?P<pfx>kvm: )?(?:support for '(?P<vendor>kvm_\w{1,8})' )?disabled by bios\s*$",
          _kvm_era, "vendor"),
    _rule("kvm_intel.vmx_disabled_by_bios", "VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL",
          r"VMX not enabled \(by BIOS\) in MSR_IA32_FEAT_CTL(?: on CPU (?P<cpu>\d{1,5}))?",
          _hw_era, "cpu"),
    _rule("kvm_intel.vmx_not_fully_enabled", "VMX not fully enabled",
          r"VMX not fully enabled on CPU (?P<cpu>\d{1,5})", "newer (upstream patch)", "cpu"),
    _rule("kvm_intel.vmx_unsupported", "VMX not supported by CPU",
          r"VMX not supported by CPU (?P<cpu>\d{1,5})", _hw_era, "cpu"),
    _rule("kvm_intel.vmx_unsupported", "CPU doesn't support VMX",
          r"(?P<cpu>)CPU doesn't support VMX", _hw_era),
    _rule("kvm_amd.svm_unsupported", "SVM not supported by CPU",
          r"SVM not supported by CPU (?P<cpu>\d{1,5})(?:, (?P<reason>.{1,80}))?", _hw_era,
          "cpu", "reason"),
    _rule("kvm_amd.svm_disabled_by_bios", "SVM disabled (by BIOS) in MSR_VM_CR on CPU",
          r"SVM disabled \(by BIOS\) in MSR_VM_CR on CPU (?P<cpu>\d{1,5})", _hw_era, "cpu"),
    _rule("svm.disabled_by_bios", "SVM disabled (by BIOS) in MSR_VM_CR", None,
          "recent mainline (release not verified)"),
    _rule("kvm.txt_disable", "disable TXT in the BIOS or activate TXT before enabling KVM", None,
          "<= v5.5"),
    _rule("kvm.modprobe_failed", "could not insert 'kvm",
          r"could not insert '(?P<module>kvm(?:_intel|_amd)?)': (?P<error>.{1,80})",
          "userspace", "module", "error"),
    _rule("kvm.virtualization_enable_failed", "enabling virtualization on CPU",
          r"enabling virtualization on CPU(?P<cpu>\d{1,5}) failed", "all eras", "cpu"),
    _rule("kvm.virtualization_enabled_cpu", "enabling virtualization on CPU",
          r"kvm: enabling virtualization on CPU(?P<cpu>\d{1,5})\s*$", "2.6.2x", "cpu"),
    _rule("kvm.vendor_module_loaded", "already loaded vendor module",
          r"(?P<pfx>kvm: )?already loaded vendor module '(?P<module>\w{1,16})'",
          lambda m: "~v5.16 .. ~v6.2" if m["pfx"] else "~v6.2+", "module"),
    _rule("kvm.vmx_setup", "VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL does not work properly", None,
          "v3.x+ ('kvm: ' prefix until ~v6.2)"),
    _rule("kvm_intel.l1tf_ept", "L1TF CPU bug present and",
          r"L1TF CPU bug present and (?:SMT on|virtualization mitigation disabled), data leak",
          "v4.18+ ('kvm_intel: ' prefix from ~v6.2)"),
    _rule("kvm.nested_enabled", "Nested Virtualization enabled", None, "all eras"),
    _rule("kvm_amd.npt_enabled", "Nested Paging enabled", None, "all eras (svm.c)"),
    _rule("kvm_amd.npt_disabled", "Nested Paging disabled", None, "all eras (svm.c)"),
    _rule("kvm_arm.hyp_ok", "mode initialized successfully",
          r"kvm \[\d{1,5}\]: (?P<mode>Hyp|VHE|Protected nVHE|nVHE|hVHE) mode initialized "
          r"successfully", "v3.x+", "mode"),
    _rule("kvm_arm.hyp_unavailable", "HYP mode not available", None, "v3.x+"),
    # the end of kernel boot: a log that reaches it can prove an initialisation line absent
    _rule("boot.userspace", " as init process", r"Run \S{1,256} as init process", "v4.x+"),
    _rule("boot.userspace", "Freeing unused kernel", None, "all eras"),
    # hypervisor underneath
    _rule("hypervisor.detected", "Hypervisor detected: ",
          r"Hypervisor detected: (?P<name>\S.{0,63}?)\s*$", "v2.6.3x+", "name"),
    _rule("hypervisor.bare_hardware", "Booting paravirtualized kernel on bare hardware", None,
          "all eras"),
    _rule("hypervisor.paravirt_boot", "Booting paravirtualized kernel on ",
          r"Booting paravirtualized kernel on (?P<name>\S.{0,63}?)\s*$", "all eras", "name"),
    _rule("xen.pv_domain", "Xen-provided physical RAM map", None, "all eras"),
    _rule("xen.pv_domain", "Setting APIC routing to Xen PV", None,
          "v3.x+ (arch/x86/xen/apic.c, PV domains only)"),
    _rule("xen.version", "Xen version: ", r"Xen version: (?P<version>\S{1,64})", "all eras",
          "version"),
    _rule("xen.hvm_enabled", "HVM: ", r"HVM: (?P<kind>VMX|SVM) enabled", "Xen 3.x+", "kind"),
    _rule("xen.hap_disabled", "HAP) detected but disabled", None, "Xen 3.x+"),
    _rule("xen.hap_enabled", "Hardware Assisted Paging (HAP) detected", None, "Xen 3.x+"),
    _rule("xen.iommu_enabled", "I/O virtualisation enabled", None, "Xen 3.x+"),
    _rule("xen.iommu_disabled", "I/O virtualisation disabled", None, "Xen 3.x+"),
    _rule("xen.intremap_enabled", "Interrupt Remapping enabled",
          r"\(XEN\).{0,40}Interrupt Remapping enabled", "Xen 3.x+"),
    # any other [Firmware Bug] line
    _rule("firmware_bug.other", "[Firmware Bug]", None, "all eras"),
)  # fmt: skip

# journalctl -k (short, short-iso, short-monotonic), dmesg, dmesg -T, dmesg -x, dmesg -r.
_PREFIX_RE = re.compile(
    r"^(?:<\d{1,3}>)?"
    r"(?P<facility>(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp"
    r"|local[0-7]) {0,8}:(?:emerg|alert|crit|err|warn|notice|info|debug) {0,8}: )?"
    r"(?:\[ {0,12}(?P<mono>\d{1,10}\.\d{1,9})\] ?"
    r"|\[(?P<ctime>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\] ?"
    r"|(?P<syslog>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})?) "
    r"|(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+\-]\d\d:?\d\d)?) )?"
    # the host name, or the placeholder redaction put in its place
    r"(?P<journal>(?:(?:<redacted:host(?::[0-9a-f]{8})?>|[^\s:\[\]]{1,253}) )?kernel: )?"
    # syslog's kern.log keeps the kernel's own timestamp after "host kernel: "
    r"(?:(?<=kernel: )\[ {0,12}\d{1,10}\.\d{1,9}\] ?)?"
)

_ACPI_TABLE_RE = re.compile(r"^ACPI: (?P<sig>[A-Za-z0-9_!$]{4}) (?:0x)?[0-9A-Fa-f]{8,16}[, ]")
_ACPI_RESERVE_RE = re.compile(r"^ACPI: Reserving (?P<sig>[A-Za-z0-9_!$]{4}) table memory at")
_LINUX_VERSION_RE = re.compile(r"^Linux version (?P<release>[\w.+~\-]{1,64})")
_CMDLINE_RE = re.compile(r"^(?:Kernel )?[Cc]ommand line: (?P<cmdline>.*)$")
_DMI_RE = re.compile(r"^DMI: (?P<dmi>(?!Memory slots).{1,256})")
# v4.x+ prints "(family: 0x6, model: 0x17, stepping: 0x6)"; v3.x "(fam: 06, model: 17,
# stepping: 0a)", hex without the 0x, and before the "smpboot: " prefix (~v3.7) the same
# line began with "CPU0: ".
_SMPBOOT_RE = re.compile(
    r"^(?:smpboot: )?CPU0: (?P<name>.{1,128}?) \((?:family|fam): "
    r"(?P<family>(?:0x)?[0-9a-f]{1,4}), model: (?P<model>(?:0x)?[0-9a-f]{1,4}), "
    r"stepping: (?P<stepping>(?:0x)?[0-9a-f]{1,4})\)"
)
# 2.6.x print_cpu_info(): "CPU0: Intel(R) Xeon(R) CPU X3440 @ 2.53GHz stepping 05" or "CPU0:
# Quad-Core AMD Opteron(tm) Processor 2356 stepping 03": the brand string (the vendor name is
# prepended when the brand lacks it) and the stepping in hex, no family or model.
_OLD_CPU0_RE = re.compile(
    r"^CPU0: (?P<name>\S.{0,127}?) stepping (?P<stepping>[0-9a-f]{1,4})\s{0,8}$"
)
# The OEM id of an ACPI table line: "ACPI: RSDP 000e0000 00024 (v02 VBOX  )".
_ACPI_OEM_RE = re.compile(r"\(v\d\d (?P<oem>[^)]{1,6})")
#: OEM ids only hypervisors' virtual firmware uses (VirtualBox, QEMU/SeaBIOS/OVMF, Hyper-V,
#: Xen HVM, Parallels).
_VIRTUAL_OEMS = {
    "VBOX": "VirtualBox",
    "BOCHS": "QEMU",
    "BXPC": "QEMU",
    "VRTUAL": "Hyper-V",
    "Xen": "Xen",
    "PRLS": "Parallels",
}
#: Lines that only one architecture's kernel prints.
_ARCH_MARKERS = (
    ("x86/fpu: ", "x86"),
    ("smpboot: CPU0: ", "x86"),
    ("Xen-provided physical RAM map", "x86"),
    ("Booting Linux on physical CPU", "arm"),
    ("CPU features: detected", "aarch64"),
    ("GENERIC arm64", "aarch64"),
    ("ACPI: IORT", "aarch64"),
    ("ACPI: DMAR", "x86"),
    ("ACPI: IVRS", "x86"),
)


@dataclass(frozen=True, slots=True)
class KernelLog:
    #: from "Linux version X" of the last boot in the log
    kernel_release: str | None
    kernel_version: tuple[int, int, int] | None
    #: dmesg, dmesg-T, dmesg-x, journal, iso or plain
    log_format: str
    #: number of boots seen ("Linux version" lines; at least 1 for a non-empty log)
    boots: int
    #: ACPI table signatures listed at boot, in order (DMAR, IVRS, SSDT...)
    acpi_tables: tuple[str, ...]
    #: the log contains the ACPI table list, so an absent DMAR/IVRS there is meaningful
    acpi_table_list_seen: bool
    #: "Command line:" of the last boot, redacted
    cmdline: str | None
    #: the "DMI: vendor product/board, BIOS version date" line of the last boot, redacted
    dmi_summary: str | None
    cpu_model_name: str | None
    cpu_family: int | None
    cpu_model: int | None
    cpu_stepping: int | None
    #: "x86", "arm", "aarch64" from lines only that architecture prints; None if none seen
    arch: str | None
    events: tuple[LogEvent, ...]
    #: code -> number of matching lines (all boots), also counting events not kept
    event_counts: Mapping[str, int]
    #: distinct IOMMU group numbers seen in "Adding to iommu group N" lines (last boot)
    iommu_groups_logged: int
    # --- summary of the last boot ---
    iommu_active: bool
    iommu_cmdline_echo: bool
    iommu_cmdline_disabled: bool
    iommu_passthrough_default: bool
    dmar_table_seen: bool
    ivrs_table_seen: bool
    irq_remapping_enabled: bool
    irq_remapping_disabled: bool
    kvm_disabled_by_bios: bool
    vmx_disabled_by_bios: bool
    svm_disabled_by_bios: bool
    kvm_no_hw_support: bool
    #: codes of KVM_WORKING / SLAT_IN_USE lines of the last boot
    kvm_working: tuple[str, ...]
    slat_in_use: tuple[str, ...]
    #: Linux is a Xen PV domain (dom0 or domU)
    xen_pv_domain: bool
    #: the log reaches userspace start, so a missing init line (e.g. DMA remapping) is absent,
    #: not merely cut off
    reached_userspace: bool
    hypervisor_detected: bool
    #: the strongest hint first: CPUID ("Hypervisor detected"), paravirt boot, DMI
    hypervisor_name: str | None
    hypervisor_names: tuple[str, ...]
    #: VT-d/AMD-Vi firmware-bug codes of the last boot (firmware_bug.other left out)
    firmware_bugs: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def codes(self) -> frozenset[str]:
        """Event codes of the last boot."""
        last = self.boots - 1 if self.boots else 0
        return frozenset(e.code for e in self.events if e.boot == last)

    def has(self, code: str) -> bool:
        return code in self.codes

    def events_for(self, code: str) -> tuple[LogEvent, ...]:
        return tuple(e for e in self.events if e.code == code)

    def as_dict(self) -> dict[str, Any]:
        return fields_as_dict(self)


_ACTIVE = frozenset(
    {"dmar.remapping_active", "amdvi.found_iommu", "amdvi.passthrough_mode", "iommu.group_added"}
)
# Not dmar_ir.enabled: its unprefixed v3.x spelling came from generic APIC code.
_DMAR_TABLE = frozenset(
    {"dmar.table_present", "acpi.dmar_table", "dmar_ir.x2apic_optout", "acpi.dmar_hidden_by_xen"}
)
#: Lines KVM prints only once VMX/SVM passed its CPU-support and BIOS-lock checks.
KVM_WORKING = frozenset(
    {
        "kvm.nested_enabled",
        "kvm_amd.npt_enabled",
        "kvm_amd.npt_disabled",
        "kvm.vmx_setup",
        "kvm_intel.l1tf_ept",
        "kvm.virtualization_enabled_cpu",
        "kvm.vendor_module_loaded",
    }
)
#: Lines that show KVM running guests with EPT/NPT.
SLAT_IN_USE = frozenset({"kvm_amd.npt_enabled", "kvm_intel.l1tf_ept"})
_IVRS_TABLE = frozenset(
    {
        "acpi.ivrs_table",
        "amdvi.ivrs_parsed",
        "amdvi.found_iommu",
        "amdvi.ivrs_ioapic_missing",
        "amdvi.no_southbridge_ioapic",
    }
)
_KVM_BIOS = frozenset(
    {
        "kvm.disabled_by_bios",
        "kvm_intel.vmx_disabled_by_bios",
        "kvm_intel.vmx_not_fully_enabled",
        "kvm_amd.svm_disabled_by_bios",
    }
)
_KVM_NO_HW = frozenset(
    {"kvm.no_hardware_support", "kvm_intel.vmx_unsupported", "kvm_amd.svm_unsupported"}
)


def _strip_prefix(line: str, styles: dict[str, int]) -> str:
    m = _PREFIX_RE.match(line)
    if m is None or m.end() == 0:
        styles["plain"] = styles.get("plain", 0) + 1
        return line
    if m["journal"]:
        style = "journal"
    elif m["mono"]:
        style = "dmesg-x" if m["facility"] else "dmesg"
    elif m["ctime"]:
        style = "dmesg-T"
    elif m["iso"]:
        style = "iso"
    elif m["syslog"]:
        style = "syslog"
    else:
        style = "plain"
    styles[style] = styles.get(style, 0) + 1
    return line[m.end() :]


# Lines that contain none of these strings cannot produce anything: one regex scan over the
# whole text finds the candidates, which keeps a log of millions of short lines cheap.
_ALWAYS = (
    "Linux version ",
    "ACPI: ",
    "ommand line: ",
    "DMI: ",
    "CPU0: ",
    *(marker for marker, _ in _ARCH_MARKERS),
)


def _trie(needles: list[str]) -> str:
    """A regex matching where any of ``needles`` starts, as a trie: alternatives grouped by
    their first character, so the engine tries one branch per character instead of every
    needle at every position (the same positions match as with a flat alternation)."""
    if "" in needles:
        return ""  # a needle ends here: the longer ones add no position
    groups: dict[str, list[str]] = {}
    for needle in needles:
        groups.setdefault(needle[0], []).append(needle[1:])
    branches = [
        re.escape(first + rest[0]) if len(rest) == 1 else re.escape(first) + _trie(rest)
        for first, rest in sorted(groups.items())
    ]
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


_CANDIDATE_RE = re.compile(_trie(sorted({r.needle for r in _RULES} | set(_ALWAYS))))


def _candidate_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line_number, line)`` for each line holding a needle; numbers count ``\\n``."""
    line_no = 1
    counted_to = 0
    pos = 0
    length = len(text)
    while pos < length:
        m = _CANDIDATE_RE.search(text, pos)
        if m is None:
            return
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.start())
        if end < 0:
            end = length
        line_no += text.count("\n", counted_to, start)
        counted_to = start
        line = text[start : min(end, start + MAX_LINE_CHARS)]
        yield line_no, line[:-1] if line.endswith("\r") else line
        pos = end + 1


def _match(message: str) -> tuple[_Rule, re.Match[str] | None] | None:
    for rule in _RULES:
        if rule.needle not in message:
            continue
        if rule.regex is None:
            return rule, None
        m = rule.regex.search(message)
        if m is not None:
            return rule, m
    return None


def parse_kernel_log(data: str | bytes | object, *, salt: str | None = None) -> KernelLog:
    """Parse a kernel log in any common format; never raises.

    ``salt`` is passed to :func:`~virtcompat.probe.redact.scrub_text` for the lines kept in
    the result (events, command line, DMI line); with None they carry ``<redacted:KIND>``.
    """
    warnings = Warnings()
    text, truncated = decode_input(data, ARTEFACT_LIMITS["dmesg"], warnings)

    styles: dict[str, int] = {}
    collected = _Events(salt)
    acpi_tables: list[str] = []
    acpi_seen = False
    releases: list[str] = []
    boot = 0
    cmdlines: dict[int, str] = {}
    dmi_lines: dict[int, str] = {}
    smpboot: re.Match[str] | None = None
    groups: dict[int, set[int]] = {}
    oem_platforms: set[str] = set()
    arch_votes: dict[str, int] = {}

    for line_no, line in _candidate_lines(text):
        message = _strip_prefix(line, styles).strip()
        if message.startswith("Linux version "):
            m = _LINUX_VERSION_RE.match(message)
            if m is not None:
                if releases:
                    boot += 1
                releases.append(m["release"])
            continue
        if message.startswith("ACPI: "):
            m = _ACPI_TABLE_RE.match(message) or _ACPI_RESERVE_RE.match(message)
            if m is not None:
                acpi_seen = True
                sig = m["sig"]
                if sig not in acpi_tables and len(acpi_tables) < 512:
                    acpi_tables.append(sig)
                if sig in ("DMAR", "IVRS", "XMAR"):
                    code = {
                        "DMAR": "acpi.dmar_table",
                        "IVRS": "acpi.ivrs_table",
                        "XMAR": "acpi.dmar_hidden_by_xen",
                    }[sig]
                    collected.add(code, line_no, message, "all eras", (), boot)
                oem = _ACPI_OEM_RE.search(message)
                platform = _VIRTUAL_OEMS.get(oem["oem"].strip()) if oem else None
                if platform is not None and platform not in oem_platforms:
                    oem_platforms.add(platform)
                    collected.add(
                        "hypervisor.acpi_oem",
                        line_no,
                        message,
                        "all eras",
                        (("name", platform),),
                        boot,
                    )
                continue
        if "ommand line: " in message and boot not in cmdlines:
            m = _CMDLINE_RE.match(message)
            if m is not None:
                cmdlines[boot] = m["cmdline"]
                continue
        if message.startswith("DMI: ") and boot not in dmi_lines:
            m = _DMI_RE.match(message)
            if m is not None:
                dmi_lines[boot] = m["dmi"]
                platform = virtual_platform(m["dmi"])
                if platform is not None:
                    collected.add(
                        "hypervisor.dmi_virtual",
                        line_no,
                        message,
                        "all eras",
                        (("name", platform),),
                        boot,
                    )
                continue
        if smpboot is None and message.startswith(("smpboot: CPU0: ", "CPU0: ")):
            smpboot = _SMPBOOT_RE.match(message) or _OLD_CPU0_RE.match(message)
        for marker, arch in _ARCH_MARKERS:
            if marker in message:
                arch_votes[arch] = arch_votes.get(arch, 0) + 1
        found = _match(message)
        if found is None:
            continue
        rule, m = found
        era = rule.era if isinstance(rule.era, str) else rule.era(m) if m else ""
        detail: tuple[tuple[str, str], ...] = ()
        if m is not None:
            detail = tuple((k, m[k]) for k in rule.keep if m[k])
            if rule.code == "iommu.group_added":
                group = m["group"]
                bucket = groups.setdefault(boot, set())
                if group and len(bucket) < _MAX_GROUPS:
                    bucket.add(int(group))
        collected.add(rule.code, line_no, message, era, detail, boot)

    boots = max(len(releases), 1) if text.strip() else 0
    if len(releases) > 1:
        warnings.add(f"the log holds {len(releases)} boots; the summary describes the last one")
    if truncated:
        warnings.add("log truncated: events after the cut are missing")
    if text.strip() and not releases:
        warnings.add("no 'Linux version' line: the start of the boot log is missing")

    events = collected.items
    last = boot
    last_codes = {e.code for e in events if e.boot == last}
    names: list[str] = []
    for code in (
        "hypervisor.detected",
        "hypervisor.paravirt_boot",
        "hypervisor.dmi_virtual",
        "hypervisor.acpi_oem",
    ):
        for event in events:
            name = event.get("name")
            if event.code == code and event.boot == last and name and name not in names:
                names.append(name)
    if last_codes & {"xen.version", "xen.pv_domain"} and "Xen" not in names:
        names.append("Xen")
    release = releases[-1] if releases else None
    smp_name = _clean_cpu_name(smpboot["name"]) if smpboot else None
    return KernelLog(
        kernel_release=release,
        kernel_version=parse_version(release),
        log_format=max(styles, key=lambda k: styles[k]) if styles else "plain",
        boots=boots,
        acpi_tables=tuple(acpi_tables),
        acpi_table_list_seen=acpi_seen,
        cmdline=_redact(cmdlines[last], salt, 4096) if last in cmdlines else None,
        dmi_summary=_redact(dmi_lines[last], salt, 256) if last in dmi_lines else None,
        cpu_model_name=smp_name,
        cpu_family=_hex_group(smpboot, "family"),
        cpu_model=_hex_group(smpboot, "model"),
        cpu_stepping=_hex_group(smpboot, "stepping"),
        arch=max(arch_votes, key=lambda k: arch_votes[k]) if arch_votes else None,
        events=tuple(events),
        event_counts=dict(sorted(collected.counts.items())),
        iommu_groups_logged=len(groups.get(last, ())),
        iommu_active=bool(last_codes & _ACTIVE),
        iommu_cmdline_echo="dmar.cmdline_enabled_echo" in last_codes,
        iommu_cmdline_disabled="dmar.cmdline_disabled" in last_codes,
        iommu_passthrough_default="iommu.default_domain_passthrough" in last_codes,
        dmar_table_seen=bool(last_codes & _DMAR_TABLE)
        or any(c.startswith("firmware_bug.dmar_") for c in last_codes),
        ivrs_table_seen=bool(last_codes & _IVRS_TABLE),
        irq_remapping_enabled=bool(last_codes & {"dmar_ir.enabled", "amdvi.ir_enabled"}),
        irq_remapping_disabled=bool(
            last_codes
            & {"dmar_ir.erratum_disabled", "amdvi.ir_disabled", "amdvi.no_southbridge_ioapic"}
        ),
        kvm_disabled_by_bios=bool(last_codes & _KVM_BIOS),
        vmx_disabled_by_bios="x86cpu.vmx_disabled_by_bios" in last_codes,
        svm_disabled_by_bios="svm.disabled_by_bios" in last_codes,
        kvm_no_hw_support=bool(last_codes & _KVM_NO_HW),
        kvm_working=tuple(sorted(last_codes & KVM_WORKING)),
        slat_in_use=tuple(sorted(last_codes & SLAT_IN_USE)),
        xen_pv_domain="xen.pv_domain" in last_codes,
        reached_userspace="boot.userspace" in last_codes,
        hypervisor_detected=bool(names),
        hypervisor_name=names[0] if names else None,
        hypervisor_names=tuple(names),
        firmware_bugs=tuple(
            sorted(
                c for c in last_codes if c.startswith("firmware_bug.") and c != "firmware_bug.other"
            )
        ),
        warnings=warnings.freeze(),
    )


def _hex_group(m: re.Match[str] | None, group: str) -> int | None:
    """A hex field of the CPU0 line; the 2.6.x spelling has no family or model group."""
    if m is None or group not in m.re.groupindex:
        return None
    return int(m[group], 16)


def _clean_cpu_name(name: str) -> str:
    return " ".join(name.split())


def _redact(text: str, salt: str | None, limit: int) -> str:
    clean, _ = scrub_text_lines(text, salt)  # scrub_text, over the lines it can change
    return clip(clean, limit)


class _Events:
    """Events kept so far; bounded per (code, boot), with full counts per code."""

    def __init__(self, salt: str | None) -> None:
        self.salt = salt
        self.items: list[LogEvent] = []
        self.counts: dict[str, int] = {}
        self._kept: dict[tuple[str, int], int] = {}

    def add(
        self,
        code: str,
        line_no: int,
        message: str,
        era: str,
        detail: tuple[tuple[str, str], ...],
        boot: int,
    ) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1
        # A host with 200 PCI functions logs 200 group lines: one event says it all, and the
        # count above says how many there were.
        cap = 1 if code == "iommu.group_added" else _EVENTS_PER_CODE
        kept = self._kept.get((code, boot), 0)
        if kept >= cap:
            return
        self._kept[(code, boot)] = kept + 1
        self.items.append(
            LogEvent(
                code=code,
                line_no=line_no,
                text=_redact(message, self.salt, _EVENT_TEXT_CHARS),
                era=era,
                detail=tuple((k, _redact(v, self.salt, 128)) for k, v in detail),
                boot=boot,
            )
        )

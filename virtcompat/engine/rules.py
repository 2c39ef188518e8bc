"""Hardware rules (HW-*): the registry entries every verdict reason cites.

Each rule's explanation names the hardware quirk or document it encodes; the checks live
in ``virtcompat.engine.verdict`` and refer to these objects, never to bare strings.
"""

from __future__ import annotations

from virtcompat.rules.registry import Applies, Rule, Severity, register

_XEN_VTD = "Xen wiki VTdHowTo, 'Note from Intel on VT-d compatibility' (2009)"
_DS_319970 = "Intel 4 Series Chipset Family Datasheet 319970, ch. 12 (VT-d registers, 82Q45 only)"
_FEAT_CTL = "torvalds/linux arch/x86/kernel/cpu/feat_ctl.c (commit ef4d3bf19855, v5.6)"
_KVM_X86 = "torvalds/linux arch/x86/kvm/x86.c and drivers/kvm/kvm_main.c (KVM init messages)"
_INTEL_IOMMU = "torvalds/linux drivers/iommu/intel/iommu.c (intel_iommu_setup, intel_iommu_init)"
_VHV = "libvirt tools/virt-host-validate-common.c virHostValidateIOMMU()"
_CPUFEATURES = "torvalds/linux arch/x86/include/asm/cpufeatures.h"
_XL_INFO = "xen-project/xen tools/xl (xl info: xen_caps, virt_caps)"


def _hw(
    id_: str, title: str, severity: Severity, explanation: str, *sources: str, **hint: str
) -> Rule:
    return register(
        Rule(
            id=id_,
            title=title,
            severity=severity,
            applies_to=Applies.HARDWARE,
            explanation=explanation,
            hint=hint or None,
            sources=tuple(sources),
        )
    )


ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# -- VT-x / AMD-V ---------------------------------------------------------------------------

VTX_CPU = _hw(
    "HW-VTX-CPU",
    "The CPU model has (or lacks) VT-x / AMD-V",
    ERR,
    "Hardware virtualization is a CPU feature (CPUID.1:ECX.VMX for Intel, CPUID "
    "0x80000001:ECX.SVM for AMD). Judged from the catalogue's CPU row and its sources.",
    "Intel ARK (via the intel-cpu-database copy)",
    _CPUFEATURES,
)
VTX_STEPPING = _hw(
    "HW-VTX-STEPPING",
    "VT-x depends on the CPU stepping",
    WARN,
    "Some Core 2 models gained VT-x in a later stepping (E7400/E7500, Q8300, E5300/E5400: "
    "none in M0, VT-x in R0 from 2009-08-03), so the model name alone does not decide it.",
    "geek.com 'Intel steps up, gives virtualization to more CPUs' (2009)",
    give="cpu stepping (e.g. 'R0' or the CPUID stepping number) or post a probe",
)
VTX_FLAG = _hw(
    "HW-VTX-FLAG",
    "The vmx/svm flag in /proc/cpuinfo, read for the kernel era",
    ERR,
    "Before Linux 5.6 the vmx flag reflects CPUID only and stays visible when the BIOS locks "
    "VT-x off; since 5.6 (feat_ctl.c) the kernel clears it when IA32_FEAT_CTL is locked with "
    "VMX disabled. So a missing vmx on < 5.6 without a hypervisor means the CPU lacks VT-x, "
    "while on >= 5.6 it may also mean a BIOS lock.",
    _FEAT_CTL,
    _CPUFEATURES,
)
VTX_MASKED = _hw(
    "HW-VTX-MASKED",
    "A hypervisor hides vmx/svm from this guest",
    WARN,
    "The cpuinfo 'hypervisor' flag (CPUID.1:ECX bit 31) says the probe ran in a guest; "
    "vmx/svm then appear only if the host exposes nested virtualization.",
    _CPUFEATURES,
    host_setting="enable nested virtualization (kvm_intel nested=1 / kvm_amd nested=1, "
    "or the cloud's nested-virtualization instance option)",
)
VTX_BIOS_DISABLED = _hw(
    "HW-VTX-BIOS-DISABLED",
    "VT-x / AMD-V is locked off by the BIOS",
    ERR,
    "'kvm: disabled by bios' (2.6.20 to ~5.15), \"kvm: support for 'kvm_intel' disabled by "
    "bios\" (~5.16), 'VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL' (~6.3), "
    "'x86/cpu: VMX (outside TXT) disabled by BIOS' (5.6+) and 'SVM disabled (by BIOS) in "
    "MSR_VM_CR' all mean the CPU has the feature but firmware locked it off: fixable in setup.",
    _KVM_X86,
    _FEAT_CTL,
    bios_setting="Intel Virtualization Technology (VT-x) / SVM Mode: Enabled",
)
VTX_BIOS_OPTION = _hw(
    "HW-VTX-BIOS-OPTION",
    "The BIOS release offers no way to enable VT-x",
    ERR,
    "Some BIOS releases lock IA32_FEAT_CTL with VMX off and have no setup option; only a "
    "BIOS update helps.",
    _FEAT_CTL,
)
XEN_VIRT_CAPS = _hw(
    "HW-XEN-VIRT-CAPS",
    "In a Xen dom0, judge from xl info virt_caps, not from cpuinfo",
    INFO,
    "Xen masks vmx/svm from a PV dom0's cpuinfo, so their absence there proves nothing; "
    "'xl info' virt_caps lists hvm, hvm_directio (IOMMU passthrough) and hap (EPT/NPT) as "
    "Xen itself enabled them.",
    _XL_INFO,
)

# -- VT-d / AMD-Vi --------------------------------------------------------------------------

VTD_CPU = _hw(
    "HW-VTD-CPU",
    "The CPU layer of VT-d",
    ERR,
    "From Lynnfield/Clarkdale and Sandy Bridge on the VT-d engine is in the CPU package and "
    "'may not be available on all SKUs' (e.g. Core i7-2600K and i5-2500K lack it, i7-2600 has "
    "it). Before that (Core 2 with Q35/Q45, Nehalem with the X58/5500/5520 IOH) the CPU does "
    "not gate VT-d.",
    "Intel 2nd Generation Core datasheet (VT-d 'may not be available on all SKUs')",
    "Intel ARK (via the intel-cpu-database copy)",
)
VTD_CHIPSET = _hw(
    "HW-VTD-CHIPSET",
    "The chipset layer of VT-d / AMD-Vi",
    ERR,
    "Core 2 era VT-d lives in the GMCH/MCH: of the 4 Series only the 82Q45 has VT-d registers "
    "(Q43, G45, G43, G41, P45, P43, B43 have none); of the 3 Series Q35, with X38/X48 capable "
    "but board-dependent. Nehalem puts it in the Tylersburg IOH (X58, 5500, 5520); AMD in "
    "the RD890/RD990 northbridge (890FX, 990FX).",
    _DS_319970,
    _XEN_VTD,
)
VTD_CHIPSET_AMBIGUOUS = _hw(
    "HW-CHIPSET-AMBIGUOUS",
    "A shared PCI id leaves several chipset candidates",
    WARN,
    "Host bridge 8086:2e10 is both Q45 (VT-d) and Q43 (no VT-d); 8086:29e0 is X38 and X48; "
    "1002:5a14 is 990FX, 990X and 970. The LPC bridge (3a14 ICH10DO = Q45, 3a1a ICH10D = Q43) "
    "or the AMD IOMMU function 1002:5a23 tells them apart.",
    "pci.ids 2023.04.10",
    "Intel DQ45EK / DQ43AP technical product specifications (GMCH + ICH pairing)",
    give="the LPC bridge PCI id (lspci -nn, class 0601) or the chipset name",
)
VTD_BOARD = _hw(
    "HW-VTD-BOARD",
    "The board enables (or does not enable) VT-d",
    ERR,
    "Where the silicon is capable but OEMs decide (X38/X48 per Intel's note; any board whose "
    "BIOS publishes no DMAR), the board's documented status decides.",
    _XEN_VTD,
)
VTD_BIOS_TRAP = _hw(
    "HW-VTD-BIOS-OPTION-TRAP",
    "A VT-d option in BIOS setup is not evidence of VT-d",
    ERR,
    "Intel DQ43AP (Q43) shows a VT-d option in setup, yet the Q43 GMCH has no VT-d registers "
    "(datasheet 319970 ch. 12 is '82Q45 GMCH only'). Turning the option on changes nothing.",
    _DS_319970,
    "virtualization friends blog (2009)",
)
VTD_MIN_BIOS = _hw(
    "HW-VTD-MIN-BIOS",
    "VT-d needs a minimum BIOS release on this board",
    ERR,
    "Intel's note: DQ45CB needs BIOS 0061 or later; 'previous versions are known to cause "
    "problems'.",
    _XEN_VTD,
)
VTD_FIRMWARE_TABLE = _hw(
    "HW-VTD-FIRMWARE-TABLE",
    "The firmware publishes a DMAR (Intel) or IVRS (AMD) ACPI table",
    ERR,
    "Without an ACPI DMAR/IVRS table the kernel and Xen cannot find the IOMMU: it is either "
    "disabled in BIOS or absent ('No ACPI DMAR table found, IOMMU either disabled in BIOS or "
    "not supported by this hardware platform').",
    _VHV,
    bios_setting="Intel VT-d / AMD IOMMU: Enabled",
)
VTD_KERNEL = _hw(
    "HW-VTD-KERNEL",
    "The kernel turned DMA remapping on",
    ERR,
    "Proof of an active IOMMU is a non-empty /sys/kernel/iommu_groups, the line 'DMAR: Intel(R) "
    "Virtualization Technology for Directed I/O' (old prefix 'PCI-DMA:') printed at the end of "
    "intel_iommu_init(), or 'AMD-Vi: Found IOMMU'. With a DMAR table but no such proof, the "
    "kernel left the IOMMU off (CONFIG_INTEL_IOMMU_DEFAULT_ON unset): add intel_iommu=on.",
    _INTEL_IOMMU,
    _VHV,
    kernel_cmdline_add="intel_iommu=on",
)
VTD_CMDLINE_ECHO = _hw(
    "HW-VTD-CMDLINE-ECHO",
    "'DMAR: IOMMU enabled' only echoes the command line",
    INFO,
    "intel_iommu_setup() prints 'DMAR: IOMMU enabled' (old: 'Intel-IOMMU: enabled') as soon "
    "as it parses intel_iommu=on, before any hardware is found. It proves nothing.",
    _INTEL_IOMMU,
)
IOMMU_PASSTHROUGH = _hw(
    "HW-IOMMU-PT-MODE",
    "iommu=pt: host devices bypass translation",
    WARN,
    "iommu=pt makes the default domain identity-mapped ('Default domain type: Passthrough'), "
    "which is fine for device assignment but removes DMA isolation for host-owned devices.",
    "torvalds/linux Documentation/admin-guide/kernel-parameters.txt (iommu=pt)",
)
AMD_IOMMU_INVALID = _hw(
    "HW-AMD-IOMMU-OPTION",
    "amd_iommu= has no value 'on'",
    WARN,
    "amd_iommu= accepts fullflush, force_enable, force_isolation, off, pgtbl_v1/v2, irtcachedis, "
    "nohugepages, v2_pgsizes_only; 'amd_iommu=on' is rejected ('AMD-Vi: Unknown option'). The "
    "AMD IOMMU is on by default when IVRS is present.",
    "torvalds/linux drivers/iommu/amd/init.c (parse_amd_iommu_options)",
    kernel_cmdline_remove="amd_iommu=on",
)
SOURCE_CONFLICT = _hw(
    "HW-SOURCE-CONFLICT",
    "Sources disagree",
    WARN,
    "The catalogue holds contradicting sourced claims (or probes contradict a spec fact). "
    "Both sides are cited rather than one chosen silently.",
)
SOURCE_QUALIFICATION = _hw(
    "HW-SOURCE-QUALIFICATION",
    "A source qualifies this fact",
    INFO,
    "Another source adds a condition or nuance to the fact the verdict rests on (e.g. X38/X48 "
    "capable but board-dependent; Q43 listed for TXT DMA protection, not device assignment).",
)
PROBE_EVIDENCE = _hw(
    "HW-PROBE-EVIDENCE",
    "What probes of this board saw",
    INFO,
    "Probe reports posted from hosts with this board (and BIOS) confirm or contradict the "
    "capability; counted per BIOS release.",
)
UNKNOWN_HARDWARE = _hw(
    "HW-UNKNOWN-COMPONENT",
    "A component is not known",
    WARN,
    "A verdict is 'supported' only with positive evidence for every layer (CPU, chipset, "
    "firmware, kernel); a layer with no evidence leaves the capability 'unknown'.",
    give="the missing component (board, cpu, chipset, bios) or post a probe from the host",
)
GUIDANCE_KERNEL = _hw(
    "HW-KERNEL-GUIDANCE",
    "What the kernel must do (not judged for a catalogue query)",
    INFO,
    "A catalogue query judges the hardware layers only; the kernel must still enable the "
    "IOMMU (intel_iommu=on where CONFIG_INTEL_IOMMU_DEFAULT_ON is unset; AMD-Vi is on by "
    "default with IVRS) and load kvm_intel/kvm_amd.",
    _INTEL_IOMMU,
)

GUIDANCE_FIRMWARE = _hw(
    "HW-FIRMWARE-GUIDANCE",
    "What the BIOS setup must enable (not judged for a catalogue query)",
    INFO,
    "VT-x/AMD-V and VT-d/AMD-Vi are switched in BIOS setup and are often off by default; a "
    "catalogue query cannot see the setting. When VT-x is locked off, KVM logs 'disabled by "
    "bios' and (Linux 5.6+) the vmx flag disappears.",
    _FEAT_CTL,
    _KVM_X86,
    bios_setting="Intel Virtualization Technology (VT-x) / SVM Mode: Enabled",
)

KVM_DEVICE = _hw(
    "HW-KVM-DEVICE",
    "KVM is not loaded although VT-x/AMD-V is there",
    INFO,
    "/dev/kvm appears only once kvm_intel or kvm_amd has loaded; with the CPU feature present "
    "and enabled, a missing /dev/kvm means the module is not loaded (or the kernel lacks it). "
    "Not relevant to Xen, which uses VT-x itself.",
    "torvalds/linux virt/kvm/kvm_main.c (misc device 'kvm')",
)

# -- SLAT, HVM, passthrough -----------------------------------------------------------------

SLAT_CPU = _hw(
    "HW-SLAT-CPU",
    "EPT (Intel) / NPT-RVI (AMD) second-level address translation",
    WARN,
    "EPT arrived with Nehalem (no Core 2 has it); NPT/RVI with AMD K10 (Barcelona). Without "
    "SLAT hypervisors fall back to shadow paging (Xen hap=0), slower but working.",
    "Intel ARK (via the intel-cpu-database copy)",
    "Wikipedia 'Intel Core 2' (EPT arrived with Nehalem)",
)
SLAT_MASKED = _hw(
    "HW-SLAT-MASKED",
    "In a guest, EPT/NPT is the hypervisor's to expose, whatever the host CPU has",
    WARN,
    "A guest's CPU model (smpboot, cpuinfo brand) names the host's silicon, but the guest "
    "gets EPT/NPT only when the hypervisor exposes nested virtualization with nested paging "
    "(KVM nested=1 with ept/npt, VMware 'Expose hardware assisted virtualization', Hyper-V "
    "ExposeVirtualizationExtensions); off by default on every one of them. So the catalogue "
    "row never makes SLAT supported in a guest: only the guest's own vmx/svm with ept/npt "
    "flags, or KVM's lines or parameters inside the guest, do.",
    _CPUFEATURES,
    "torvalds/linux Documentation/virt/kvm/x86/running-nested-guests.rst",
    host_setting="expose nested virtualization with EPT/NPT to this guest",
)
HVM = _hw(
    "HW-HVM",
    "HVM guests need VT-x / AMD-V",
    ERR,
    "Xen HVM and KVM guests both require hardware virtualization; PV guests do not.",
    "xen-project/xen docs/man/xl.cfg.5.pod (type=hvm)",
)
PT_NEEDS_IOMMU = _hw(
    "HW-PT-NEEDS-IOMMU",
    "PCI passthrough to HVM/KVM guests needs VT-d / AMD-Vi",
    ERR,
    "Assigning a PCI device to an HVM (Xen) or KVM guest requires DMA remapping by an IOMMU.",
    _XEN_VTD,
    "Linux VFIO documentation",
)
PT_XEN_PV_INSECURE = _hw(
    "HW-PT-XEN-PV-NO-IOMMU",
    "Xen PV passthrough without an IOMMU works but is insecure",
    WARN,
    "Xen can give a PCI device to a PV guest without an IOMMU, but the guest's driver can then "
    "DMA over any host memory: acceptable only for a fully trusted guest.",
    _XEN_VTD,
)

# -- inference from microarchitecture and SKU class (low confidence) -------------------------

_SOURCES_README = "virtcompat seed/sources README, 'Rules the sources support'"
_ARK_2023 = "Intel ARK comparison exports 08/24/2023 (warichter1/processors Intel/*.csv)"
_ARK_2012 = "Intel ARK records to 2012 (divinity76/intel-cpu-database)"
_CODENAMES = "Intel SKU -> code-name lists v1.8/v1.9 (toUpperCase78/intel-processors)"
_INSTLAT = "InstLatx64 CPUID dumps (commit 087af2c7): VMX/EPT, SVM/NPT per family/model"
_INTEL_FAMILY = "torvalds/linux arch/x86/include/asm/intel-family.h"

INFER_INTEL_EPT = _hw(
    "HW-INFER-INTEL-EPT",
    "EPT inferred from the Intel microarchitecture",
    WARN,
    "No Core 2 / Penryn / Dunnington part (nor anything older: NetBurst, Yonah) has EPT; every "
    "part from Nehalem on has it, the Silvermont-and-later Atoms included. Used only where the "
    "part's record says nothing (a blank ARK cell is no statement). Exceptions: Bonnell/"
    "Saltwell Atoms and Xeon Phi are outside the rule (no inference); ARK omits the EPT line "
    "for some parts that have it (Celeron J1900 reports ept).",
    _SOURCES_README,
    _ARK_2023,
    _ARK_2012,
    _INSTLAT,
    _INTEL_FAMILY,
)
INFER_INTEL_VTX = _hw(
    "HW-INFER-INTEL-VTX",
    "VT-x inferred from the Intel SKU class",
    ERR,
    "Every Core i3/i5/i7/i9, Core 3/5/7 (the 2024 branding of Raptor Lake parts) and Core "
    "Ultra part, and every Xeon E3/E5/E7, E, W, Scalable "
    "(Bronze/Silver/Gold/Platinum/Max, and its successor Xeon 6) and D part has VT-x. "
    "Exceptions (no VT-x, per their ARK records): Atom D2500/D2550/D2700/N2600/N2800/Z2760 "
    "and Xeon Phi 72xx.",
    _SOURCES_README,
    _ARK_2023,
    _CODENAMES,
)
INFER_INTEL_VTD = _hw(
    "HW-INFER-INTEL-VTD",
    "VT-d (CPU layer) inferred from the Intel SKU class and launch date",
    ERR,
    "Every Core, Pentium/Celeron G and Xeon part launched in 2016 or later has VT-d. Before "
    "Skylake VT-d is decided per SKU (not only K parts: i5-2300/2310/2320, i5-3450, i5-760, "
    "many mobile i5s and most Pentium/Celeron lack it), so no inference is made there. "
    "Exceptions: Braswell-era Celeron/Pentium N/J parts and Xeon Phi 72xx lack it.",
    _SOURCES_README,
    _ARK_2023,
    _CODENAMES,
    give="an ARK export that lists this SKU, or post a probe from the host",
)
INFER_AMD_V = _hw(
    "HW-INFER-AMD-V",
    "AMD-V inferred from the CPUID family",
    ERR,
    "AMD-V is absent on K8 before revision F (family 0Fh, model < 0x40) and present from "
    "revision F and on every family from 10h on. AMD's specification export mentions it only "
    "on some rows: a row without it is no evidence of absence.",
    _SOURCES_README,
    "AMD specification export (warichter1/processors cpudb/AMDcpu.csv)",
    _INSTLAT,
)
INFER_AMD_NPT = _hw(
    "HW-INFER-AMD-NPT",
    "NPT (RVI) inferred from the CPUID family",
    WARN,
    "NPT is present on every family 10h, 12h and 14h-1Ah part. Exception: family 11h "
    "(Griffin) has AMD-V but no NPT; K8 (0Fh) predates NPT.",
    _SOURCES_README,
    _INSTLAT,
)
INFER_AMD_IOMMU = _hw(
    "HW-INFER-AMD-IOMMU",
    "Where the AMD IOMMU lives, inferred from the platform",
    ERR,
    "On AM3 platforms the AMD IOMMU is in the chipset (890FX, 990FX…), so the CPU does not "
    "gate it; from AM4 on (family 17h and later) it is in the CPU/SoC, but the BIOS must "
    "enable it (ASRock X370 Gaming K4: no IOMMU at BIOS P2.20, present at P4.80).",
    _SOURCES_README,
    "Qubes HCL reports (QubesOS/qubes-hcl commit 9002a273)",
    bios_setting="IOMMU / AMD-Vi: Enabled",
)
VTI_CPU = _hw(
    "HW-VTI-CPU",
    "Itanium (IA-64) has VT-i, not VT-x",
    ERR,
    "ARK's Itanium exports put VT-i (Virtualization Technology for Itanium) on the 'VT-x' "
    "line. VT-i lets a hypervisor run IA-64 guests (Xen 3.x ran IA-64 HVM guests); it is not "
    "VT-x, and no x86 guest runs on an Itanium host.",
    _ARK_2023,
    "Xen 3.x IA-64 port (xen-ia64)",
)
CONFIDENCE_BELOW = _hw(
    "HW-CONFIDENCE-BELOW",
    "The verdict is weaker than the confidence the caller demanded",
    WARN,
    "With min_confidence set, a capability whose verdict rests on weaker evidence (an "
    "inference, a medium citation, a layer nobody judged) is answered 'unknown'; the verdict "
    "it would have given is kept under 'withheld' and its reasons stay, marked advisory.",
    give="explicit records for the part (import an ARK export) or post a probe from the host",
)
UNRESOLVED_NAME = _hw(
    "HW-UNRESOLVED-NAME",
    "A component named in the query is not in the catalogue",
    WARN,
    "A name that matches no catalogue row, or several, is listed under 'unresolved' with its "
    "candidates; its layer is judged 'unknown' and the rest of the query is still answered.",
    give="pick a candidate, post a probe from that machine, or import an ARK export",
)

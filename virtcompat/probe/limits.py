"""Per-artefact size caps, shared by the parsers, the redactor and (as a copy) the agent.

A probe body is capped at 2 MiB by the HTTP layer; these caps bound what each parser and the
redactor look at even when a caller bypasses that (``flask reprocess`` on stored artefacts).
Sizes are UTF-8 bytes. For list/mapping artefacts the cap applies to the summed length of
their strings; ``ARTEFACT_ITEM_LIMITS`` caps their number of entries.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB

ARTEFACT_LIMITS: dict[str, int] = {
    # A 256-thread host's /proc/cpuinfo is ~400 KiB.
    "cpuinfo": 1 * MIB,
    # The default kernel ring buffer is 128 KiB-1 MiB (CONFIG_LOG_BUF_SHIFT 17-20); journalctl
    # output of one boot adds its prefixes.
    "dmesg": 4 * MIB,
    "lspci": 256 * KIB,
    "pci_devices": 256 * KIB,
    # COMMAND_LINE_SIZE is 2048 on x86 and at most 4096 elsewhere; leave headroom.
    "cmdline": 16 * KIB,
    "kernel_release": 256,
    "dmi": 16 * KIB,
    "acpi_tables": 16 * KIB,
    "xl_info": 64 * KIB,
    "dmesg_source": 256,
    "kvm_module": 64,
    "collection_warnings": 16 * KIB,
    # The agent's live checks (virtcompat.probe.hostchecks): small objects and name lists.
    "kvm_check": 1 * KIB,
    "kvm_params": 1 * KIB,
    "msr_feature_control": 256,
    "devices": 1 * KIB,
    "cgroup_controllers": 4 * KIB,
    "iommu_classes": 16 * KIB,
    "secure_guests": 256,
    "iommu_group_devices": 256 * KIB,
    "hypervisor_type": 256,
    "xen_capabilities": 256,
}

ARTEFACT_ITEM_LIMITS: dict[str, int] = {
    "pci_devices": 1024,
    "acpi_tables": 512,
    "dmi": 64,
    "collection_warnings": 64,
    "iommu_group_devices": 4096,
    "cgroup_controllers": 64,
    "iommu_classes": 256,
}

#: Default for artefact keys not listed above (unknown keys are still scrubbed and capped).
DEFAULT_LIMIT = 16 * KIB

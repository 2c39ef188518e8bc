"""XEN-CPU-*, XEN-HVM-*, XEN-HAP-*, XEN-NEST-*, XEN-PAE-001: vCPUs, scheduler, and what the CPU
must provide (VT-x/AMD-V, EPT/NPT, nesting, PAE)."""

from __future__ import annotations

from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import (
    INFO,
    E,
    W,
    _is_hvm_like,
    config_rule,
)
from virtcompat.xen.syntax import ListValue

CPU_VCPUS = config_rule(
    "XEN-CPU-001",
    "vcpus and maxvcpus",
    E,
    "xl: maxvcpus must be >= vcpus ('xl: maxvcpus < vcpus'); vcpus < 1 is coerced to 1.",
    "XP",
)


CPU_PIN_LIST = config_rule(
    "XEN-CPU-002",
    "xm cpus list length must equal vcpus",
    E,
    "A per-vCPU cpus list in xm must have one entry per vCPU: XendConfig fails with 'vcpus "
    "and the item number of cpus are not same'.",
    "XC34",
)


CPU_SCHED = config_rule(
    "XEN-CPU-003",
    "Scheduler weight and cap ranges",
    E,
    "cpu_weight must be 1-65535 ('...valid values are within range from 1 to 65535'); the "
    "cap (xm cpu_cap, xl cap) 0 to vcpus*100 ('Cpu cap out of range').",
    "XD34",
    "XLCFG",
)


CPU_APIC = config_rule(
    "XEN-CPU-004",
    "apic=0 has no effect with several vCPUs",
    INFO,
    "The documentation of both toolstacks: apic is ignored if vcpus > 1.",
    "EX34",
    "XLCFG",
)


HVM_HOST = config_rule(
    "XEN-HVM-001",
    "HVM guest needs host HVM support",
    E,
    "HVM (and PVH) guests need VT-x/AMD-V present and enabled (Xen's hvm_enabled; 'hvm' in "
    "virt_caps, hvm-3.0-* in xen_caps). xm: 'HVM guest support is unavailable: is VT/AMD-V "
    "supported by your CPU and enabled in your BIOS?'; xl has no pre-check and fails with a "
    "generic 'domain creation fail'.",
    "§4",
    "XD34",
)


HVM_DOM0_MASK = config_rule(
    "XEN-HVM-002",
    "Do not judge VT-x from dom0's /proc/cpuinfo",
    INFO,
    "Xen hides vmx/svm from a PV dom0 (3.4 traps.c clears VMXE/SVME; HEAD marks them "
    "host-only), so a probe run in dom0 looks like a host without VT-x. Check 'xl info' "
    "virt_caps instead.",
    "§4",
)


HAP_HOST = config_rule(
    "XEN-HAP-001",
    "hap=1 without EPT/NPT",
    E,
    "Explicit hap=1 on a host without EPT/NPT fails on Xen >= 4.13 ('HAP requested but not "
    "available', d0c0ba7d3d); from 3.4 to 4.12 Xen silently falls back to shadow paging. "
    "With hap unset, xm and xl < 4.13 ask for HAP and fall back the same way, and xl >= "
    "4.13 picks shadow paging itself.",
    "§4",
    "LC",
    "xen.git d0c0ba7d3d",
)


HAP_SHADOW = config_rule(
    "XEN-HAP-002",
    "hap=0 needs shadow paging",
    INFO,
    "hap=0 requires the hypervisor's shadow paging (CONFIG_SHADOW_PAGING; 'shadow' in "
    "virt_caps from 4.13), which can be compiled out, and is slower than HAP.",
    "LC",
)


NEST_REQUIREMENTS = config_rule(
    "XEN-NEST-001",
    "nestedhvm requirements",
    E,
    "nestedhvm (xl 4.2+, no xm equivalent) needs an HVM (or PVH) guest, HAP (Xen >= 4.15: "
    "'Nested virt not supported without HAP') and host support (Xen >= 4.19: 'Nested virt "
    "requested but not available').",
    "XP",
    "§4",
)


NEST_ALTP2M = config_rule(
    "XEN-NEST-002",
    "nestedhvm with altp2m",
    E,
    "libxl: 'nestedhvm and altp2mhvm cannot be used together'.",
    "LC",
)


PAE_REQUIRED = config_rule(
    "XEN-PAE-001",
    "pae=0",
    W,
    "Without PAE a 64-bit HVM guest cannot boot, and xl's nx=1 requires PAE.",
    "XLCFG",
)


def check_vcpus(ctx: Ctx) -> None:
    """XEN-CPU-001/002/004: vcpus >= 1, maxvcpus >= vcpus, xm cpus list length, apic."""
    vcpus = ctx.int_of("vcpus")
    if vcpus is not None and vcpus < 1:
        if ctx.xl:
            ctx.add(CPU_VCPUS, f"vcpus = {vcpus}: xl coerces it to 1", key="vcpus", severity=W)
        else:
            ctx.add(CPU_VCPUS, f"vcpus = {vcpus}: a domain needs at least one vCPU", key="vcpus")
    effective = vcpus if vcpus is not None and vcpus >= 1 else 1
    maxvcpus = ctx.int_of("maxvcpus")
    if ctx.xl and maxvcpus is not None and maxvcpus < effective:
        ctx.add(CPU_VCPUS, f"xl: maxvcpus < vcpus ({maxvcpus} < {effective})", key="maxvcpus")
    cpus = ctx.value("cpus")
    if ctx.xm and isinstance(cpus, ListValue) and (vcpus is not None or not ctx.has("vcpus")):
        if len(cpus.items) != effective:
            ctx.add(
                CPU_PIN_LIST,
                f"cpus has {len(cpus.items)} entries but vcpus = {effective}: 'vcpus and the "
                "item number of cpus are not same'",
                key="cpus",
            )
    if _is_hvm_like(ctx) and ctx.bool_of("apic") is False and effective > 1:
        ctx.add(
            CPU_APIC,
            f"apic = 0 has no effect with vcpus = {effective} (apic is ignored if vcpus > 1)",
            key="apic",
        )


def check_scheduler(ctx: Ctx) -> None:
    """XEN-CPU-003: credit-scheduler weight 1-65535 and cap 0..vcpus*100 (XD34)."""
    weight = ctx.int_of("cpu_weight")
    if weight is not None and not 1 <= weight <= 65535:
        ctx.add(
            CPU_SCHED,
            f"cpu_weight = {weight}: valid values are within range from 1 to 65535",
            key="cpu_weight",
        )
    cap_key = "cpu_cap" if ctx.xm else "cap"
    cap = ctx.int_of(cap_key)
    if cap is None:
        return
    vcpus = max(ctx.int_of("maxvcpus" if ctx.xl and ctx.has("maxvcpus") else "vcpus") or 1, 1)
    if not 0 <= cap <= vcpus * 100:
        ctx.add(
            CPU_SCHED,
            f"{cap_key} = {cap}: Cpu cap out of range, valid range is from 0 to {vcpus * 100} "
            f"({vcpus} vCPU(s) x 100)",
            key=cap_key,
        )

"""XEN-MEM-*: memory and maxmem (and populate-on-demand)."""

from __future__ import annotations

from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import E, W, config_rule

MEM_RANGE = config_rule(
    "XEN-MEM-001",
    "memory and maxmem",
    E,
    "memory must be positive and not above maxmem. xend: 'Invalid Configuration: "
    "memory_dynamic_max must be less than or equal to memory_static_max'.",
    "XC34",
    "XLCFG",
)


MEM_POD = config_rule(
    "XEN-MEM-002",
    "HVM memory < maxmem starts pre-ballooned (PoD)",
    W,
    "xl starts an HVM guest with memory < maxmem in populate-on-demand mode: the guest must "
    "run a balloon driver early or it crashes, and PoD cannot be combined with passthrough.",
    "XLCFG",
    "LC",
)


def check_memory(ctx: Ctx) -> None:
    """XEN-MEM-001: memory > 0, maxmem >= memory (xm/xl spelling and defaults)."""
    mem = ctx.int_of("memory")
    maxmem = ctx.int_of("maxmem")
    if mem is not None and mem <= 0:
        ctx.add(MEM_RANGE, f"memory = {mem}: must be a positive number of MiB", key="memory")
        return
    if maxmem is None:
        return
    effective = mem if mem is not None else (128 if ctx.xm else 32)
    if maxmem < effective:
        msg = (
            "Invalid Configuration: memory_dynamic_max must be less than or equal to "
            "memory_static_max"
            if ctx.xm
            else "maxmem must not be below memory (xl.cfg)"
        )
        ctx.add(MEM_RANGE, f"maxmem = {maxmem} < memory = {effective}: {msg}", key="maxmem")
    # XEN-MEM-002 (PoD) runs on the DomainSpec for xl and libvirt: domain/rules/memory.py.

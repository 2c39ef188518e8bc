"""Memory: populate-on-demand (memory below maxmem on a Xen HVM guest), alone and with
passthrough. One rule each for xl ``memory``/``maxmem`` and libvirt
``<currentMemory>``/``<memory>`` (libvirt's libxl driver passes them as target and max).
xm never started guests pre-ballooned, so neither applies to it; the xm/xl range check
(XEN-MEM-001) reads the keys themselves (virtcompat/xen/rules/memory.py).
"""

from __future__ import annotations

from virtcompat.domain.rules._common import emit
from virtcompat.domain.spec import DomainSpec, Pos
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx

_XL_DEFAULT_MIB = 32  # libxl's max_memkb default when memory is not given


def _xen_pod_guest(spec: DomainSpec, *types: str) -> bool:
    return spec.fmt != "xm" and spec.accelerator == "xen" and spec.guest_type in types


def check_memory_given(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-MEM-001 (libvirt): a domain must say how much memory it has.

    libvirt: 'XML error: Memory size must be specified via <memory> or in the <numa>
    configuration' (tests/qemuxmlconfdata/no-memory). xm and xl have defaults instead.
    """
    if spec.fmt != "libvirt" or spec.max_memory_kib is not None:
        return
    emit(
        ctx,
        X.MEM_RANGE,
        "Memory size must be specified via <memory> or in the <numa> configuration",
        Pos(None, None, "memory"),
        hint="<memory unit='MiB'>1024</memory>",
    )


def check_pod(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-MEM-002: an HVM guest below its maximum starts pre-ballooned (PoD, XLCFG)."""
    top, cur = spec.max_memory_kib, spec.memory_kib
    if not _xen_pod_guest(spec, "hvm") or top is None:
        return
    if cur is not None and cur.value <= 0:
        return  # XEN-MEM-001 already
    start = cur.value if cur is not None else _XL_DEFAULT_MIB * 1024
    if top.value <= start:
        return
    cur_text = f"{cur.pos.key} = {cur.shown}" if cur is not None else f"memory = {_XL_DEFAULT_MIB}"
    emit(
        ctx,
        X.MEM_POD,
        f"{cur_text} < {top.pos.key} = {top.shown}: the HVM guest starts pre-ballooned "
        "(populate-on-demand) and needs a balloon driver early in boot",
        top.pos,
        hint=(
            "set memory = maxmem unless the guest has a balloon driver"
            if spec.fmt == "xl"
            else "set <currentMemory> equal to <memory> unless the guest has a balloon driver"
        ),
    )


def check_pod_passthrough(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-PCI-005: libxl refuses passthrough to an HVM/PVH guest in PoD mode (LC)."""
    devices = [d for d in spec.hostdevs if d.bus in ("pci", "dt")]
    top, cur = spec.max_memory_kib, spec.memory_kib
    if not devices or not _xen_pod_guest(spec, "hvm", "pvh") or top is None or cur is None:
        return
    if not cur.value or not top.value or cur.value >= top.value:
        return
    emit(
        ctx,
        X.PCI_POD,
        "IOMMU required for device passthrough but not supported together with PoD "
        f"({cur.pos.key} = {cur.shown} < {top.pos.key} = {top.shown})",
        top.pos,
        hint="set memory = maxmem" if spec.fmt == "xl" else "set <currentMemory> equal to <memory>",
    )

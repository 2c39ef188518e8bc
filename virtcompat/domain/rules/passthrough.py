"""Host devices and the virtual IOMMU: what libvirt or the hypervisor would refuse.

The host-side rule (XEN-PCI-001/002: a PCI host device needs a working host IOMMU) runs
here for every format, so a ``<hostdev>`` cites the same rule as an xl ``pci=`` line; the
populate-on-demand clash (XEN-PCI-005) is in ``memory``.
"""

from __future__ import annotations

from virtcompat.domain.rules._common import (
    QEMU_VALIDATE,
    E,
    emit,
    need_host,
    rule,
)
from virtcompat.domain.spec import DomainSpec
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx
from virtcompat.xen.rules.passthrough import passthrough_host

PCI_DUPLICATE = rule(
    "DOM-PCI-001",
    "The same host PCI device assigned twice",
    E,
    "A host PCI function can be given to a guest once. libvirt refuses a second <hostdev> "
    "with the same source address ('XML error: Hostdev already exists in the domain "
    "configuration', tests/qemuxmlconfdata/hostdev-pci-duplicate); xl's pci list has the "
    "same limit because the device is bound to one pciback/vfio owner.",
    QEMU_VALIDATE,
    fix="remove the duplicate device",
)
VIOMMU_MACHINE = rule(
    "DOM-IOMMU-001",
    "Intel vIOMMU needs a q35 machine",
    E,
    "QEMU's intel-iommu device exists only on the q35 (ICH9) machine; libvirt refuses "
    "<iommu model='intel'/> on i440fx 'pc' machines (qemu_validate.c; libvirt test "
    "intel-iommu-wrong-machine is a parse error).",
    QEMU_VALIDATE,
    fix="use machine='q35' or drop the <iommu>",
)
VIOMMU_INTREMAP = rule(
    "DOM-IOMMU-002",
    "Interrupt remapping needs the split I/O APIC",
    E,
    "<iommu model='intel'><driver intremap='on'/> needs the I/O APIC emulated in QEMU "
    "(<features><ioapic driver='qemu'/>), not in the kernel: QEMU refuses intel-iommu "
    "intremap=on with a kernel irqchip, and libvirt checks it before starting the guest.",
    QEMU_VALIDATE,
    fix="add <ioapic driver='qemu'/> to <features>",
)
VIOMMU_ACPI = rule(
    "DOM-IOMMU-003",
    "virtio-iommu on x86 needs ACPI",
    E,
    "On x86 the guest finds a virtio-iommu through the ACPI VIOT table, so libvirt refuses "
    "<iommu model='virtio'/> without <features><acpi/> (libvirt test virtio-iommu-no-acpi "
    "is a parse error).",
    QEMU_VALIDATE,
    fix="add <acpi/> to <features>",
)


def check_duplicate_hostdevs(spec: DomainSpec, ctx: Ctx) -> None:
    """DOM-PCI-001: one host PCI address, one assignment."""
    seen: dict[str, int | None] = {}
    for dev in spec.pci_hostdevs():
        if dev.address is None:
            continue
        if dev.address in seen:
            emit(
                ctx,
                PCI_DUPLICATE,
                f"host PCI device {dev.address} is already assigned (line {seen[dev.address]})",
                dev.pos,
            )
        else:
            seen[dev.address] = dev.pos.line


def check_hostdev_host(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-PCI-001/002: a PCI host device needs the host IOMMU, in every format.

    xm/xl: the toolstack's own rules by guest type and Xen version (PV passthrough without
    an IOMMU was allowed, insecurely, before xl 4.13). libvirt: VFIO under KVM or TCG and
    Xen's hvm_directio alike need VT-d/AMD-Vi working on the target.
    """
    devices = spec.pci_hostdevs()
    if not devices:
        return
    if spec.fmt in ("xm", "xl"):
        passthrough_host(ctx, "pci", f"PCI passthrough of {len(devices)} device(s)")
        return
    accel = spec.accelerator or "kvm"
    what = f"PCI passthrough of {len(devices)} device(s) ({'VFIO' if accel != 'xen' else 'Xen'})"
    need_host(
        ctx,
        X.PCI_HVM_IOMMU,
        "pci_passthrough",
        what,
        devices[0].pos,
        fix="enable VT-d/AMD-Vi in the firmware",
    )


def _q35(machine: str | None) -> bool:
    return machine is not None and "q35" in machine


def check_viommu(spec: DomainSpec, ctx: Ctx) -> None:
    """DOM-IOMMU-001..003: the emulated IOMMU's machine, irqchip and ACPI needs."""
    iommu = spec.viommu
    if iommu is None:
        return
    machine = spec.machine.value if spec.machine is not None else None
    if iommu.model == "intel":
        if machine is not None and not _q35(machine):
            emit(
                ctx,
                VIOMMU_MACHINE,
                f"<iommu model='intel'/> on machine '{machine}': intel-iommu is q35-only",
                iommu.pos,
            )
        driver = spec.ioapic_driver.value if spec.ioapic_driver is not None else None
        if iommu.intremap and driver != "qemu":
            emit(
                ctx,
                VIOMMU_INTREMAP,
                "intremap='on' with the I/O APIC in the kernel "
                f"({'ioapic driver=' + repr(driver) if driver else 'no <ioapic driver=...>'}): "
                "interrupt remapping needs <ioapic driver='qemu'/>",
                iommu.pos,
            )
    elif iommu.model == "virtio" and spec.acpi is not None and not spec.acpi.value:
        emit(
            ctx,
            VIOMMU_ACPI,
            "<iommu model='virtio'/> without <acpi/>: an x86 guest cannot find it",
            iommu.pos,
        )

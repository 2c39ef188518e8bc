"""libvirt domain XML (``virsh dumpxml``) → :class:`DomainSpec`.

Only what the domain rules need is read; everything else in the document is ignored, as
libvirt's own schema would accept it. Semantics follow libvirt's domain format
(https://libvirt.org/formatdomain.html) and its Xen drivers (src/libxl/xen_common.c,
libxl_conf.c): a Xen ``<features>`` without ``<pae/>`` means pae=0, ``host-passthrough`` on
Xen turns nested HVM on unless vmx/svm is disabled, ``<currentMemory>`` is xl's memory and
``<memory>`` its maxmem.
"""

from __future__ import annotations

from virtcompat.domain.safexml import Node
from virtcompat.domain.spec import (
    Clock,
    CpuSpec,
    Device,
    DomainSpec,
    Graphics,
    HostDev,
    Input,
    Pos,
    UsbController,
    Val,
    Viommu,
)

_UNITS = {
    "b": 1 / 1024,
    "bytes": 1 / 1024,
    "kb": 1000 / 1024,
    "k": 1,
    "kib": 1,
    "mb": 1000**2 / 1024,
    "m": 1024,
    "mib": 1024,
    "gb": 1000**3 / 1024,
    "g": 1024**2,
    "gib": 1024**2,
    "tb": 1000**4 / 1024,
    "t": 1024**3,
    "tib": 1024**3,
}
# libvirt domain types and the accelerator they stand for.
_ACCEL = {"kvm": "kvm", "qemu": "tcg", "xen": "xen", "hvf": "hvf", "whpx": "whpx"}
_REQUIRE = ("require", "force")
_FORBID = ("disable", "forbid")


def _pos(node: Node) -> Pos:
    return Pos(node.line, node.column, node.key)


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    s = text.strip()
    body = s[1:] if s[:1] in "+-" else s
    if not body or len(body) > 20:
        return None
    try:
        return int(s, 16) if body[:2].lower() == "0x" else int(s, 10)
    except ValueError:
        return None


def _kib(node: Node | None) -> Val[int] | None:
    if node is None:
        return None
    n = _int(node.text)
    factor = _UNITS.get(node.attrs.get("unit", "KiB").lower())
    if n is None or factor is None:
        return None
    unit = node.attrs.get("unit", "KiB")
    return Val(int(n * factor), _pos(node), f"{node.text} {unit}")


def _on(node: Node | None, attr: str = "state") -> bool | None:
    """A libvirt feature switch: present means on unless state='off'."""
    if node is None:
        return None
    return node.attrs.get(attr, "on") != "off"


def _pci_address(addr: Node | None) -> str | None:
    if addr is None:
        return None
    try:
        return "{:04x}:{:02x}:{:02x}.{:x}".format(
            *(int(addr.attrs.get(k, "0"), 0) for k in ("domain", "bus", "slot", "function"))
        )
    except ValueError:
        return None


def _numa_total(root: Node) -> Val[int] | None:
    """Without <memory>, libvirt sums the guest NUMA cells' memory (in KiB unless unit=)."""
    numa = root.path("cpu", "numa")
    if numa is None:
        return None
    total = 0
    for cell in numa.findall("cell"):
        n = _int(cell.attrs.get("memory"))
        factor = _UNITS.get(cell.attrs.get("unit", "KiB").lower())
        if n is None or factor is None:
            return None
        total += int(n * factor)
    return Val(total, _pos(numa), f"{total} KiB (NUMA cells)") if total else None


def spec_from_xml(root: Node) -> DomainSpec:  # noqa: C901 - one element family per block
    spec = DomainSpec(fmt="libvirt")
    dtype = root.attrs.get("type")
    if dtype is not None:
        spec.accel = Val(
            _ACCEL.get(dtype, dtype), Pos(root.line, root.column, "domain/@type"), dtype
        )
    name = root.find("name")
    if name is not None:
        spec.name = Val(name.text, _pos(name), name.text)

    os_ = root.find("os")
    ostype = os_.find("type") if os_ is not None else None
    if ostype is not None:
        guest = {"hvm": "hvm", "linux": "pv", "xen": "pv", "xenpvh": "pvh"}.get(ostype.text)
        if guest is not None:
            spec.guest = Val(guest, _pos(ostype), ostype.text)
        machine = ostype.attrs.get("machine")
        if machine:
            spec.machine = Val(machine, _pos(ostype), machine)
    if os_ is not None:
        loader = os_.find("loader")
        firmware = os_.attrs.get("firmware")
        if firmware:
            spec.firmware = Val(firmware, _pos(os_), firmware)
        elif loader is not None:
            spec.firmware = Val(loader.text or "loader", _pos(loader), loader.text)
        spec.boot = tuple(
            Val(b.attrs.get("dev", ""), _pos(b), b.attrs.get("dev", ""))
            for b in os_.findall("boot")
        )

    spec.max_memory_kib = _kib(root.find("memory")) or _numa_total(root)
    spec.memory_kib = _kib(root.find("currentMemory")) or spec.max_memory_kib
    vcpu = root.find("vcpu")
    if vcpu is not None:
        top = _int(vcpu.text)
        if top is not None:
            spec.max_vcpus = Val(top, _pos(vcpu), vcpu.text)
        cur = _int(vcpu.attrs.get("current"))
        spec.vcpus = Val(cur, _pos(vcpu), str(cur)) if cur is not None else spec.max_vcpus

    cpu = root.find("cpu")
    if cpu is not None:
        feats = [(f.attrs.get("policy", "require"), f) for f in cpu.findall("feature")]
        mode = cpu.attrs.get("mode")
        spec.cpu = CpuSpec(
            mode=Val(mode, _pos(cpu), mode) if mode else None,
            required=tuple(
                Val(f.attrs.get("name", ""), _pos(f), f.attrs.get("name", ""))
                for p, f in feats
                if p in _REQUIRE
            ),
            forbidden=tuple(
                Val(f.attrs.get("name", ""), _pos(f), f.attrs.get("name", ""))
                for p, f in feats
                if p in _FORBID
            ),
        )
    nested_feature = spec.cpu.requires("vmx", "svm")
    if nested_feature is not None:
        spec.nested = Val(True, nested_feature.pos, nested_feature.value)
    elif (
        spec.accelerator == "xen"
        and spec.cpu.mode is not None
        and spec.cpu.mode.value == "host-passthrough"
        and not spec.cpu.forbids("vmx", "svm")
    ):
        # libxl_conf.c: host-passthrough without vmx/svm disabled is xl's nestedhvm=1.
        spec.nested = Val(True, spec.cpu.mode.pos, "host-passthrough")

    features = root.find("features")
    if features is not None:
        for attr in ("acpi", "apic", "pae"):
            node = features.find(attr)
            pos = _pos(node) if node is not None else _pos(features)
            setattr(spec, attr, Val(node is not None, pos, attr))
        hap = features.find("hap")
        if hap is not None:
            spec.hap = Val(bool(_on(hap)), _pos(hap), hap.attrs.get("state", "on"))
        ioapic = features.find("ioapic")
        if ioapic is not None and "driver" in ioapic.attrs:
            spec.ioapic_driver = Val(ioapic.attrs["driver"], _pos(ioapic), ioapic.attrs["driver"])
    elif spec.accelerator == "xen" and spec.guest_type == "hvm":
        # No <features> at all: libvirt's Xen driver leaves acpi/apic/pae off.
        for attr in ("acpi", "apic", "pae"):
            setattr(spec, attr, Val(False, _pos(root), attr))
    else:
        spec.acpi = Val(False, _pos(root), "acpi")

    clock = root.find("clock")
    if clock is not None:
        adj = clock.attrs.get("adjustment")
        spec.clock = Clock(
            offset=clock.attrs.get("offset", "utc"),
            adjustment=_int(adj) if adj not in (None, "reset") else None,
            basis=clock.attrs.get("basis"),
            pos=_pos(clock),
        )
    for event in ("on_poweroff", "on_reboot", "on_crash"):
        node = root.find(event)
        if node is not None:
            spec.lifecycle[event] = Val(node.text, _pos(node), node.text)
    sec = root.find("launchSecurity")
    if sec is not None and sec.attrs.get("type"):
        spec.launch_security = Val(sec.attrs["type"], _pos(sec), sec.attrs["type"])
    backing = root.find("memoryBacking")
    if backing is not None:
        for tag, attr in (("hugepages", "hugepages"), ("locked", "locked_memory")):
            node = backing.find(tag)
            if node is not None:
                setattr(spec, attr, Val(True, _pos(node), tag))

    devices = root.find("devices")
    if devices is not None:
        _devices(spec, devices)
    return spec


def _devices(spec: DomainSpec, devices: Node) -> None:
    spec.disks = tuple(
        Device(d.attrs.get("device", "disk"), _pos(d), d.attrs.get("type"))
        for d in devices.findall("disk")
    )
    spec.nics = tuple(
        Device(
            n.attrs.get("type", ""),
            _pos(n),
            (n.find("model").attrs.get("type") if n.find("model") is not None else None),  # type: ignore[union-attr]
        )
        for n in devices.findall("interface")
    )
    hostdevs: list[HostDev] = []
    for h in devices.findall("hostdev"):
        kind = h.attrs.get("type")
        if h.attrs.get("mode", "subsystem") != "subsystem" or kind not in ("pci", "usb"):
            continue
        source = h.find("source")
        address = None
        if kind == "pci" and source is not None:
            address = _pci_address(source.find("address"))
        elif kind == "usb" and source is not None:
            vendor, product = source.find("vendor"), source.find("product")
            addr = source.find("address")
            if vendor is not None and product is not None:
                address = f"{vendor.attrs.get('id', '')}:{product.attrs.get('id', '')}"
            elif addr is not None:
                address = f"{addr.attrs.get('bus', '')}.{addr.attrs.get('device', '')}"
        hostdevs.append(HostDev(kind, address, _pos(h)))
    # <interface type='hostdev'> assigns a PCI device (an SR-IOV VF) just the same.
    for n in devices.findall("interface"):
        if n.attrs.get("type") == "hostdev":
            source = n.find("source")
            vf = _pci_address(source.find("address")) if source is not None else None
            hostdevs.append(HostDev("pci", vf, _pos(n)))
    spec.hostdevs = tuple(hostdevs)
    iommu = devices.find("iommu")
    if iommu is not None:
        driver = iommu.find("driver")
        intremap = (
            _on(driver, "intremap") if driver is not None and "intremap" in driver.attrs else None
        )
        spec.viommu = Viommu(iommu.attrs.get("model", ""), intremap, _pos(iommu))
    spec.graphics = tuple(
        Graphics(
            g.attrs.get("type", ""),
            g.attrs.get("listen")
            or (g.find("listen").attrs.get("address") if g.find("listen") is not None else None),  # type: ignore[union-attr]
            (g.attrs["passwd"] != "") if "passwd" in g.attrs else None,
            _pos(g),
        )
        for g in devices.findall("graphics")
    )
    spec.consoles = tuple(
        Device(c.tag, _pos(c), c.attrs.get("type"))
        for c in devices.children
        if c.tag in ("serial", "console")
    )
    spec.inputs = tuple(
        Input(i.attrs.get("type", ""), i.attrs.get("bus"), _pos(i))
        for i in devices.findall("input")
    )
    usb: list[Device] = [Device("hub", _pos(h)) for h in devices.findall("hub")]
    usb += [
        Device("redirdev", _pos(r))
        for r in devices.findall("redirdev")
        if r.attrs.get("bus", "usb") == "usb"
    ]
    for d in devices.findall("disk"):
        target = d.find("target")
        if target is not None and target.attrs.get("bus") == "usb":
            usb.append(Device("disk", _pos(d)))
    spec.usb_devices = tuple(usb)
    spec.usb_controllers = tuple(
        UsbController(c.attrs.get("model"), _pos(c))
        for c in devices.findall("controller")
        if c.attrs.get("type") == "usb"
    )

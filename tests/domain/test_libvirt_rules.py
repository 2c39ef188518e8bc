"""Domain rules on libvirt XML: the seed's parameters and libvirt semantics, one id per rule."""

from __future__ import annotations

from collections.abc import Callable

from virtcompat.capability import Capability
from virtcompat.xen.validate import validate_config

HostFactory = Callable[..., dict[str, Capability]]


def _doc(domain_type: str = "kvm", machine: str = "q35", devices: str = "", extra: str = "") -> str:
    return (
        f"<domain type='{domain_type}'>\n  <name>g</name>\n  <memory unit='MiB'>1024</memory>\n"
        f"  <vcpu>2</vcpu>\n  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>\n"
        f"  <features><acpi/><apic/></features>\n{extra}"
        f"  <devices>\n    <serial type='pty'/>\n{devices}  </devices>\n</domain>\n"
    )


def _rules(doc: str, **kw: object) -> set[str]:
    return {f.rule for f in validate_config(doc, fmt="libvirt", **kw).findings}  # type: ignore[arg-type]


def test_kvm_needs_vtx_on_the_target_tcg_does_not(host: HostFactory) -> None:
    target = host(hvm="disabled")
    kvm = validate_config(_doc("kvm"), fmt="libvirt", host=target)
    assert "XEN-HVM-001" in {f.rule for f in kvm.findings if f.severity == "error"}
    assert "hvm" in kvm.requires
    tcg = validate_config(_doc("qemu"), fmt="libvirt", host=target)
    assert not [f for f in tcg.findings if f.severity == "error"]
    assert "hvm" not in tcg.requires


def test_required_vmx_needs_nested_support(host: HostFactory) -> None:
    extra = "  <cpu mode='host-model'><feature policy='require' name='vmx'/></cpu>\n"
    masked = validate_config(_doc(extra=extra), fmt="libvirt", host=host(vtx="masked"))
    assert "XEN-NEST-001" in {f.rule for f in masked.findings if f.severity == "error"}
    amd = validate_config(_doc(extra=extra), fmt="libvirt", host=host(), host_vendor="amd")
    assert "XEN-NEST-001" in {f.rule for f in amd.findings if f.severity == "error"}
    fine = validate_config(_doc(extra=extra), fmt="libvirt", host=host(), host_vendor="intel")
    assert not [f for f in fine.findings if f.severity == "error"]


def test_usb_tablet_with_usb_switched_off() -> None:
    devices = "    <controller type='usb' model='none'/>\n    <input type='tablet' bus='usb'/>\n"
    assert "DOM-USB-001" in _rules(_doc(devices=devices))
    assert "DOM-USB-001" not in _rules(_doc(devices="    <input type='tablet' bus='usb'/>\n"))


def test_usb_mouse_recommends_tablet_with_the_xl_rule_id() -> None:
    result = validate_config(_doc(devices="    <input type='mouse' bus='usb'/>\n"), fmt="libvirt")
    advice = [f for f in result.findings if f.rule == "XEN-USB-003"]
    assert advice and advice[0].severity == "info" and advice[0].key == "devices/input[1]"


def test_intel_viommu_intremap_needs_split_irqchip() -> None:
    iommu = "    <iommu model='intel'><driver intremap='on'/></iommu>\n"
    assert "DOM-IOMMU-002" in _rules(_doc(devices=iommu))
    split = "  <features><acpi/><ioapic driver='qemu'/></features>\n"
    doc = _doc(devices=iommu).replace("  <features><acpi/><apic/></features>\n", split)
    assert "DOM-IOMMU-002" not in _rules(doc)


def test_sev_on_an_intel_target_is_an_error(host: HostFactory) -> None:
    extra = "  <launchSecurity type='sev'><policy>0x0001</policy></launchSecurity>\n"
    intel = validate_config(_doc(extra=extra), fmt="libvirt", host=host(), host_vendor="intel")
    assert "DOM-SEC-001" in {f.rule for f in intel.findings if f.severity == "error"}
    amd = validate_config(_doc(extra=extra), fmt="libvirt", host=host(), host_vendor="amd")
    assert "DOM-SEC-001" in {f.rule for f in amd.findings if f.severity == "warning"}
    tdx = _doc(extra="  <launchSecurity type='tdx'/>\n")
    amd_tdx = validate_config(tdx, fmt="libvirt", host=host(), host_vendor="amd")
    assert "DOM-SEC-002" in {f.rule for f in amd_tdx.findings if f.severity == "error"}


def test_xen_hap_off_and_missing_pae_use_the_xl_rules() -> None:
    doc = _doc("xen", "xenfv").replace(
        "<features><acpi/><apic/></features>", "<features><acpi/><hap state='off'/></features>"
    )
    rules = _rules(doc)
    assert {"XEN-HAP-002", "XEN-PAE-001"} <= rules


def test_localtime_with_adjustment_adds_up_on_xen() -> None:
    extra = "  <clock offset='variable' adjustment='32400' basis='localtime'/>\n"
    result = validate_config(_doc("xen", "xenfv", extra=extra), fmt="libvirt")
    (f,) = [f for f in result.findings if f.rule == "XEN-RTC-001"]
    assert f.severity == "info" and "+32400" in f.message
    assert result.options["localtime"] == 1 and result.options["rtc_timeoffset"] == 32400


def test_options_use_xl_names_and_mask_passwords() -> None:
    devices = "    <graphics type='vnc' listen='0.0.0.0' passwd='s3cret'/>\n"
    result = validate_config(_doc(devices=devices), fmt="libvirt")
    assert result.options["vnc"] == 1 and result.options["vncpasswd"] == "***"
    assert result.options["memory"] == 1024 and result.options["accelerator"] == "kvm"
    assert "s3cret" not in repr(result.as_dict())


def test_open_vnc_without_password_keeps_the_xl_rule_id() -> None:
    devices = "    <graphics type='vnc' listen='0.0.0.0'/>\n"
    assert "XEN-GFX-003" in _rules(_doc(devices=devices))


def test_auto_detects_a_domain_document() -> None:
    assert validate_config(_doc(), fmt="auto").format == "libvirt"
    assert validate_config("name = 'x'\n", fmt="auto").format in ("xl", "xm")


def test_sarif_describes_dom_rules_too() -> None:
    from virtcompat.xen.sarif import to_sarif

    devices = "    <controller type='usb' model='none'/>\n    <input type='tablet' bus='usb'/>\n"
    log = to_sarif(validate_config(_doc(devices=devices), fmt="libvirt"), "g.xml")
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "DOM-USB-001" in ids
    usb = next(r for r in run["results"] if r["ruleId"] == "DOM-USB-001")
    assert ids[usb["ruleIndex"]] == "DOM-USB-001"
    assert run["tool"]["driver"]["informationUri"] == "https://libvirt.org/formatdomain.html"


XL_HVM = "name = 'g'\ntype = 'hvm'\nmemory = 1024\n"
XEN_XML = (
    "<domain type='xen'>\n  <name>g</name>\n  <memory unit='MiB'>1024</memory>\n"
    "  <os><type arch='x86_64' machine='xenfv'>hvm</type></os>\n"
    "  <features><acpi/><apic/><pae/></features>\n{extra}"
    "  <devices>\n{devices}  </devices>\n</domain>\n"
)
SERIAL = "    <serial type='pty'/>\n"


def _ids(text: str, fmt: str) -> set[str]:
    return {f.rule for f in validate_config(text, fmt=fmt).findings}


def test_seed_parameters_have_one_rule_in_every_format() -> None:
    # nographic: xl nographic=1 with vnc on by default; libvirt: no <graphics>, no console.
    assert "XEN-GFX-001" in _ids(XL_HVM + "nographic = 1\n", "xl")
    assert "XEN-GFX-001" in _ids(XEN_XML.format(extra="", devices=""), "libvirt")
    assert "XEN-GFX-001" not in _ids(XEN_XML.format(extra="", devices=SERIAL), "libvirt")
    # usbdevice: a mouse where a tablet is wanted.
    assert "XEN-USB-003" in _ids(XL_HVM + "usb = 1\nusbdevice = 'mouse'\n", "xl")
    mouse = SERIAL + "    <input type='mouse' bus='usb'/>\n"
    assert "XEN-USB-003" in _ids(XEN_XML.format(extra="", devices=mouse), "libvirt")
    # localtime with rtc_timeoffset: they add up (from Xen 3.4 / xl 4.2).
    assert "XEN-RTC-001" in _ids(XL_HVM + "localtime = 1\nrtc_timeoffset = 3600\n", "xl")
    clock = "  <clock offset='variable' adjustment='3600' basis='localtime'/>\n"
    assert "XEN-RTC-001" in _ids(XEN_XML.format(extra=clock, devices=SERIAL), "libvirt")
    # PoD: memory below the maximum on an HVM guest.
    assert "XEN-MEM-002" in _ids(XL_HVM + "maxmem = 2048\n", "xl")
    pod = XEN_XML.format(extra="", devices=SERIAL).replace(
        "</memory>", "</memory>\n  <currentMemory unit='MiB'>512</currentMemory>"
    )
    assert "XEN-MEM-002" in _ids(pod, "libvirt")


def test_paused_says_it_has_no_xml_equivalent() -> None:
    from virtcompat.rules.registry import get_rule

    rule = get_rule("XEN-LIFE-003")
    assert rule is not None and "virsh start --paused" in rule.explanation
    assert "XEN-LIFE-003" in _ids(XL_HVM + "paused = 1\n", "xl")


def test_redirected_usb_device_with_usb_switched_off() -> None:
    devices = (
        "    <controller type='usb' model='none'/>\n    <redirdev bus='usb' type='spicevmc'/>\n"
    )
    result = validate_config(_doc(devices=devices), fmt="libvirt")
    usb = [f for f in result.findings if f.rule == "DOM-USB-001"]
    assert usb and "cannot add redirected USB device" in usb[0].message
    assert usb[0].key == "devices/redirdev"

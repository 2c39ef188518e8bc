"""The acceptance points of issue 5, one test each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from virtcompat.capability import Capability, Layer, Reason, Status
from virtcompat.xen.validate import validate_config

HostFactory = Callable[..., dict[str, Capability]]

XM_JST = "builder = 'hvm'\nname = 'jst'\nlocaltime = 1\nrtc_timeoffset = 32400\n"


def test_xm_localtime_and_offset_ignored_on_33() -> None:
    result = validate_config(XM_JST, fmt="xm", xen_version="3.3")
    (f,) = [f for f in result.findings if f.rule == "XEN-RTC-001"]
    assert f.severity == "warning"
    assert "ignored" in f.message and (f.line, f.key) == (4, "rtc_timeoffset")


def test_xm_localtime_and_offset_add_up_from_34() -> None:
    result = validate_config(XM_JST, fmt="xm", xen_version="3.4")
    (f,) = [f for f in result.findings if f.rule == "XEN-RTC-001"]
    assert f.severity == "info" and "add up" in f.message


def test_usbdevice_mouse_recommends_tablet() -> None:
    result = validate_config("builder = 'hvm'\nusb = 1\nusbdevice = 'mouse'\n", fmt="xm")
    (f,) = [f for f in result.findings if f.rule == "XEN-USB-003"]
    assert "tablet" in f.message and f.hint == "usbdevice = 'tablet'"
    assert result.valid


def test_pv_config_with_usb_warns() -> None:
    result = validate_config("kernel = '/boot/vmlinuz'\nusb = 1\n", fmt="xm")
    (f,) = [f for f in result.findings if f.rule == "XEN-USB-001"]
    assert f.severity == "warning" and (f.line, f.key) == (2, "usb")


def test_xl_unquoted_negative_offset_is_an_error_at_its_position() -> None:
    cfg = 'name = "g"\nkernel = "/boot/vmlinuz"\nrtc_timeoffset = -3600\n'
    result = validate_config(cfg, fmt="xl")
    assert not result.valid
    (f,) = [f for f in result.findings if f.severity == "error"]
    assert (f.rule, f.line, f.column, f.key) == ("XEN-RTC-002", 3, 18, "rtc_timeoffset")


def test_xl_quoted_negative_offset_is_valid() -> None:
    cfg = 'name = "g"\nkernel = "/boot/vmlinuz"\nrtc_timeoffset = "-3600"\n'
    result = validate_config(cfg, fmt="xl")
    assert result.valid and result.findings == ()
    assert result.options["rtc_timeoffset"] == "-3600"


def test_xmexample2_validates_all_but_the_python(xen_data: Path) -> None:
    result = validate_config((xen_data / "xm" / "xen-xmexample2.cfg").read_bytes())
    assert result.format == "xm"
    python = [f for f in result.findings if f.rule == "XEN-FMT-002"]
    assert [f.line for f in python] == [23, 30, 35, 56, 102, 180]
    assert python[0].message.startswith("lines 23-27")
    assert {f.key for f in python} == {None, "name", "disk", "extra"}
    # Nothing else is an error, and the literal settings around the Python are read.
    assert {f.rule for f in result.findings if f.severity == "error"} == {"XEN-FMT-002"}
    assert result.options["kernel"] == "/boot/vmlinuz-2.6.10-xenU"
    assert result.options["memory"] == 64 and result.options["vcpus"] == 4
    assert result.options["root"] == "/dev/sda1 ro"
    assert "name" not in result.options and "disk" not in result.options


def test_hvm_pci_on_host_without_passthrough_cites_the_host_reasons() -> None:
    reason = Reason(
        rule="HW-VTD-CHIPSET",
        layer=Layer.CHIPSET,
        status=Status.UNSUPPORTED,
        message="Intel Q43 has no VT-d registers (datasheet 319970)",
        hint={"fix": "a Q45 board"},
    )
    host = {
        "hvm": Capability(Status.SUPPORTED),
        "slat": Capability(Status.SUPPORTED),
        "pci_passthrough": Capability(Status.UNSUPPORTED, (reason,)),
    }
    cfg = "builder='hvm'\npci=['0000:00:1b.0']\n"
    result = validate_config(cfg, fmt="xm", host=host)
    assert not result.valid
    (f,) = [f for f in result.findings if f.severity == "error"]
    assert f.rule == "XEN-PCI-001" and f.key == "pci" and f.line == 2
    assert "unsupported" in f.message and "HW-VTD-CHIPSET" in f.message
    assert "Q43" in f.message and f.hint is not None and "HW-VTD-CHIPSET" in f.hint
    assert f.related == (
        {
            "capability": "pci_passthrough",
            "rule": "HW-VTD-CHIPSET",
            "layer": "chipset",
            "status": "unsupported",
            "message": "Intel Q43 has no VT-d registers (datasheet 319970)",
        },
    )
    assert f.as_dict()["related"][0]["rule"] == "HW-VTD-CHIPSET"


def test_hvm_pci_on_host_with_passthrough_has_no_hardware_error(host: HostFactory) -> None:
    cfg = "builder='hvm'\npci=['0000:00:1b.0']\n"
    result = validate_config(cfg, fmt="xm", host=host())
    assert result.valid
    hardware = [f for f in result.findings if f.rule in ("XEN-PCI-001", "XEN-HVM-001")]
    assert not hardware
    assert result.requires == ("hvm", "pci_passthrough")

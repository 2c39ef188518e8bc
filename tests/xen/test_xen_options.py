"""The option catalogue: complete for XEN-CONFIG.md §2, structurally checked at load."""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

import pytest
import yaml

from virtcompat.xen.options import (
    SOURCE_KEYS,
    CatalogueError,
    all_options,
    build_catalogue,
    get_option,
    load_catalogue,
)

# Every option named in §2.1-§2.3 (CLI-only opts such as dryrun are not config keys).
SECTION_2 = """
name memory maxmem vcpus maxvcpus cpus cpus_soft builder type kernel ramdisk bootloader
bootargs bootloader_args extra root cmdline disk vif pci pci_msitranslate pci_power_mgmt
pci_permissive pci_seize rdm passthrough vfb vnc vnclisten vncdisplay vncunused vncpasswd
sdl opengl nographic serial stdvga vga usb usbdevice usbversion usbctrl usbdev localtime
rtc_timeoffset paused acpi apic pae hap on_poweroff on_reboot on_crash on_watchdog
on_soft_reset boot device_model device_model_override device_model_version cpuid
cpuid_check timer_mode viridian soundhw keymap vncconsole vncviewer bootentry loader
features shadow_memory cpu hpet vpt_align vcpu_avail vhpt cpu_cap cap cpu_weight restart
blkif netif tpmif vscsi ioports irq irqs vtpm access_control nics ip gateway netmask
hostname interface dhcp nfs_server nfs_root fda fdb monitor isa guest_os_type videoram
display xauthority uuid on_xend_start on_xend_stop target s3_integrity
machine_address_size suppress_spurious_page_faults xen_platform_pci
xen_extended_power_mgmt superpages pool nestedhvm altp2m spice bios firmware
firmware_override hdtype vendor_device mmio_hole tsc_mode e820_host gfx_passthru vpmu
dm_restrict device_model_args iomem dtdev nx spicepasswd spiceusbredirection
""".split()


@functools.cache
def _packaged_once() -> dict[str, Any]:
    text = resources.files("virtcompat.xen").joinpath("options.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _packaged() -> dict[str, Any]:
    return copy.deepcopy(_packaged_once())


def test_every_section_2_option_is_catalogued() -> None:
    missing = [name for name in SECTION_2 if get_option(name) is None]
    assert not missing


def test_lookup_by_xm_or_xl_name() -> None:
    cap = get_option("cpu_cap")
    assert cap is not None and cap.id == "cap" and cap.xm is not None and cap.xm.name == "cpu_cap"
    assert get_option("cap") is cap
    args = get_option("bootargs")
    assert args is not None and args.xl is not None and args.xl.name == "bootloader_args"
    assert get_option("no_such_option") is None


def test_seed_options_are_modelled() -> None:
    rtc = get_option("rtc_timeoffset")
    assert rtc is not None and rtc.xm is not None and rtc.xl is not None
    assert rtc.xm.applies == ("hvm",) and rtc.xl.since == "4.2"
    assert (rtc.xm.min, rtc.xm.max) == (-(2**31), 2**31 - 1)
    paused = get_option("paused")
    assert paused is not None and paused.xl is None
    nographic = get_option("nographic")
    assert nographic is not None and nographic.xl is not None and nographic.xl.applies == ("hvm",)
    usbdevice = get_option("usbdevice")
    assert usbdevice is not None and usbdevice.xm is not None
    assert usbdevice.xm.syntax is not None and "tablet" in usbdevice.xm.syntax
    for name in ("usb", "localtime"):
        assert get_option(name) is not None


def test_every_option_cites_section_0_sources_and_publishes_as_json() -> None:
    options = all_options()
    assert [o.id for o in options] == sorted(o.id for o in options)
    for opt in options:
        assert set(opt.sources) <= SOURCE_KEYS
        doc = json.loads(json.dumps(opt.as_dict()))
        assert doc["name"] == opt.id
        assert doc["xm"] is not None or doc["xl"] is not None


def test_secrets_are_marked() -> None:
    for name in ("vncpasswd", "spicepasswd"):
        opt = get_option(name)
        assert opt is not None and opt.secret


def _broken(mutate: Any) -> dict[str, Any]:
    data = _packaged()
    mutate(data["options"])
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o["memory"]["xm"].update(type="integer"), "type must be one of"),
        (lambda o: o["memory"]["xm"].update(since=4.10), "since must be a non-empty string"),
        (lambda o: o["memory"]["xm"].update(since="four"), "is not a Xen version"),
        (lambda o: o["memory"].update(sources=["WIKI"]), "unknown source key"),
        (lambda o: o["memory"].update(sources=[]), "sources must not be empty"),
        (lambda o: o["memory"]["xl"].update(applies=["pv", "hvm", "arm"]), "applies"),
        (lambda o: o["memory"]["xm"].update(applies=["pvh"]), "applies"),
        (lambda o: o["memory"]["xm"].update(colour="red"), "unknown field"),
        (lambda o: o["memory"].pop("summary"), "summary"),
        (lambda o: o["memory"].pop("xm") and o["memory"].pop("xl"), "needs an xm or an xl form"),
        (lambda o: o["vga"]["xl"].pop("values"), "needs values"),
        (lambda o: o["memory"]["xm"].update(min=5, max=1), "min > max"),
        (lambda o: o["memory"]["xm"].update(values=["a"]), "values given"),
        (lambda o: o["vga"]["xl"].update(name="memory"), "also used by"),
        (lambda o: o["memory"]["xm"].update(deprecated="yes"), "deprecated"),
        (lambda o: o["memory"].update(secret="no"), "secret"),
    ],
)
def test_malformed_catalogue_fails_loudly(mutate: Any, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        build_catalogue(_broken(mutate))


def test_malformed_top_level_and_yaml() -> None:
    with pytest.raises(CatalogueError):
        build_catalogue({"options": {}})
    with pytest.raises(CatalogueError):
        build_catalogue({"version": 2, "options": {"a": {}}})
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue("options: [unclosed")

"""DMI, PCI, command line, ACPI table, xl info parsers and parse_artefacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from virtcompat.probe import (
    ARTEFACT_FIELDS,
    ARTEFACT_LIMITS,
    parse_acpi_tables,
    parse_artefacts,
    parse_cmdline,
    parse_dmi,
    parse_lspci,
    parse_xl_info,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"

# --- DMI -------------------------------------------------------------------------------------


def test_dmi_mapping_drops_identity_values() -> None:
    dmi = parse_dmi(
        {
            "sys_vendor": "LENOVO",
            "product_name": "20AL008EUK",
            "product_version": "ThinkPad X240",
            "board_name": "20AL008EUK",
            "bios_version": "GIET69WW (2.19 )",
            "bios_date": "02/06/2014",
            "chassis_type": "10",
            "product_serial": "PF0ABCDE",
            "product_uuid": "<redacted:uuid:0123abcd>",
        }
    )
    assert dmi.sys_vendor == "LENOVO" and dmi.bios_version == "GIET69WW (2.19 )"
    assert dmi.chassis_type_name == "Notebook"
    assert dmi.identity_keys_seen == ("product_serial", "product_uuid")
    assert "PF0ABCDE" not in json.dumps(dmi.as_dict())
    assert dmi.virtual_platform is None


def test_dmi_dmidecode_text() -> None:
    dmi = parse_dmi(
        "# dmidecode 3.3\nHandle 0x0000, DMI type 0, 26 bytes\nBIOS Information\n"
        "\tVendor: Intel Corp.\n\tVersion: CBQ4510H.86A.0061.2009.0305.1645\n"
        "\tRelease Date: 03/05/2009\n\nHandle 0x0001, DMI type 1, 27 bytes\n"
        "System Information\n\tManufacturer: To Be Filled By O.E.M.\n"
        "\tSerial Number: ABC123\n\tUUID: 4c4c4544-0042-3510-8052-b4c04f4e4431\n\n"
        "Handle 0x0002, DMI type 2, 15 bytes\nBase Board Information\n"
        "\tManufacturer: Intel Corporation\n\tProduct Name: DQ45CB\n\tVersion: AAE30148-306\n\n"
        "Handle 0x0004, DMI type 4, 42 bytes\nProcessor Information\n\tVersion: Intel Q9400\n"
    )
    assert (dmi.board_vendor, dmi.board_name, dmi.board_version) == (
        "Intel Corporation",
        "DQ45CB",
        "AAE30148-306",
    )
    assert dmi.bios_vendor == "Intel Corp." and dmi.bios_date == "03/05/2009"
    assert dmi.product_version is None  # "Version" under Processor Information is skipped
    assert dmi.placeholders == {"sys_vendor"}
    assert set(dmi.identity_keys_seen) == {"product_serial", "product_uuid"}


def test_dmi_sysfs_grep_text_and_virtual_platform() -> None:
    dmi = parse_dmi(
        b"/sys/class/dmi/id/sys_vendor:innotek GmbH\n"
        b"/sys/class/dmi/id/product_name:VirtualBox\n/sys/class/dmi/id/chassis_type:1\n"
    )
    assert dmi.virtual_platform == "VirtualBox"
    assert dmi.chassis_type_name == "Other"


@pytest.mark.parametrize("data", [None, 5, [], {1: "x"}, {"sys_vendor": 3}, b"\xff"])
def test_dmi_odd_inputs(data: object) -> None:
    assert parse_dmi(data).sys_vendor is None


# --- PCI -------------------------------------------------------------------------------------

LSPCI = """\
00:00.0 Host bridge [0600]: Intel Corporation 4 Series Chipset DRAM Controller [8086:2e10] (rev 03)
00:02.0 VGA compatible controller [0300]: Intel Corporation 4 Series Chipset Integrated Graphics Controller [8086:2e12] (rev 03)
00:1f.0 ISA bridge [0601]: Intel Corporation 82801JDO (ICH10DO) LPC Interface Controller [8086:3a14] (rev 02)
\tSubsystem: Intel Corporation Device [8086:5044]
00:1f.2 SATA controller [0106]: Intel Corporation 82801JD/DO (ICH10 Family) SATA AHCI Controller [8086:3a02] (rev 02) (prog-if 01 [AHCI 1.0])
00:00.2 IOMMU [0806]: Advanced Micro Devices, Inc. [AMD] Family 17h (Models 00h-0fh) I/O Memory Management Unit [1022:1451]
01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GP104 [GeForce GTX 1080] [10de:1b80] (rev a1)
"""  # noqa: E501


def test_lspci_nn() -> None:
    pci = parse_lspci(LSPCI)
    assert pci.source == "lspci-nn"
    assert [d.pci_id for d in pci.host_bridges] == ["8086:2e10"]
    assert [d.pci_id for d in pci.lpc_bridges] == ["8086:3a14"]
    assert [d.pci_id for d in pci.iommu_functions] == ["1022:1451"]
    assert "10de:1b80" in pci.ids
    (gpu,) = pci.find("10DE:1B80")
    assert gpu.description == "NVIDIA Corporation GP104 [GeForce GTX 1080]"
    assert gpu.revision == "a1" and gpu.slot == "0000:01:00.0"
    (sata,) = pci.find("8086:3a02")
    assert sata.prog_if == "01"


def test_lspci_rd890_iommu_by_id() -> None:
    pci = parse_lspci(
        "00:00.2 Generic system peripheral [0806]: Advanced Micro Devices, Inc. [AMD/ATI] "
        "RD890S/RD990 I/O Memory Management Unit (IOMMU) [1002:5a23]\n"
        "00:00.0 Host bridge [0600]: Advanced Micro Devices, Inc. [AMD/ATI] RD9x0/RX980 "
        "Host Bridge [1002:5a14] (rev 02)\n"
    )
    assert [d.pci_id for d in pci.iommu_functions] == ["1002:5a23"]


def test_lspci_without_nn_warns() -> None:
    pci = parse_lspci("00:00.0 Host bridge: Intel Corporation 4 Series Chipset DRAM Controller\n")
    assert pci.source == "lspci"
    assert pci.devices[0].class_name == "Host bridge"
    assert pci.devices[0].pci_id is None
    assert any("-nn" in w for w in pci.warnings)


def test_lspci_machine_readable_forms() -> None:
    mm = parse_lspci(
        '00:1f.0 "ISA bridge [0601]" "Intel Corporation [8086]" "82801JDO LPC [3a14]" -r02 '
        '"Intel Corporation [8086]" "Device [5044]"\n'
    )
    assert mm.source == "lspci-mm"
    assert mm.devices[0].pci_id == "8086:3a14" and mm.devices[0].subsystem_id == "8086:5044"
    vmm = parse_lspci(
        "Slot:\t0000:00:1f.0\nClass:\tISA bridge [0601]\nVendor:\tIntel Corporation [8086]\n"
        "Device:\t82801JDO LPC [3a14]\nRev:\t02\nIOMMUGroup:\t7\n\n"
    )
    assert vmm.source == "lspci-vmm"
    assert vmm.devices[0].iommu_group == 7 and vmm.lpc_bridges


def test_pci_devices_sysfs_form() -> None:
    pci = parse_lspci(
        [
            {"slot": "0000:00:00.0", "class": "0x060000", "vendor": "0x8086", "device": "0x2e10",
             "revision": "0x03"},
            {"slot": "0000:00:1f.0", "class": "0x060100", "vendor": "0x8086", "device": "0x3a14",
             "iommu_group": 4},
            {"slot": "../../etc/passwd", "class": "0x060000"},
            "not a device",
        ]
    )  # fmt: skip
    assert pci.source == "sysfs"
    assert [d.pci_id for d in pci.devices] == ["8086:2e10", "8086:3a14"]
    assert pci.lpc_bridges[0].iommu_group == 4 and pci.lpc_bridges[0].prog_if == "00"
    assert any("2 sysfs PCI entries" in w for w in pci.warnings)


@pytest.mark.parametrize("data", [None, 7, {}, b"\xff\xfe", [[]], "garbage\n"])
def test_lspci_odd_inputs(data: object) -> None:
    assert parse_lspci(data).devices == ()


# --- command line ----------------------------------------------------------------------------


def test_cmdline_iommu_values_and_warnings() -> None:
    cmd = parse_cmdline(
        "BOOT_IMAGE=/boot/vmlinuz-6.5.13-1-pve root=/dev/mapper/pve-root ro quiet "
        "amd_iommu=on iommu=pt pcie_acs_override=downstream vfio-pci.ids=10DE:1B80,10de:10f0\n"
    )
    assert cmd.amd_iommu == ("on",)
    assert "amd_iommu=on" in cmd.invalid_values
    assert cmd.iommu_passthrough is True
    assert cmd.pcie_acs_override == "downstream"
    assert cmd.vfio_pci_ids == ("10de:1b80", "10de:10f0")
    joined = " ".join(cmd.warnings)
    assert "Unknown option" in joined and "isolat" in joined and "ACS" in joined


def test_cmdline_intel_values() -> None:
    cmd = parse_cmdline("intel_iommu=on,igfx_off intel_iommu=sm_on,bogus intel_iommu=off")
    assert cmd.intel_iommu == ("on", "igfx_off", "sm_on", "bogus", "off")
    assert cmd.intel_iommu_enabled is False
    assert cmd.intel_iommu_igfx_off
    assert cmd.invalid_values == ("intel_iommu=bogus",)
    assert parse_cmdline("quiet").intel_iommu_enabled is None


def test_cmdline_iommu_numeric_and_off() -> None:
    cmd = parse_cmdline("iommu=pt iommu=1 iommu=off iommu.passthrough=0 iommu.strict=1")
    assert cmd.iommu == ("pt", "1", "off")
    assert cmd.iommu_off and cmd.amd_iommu_off
    assert cmd.iommu_passthrough is False  # the later iommu.passthrough=0 wins
    assert cmd.iommu_strict is True
    assert any("GART" in w for w in cmd.warnings)


@pytest.mark.parametrize(
    ("token", "field", "value"),
    [
        ("kvm_intel.nested=1", "kvm_intel_nested", True),
        ("kvm-intel.nested=N", "kvm_intel_nested", False),
        ("kvm_intel.nested", "kvm_intel_nested", True),
        ("kvm_amd.nested=0", "kvm_amd_nested", False),
        ("kvm-amd.nested=on", "kvm_amd_nested", True),
        ("kvm_intel.ept=0", "kvm_intel_ept", False),
        ("kvm_amd.npt=off", "kvm_amd_npt", False),
        ("kvm_amd.npt=maybe", "kvm_amd_npt", None),
    ],
)
def test_cmdline_kvm_module_parameters(token: str, field: str, value: bool | None) -> None:
    assert getattr(parse_cmdline(token), field) is value


def test_cmdline_redaction_quotes_and_init_args() -> None:
    cmd = parse_cmdline(
        "root=UUID=864c54c6-961a-4ad9-8c23-35eb8e0f24fb resume=PARTUUID=1234abcd-02 "
        'cryptkey=rootfs:/key password=hunter2 "acpi_osi=Windows 2015" -- single  extra',
        salt="s",
    )
    assert "864c54c6" not in cmd.raw and "1234abcd-02" not in cmd.raw
    assert "hunter2" not in cmd.raw
    root = cmd.get("root")
    assert root is not None and root.startswith("UUID=<redacted:uuid:")
    assert cmd.get("acpi_osi") == "Windows 2015"
    assert cmd.init_args == ("single", "extra")
    assert not cmd.has("single")


def test_cmdline_xen_hints() -> None:
    cmd = parse_cmdline("console=hvc0 xen-pciback.hide=(01:00.0) earlyprintk=xen quiet")
    assert cmd.xen_hints == ("console=hvc0", "xen_pciback.hide=(01:00.0)", "earlyprintk=xen")


@pytest.mark.parametrize(
    ("data", "warned"),
    [
        (None, False),  # absent: nothing to say
        (1, True),  # not text: a warning, an empty result
        ([], True),
        (b"\xff" * 10, False),  # undecodable bytes are replaced, not refused
        ('"unterminated quote', False),
        ("a=" * 3000, False),
    ],
)
def test_cmdline_odd_inputs(data: object, warned: bool) -> None:
    cmd = parse_cmdline(data)
    assert any("expected text" in w for w in cmd.warnings) is warned
    # Whatever came in, nothing is read as an IOMMU or KVM setting and the raw copy stays
    # within its 4 KiB cap.
    assert cmd.intel_iommu == () and cmd.amd_iommu == () and cmd.iommu == ()
    assert cmd.intel_iommu_enabled is None and cmd.iommu_passthrough is None
    assert len(cmd.raw) <= 4096


# --- ACPI tables -----------------------------------------------------------------------------


def test_acpi_tables_names_and_signatures() -> None:
    acpi = parse_acpi_tables(["APIC", "DMAR", "SSDT1", "SSDT10", "TPM2", "data", "dynamic"])
    assert acpi.names == ("APIC", "DMAR", "SSDT1", "SSDT10", "TPM2")
    assert acpi.signatures == {"APIC", "DMAR", "SSDT", "TPM2"}
    assert acpi.has_dmar and not acpi.has_ivrs and acpi.has("tpm2")
    text = parse_acpi_tables("IVRS, DSDT\nFACP  ../../x  IORT")
    assert text.has_ivrs and text.has_iort
    assert any("1 entries" in w for w in text.warnings)


@pytest.mark.parametrize("data", [None, 3, [1, None, {}], b"\xff"])
def test_acpi_odd_inputs(data: object) -> None:
    assert not parse_acpi_tables(data).has_dmar


# --- xl info ---------------------------------------------------------------------------------

XL_INFO_413 = """\
host                   : <redacted:host:0123abcd>
release                : 5.10.0-28-amd64
version                : #1 SMP Debian 5.10.209-2 (2024-01-31)
machine                : x86_64
nr_cpus                : 8
virt_caps              : pv hvm hvm_directio pv_directio hap shadow iommu_hap_pt_share
xen_major              : 4
xen_minor              : 17
xen_extra              : .3
xen_version            : 4.17.3
xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64
xen_commandline        : placeholder dom0_mem=4096M,max:4096M iommu=1
"""


def test_xl_info_413() -> None:
    xl = parse_xl_info(XL_INFO_413)
    assert (xl.xen_version, xl.xen_version_tuple) == ("4.17.3", (4, 17, 3))
    assert xl.hvm and xl.directio and xl.hap
    assert xl.nr_cpus == 8 and xl.release == "5.10.0-28-amd64"
    assert xl.xen_commandline is not None and "iommu=1" in xl.xen_commandline


def test_xl_info_old_vocabulary_and_missing_caps() -> None:
    old = parse_xl_info(
        "virt_caps : hvm hvm_directio\nxen_major : 4\nxen_minor : 1\nxen_extra : .2\n"
    )
    assert old.xen_version == "4.1.2" and old.hvm and old.directio and old.hap is None
    no_hap = parse_xl_info("virt_caps : pv hvm shadow\n")
    assert no_hap.hap is False and no_hap.directio is False
    caps_only = parse_xl_info("xen_caps : xen-3.0-x86_64 xen-3.0-x86_32p\n")
    assert caps_only.hvm is False and caps_only.virt_caps is None and caps_only.directio is None
    empty = parse_xl_info("ERROR:  Can't get physinfo\n")
    assert empty.hvm is None and empty.warnings


# --- parse_artefacts -------------------------------------------------------------------------


def _corpus(kind: str, name: str) -> str:
    return (DATA / kind / name).read_text()


SURFACE = "surface-book-i5-6300u-dmar-irq-remap-only-no-intel_iommu.dmesg"


def test_parse_artefacts_full() -> None:
    obs = parse_artefacts(
        {
            "cpuinfo": _corpus("cpuinfo", "intel-core-i7-2600-baremetal.cpuinfo"),
            "dmesg": _corpus("dmesg", SURFACE),
            "dmesg_source": "dmesg",
            "dmi": {"sys_vendor": "Dell Inc.", "product_serial": "<redacted:serial:0a1b2c3d>"},
            "lspci": LSPCI,
            "cmdline": "root=/dev/sda1 intel_iommu=on",
            "kernel_release": "4.4.0-21-generic\n",
            "acpi_tables": ["APIC", "DMAR"],
            "iommu_groups": 12,
            "dev_kvm": True,
            "kvm_nested": "Y",
            "kvm_module": "kvm_intel",
            "collection_warnings": ["lspci: exit 1"],
        }
    )  # fmt: skip
    assert obs.cpuinfo is not None and obs.cpuinfo.has_vmx
    assert obs.kernel_log is not None and obs.kernel_log.dmar_table_seen
    assert obs.dmar_table is True and obs.ivrs_table is False
    assert obs.pci is not None and obs.pci.lpc_bridges
    assert obs.cmdline is not None and obs.cmdline.intel_iommu_enabled
    assert obs.cmdline_source == "artefact"
    assert obs.kernel_release == "4.4.0-21-generic" and obs.kernel_version == (4, 4, 0)
    assert (obs.iommu_groups, obs.dev_kvm, obs.kvm_nested, obs.kvm_module) == (
        12,
        True,
        True,
        "kvm_intel",
    )
    assert obs.dmesg_source == "dmesg"
    assert "agent: lspci: exit 1" in obs.warnings
    json.dumps(obs.as_dict())


def test_parse_artefacts_falls_back_to_the_log() -> None:
    log = _corpus("dmesg", "thinkpad-x240-haswell-no-dmar-table-kvm-disabled-by-bios.dmesg")
    obs = parse_artefacts({"dmesg": log})
    assert obs.kernel_release == "3.13.6-1-ARCH"
    assert obs.cmdline is not None and obs.cmdline_source == "kernel_log"
    assert obs.dmar_table is False  # the log's ACPI table list has no DMAR
    assert obs.ivrs_table is False
    assert parse_artefacts({}).dmar_table is None


def test_parse_artefacts_release_mismatch_warns() -> None:
    log = _corpus("dmesg", "thinkpad-x240-haswell-no-dmar-table-kvm-disabled-by-bios.dmesg")
    obs = parse_artefacts({"dmesg": log, "kernel_release": "6.1.0"})
    assert obs.kernel_release == "6.1.0"
    assert any("not the running 6.1.0" in w for w in obs.warnings)


def test_parse_artefacts_pci_devices_when_no_lspci() -> None:
    obs = parse_artefacts(
        {"pci_devices": [{"slot": "0000:00:00.0", "class": "0x060000", "vendor": "0x8086",
                          "device": "0x2e10"}]}
    )  # fmt: skip
    assert obs.pci is not None and obs.pci.source == "sysfs"


def test_parse_artefacts_xen_dom0_note() -> None:
    obs = parse_artefacts(
        {"cpuinfo": "processor : 0\nvendor_id : GenuineIntel\nflags : fpu hypervisor\n",
         "xl_info": XL_INFO_413}
    )  # fmt: skip
    assert obs.xl_info is not None and obs.xl_info.hvm
    assert any("Xen masks" in w for w in obs.warnings)


@pytest.mark.parametrize(
    "artefacts",
    [
        None,
        [],
        "cpuinfo",
        {"cpuinfo": 5, "dmesg": ["x"], "dmi": 3, "lspci": {}, "cmdline": 1.5,
         "acpi_tables": 7, "iommu_groups": "12", "dev_kvm": "yes", "kvm_nested": 3,
         "kvm_module": "kvm_arm", "dmesg_source": "/etc/shadow", "xl_info": [],
         "kernel_release": 6, "collection_warnings": "x", "pci_devices": "x", "bogus": 1},
        {"iommu_groups": True, "dev_kvm": 1, "iommu_groups_": -1},
        {"iommu_groups": -3},
        {1: "x"},
    ],
)  # fmt: skip
def test_parse_artefacts_wrong_types_warn(artefacts: Any) -> None:
    obs = parse_artefacts(artefacts)
    assert obs.cpuinfo is None and obs.iommu_groups is None and obs.dev_kvm is None
    assert obs.warnings
    json.dumps(obs.as_dict())


def test_artefact_fields_have_limits_or_are_scalars() -> None:
    scalars = {"iommu_groups", "dev_kvm", "kvm_nested"}
    assert ARTEFACT_FIELDS - scalars <= set(ARTEFACT_LIMITS)

"""libvirt's own test inputs (tests/data/libvirt, see SOURCES.md there).

Truths come from libvirt's test programs, not from this code: a file that
qemuxmlconftest.c runs with DO_TEST_CAPS_LATEST (or xlconfigtest.c with DO_TEST) is
accepted by libvirt and must give no error finding; a DO_TEST_CAPS_LATEST_PARSE_ERROR file
whose .err reason is within our rules must give an error naming the rule that encodes it.
Hardware rules need a target, so none fires here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from virtcompat.xen.validate import validate_config

DATA = Path(__file__).resolve().parent.parent / "data" / "libvirt"
QEMU = DATA / "qemuxmlconfdata"
XL = DATA / "xlconfigdata"

# File → (libvirt's error text from its .err file, the rule that must fire).
EXPECTED_FAILURES: dict[str, tuple[str, str]] = {
    "usb-none-usbtablet.xml": ("USB is disabled for this domain", "DOM-USB-001"),
    "no-memory.xml": (
        "Memory size must be specified via <memory> or in the <numa> configuration",
        "XEN-MEM-001",
    ),
    "usb-none-hub.xml": ("a USB hub with USB disabled", "DOM-USB-001"),
    "usb-none-other.xml": (
        "Can't add another USB controller: USB is disabled for this domain",
        "DOM-USB-001",
    ),
    "hostdev-pci-duplicate.xml": (
        "XML error: Hostdev already exists in the domain configuration",
        "DOM-PCI-001",
    ),
    "intel-iommu-wrong-machine.xml": ("intel vIOMMU on machine 'pc'", "DOM-IOMMU-001"),
    "virtio-iommu-no-acpi.xml": ("virtio-iommu requires ACPI", "DOM-IOMMU-003"),
}

ALL_QEMU = sorted(QEMU.glob("*.xml"))
ALL_XL = sorted(XL.glob("*.cfg")) + sorted(XL.glob("*.xml"))


def _errors(path: Path) -> list[str]:
    fmt = "libvirt" if path.suffix == ".xml" else "xl"
    result = validate_config(path.read_bytes(), fmt=fmt)
    return sorted({f.rule for f in result.findings if f.severity == "error"})


def test_corpus_size_and_sources() -> None:
    files = ALL_QEMU + ALL_XL
    assert len(files) >= 60
    sources = (DATA / "SOURCES.md").read_text("utf-8")
    for path in files:
        assert f"`{path.name}`" in sources, f"{path.name} is not listed in SOURCES.md"
    for name, (reason, _rule) in EXPECTED_FAILURES.items():
        assert (QEMU / name).exists()
        assert reason in sources, f"SOURCES.md does not quote libvirt's error for {name}"


@pytest.mark.parametrize(
    "path", [p for p in ALL_QEMU if p.name not in EXPECTED_FAILURES], ids=lambda p: p.name
)
def test_files_libvirt_accepts_give_no_error(path: Path) -> None:
    assert _errors(path) == []


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_files_libvirt_rejects_give_the_rule(name: str) -> None:
    rule = EXPECTED_FAILURES[name][1]
    assert rule in _errors(QEMU / name)


PAIRS = sorted(p.stem for p in XL.glob("*.cfg") if p.with_suffix(".xml").exists())


def test_every_xl_config_has_its_xml_twin() -> None:
    assert PAIRS and len(PAIRS) == len(list(XL.glob("*.cfg")))


@pytest.mark.parametrize("stem", PAIRS)
def test_xl_config_and_xml_twin_give_the_same_error_rules(stem: str) -> None:
    assert _errors(XL / f"{stem}.cfg") == _errors(XL / f"{stem}.xml")


def test_pod_with_passthrough_is_one_rule_in_both_formats() -> None:
    # test-fullvirt-pci: memory 394 < maxmem 579 MiB with two PCI devices on an HVM guest;
    # libxl refuses PoD together with passthrough (XEN-CONFIG.md §4, libxl_create.c).
    assert _errors(XL / "test-fullvirt-pci.cfg") == ["XEN-PCI-005"]
    result = validate_config((XL / "test-fullvirt-pci.xml").read_bytes(), fmt="libvirt")
    pod = [f for f in result.findings if f.rule == "XEN-PCI-005"]
    # Reported where xl reports it: at the maximum (xl maxmem, libvirt <memory>, line 4).
    assert pod and (pod[0].key, pod[0].line, pod[0].column) == ("memory", 4, 3)
    assert "currentMemory = 403456 KiB < memory = 592896 KiB" in pod[0].message
    xl = validate_config((XL / "test-fullvirt-pci.cfg").read_bytes(), fmt="xl")
    xl_pod = next(f for f in xl.findings if f.rule == "XEN-PCI-005")
    assert xl_pod.key == "maxmem" and "memory = 394 < maxmem = 579" in xl_pod.message


def test_xml_findings_carry_line_column_and_xpath_key() -> None:
    result = validate_config((QEMU / "hostdev-pci-duplicate.xml").read_bytes(), fmt="libvirt")
    dup = next(f for f in result.findings if f.rule == "DOM-PCI-001")
    # The second <hostdev> element starts on line 33, indented four spaces.
    assert (dup.key, dup.line, dup.column) == ("devices/hostdev[2]", 33, 5)

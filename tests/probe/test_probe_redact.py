"""Redaction: identifiers replaced, everything diagnostic left alone, agent and server agree."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType

import pytest

from virtcompat.probe import ARTEFACT_ITEM_LIMITS, ARTEFACT_LIMITS, scrub_artefacts, scrub_text
from virtcompat.probe.redact import placeholder

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"
CORPUS = sorted((DATA / "cpuinfo").glob("*.cpuinfo")) + sorted((DATA / "dmesg").glob("*.dmesg"))
SALT = "0123456789abcdef0123456789abcdef"


def _hash(value: str) -> str:
    return hashlib.sha256((SALT + value).encode()).hexdigest()[:8]


@pytest.mark.parametrize(
    ("text", "kind", "secret"),
    [
        ("e1000e 0000:00:19.0 eth0: (PCI Express:2.5GT/s:Width x1) d4:be:d9:12:34:56", "mac",
         "d4:be:d9:12:34:56"),
        ("link/ether D4-BE-D9-12-34-56 brd ff:ff:ff:ff:ff:ff", "mac", "D4-BE-D9-12-34-56"),
        ("renamed from eth0 to enxd4bed9123456", "mac", "d4bed9123456"),
        ("root=UUID=864c54c6-961a-4ad9-8c23-35eb8e0f24fb ro", "uuid", "864c54c6"),
        ("{864C54C6-961A-4AD9-8C23-35EB8E0F24FB}", "uuid", "864C54C6"),
        ("rd.luks.uuid=luks-864c54c6-961a-4ad9-8c23-35eb8e0f24fb", "uuid", "864c54c6"),
        ("root=PARTUUID=1234abcd-02 ro", "uuid", "1234abcd-02"),
        ("resume=UUID=1234-ABCD", "uuid", "1234-ABCD"),
        ("\tSerial Number: PF0ABCDE", "serial", "PF0ABCDE"),
        ("usb 1-1: SerialNumber: 0123456789AB", "serial", "0123456789AB"),
        ("Serial\t\t: 10000000abcdef01", "serial", "10000000abcdef01"),
        ("S/N: XYZ-42", "serial", "XYZ-42"),
        ("g_serial.serial=ABC123 quiet", "serial", "ABC123"),
        ("serial=ABC123", "serial", "ABC123"),
        ("/sys/class/dmi/id/product_serial:PF0ABCDE", "serial", "PF0ABCDE"),
        ("product_uuid: 4c4c4544-0042-3510-8052-b4c04f4e4431", "uuid", "4c4c4544"),
        ("board_asset_tag: ASSET-0042", "asset_tag", "ASSET-0042"),
        ("password=hunter2 quiet", "secret", "hunter2"),
        ("wifi.api_key=abc123def", "secret", "abc123def"),
        ("Apr 23 20:21:52 johns-laptop kernel: DMAR: IOMMU enabled", "host", "johns-laptop"),
        ("[    0.000000] johns-laptop kernel: Linux version 6.1", "host", "johns-laptop"),
        ("[    3.1] systemd[1]: Hostname set to <johns-laptop>.", "host", "johns-laptop"),
        ("systemd-hostnamed[812]: Changed host name to 'johns-laptop'", "host", "johns-laptop"),
    ],
)  # fmt: skip
def test_identifiers_are_replaced(text: str, kind: str, secret: str) -> None:
    clean, kinds = scrub_text(text, SALT)
    assert secret not in clean
    assert secret.lower() not in clean.lower()
    assert kind in kinds
    assert f"<redacted:{kind}:" in clean


@pytest.mark.parametrize(
    "text",
    [
        "00:1f.3 Audio device [0403]: Intel Corporation Device [8086:a348] (rev 10)",
        "pci 0000:00:1f.3: [8086:2e10] type 00 class 0x060000",
        "[    0.000000] Linux version 4.16.3+ #1 SMP Mon Apr 23 20:21:52 CEST 2018",
        "[Mon Apr 23 20:21:52 2018] kvm: disabled by bios",
        "pci 0000:00:00.2: AMD-Vi: Found IOMMU cap 0x40",
        "DMAR: dmar0: reg_base_addr fc800000 ver 7:1 cap e9de008cee690402 ecap 1aca9a00f0ef5e",
        "RAMDISK: [mem 0x35ca2000-0x36e48fff]",
        "BIOS-e820: [mem 0x0000000000100000-0x00000000dffeffff] usable",
        "Serial: 8250/16550 driver, 4 ports, IRQ sharing enabled",
        "Serial: AMBA PL011 UART driver",
        "serial8250: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A",
        "IPv6: ADDRCONF(NETDEV_CHANGE): fe80::1:2:3:4 eth0: link becomes ready",
        "firewire_core: created device fw0: GUID 00:11:22:33:44:55:66:77",
        "MAC 00:00:00:00:00:00 invalid, ff:ff:ff:ff:ff:ff is broadcast",
        "EFI v2.70 by American Megatrends; uuid 00000000-0000-0000-0000-000000000000",
        "12:34:56:78 and 1-2-3-4-5-6 and aa:bb:cc:dd:ee",
        "kvm: no hardware support for 'kvm_intel'",
        "ACPI: DMAR 0x000000006FF60000 0000C0 (v01 HONOR  PTL      00000002 ACPI 00040000)",
        "Kernel command line: BOOT_IMAGE=/vmlinuz ro quiet splash vt.handoff=7 keymap=de",
        "<redacted:serial:0a1b2c3d> <redacted:mac:01234567> <redacted:uuid>",
    ],
)
def test_diagnostic_text_is_untouched(text: str) -> None:
    assert scrub_text(text, SALT) == (text, [])


def test_same_value_same_placeholder_across_spellings() -> None:
    a, _ = scrub_text("d4:be:d9:12:34:56", SALT)
    b, _ = scrub_text("D4-BE-D9-12-34-56", SALT)
    c, _ = scrub_text("enxd4bed9123456", SALT)
    assert a == b == f"<redacted:mac:{_hash('d4:be:d9:12:34:56')}>"
    assert c == "enx" + a
    other, _ = scrub_text("d4:be:d9:12:34:57", SALT)
    assert other != a
    assert scrub_text("d4:be:d9:12:34:56", "another salt")[0] != a


def test_placeholder_format() -> None:
    assert placeholder("serial", "X", SALT) == f"<redacted:serial:{_hash('X')}>"
    assert placeholder("serial", "X", None) == "<redacted:serial>"
    assert scrub_text("serial=ABC", None) == ("serial=<redacted:serial>", ["serial"])


def test_multi_word_serial_keeps_line_structure() -> None:
    clean, kinds = scrub_text("\tSerial Number: To Be Filled By O.E.M.  \n\tVersion: 1.0", SALT)
    assert (
        clean
        == f"\tSerial Number: <redacted:serial:{_hash('To Be Filled By O.E.M.')}>  \n\tVersion: 1.0"
    )
    assert kinds == ["serial"]


@pytest.mark.parametrize("sample", CORPUS, ids=lambda p: p.name)
def test_corpus_redaction_is_exact_and_idempotent(sample: Path) -> None:
    text = sample.read_text()
    clean, kinds = scrub_text(text, SALT)
    # The corpus holds no MAC or serial; the only identifiers are root=UUID= values.
    assert set(kinds) <= {"uuid"}
    assert kinds.count("uuid") == text.count("root=UUID=")
    assert clean.count("\n") == text.count("\n")
    assert scrub_text(clean, SALT) == (clean, [])


def test_scrub_artefacts_hashes_dmi_identity_and_reports() -> None:
    artefacts = {
        "cpuinfo": "processor : 0\nSerial : 10000000abcdef01\n",
        "dmesg": "[    2.0] e1000e eth0: d4:be:d9:12:34:56\n[    0.0] Command line: root=UUID="
        "864c54c6-961a-4ad9-8c23-35eb8e0f24fb\n",
        "dmi": {
            "sys_vendor": "Dell Inc.",
            "product_serial": "PF0ABCDE",
            "product_uuid": "<redacted:uuid:0123abcd>",
            "board_serial": "",
            "chassis_asset_tag": 42,
        },
        "xl_info": "host                   : dom0-prod-17\nvirt_caps : hvm\n",
        "acpi_tables": ["DMAR", "APIC"],
        "iommu_groups": 3,
        "dev_kvm": True,
    }
    clean, report = scrub_artefacts(artefacts, SALT)
    dumped = json.dumps(clean)
    for secret in ("10000000abcdef01", "d4:be:d9", "864c54c6", "PF0ABCDE", "dom0-prod-17"):
        assert secret not in dumped
    assert clean["dmi"]["product_serial"] == f"<redacted:serial:{_hash('PF0ABCDE')}>"
    assert clean["dmi"]["product_uuid"] == "<redacted:uuid:0123abcd>"
    assert clean["dmi"]["board_serial"] == ""
    assert clean["dmi"]["chassis_asset_tag"] == f"<redacted:asset_tag:{_hash('42')}>"
    assert clean["dmi"]["sys_vendor"] == "Dell Inc."
    assert clean["acpi_tables"] == ["DMAR", "APIC"] and clean["iommu_groups"] == 3
    assert clean["dev_kvm"] is True
    assert report.counts == {
        "cpuinfo": {"serial": 1},
        "dmesg": {"mac": 1, "uuid": 1},
        "dmi": {"serial": 1, "asset_tag": 1},
        "xl_info": {"host": 1},
    }
    assert report.hashed_keys == ("dmi.product_serial", "dmi.chassis_asset_tag")
    assert report.total == 6
    assert report.as_warnings() == [
        "cpuinfo: redacted 1 serial",
        "dmesg: redacted 1 mac, 1 uuid",
        "dmi: redacted 1 asset_tag, 1 serial",
        "xl_info: redacted 1 host",
        "stored only as salted hashes: dmi.product_serial, dmi.chassis_asset_tag",
    ]
    assert "PF0ABCDE" not in json.dumps(report.as_dict())
    again, second = scrub_artefacts(clean, SALT)
    assert again == clean and second.total == 0


def test_scrub_artefacts_caps_and_drops() -> None:
    deep: object = "x"
    for _ in range(10):
        deep = [deep]
    clean, report = scrub_artefacts(
        {
            "cmdline": "a" * (ARTEFACT_LIMITS["cmdline"] + 10),
            "acpi_tables": ["DMAR"] * (ARTEFACT_ITEM_LIMITS["acpi_tables"] + 5),
            "weird": deep,
            "obj": object(),
            "nul": "a\x00b\ud800c",
            7: "non-string key",
        },
        SALT,
    )
    assert len(clean["cmdline"]) == ARTEFACT_LIMITS["cmdline"]
    assert len(clean["acpi_tables"]) == ARTEFACT_ITEM_LIMITS["acpi_tables"]
    assert clean["obj"] is None
    assert clean["nul"] == "ab\ufffdc"
    assert 7 not in clean
    joined = " ".join(report.warnings)
    assert "cmdline" in joined and "deeper" in joined and "object" in joined
    json.dumps(clean)


@pytest.mark.parametrize("artefacts", [None, "x", [], 5, {"dmi": "product_serial: X"}])
def test_scrub_artefacts_never_raises(artefacts: object) -> None:
    clean, report = scrub_artefacts(artefacts, SALT)
    assert "X\n" not in json.dumps(clean)
    if not isinstance(artefacts, dict):
        assert clean == {} and report.warnings


# --- the agent's copy ------------------------------------------------------------------------

MIXED = [
    "[    3.1] systemd[1]: Hostname set to <box>.\nChanged static hostname to 'box'",
    "Apr 23 20:21:52 box kernel: e1000e eth0: d4:be:d9:12:34:56 serial=ABC password=pw",
    "root=UUID=864c54c6-961a-4ad9-8c23-35eb8e0f24fb PARTUUID=1234abcd-02 enx001122334455",
    "\tSerial Number: X1\n/sys/class/dmi/id/board_serial:Y2\nSerial: 8250/16550 driver",
]


def test_agent_redaction_matches_the_server(agent_module: ModuleType) -> None:
    texts = [p.read_text() for p in CORPUS] + MIXED
    for text in texts:
        for salt in (SALT, None):
            assert agent_module.scrub_text(text, salt) == scrub_text(text, salt)
    xl = "host : dom0-prod\nvirt_caps : hvm\n"
    from virtcompat.probe.redact import scrub_xl_info

    assert agent_module.scrub_xl_info(xl, SALT) == scrub_xl_info(xl, SALT)


def test_agent_limits_match_the_server(agent_module: ModuleType) -> None:
    assert agent_module.LIMITS == ARTEFACT_LIMITS
    assert agent_module.ITEM_LIMITS == ARTEFACT_ITEM_LIMITS
    from virtcompat.probe.dmi import DMI_FIELDS
    from virtcompat.probe.redact import DMI_IDENTITY_KEYS

    assert agent_module.DMI_FIELDS == DMI_FIELDS
    assert agent_module.DMI_IDENTITY_KEYS == DMI_IDENTITY_KEYS

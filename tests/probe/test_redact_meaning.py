"""Redaction by meaning (issue 8, reproduction 1): every spelling of a serial, UUID, asset tag
or MAC field, and serial/UUID/MAC patterns in any text, without touching the facts the
parsers read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from virtcompat.probe import parse_cpuinfo, parse_kernel_log, scrub_artefacts
from virtcompat.probe.redact import identity_kind, scrub_identifiers, scrub_text

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"
CORPUS = sorted((DATA / "cpuinfo").glob("*.cpuinfo")) + sorted((DATA / "dmesg").glob("*.dmesg"))
SALT = "meaning-salt"


def scrub(text: str) -> str:
    first, _ = scrub_text(text, SALT)
    return scrub_identifiers(first, SALT)[0]


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        # dmidecode -s keywords (dmidecode(8), --string)
        ("system-serial-number", "serial"),
        ("baseboard-serial-number", "serial"),
        ("chassis-serial-number", "serial"),
        ("system-uuid", "uuid"),
        ("baseboard-asset-tag", "asset_tag"),
        ("chassis-asset-tag", "asset_tag"),
        # /sys/class/dmi/id file names (drivers/firmware/dmi-id.c)
        ("product_serial", "serial"),
        ("board_serial", "serial"),
        ("chassis_serial", "serial"),
        ("product_uuid", "uuid"),
        # dmidecode labels, case, spaces, underscores, trailing spaces
        ("Serial Number", "serial"),
        ("Product_Serial", "serial"),
        ("product_serial ", "serial"),
        (" SERIAL_NUMBER\t", "serial"),
        ("serial", "serial"),
        ("SN", "serial"),
        ("UUID", "uuid"),
        ("Asset Tag", "asset_tag"),
        ("mac_plain", "mac"),
        ("MAC Address", "mac"),
        ("eth0_mac", "mac"),
        ("hwaddr", "mac"),
        ("guid", "uuid"),
        # not identifiers
        ("board_name", None),
        ("bios_version", None),
        ("machine", None),
        ("hmac_alg", None),
        ("product_sku", None),
        ("chassis_type", None),
    ],
)
def test_identity_fields_by_meaning(key: str, kind: str | None) -> None:
    assert identity_kind(key) == kind


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Product_Serial: SNX0001", "SNX0001"),
        ("system-serial-number: SNPRIVE555", "SNPRIVE555"),
        ("baseboard-asset-tag: ATAG-7", "ATAG-7"),
        ("\tAsset Tag: ATAG-8", "ATAG-8"),
        ("E: ID_SERIAL_SHORT=S2R6NX0H123456X", "S2R6NX0H123456X"),
        # lspci -vv: PCIe Device Serial Number capability (an EUI-64)
        ("\tCapabilities: [140 v1] Device Serial Number 00-1b-21-ff-ff-3a-4f-5f",
         "00-1b-21-ff-ff-3a-4f-5f"),
        ("nvme nvme0: serial number S4EWNX0R123456 model Samsung", "S4EWNX0R123456"),
        ("sn        : S4EWNX0R654321", "S4EWNX0R654321"),
        ("root=/dev/disk/by-id/ata-Samsung_SSD_850_EVO_S2R6NX0H777 ro", "S2R6NX0H777"),
        # MACs: colon, dash, Cisco dotted, no separator
        ("Internet address is 001b.213a.4f5f", "213a"),
        ("link/ether 001b213a4f5f", "001b213a4f5f"),
        ("mac: 001122334455", "001122334455"),
        ("eth0: 00:1B:21:3A:4F:5F", "3A:4F:5F"),
        ("eth0: 00-1b-21-3a-4f-5f", "3a-4f-5f"),
        # UUIDs with and without dashes
        ("UUID: 4C4C4544-0058-4A10-8034-B7C04F4B5131", "B7C04F4B5131"),
        ("machine-id 4c4c454400584a108034b7c04f4b5131", "4c4c454400584a108034b7c04f4b5131"),
    ],
)  # fmt: skip
def test_identifier_patterns_in_text(text: str, secret: str) -> None:
    clean = scrub(text)
    assert secret.lower() not in clean.lower() and "<redacted:" in clean
    assert scrub(clean) == clean  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "00:00.0 Host bridge [0600]: Intel Corporation 4 Series DRAM Controller [8086:2e10]",
        "microcode: sig=0x306a9, pf=0x2, revision=0x21",
        "BIOS-e820: [mem 0x0000000000100000-0x00000000dffeffff] usable",
        "DMI: Intel Corporation DQ45CB/DQ45CB, BIOS CBQ4510H.86A.0061.2009.0324.1639 03/24/2009",
        "Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) #101-Ubuntu SMP",
        "clocksource: hpet: mask: 0xffffffff max_cycles: 0xffffffff, max_idle_ns: 133484882848 ns",
        "usbserial: USB Serial support registered for generic",
        "serial8250: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A",
        "Serial: 8250/16550 driver, 4 ports, IRQ sharing enabled",
        "cpuid level\t: 13",
        "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c0000020e60262 ecap f0101a",
    ],
)
def test_facts_are_not_identifiers(text: str) -> None:
    assert scrub(text) == text


def _redacted_only(raw: Any, clean: Any, path: str = "") -> list[str]:
    """Paths where the facts differ other than by a redacted identifier."""
    if raw == clean:
        return []
    if isinstance(raw, dict) and isinstance(clean, dict) and raw.keys() == clean.keys():
        return [p for k in raw for p in _redacted_only(raw[k], clean[k], f"{path}.{k}")]
    if isinstance(raw, list) and isinstance(clean, list) and len(raw) == len(clean):
        return [p for i, (a, b) in enumerate(zip(raw, clean, strict=True))
                for p in _redacted_only(a, b, f"{path}.{i}")]  # fmt: skip
    if "<redacted:" in json.dumps(clean):
        return []
    return [path]


@pytest.mark.parametrize("sample", CORPUS, ids=lambda p: p.name)
def test_parsers_read_the_same_facts_from_scrubbed_corpus(sample: Path) -> None:
    text = sample.read_text(encoding="utf-8", errors="replace")
    kind = "cpuinfo" if sample.suffix == ".cpuinfo" else "dmesg"
    clean, _ = scrub_artefacts({kind: text}, SALT)
    parse = parse_cpuinfo if kind == "cpuinfo" else parse_kernel_log
    raw_facts = json.loads(json.dumps(parse(text).as_dict()))
    clean_facts = json.loads(json.dumps(parse(clean[kind]).as_dict()))
    assert _redacted_only(raw_facts, clean_facts) == []
    golden = json.loads((DATA / "golden" / f"{sample.name}.json").read_text())
    assert _redacted_only(golden, clean_facts) == []


def test_issue_reproduction_dmi_spellings() -> None:
    dmi = {
        "board_name": "DQ45CB",
        "system-serial-number": "SNPRIVE555",
        "serial": "SNPRIVG777",
        "mac_plain": "001b213a4f5f",
        "Product_Serial": "SNPRIVH888",
        "Serial Number": "SNPRIVI999",
        "product_serial   ": "SNPRIVJ000",
        "baseboard-serial-number": "SNPRIVK111",
    }
    clean, report = scrub_artefacts({"dmi": dmi}, SALT)
    dumped = json.dumps(clean)
    for secret in ("SNPRIV", "001b213a4f5f"):
        assert secret not in dumped
    assert clean["dmi"]["board_name"] == "DQ45CB"
    assert report.counts["dmi"] == {"serial": 6, "mac": 1}


def test_identity_keys_in_any_artefact_mapping() -> None:
    clean, _ = scrub_artefacts(
        {"nics": {"eth0": {"MAC": "00:1b:21:3a:4f:5f", "driver": "e1000e"}},
         "disks": [{"model": "Samsung SSD", "Serial Number": "S2R6NX0H"}]},
        SALT,
    )  # fmt: skip
    dumped = json.dumps(clean)
    assert "3a:4f:5f" not in dumped and "S2R6NX0H" not in dumped
    assert clean["nics"]["eth0"]["driver"] == "e1000e"
    assert clean["disks"][0]["model"] == "Samsung SSD"

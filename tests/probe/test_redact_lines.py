"""The line-selecting scrubbers against the passes they select lines for, over the whole
text: ``scrub_lines`` (every text artefact) against ``scrub_text`` then ``scrub_identifiers``,
``scrub_text_lines`` (the kernel log's kept lines, the command line) against ``scrub_text``.
Same text, same kinds in the same order, on every test artefact, the redaction tests'
spellings and generated text built to reach across lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtcompat.probe import redact
from virtcompat.probe.redact import (
    scrub_artefacts,
    scrub_identifiers,
    scrub_lines,
    scrub_text,
    scrub_text_lines,
)

DATA = Path(__file__).resolve().parent.parent / "data"
ARTEFACTS = sorted(p for p in (DATA / "probe").rglob("*") if p.is_file())
SALT = "0123456789abcdef0123456789abcdef"


def passes(text: str, salt: str | None) -> tuple[str, list[str]]:
    """The reference: both passes over the whole text."""
    first, kinds = scrub_text(text, salt)
    second, more = scrub_identifiers(first, salt)
    return second, kinds + more


def same(text: str, salt: str | None) -> bool:
    return scrub_lines(text, salt) == passes(text, salt) and scrub_text_lines(
        text, salt
    ) == scrub_text(text, salt)


# The spellings of tests/probe/test_probe_redact.py and test_redact_meaning.py, and fragments
# that make a pass depend on the line before (mac_bare's look-back) or on a line's edges.
SPELLINGS = [
    "e1000e 0000:00:19.0 eth0: (PCI Express:2.5GT/s:Width x1) d4:be:d9:12:34:56",
    "link/ether D4-BE-D9-12-34-56 brd ff:ff:ff:ff:ff:ff",
    "renamed from eth0 to enxd4bed9123456",
    "root=UUID=864c54c6-961a-4ad9-8c23-35eb8e0f24fb ro",
    "{864C54C6-961A-4AD9-8C23-35EB8E0F24FB}",
    "rd.luks.uuid=luks-864c54c6-961a-4ad9-8c23-35eb8e0f24fb",
    "root=PARTUUID=1234abcd-02 ro",
    "resume=UUID=1234-ABCD",
    "\tSerial Number: PF0ABCDE",
    "usb 1-1: SerialNumber: 0123456789AB",
    "Serial\t\t: 10000000abcdef01",
    "S/N: XYZ-42",
    "g_serial.serial=ABC123 quiet",
    "/sys/class/dmi/id/product_serial:PF0ABCDE",
    "product_uuid: 4c4c4544-0042-3510-8052-b4c04f4e4431",
    "board_asset_tag: ASSET-0042",
    "password=hunter2 quiet",
    "wifi.api_key=abc123def",
    "AUTH-KEY=x1 Private_Key=x2 passphrase=x3 TOKEN=x4 credentials=x5 my_secret=x6",
    "token=x4",
    "credentials=x5",
    "my_secret=x6",
    "api-key=x7",
    "AUTH_KEY=x9",
    "passphrase=x8",
    "Apr 23 20:21:52 johns-laptop kernel: DMAR: IOMMU enabled",
    "[    0.000000] johns-laptop kernel: Linux version 6.1",
    "[    3.1] systemd[1]: Hostname set to <johns-laptop>.",
    "systemd-hostnamed[812]: Changed host name to 'johns-laptop'",
    "Changed static hostname to 'box'",
    "Product_Serial: SNX0001",
    "system-serial-number: SNPRIVE555",
    "baseboard-asset-tag: ATAG-7",
    "\tAsset Tag: ATAG-8",
    "E: ID_SERIAL_SHORT=S2R6NX0H123456X",
    "\tCapabilities: [140 v1] Device Serial Number 00-1b-21-ff-ff-3a-4f-5f",
    "nvme nvme0: serial number S4EWNX0R123456 model Samsung",
    "sn        : S4EWNX0R654321",
    "root=/dev/disk/by-id/ata-Samsung_SSD_850_EVO_S2R6NX0H777 ro",
    "Internet address is 001b.213a.4f5f",
    "link/ether 001b213a4f5f",
    "mac: 001122334455",
    "MAC Address: 00:1B:21:3A:4F:5F",
    "eth0: 00-1b-21-3a-4f-5f",
    "wlan0 up 00-1B-21-3A-4F-5F",
    "HW addr: 001b213a4f5f",
    "mac_address=some-nic-name",
    "hw addr: zz-top",
    "UUID: 4C4C4544-0058-4A10-8034-B7C04F4B5131",
    "GUID: 00000000-0000-0000-0000-000000000000",
    "machine-id 4c4c454400584a108034b7c04f4b5131",
    "machine-id 00000000000000000000000000000000",
    "max_idle_ns: 440795261668",
    "mac\n123456789012",
    "hwaddr:\n\n123456789012 and 112233445566",
    "an ether\r\n001122334455\n",
    "address\n\t\n123456789012\n",
    "lladdr -\n123456789012",
    "cpuid level\t: 13",
    "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c0000020e60262 ecap f0101a",
    "BIOS-e820: [mem 0x0000000000100000-0x00000000dffeffff] usable",
    "Serial: 8250/16550 driver, 4 ports, IRQ sharing enabled",
    "usbserial: USB Serial support registered for generic",
    "<redacted:serial:0a1b2c3d> <redacted:mac:01234567> <redacted:uuid>",
    "MAC 00:00:00:00:00:00 invalid, ff:ff:ff:ff:ff:ff is broadcast",
    "12:34:56:78 and 1-2-3-4-5-6 and aa:bb:cc:dd:ee",
    # Not ASCII: the case-insensitive rules also match U+017F, U+0131 and U+212A letters.
    "\u017ferial: X1\nS/N: \u0130X",
    "se\u0131ial number Z9 to\u212aen=zz",
    "caf\u00e9 mac: 001122334455",
]
FRAGMENTS = [
    "\n", "\n\n", "\r\n", "\t", " ", ":", "-", ".", "=", "x", "0", "f", "12", "abcdef", "mac",
    "ether", "address", "hwaddr", "serial", "Serial Number: ", "uuid=", "UUID: ", "sn: ",
    "s/n", "token=", "api_key=", "enx", "wlx", " kernel: ", "Hostname set to <",
    "Changed host name to '", "/dev/disk/by-id/", "<redacted:serial:0a1b2c3d>",
    "d4:be:d9:12:34:56", "d4-be-d9-12-34-56", "001b.213a.4f5f", "001122334455",
    "123456789012", "864c54c6-961a-4ad9-8c23-35eb8e0f24fb", "4c4c454400584a108034b7c04f4b5131",
    "Apr 23 20:21:52 ", "[    0.000000] ",
]  # fmt: skip
CORPUS_LINES = sorted(
    {
        line
        for path in ARTEFACTS
        if path.suffix in (".cpuinfo", ".dmesg")
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
    }
)
text_soup = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.sampled_from(SPELLINGS),
        st.sampled_from(CORPUS_LINES),
        st.text(alphabet="0123456789abcdefABCDEF:-.\n x", max_size=16),
    ),
    max_size=40,
).map("".join)


@pytest.mark.parametrize("path", ARTEFACTS, ids=lambda p: str(p.relative_to(DATA)))
def test_every_artefact_scrubs_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    for salt in (SALT, None):
        assert same(text, salt)


@pytest.mark.parametrize("text", SPELLINGS)
def test_every_spelling_scrubs_the_same(text: str) -> None:
    for variant in (text, text + "\n", "x\n" + text, "padding " * 4 + "\n" + text + "\nend"):
        assert same(variant, SALT)


def test_look_back_reaches_the_line_before() -> None:
    # The digits-only MAC counts because "mac" ends the line before it: the selected line
    # must be scrubbed with that line in front of it.
    text = "a line\nthe nic's mac\n123456789012\nmore\n"
    clean, kinds = scrub_lines(text, SALT)
    assert "123456789012" not in clean and kinds == ["mac"]
    assert (clean, kinds) == passes(text, SALT)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=text_soup)
def test_generated_text_scrubs_the_same(text: str) -> None:
    assert same(text, SALT)


def test_scrub_artefacts_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole artefact sets, report included, as with both passes over each whole text."""
    bodies: list[dict[str, Any]] = [
        {"dmesg": p.read_text(encoding="utf-8", errors="replace"), "cmdline": "x serial=Q"}
        for p in ARTEFACTS
        if p.suffix in (".dmesg", ".log")
    ]
    bodies += [
        {"cpuinfo": p.read_text(encoding="utf-8", errors="replace")}
        for p in ARTEFACTS
        if p.suffix == ".cpuinfo"
    ]
    bodies.append({"lspci": SPELLINGS, "dmi": {"x": "\n".join(SPELLINGS)}})
    fast = [scrub_artefacts(body, SALT) for body in bodies]
    monkeypatch.setattr(redact, "scrub_lines", passes)
    slow = [scrub_artefacts(body, SALT) for body in bodies]
    for (a, ra), (b, rb) in zip(fast, slow, strict=True):
        assert json.dumps(a) == json.dumps(b)
        assert ra == rb and list(ra.counts) == list(rb.counts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    block=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(SPELLINGS)), max_size=8),
    varying=st.lists(st.sampled_from(FRAGMENTS + SPELLINGS), min_size=1, max_size=3),
    copies=st.integers(8, 40),
)
def test_repeated_blocks_scrub_the_same(block: list[str], varying: list[str], copies: int) -> None:
    """A dump that repeats its lines (cpuinfo's blocks) is searched once per distinct line;
    each copy also carries lines of its own."""
    text = "".join(
        "\n".join([f"processor : {n}", *block, varying[n % len(varying)] + str(n), ""])
        for n in range(copies)
    )
    assert same(text, SALT)

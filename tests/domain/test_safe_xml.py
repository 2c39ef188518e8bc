"""Hostile XML is refused unread: no expansion, no file read, no connection, in bounded time.

Each case asserts what must not happen (a socket, an open() of the named file) by making it
fail loudly, and that the refusal is an UnsafeXml (HTTP 4xx) rather than a parse.
"""

from __future__ import annotations

import builtins
import socket
import time
from typing import Any

import pytest

from virtcompat.domain.safexml import MAX_DEPTH, UnsafeXml, parse_xml
from virtcompat.xen.validate import validate_config

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<domain type='kvm'><name>&lol9;</name></domain>\n"
)
XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'
    b"<domain type='kvm'><name>&x;</name></domain>\n"
)
EXTERNAL_DTD = (
    b'<?xml version="1.0"?>\n<!DOCTYPE domain SYSTEM "http://127.0.0.1:9/domain.dtd">\n'
    b"<domain type='kvm'><name>x</name></domain>\n"
)
DEEP = b"<domain type='kvm'>" + b"<a>" * 50_000
UTF16_BAD = b"\xff\xfe" + "<domain type='kvm'><name>".encode("utf-16-le") + b"\x00\xd8x\x00"


@pytest.fixture
def no_io(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail any socket or file open attempted while the test runs, and record it."""
    attempts: list[str] = []
    real_open = builtins.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if "hostname" in str(file) or "domain.dtd" in str(file):
            attempts.append(f"open {file}")
            raise AssertionError(f"file read attempted: {file}")
        return real_open(file, *args, **kwargs)

    def guarded_socket(*args: Any, **kwargs: Any) -> Any:
        attempts.append("socket")
        raise AssertionError("connection attempted")

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(socket, "socket", guarded_socket)
    monkeypatch.setattr(socket, "create_connection", guarded_socket)
    return attempts


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (LAUGHS, "dtd"),
        (XXE, "dtd"),
        (EXTERNAL_DTD, "dtd"),
        (DEEP, "limit"),
        (UTF16_BAD, "encoding"),
    ],
    ids=["billion-laughs", "external-entity-file", "external-dtd", "50000-deep", "utf16-bad"],
)
def test_hostile_xml_is_refused_unread(doc: bytes, reason: str, no_io: list[str]) -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeXml) as info:
        validate_config(doc, fmt="libvirt")
    assert time.perf_counter() - start < 1.0
    assert info.value.reason == reason
    assert 400 <= info.value.status < 500
    assert no_io == []
    # Nothing was expanded into the message: no run of 'lol', no file content.
    assert "lollol" not in str(info.value)


def test_auto_detection_refuses_hostile_domain_documents_too(no_io: list[str]) -> None:
    with pytest.raises(UnsafeXml):
        validate_config(XXE, fmt="auto")
    assert no_io == []


def test_depth_limit_is_exact() -> None:
    ok = b"<domain>" + b"<a>" * (MAX_DEPTH - 1) + b"</a>" * (MAX_DEPTH - 1) + b"</domain>"
    assert parse_xml(ok).tag == "domain"
    too_deep = b"<domain>" + b"<a>" * MAX_DEPTH + b"</a>" * MAX_DEPTH + b"</domain>"
    with pytest.raises(UnsafeXml):
        parse_xml(too_deep)


def test_declared_utf16_document_is_read() -> None:
    doc = "<?xml version='1.0' encoding='UTF-16'?><domain type='kvm'><name>é</name></domain>"
    root = parse_xml(doc.encode("utf-16"))
    assert root.find("name") is not None and root.find("name").text == "é"  # type: ignore[union-attr]


def test_not_well_formed_is_a_finding_with_position() -> None:
    result = validate_config(b"<domain type='kvm'>\n  <name>x</nam>\n</domain>\n", fmt="libvirt")
    assert not result.valid
    (finding,) = result.findings
    assert finding.rule == "DOM-FMT-001" and finding.line == 2

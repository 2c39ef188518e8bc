"""Any input, any bytes: an answer with findings, never an exception, in bounded time."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtcompat.xen.validate import validate_config

# Fragments that steer random text into the interesting corners of both grammars.
FRAGMENTS = [
    "memory", "rtc_timeoffset", "builder", "type", "pci", "usbdevice", "vfb", "vncpasswd",
    " = ", "+=", ";", "\n", "\r\n", "\t", "#", "[", "]", ",", "'", '"', "'''", '"""',
    "\\", "\\x41", "-3600", "0x1F", "08", "1.5", "True", "None", "import os", "def f():",
    "(", ")", "{", "}", "%", ".", "@", "\0", "\x80", "é", "hvm", "'phy:sda,xvda,w'",
    "'0000:00:1b.0'", "'tablet'", "a.b", "10L", "Name",
]  # fmt: skip

texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(FRAGMENTS), max_size=80).map("".join),
)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _check(config: str | bytes, fmt: str, version: str | None) -> None:
    start = time.perf_counter()
    result = validate_config(config, fmt=fmt, xen_version=version)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0
    doc = json.loads(json.dumps(result.as_dict()))
    assert doc["valid"] == (not any(f["severity"] == "error" for f in doc["findings"]))
    assert result.format in ("xm", "xl")
    keys = [f.sort_key() for f in result.findings]
    assert keys == sorted(keys)


@SETTINGS
@given(
    texts,
    st.sampled_from(["auto", "xm", "xl"]),
    st.sampled_from([None, "3.3", "4.1", "4.17"]),
)
def test_random_text_never_raises(config: str, fmt: str, version: str | None) -> None:
    _check(config, fmt, version)


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from(["auto", "xm", "xl"]))
def test_random_bytes_never_raise(config: bytes, fmt: str) -> None:
    _check(config, fmt, None)


def test_adversarial_inputs_finish_quickly() -> None:
    cases = [
        "a = " + "[" * 50_000,
        "a = " + "(" * 50_000,
        "-\n" * 50_000,
        "a = '''" + "x\n" * 50_000,
        "\0" * 100_000,
        "a" * 200_000,
        "pci = [" + ",".join(["'0000:00:1b.0,permissive=1'"] * 3000) + "]\n",
        "".join(f"memroy{i} = 1\n" for i in range(3000)),
    ]
    for config in cases:
        for fmt in ("auto", "xm", "xl"):
            start = time.perf_counter()
            result = validate_config(config, fmt=fmt)
            assert time.perf_counter() - start < 3.0
            assert len(result.findings) <= 501

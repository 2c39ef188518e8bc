"""Property tests: every parser accepts anything, quickly; redaction is stable."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtcompat.probe import (
    parse_acpi_tables,
    parse_artefacts,
    parse_cmdline,
    parse_cpuinfo,
    parse_dmi,
    parse_kernel_log,
    parse_lspci,
    parse_xl_info,
    scrub_artefacts,
    scrub_text,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"
CORPUS_LINES = sorted(
    {
        line
        for path in sorted(DATA.glob("*/*.cpuinfo")) + sorted(DATA.glob("*/*.dmesg"))
        for line in path.read_text().splitlines()
    }
)
FRAGMENTS = [
    "DMAR: ", "AMD-Vi: ", "[Firmware Bug]: ", "kvm: ", "Linux version ", "ACPI: DMAR 0x",
    "[    0.000000] ", " kernel: ", "processor\t: ", "flags\t\t: ", "vmx flags\t: ", ":", "=",
    "-", "\n", "\n\n", "\t", " ", "\r", "\x00", "\ufffd", "\ud800", "d4:be:d9:12:34:56",
    "864c54c6-961a-4ad9-8c23-35eb8e0f24fb", "Serial Number: ", "serial=", "UUID=", "enx",
    "<redacted:serial:0a1b2c3d>", "(XEN) ", "00:1f.0 ISA bridge [0601]: ", "[8086:3a14]",
    "Slot:\t", "host : ", "virt_caps : ", "intel_iommu=", "amd_iommu=on", '"', "--",
    "Hostname set to <", "Changed host name to '",
]  # fmt: skip

TEXT_PARSERS: list[Callable[[Any], object]] = [
    parse_cpuinfo,
    parse_kernel_log,
    parse_dmi,
    parse_lspci,
    parse_cmdline,
    parse_acpi_tables,
    parse_xl_info,
]
soup = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(CORPUS_LINES), st.text(max_size=20)),
    max_size=60,
).map("".join)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("parser", TEXT_PARSERS, ids=lambda p: p.__name__)
@FAST
@given(data=st.one_of(st.binary(max_size=2048), st.text(max_size=2048), soup))
def test_parsers_accept_anything(parser: Callable[[Any], Any], data: str | bytes) -> None:
    result = parser(data)
    assert isinstance(result.warnings, tuple)
    result.as_dict()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
artefact_names = st.sampled_from(
    ["cpuinfo", "dmesg", "dmi", "lspci", "pci_devices", "cmdline", "kernel_release",
     "acpi_tables", "iommu_groups", "dev_kvm", "kvm_nested", "kvm_module", "xl_info",
     "dmesg_source", "collection_warnings", "kvm_check", "kvm_params", "msr_feature_control",
     "devices", "cgroup_controllers", "iommu_classes", "secure_guests", "iommu_group_devices",
     "hypervisor_type", "xen_capabilities", "other"]
)  # fmt: skip


@FAST
@given(artefacts=st.dictionaries(artefact_names, json_values | soup, max_size=8))
def test_parse_and_scrub_artefacts_accept_any_json(artefacts: dict[str, Any]) -> None:
    parse_artefacts(artefacts).as_dict()
    clean, report = scrub_artefacts(artefacts, "salt")
    observed = parse_artefacts(clean)
    # The report only names artefacts that were sent, with positive counts, and never more
    # replacements in total than it lists per artefact.
    assert set(report.counts) <= set(artefacts)
    assert all(n > 0 for kinds in report.counts.values() for n in kinds.values())
    assert report.total == sum(sum(k.values()) for k in report.counts.values())
    # Scrubbing is idempotent: what is already clean has nothing left to redact.
    _, again = scrub_artefacts(clean, "salt")
    assert again.total == 0
    assert all(isinstance(w, str) for w in observed.warnings)


@FAST
@given(text=soup)
def test_scrub_is_idempotent_and_keeps_line_count(text: str) -> None:
    clean, _ = scrub_text(text, "salt")
    assert scrub_text(clean, "salt") == (clean, [])
    assert clean.count("\n") == text.count("\n")


@FAST
@given(text=st.one_of(soup, st.text(max_size=300)))
def test_agent_scrub_equals_server_scrub(agent_module: ModuleType, text: str) -> None:
    assert agent_module.scrub_text(text, "salt") == scrub_text(text, "salt")


MIB = 1 << 20
PATHOLOGICAL = {
    "one long line": b"A" * (4 * MIB),
    "brackets": b"[" * (4 * MIB),
    "blank lines": b"\n" * (4 * MIB),
    "short lines": b"x\n" * (2 * MIB),
    "colons": b"a:" * (2 * MIB),
    "hex runs": b"aa:" * (1400 * 1024),
    "needles": (b"AMD-Vi: x\n" * 400_000),
    "firmware bugs": b"[Firmware Bug]: x\n" * 230_000,
    "dashes": b"1-" * (2 * MIB),
    "equals": b"a=" * (2 * MIB),
    "serials": b"Serial: " * 500_000,
    "quotes": b'"' * (4 * MIB),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_worst_case_inputs_are_bounded(name: str) -> None:
    data = PATHOLOGICAL[name]
    text = data.decode()
    budget = 6.0  # seconds on a 2-core CI machine; typical runs take well under one
    for parser in TEXT_PARSERS:
        start = time.perf_counter()
        parser(data)
        assert time.perf_counter() - start < budget, parser.__name__
    start = time.perf_counter()
    scrub_artefacts({"dmesg": text}, "salt")
    assert time.perf_counter() - start < budget

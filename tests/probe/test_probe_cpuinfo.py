"""cpuinfo parser: flags semantics, damaged dumps and non-x86 formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from virtcompat.probe import Arch, parse_cpuinfo

DATA = Path(__file__).resolve().parent.parent / "data" / "probe" / "cpuinfo"


def _block(n: int, flags: str | None = "fpu vmx ept", vmx: str | None = None, **extra: str) -> str:
    lines = [
        f"processor\t: {n}",
        "vendor_id\t: GenuineIntel",
        "cpu family\t: 6",
        f"model\t\t: {extra.get('model', '42')}",
        f"model name\t: {extra.get('name', 'Intel(R) Core(TM) i7-2600 CPU @ 3.40GHz')}",
        "stepping\t: 7",
    ]
    if flags is not None:
        lines.append(f"flags\t\t: {flags}")
    if vmx is not None:
        lines.append(f"vmx flags\t: {vmx}")
    return "\n".join(lines) + "\n\n"


def test_vmx_flags_line_absent_versus_empty() -> None:
    absent = parse_cpuinfo(_block(0))
    empty = parse_cpuinfo(_block(0, vmx=""))
    full = parse_cpuinfo(_block(0, flags="fpu vmx", vmx="ept vpid unrestricted_guest"))
    assert absent.vmx_flags is None and absent.has_unrestricted_guest is None
    assert empty.vmx_flags == frozenset() and empty.has_unrestricted_guest is False
    assert full.has_ept and full.has_vpid and full.has_unrestricted_guest


def test_ept_from_vmx_flags_only() -> None:
    info = parse_cpuinfo(_block(0, flags="fpu vmx", vmx="ept"))
    assert info.has_ept and info.has_slat


def test_flags_are_the_intersection_and_disagreement_is_reported() -> None:
    info = parse_cpuinfo(_block(0, "fpu vmx ept hypervisor") + _block(1, "fpu ept"))
    assert info.flags == {"fpu", "ept"}
    assert info.flags_any == {"fpu", "vmx", "ept", "hypervisor"}
    assert not info.has_vmx
    assert info.hypervisor
    assert info.blocks_disagree
    assert any("disagree" in w for w in info.warnings)


def test_filtered_dump_without_flags() -> None:
    info = parse_cpuinfo(_block(0, flags=None) + _block(1, flags=None))
    assert not info.flags_present
    assert not info.has_vmx
    assert any("no flags line" in w for w in info.warnings)


def test_some_blocks_without_flags() -> None:
    info = parse_cpuinfo(_block(0) + _block(1, flags=None))
    assert info.flags_present and info.has_vmx and info.blocks_disagree
    assert any("1 processor blocks have no flags line" in w for w in info.warnings)


def test_truncated_dump_drops_the_cut_block_from_the_summary() -> None:
    whole = (DATA / "intel-core-i7-2600-baremetal.cpuinfo").read_bytes()
    text = whole * 200  # > 1 MiB: cut in the middle of some block
    info = parse_cpuinfo(text)
    assert info.truncated
    assert info.has_vmx and info.has_ept
    assert any("truncated" in w for w in info.warnings)


def test_hybrid_like_blocks_keep_first_block_identity() -> None:
    info = parse_cpuinfo(_block(0, name="P-core") + _block(1, name="E-core"))
    assert info.model_name == "P-core"
    assert info.blocks_disagree
    assert info.logical_cpus == 2


def test_x86_without_vendor_line() -> None:
    info = parse_cpuinfo("processor : 0\nflags : fpu svm npt\n")
    assert info.arch is Arch.X86 and info.has_svm and info.has_npt and info.vendor is None


@pytest.mark.parametrize(
    ("text", "arch", "note"),
    [
        (
            "processor\t: 0\nvendor\t\t: GenuineIntel\narch\t\t: IA-64\nfamily\t\t: 32\n"
            "features\t: branchlong, 16-byte atomic ops\n",
            Arch.IA64,
            "VT-i",
        ),
        (
            "processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\nclock\t\t: 2300MHz\n"
            "\ntimebase\t: 512000000\nplatform\t: PowerNV\n",
            Arch.POWER,
            "power",
        ),
        (
            "vendor_id       : IBM/S390\n# processors    : 4\nbogomips per cpu: 3241.00\n"
            "features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vx sie\n"
            "processor 0: version = FF,  identification = 0E9B87,  machine = 2964\n",
            Arch.S390,
            "SIE",
        ),
        (
            "Processor\t: ARMv7 Processor rev 10 (v7l)\nprocessor\t: 0\nBogoMIPS\t: 790.52\n\n"
            "processor\t: 1\nBogoMIPS\t: 790.52\n\nFeatures\t: swp half thumb vfp neon\n"
            "CPU implementer\t: 0x41\nCPU architecture: 7\n",
            Arch.ARM,
            "arm",
        ),
        ("isa : rv64imafdc\nmmu : sv39\n", Arch.UNKNOWN, "not recognised"),
    ],
)
def test_non_x86(text: str, arch: Arch, note: str) -> None:
    info = parse_cpuinfo(text)
    assert info.arch is arch
    assert not (info.has_vmx or info.has_svm or info.hypervisor)
    assert any(note in w for w in info.warnings), info.warnings


def test_s390_counts_processors_and_keeps_features() -> None:
    info = parse_cpuinfo(
        "vendor_id : IBM/S390\n# processors : 4\nfeatures : esan3 zarch sie\n"
        "processor 0: version = FF\nprocessor 1: version = FF\n"
    )
    assert info.logical_cpus == 4
    assert "sie" in info.flags


def test_old_arm_shared_features_apply_to_every_block() -> None:
    info = parse_cpuinfo(
        "Processor\t: ARMv7 Processor rev 10 (v7l)\nprocessor\t: 0\n\nprocessor\t: 1\n\n"
        "Features\t: swp half thumb neon\nCPU architecture: 7\n"
    )
    assert info.logical_cpus == 2
    assert info.flags == {"swp", "half", "thumb", "neon"}
    assert not info.blocks_disagree


@pytest.mark.parametrize("data", [None, b"", 3.5, {"flags": "vmx"}, b"\x00\x01\xff", "::::\n:\n"])
def test_odd_inputs_never_raise(data: object) -> None:
    info = parse_cpuinfo(data)
    assert not info.has_vmx
    assert info.logical_cpus == 0


def test_memoryview_and_bytearray_inputs() -> None:
    raw = (DATA / "intel-core-i7-2600-baremetal.cpuinfo").read_bytes()
    assert parse_cpuinfo(memoryview(raw)).has_vmx
    assert parse_cpuinfo(bytearray(raw)).logical_cpus == 8


def test_long_flags_line_is_bounded() -> None:
    info = parse_cpuinfo("processor : 0\nflags : " + " ".join(f"f{i}" for i in range(5000)) + "\n")
    assert len(info.flags) <= 1024
    assert any("cut" in w for w in info.warnings)

"""Every hardware rule: one case that makes it fire, one that keeps it quiet.

A rule *fires* when a verdict cites it with a non-``supported`` status (it flags a problem
or a gap); it is *quiet* when no reason cites it with such a status. The cases are built
from small synthetic catalogue rows, so they test the engine, not the seed data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from virtcompat.capability import Capability, Confidence
from virtcompat.catalogue.types import (
    BiosSpec,
    BoardSpec,
    ChipsetSpec,
    Cite,
    CpuSpec,
    NoteSpec,
    PciIdSpec,
    SteppingSpec,
)
from virtcompat.engine import rules as R
from virtcompat.engine.hostfacts import (
    BoardFacts,
    ChipsetFacts,
    CpuFacts,
    FirmwareFacts,
    HostFacts,
    HypervisorFacts,
    KernelFacts,
    Unresolved,
    XenFacts,
)
from virtcompat.engine.passthrough import PT_DEVICE
from virtcompat.engine.snapshot import EvidenceTally
from virtcompat.engine.verdict import bios_at_least, bios_build, judge
from virtcompat.engine.verdict import irqremap as IRQ
from virtcompat.engine.verdict import kvm as KV
from virtcompat.rules import Applies, all_rules

CITE = (Cite("src", "A source", "https://example.org/s", "high", None, None),)


def chipset(
    name: str = "Q45",
    support: str = "yes",
    location: str = "mch",
    kind: str = "vt-d",
    notes: tuple[NoteSpec, ...] = (),
    pci: tuple[PciIdSpec, ...] = (PciIdSpec("8086:2e10", "host_bridge"),),
) -> ChipsetSpec:
    return ChipsetSpec(
        1, f"intel-{name.lower()}", name, "intel", support, kind, location, pci, CITE, notes
    )


def cpu(
    brand: str = "Core 2 Quad Q9550",
    vtx: str = "yes",
    vtd: str = "unknown",
    slat: str = "no",
    in_cpu: bool = False,
    vendor: str = "intel",
    steppings: tuple[SteppingSpec, ...] = (),
    notes: tuple[NoteSpec, ...] = (),
) -> CpuSpec:
    return CpuSpec(
        1,
        "cpu",
        brand,
        vendor,
        6,
        23,
        vtx,
        vtd,
        slat,
        "ept" if vendor == "intel" else "npt",
        in_cpu,
        steppings,
        CITE,
        notes,
    )


def board(
    status: str = "works", notes: tuple[NoteSpec, ...] = (), bios: tuple[BiosSpec, ...] = ()
) -> BoardSpec:
    return BoardSpec(1, "intel-dqxx", "DQXX", "intel", "intel-q45", status, (), bios, CITE, notes)


def note(kind: str, capability: str = "vtd", min_bios: str | None = None) -> NoteSpec:
    return NoteSpec(1, f"n-{kind}", kind, "warning", capability, f"A {kind} note.", min_bios, CITE)


def catalog(**kw: object) -> HostFacts:
    base = HostFacts(
        origin="catalog",
        cpu=CpuFacts(vendor="intel", spec=cpu()),
        chipset=ChipsetFacts(candidates=(chipset(),), via="board"),
        board=BoardFacts(spec=board()),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def probe(flags: str = "vmx ept", release: tuple[int, int] = (6, 1), **kw: object) -> HostFacts:
    base = HostFacts(
        origin="probe",
        cpu=CpuFacts(vendor="intel", flags=frozenset(flags.split()), spec=None),
        chipset=ChipsetFacts(candidates=(chipset(),), via="pci"),
        board=BoardFacts(),
        firmware=FirmwareFacts(dmar=True),
        kernel=KernelFacts(
            release=".".join(map(str, release)),
            release_tuple=release,
            iommu_active=True,
            iommu_groups=12,
        ),
        hypervisor=HypervisorFacts(present=False),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def fired(facts: HostFacts, rule: str, hypervisor: str | None = None) -> bool:
    caps: dict[str, Capability] = judge(facts, hypervisor, DEMANDS.get(rule))
    return any(
        r.rule == rule and r.status.value != "supported" for c in caps.values() for r in c.reasons
    )


STEP = (SteppingSpec("M0", 6, "no"), SteppingSpec("R0", 10, "yes"))
# Rules that answer a caller's demand rather than a host fact: the confidence asked for.
DEMANDS = {R.CONFIDENCE_BELOW.id: Confidence.HIGH}


def part(brand: str, vendor: str = "intel", **kw: object) -> CpuFacts:
    """A catalogue CPU row that says nothing about VT-x, VT-d or SLAT (a blank ARK cell),
    placed by ``kw`` (microarch, family/model, launch_year, isa…)."""
    spec = replace(cpu(brand, vtx="unknown", vtd="unknown", slat="unknown", vendor=vendor), **kw)  # type: ignore[arg-type]
    return CpuFacts(vendor=vendor, spec=spec)


NO_CHIPSET = ChipsetFacts()
CPU_CHIPSET = ChipsetFacts(candidates=(chipset("Q67", location="cpu"),))
K = KernelFacts

CASES: dict[str, tuple[Callable[[], HostFacts], Callable[[], HostFacts]]] = {
    R.VTX_CPU.id: (lambda: catalog(cpu=CpuFacts(spec=cpu(vtx="no"))), lambda: catalog()),
    R.VTX_STEPPING.id: (
        lambda: catalog(cpu=CpuFacts(spec=cpu(vtx="unknown", steppings=STEP))),
        lambda: catalog(cpu=CpuFacts(spec=cpu(vtx="unknown", steppings=STEP), stepping_name="R0")),
    ),
    R.VTX_FLAG.id: (lambda: probe(flags="ept", release=(4, 19)), lambda: probe()),
    R.VTX_MASKED.id: (
        lambda: probe(flags="hypervisor", hypervisor=HypervisorFacts(present=True, name="KVM")),
        lambda: probe(
            flags="vmx ept hypervisor", hypervisor=HypervisorFacts(present=True, name="KVM")
        ),
    ),
    R.VTX_BIOS_DISABLED.id: (
        lambda: probe(
            flags="",
            kernel=K(
                release="5.10", release_tuple=(5, 10), vmx_disabled_by_bios=True, iommu_active=True
            ),
        ),
        lambda: probe(),
    ),
    R.VTX_BIOS_OPTION.id: (
        lambda: catalog(
            board=BoardFacts(
                spec=board(),
                bios_version="1",
                bios_spec=BiosSpec(1, "1", "no", "unknown", "unknown", CITE, ()),
            )
        ),
        lambda: catalog(
            board=BoardFacts(
                spec=board(),
                bios_version="1",
                bios_spec=BiosSpec(1, "1", "yes", "unknown", "unknown", CITE, ()),
            )
        ),
    ),
    R.XEN_VIRT_CAPS.id: (
        lambda: probe(flags="", xen=XenFacts(virt_caps=("pv",))),
        lambda: probe(
            flags="", xen=XenFacts(virt_caps=("pv", "hvm", "hvm_directio", "hap"), hap=True)
        ),
    ),
    R.VTD_CPU.id: (
        lambda: catalog(
            cpu=CpuFacts(spec=cpu("Core i7-2600K", vtd="no", in_cpu=True)),
            chipset=ChipsetFacts(candidates=(chipset("Q67", location="cpu"),)),
        ),
        lambda: catalog(
            cpu=CpuFacts(spec=cpu("Core i7-2600", vtd="yes", in_cpu=True)),
            chipset=ChipsetFacts(candidates=(chipset("Q67", location="cpu"),)),
        ),
    ),
    R.VTD_CHIPSET.id: (
        lambda: catalog(chipset=ChipsetFacts(candidates=(chipset("Q43", support="no"),))),
        lambda: catalog(),
    ),
    R.VTD_CHIPSET_AMBIGUOUS.id: (
        lambda: catalog(
            board=BoardFacts(),
            chipset=ChipsetFacts(
                candidates=(chipset("Q45"), chipset("Q43", support="no")), via="PCI id 8086:2e10"
            ),
        ),
        lambda: catalog(),
    ),
    R.VTD_BOARD.id: (
        lambda: catalog(board=BoardFacts(spec=board(status="absent"))),
        lambda: catalog(),
    ),
    R.VTD_BIOS_TRAP.id: (
        lambda: catalog(
            chipset=ChipsetFacts(candidates=(chipset("Q43", support="no"),)),
            board=BoardFacts(spec=board(status="unknown", notes=(note("trap"),))),
        ),
        lambda: catalog(),
    ),
    R.VTD_MIN_BIOS.id: (
        lambda: catalog(
            board=BoardFacts(
                spec=board(notes=(note("requirement", min_bios="0061"),)),
                bios_version="CBQ4510H.86A.0055",
            )
        ),
        lambda: catalog(
            board=BoardFacts(
                spec=board(notes=(note("requirement", min_bios="0061"),)), bios_version="0061"
            )
        ),
    ),
    R.VTD_FIRMWARE_TABLE.id: (
        lambda: probe(
            firmware=FirmwareFacts(dmar=False), kernel=K(release="6.1", release_tuple=(6, 1))
        ),
        lambda: probe(),
    ),
    R.VTD_KERNEL.id: (
        lambda: probe(kernel=K(release="6.1", release_tuple=(6, 1), iommu_active=False)),
        lambda: probe(),
    ),
    R.VTD_CMDLINE_ECHO.id: (
        lambda: probe(
            kernel=K(
                release="6.1", release_tuple=(6, 1), iommu_active=False, cmdline_iommu_echo=True
            )
        ),
        lambda: probe(
            kernel=K(
                release="6.1", release_tuple=(6, 1), iommu_active=True, cmdline_iommu_echo=True
            )
        ),
    ),
    R.IOMMU_PASSTHROUGH.id: (None, None),  # type: ignore[dict-item]
    R.AMD_IOMMU_INVALID.id: (
        lambda: probe(
            kernel=K(
                release="6.1",
                release_tuple=(6, 1),
                iommu_active=True,
                invalid_amd_iommu_values=("on",),
            )
        ),
        lambda: probe(),
    ),
    R.SOURCE_CONFLICT.id: (
        lambda: catalog(chipset=ChipsetFacts(candidates=(chipset(notes=(note("conflict"),)),))),
        lambda: catalog(),
    ),
    R.SOURCE_QUALIFICATION.id: (None, None),  # type: ignore[dict-item]
    R.PROBE_EVIDENCE.id: (
        lambda: catalog(tallies=(EvidenceTally("vtd", "", 3, 2),)),
        lambda: catalog(tallies=(EvidenceTally("vtd", "", 3, 0),)),
    ),
    R.UNKNOWN_HARDWARE.id: (
        lambda: catalog(cpu=CpuFacts()),
        lambda: catalog(),
    ),
    R.GUIDANCE_KERNEL.id: (
        lambda: catalog(),
        lambda: probe(),
    ),
    R.SLAT_CPU.id: (lambda: catalog(), lambda: catalog(cpu=CpuFacts(spec=cpu(slat="yes")))),
    R.SLAT_MASKED.id: (
        lambda: probe(
            cpu=CpuFacts(vendor="intel", spec=cpu(slat="yes")),
            hypervisor=HypervisorFacts(present=True, name="VMware"),
        ),
        lambda: probe(
            cpu=CpuFacts(vendor="intel", spec=cpu(slat="yes")),
            kernel=K(kvm_params=(("ept", "Y"),)),
            hypervisor=HypervisorFacts(present=True, name="VMware"),
        ),
    ),
    R.HVM.id: (lambda: catalog(cpu=CpuFacts(spec=cpu(vtx="no"))), lambda: catalog()),
    R.PT_NEEDS_IOMMU.id: (
        lambda: catalog(chipset=ChipsetFacts(candidates=(chipset("Q43", support="no"),))),
        lambda: catalog(
            board=BoardFacts(
                spec=board(),
                bios_version="1",
                bios_spec=BiosSpec(1, "1", "yes", "yes", "yes", CITE, ()),
            )
        ),
    ),
    R.PT_XEN_PV_INSECURE.id: (None, None),  # type: ignore[dict-item]
    R.GUIDANCE_FIRMWARE.id: (None, None),  # type: ignore[dict-item]
    R.KVM_DEVICE.id: (None, None),  # type: ignore[dict-item]
    KV.FIRMWARE_LOCK_MSR.id: (
        # IA32_FEATURE_CONTROL 0x1: locked with VMXON-outside-SMX clear (kvm-ok's test).
        lambda: probe(kernel=K(release="6.1", release_tuple=(6, 1), msr_locked_off=True)),
        lambda: probe(kernel=K(release="6.1", release_tuple=(6, 1), msr_locked_off=False)),
    ),
    KV.KVM_USABLE.id: (
        lambda: probe(kernel=K(kvm_usable=False, kvm_error="Permission denied")),
        lambda: probe(kernel=K(kvm_usable=True, kvm_api_version=12, kvm_module="kvm_intel")),
    ),
    KV.KVM_PARAMS.id: (
        lambda: probe(kernel=K(kvm_params=(("ept", "N"),))),
        lambda: probe(kernel=K(kvm_params=(("ept", "Y"),))),
    ),
    IRQ.IRQ_REMAP.id: (
        lambda: probe(kernel=K(iommu_active=True, iommu_groups=12, irq_remapping=False)),
        lambda: probe(kernel=K(iommu_active=True, iommu_groups=12, irq_remapping=True)),
    ),
    KV.HOST_DEVICES.id: (
        lambda: probe(kernel=K(devices=(("/dev/net/tun", False), ("/dev/vhost-net", True)))),
        lambda: probe(kernel=K(devices=(("/dev/net/tun", True), ("/dev/vhost-net", True)))),
    ),
    KV.SLAT_MICROARCH.id: (
        # Penryn (family 6 model 0x17) has no EPT; Nehalem (model 0x1a) has it.
        lambda: probe(cpu=CpuFacts(vendor="intel", family=6, model=0x17, stepping=6)),
        lambda: probe(cpu=CpuFacts(vendor="intel", family=6, model=0x1A, stepping=5)),
    ),
    # Inference where the record is blank (sources README, "Rules the sources support").
    R.INFER_INTEL_EPT.id: (
        lambda: catalog(cpu=part("Core 2 Quad Q9550", microarch="penryn")),
        lambda: catalog(cpu=part("Core i5-12400", code_name="Alder Lake")),
    ),
    R.INFER_INTEL_VTX.id: (
        lambda: catalog(cpu=part("Xeon Phi 7250", microarch="knights-landing")),
        lambda: catalog(cpu=part("Core Ultra 7 155H", code_name="Meteor Lake")),
    ),
    R.INFER_INTEL_VTD.id: (
        # Before Skylake VT-d is per SKU: a blank record stays open.
        lambda: catalog(
            cpu=part("Core i5-2400", microarch="sandy-bridge", launch_year=2011),
            chipset=CPU_CHIPSET,
        ),
        lambda: catalog(
            cpu=part("Core i5-12400", microarch="alder-lake", launch_year=2022),
            chipset=CPU_CHIPSET,
        ),
    ),
    R.INFER_AMD_V.id: (
        lambda: catalog(cpu=part("Athlon 64 X2 4200+", "amd", family=0x0F, model=0x2B)),
        lambda: catalog(cpu=part("Ryzen 7 5800X", "amd", family=0x19, model=0x21)),
    ),
    R.INFER_AMD_NPT.id: (
        lambda: catalog(cpu=part("Turion X2 Ultra ZM-80", "amd", family=0x11, model=0x03)),
        lambda: catalog(cpu=part("Ryzen 7 5800X", "amd", family=0x19, model=0x21)),
    ),
    R.INFER_AMD_IOMMU.id: (None, None),  # type: ignore[dict-item]
    R.VTI_CPU.id: (
        lambda: catalog(cpu=CpuFacts(spec=replace(cpu("Itanium Processor 9350"), isa="ia64"))),
        lambda: catalog(),
    ),
    R.UNRESOLVED_NAME.id: (
        lambda: catalog(cpu=CpuFacts(), unresolved=(Unresolved("cpu", "i5-99999", "unknown"),)),
        lambda: catalog(),
    ),
    # Demanding "high": the Q9550 row is explicit, but no layer says the BIOS lets VT-x on.
    R.CONFIDENCE_BELOW.id: (lambda: catalog(), lambda: catalog(cpu=CpuFacts())),
}

# First-hand proofs: they flag with ``supported`` and settle what was ``unknown``.
PROOF_CASES: dict[str, tuple[Callable[[], HostFacts], Callable[[], HostFacts]]] = {
    KV.KVM_LOG.id: (
        lambda: probe(
            cpu=CpuFacts(vendor="amd"),
            kernel=K(kvm_log=(("kvm.nested_enabled", "kvm_amd: Nested Virtualization enabled"),)),
        ),
        lambda: probe(cpu=CpuFacts(vendor="amd")),
    ),
    KV.NON_X86.id: (
        lambda: probe(cpu=CpuFacts(arch="aarch64")),
        lambda: probe(),
    ),
}

# Rules that flag with a ``supported`` status (context notes): fire = cited at all.
CONTEXT_CASES: dict[str, tuple[Callable[[], HostFacts], Callable[[], HostFacts]]] = {
    R.IOMMU_PASSTHROUGH.id: (
        lambda: probe(
            kernel=K(release="6.1", release_tuple=(6, 1), iommu_active=True, iommu_passthrough=True)
        ),
        lambda: probe(),
    ),
    R.SOURCE_QUALIFICATION.id: (
        lambda: catalog(
            chipset=ChipsetFacts(candidates=(chipset(notes=(note("qualification"),)),))
        ),
        lambda: catalog(),
    ),
    R.PT_XEN_PV_INSECURE.id: (
        lambda: catalog(chipset=ChipsetFacts(candidates=(chipset("Q43", support="no"),))),
        lambda: probe(),
    ),
    R.GUIDANCE_FIRMWARE.id: (lambda: catalog(), lambda: probe()),
    R.INFER_AMD_IOMMU.id: (
        lambda: catalog(
            cpu=part("Ryzen 7 5800X", "amd", family=0x19, model=0x21), chipset=NO_CHIPSET
        ),
        lambda: catalog(
            cpu=part("Phenom II X6 1090T", "amd", family=0x10, model=0x0A), chipset=NO_CHIPSET
        ),
    ),
    R.KVM_DEVICE.id: (
        lambda: probe(
            kernel=K(release="6.1", release_tuple=(6, 1), iommu_active=True, dev_kvm=False)
        ),
        lambda: probe(
            kernel=K(release="6.1", release_tuple=(6, 1), iommu_active=True, dev_kvm=True)
        ),
    ),
}


def cited(facts: HostFacts, rule: str) -> bool:
    return any(r.rule == rule for c in judge(facts).values() for r in c.reasons)


HW_RULES = sorted(r.id for r in all_rules() if r.applies_to == Applies.HARDWARE)


def test_every_hardware_rule_has_cases() -> None:
    # HW-PT-DEVICE judges single PCI devices, not a capability: tests/engine/
    # test_passthrough_devices.py covers it.
    assert set(HW_RULES) == set(CASES) | set(PROOF_CASES) | {PT_DEVICE.id}


@pytest.mark.parametrize("rule", [r for r in HW_RULES if r != PT_DEVICE.id])
def test_rule_fires_and_stays_quiet(rule: str) -> None:
    if rule in PROOF_CASES:
        fire, quiet = PROOF_CASES[rule]
        assert cited(fire(), rule), f"{rule} should be cited"
        assert not cited(quiet(), rule), f"{rule} should not be cited"
        return
    if rule in CONTEXT_CASES:
        fire, quiet = CONTEXT_CASES[rule]
        assert cited(fire(), rule), f"{rule} should be cited"
        assert not cited(quiet(), rule), f"{rule} should not be cited"
        return
    fire, quiet = CASES[rule]
    assert fired(fire(), rule), f"{rule} should fire"
    assert not fired(quiet(), rule), f"{rule} should stay quiet"


def test_supported_needs_every_layer() -> None:
    caps = judge(catalog(board=BoardFacts(spec=board(status="unknown"))))
    assert caps["vtd"].status.value == "unknown"
    firmware = [r for r in caps["vtd"].reasons if r.layer.value == "firmware"]
    assert firmware and firmware[0].hint and "post a probe" in str(firmware[0].hint)


def test_kernel_era_decides_missing_vmx() -> None:
    old = judge(probe(flags="ept", release=(5, 4)))["vtx"]
    assert old.status.value == "unsupported"
    new = judge(probe(flags="ept", release=(5, 15)))["vtx"]
    assert new.status.value == "unknown"
    with_spec = probe(
        flags="ept",
        release=(5, 15),
        cpu=CpuFacts(vendor="intel", flags=frozenset({"ept"}), spec=cpu()),
    )
    assert judge(with_spec)["vtx"].status.value == "disabled"


def test_pre_56_flag_visible_but_bios_locked_is_disabled() -> None:
    facts = probe(
        kernel=K(
            release="4.19", release_tuple=(4, 19), kvm_disabled_by_bios=True, iommu_active=True
        )
    )
    assert judge(facts)["vtx"].status.value == "disabled"


def test_xen_dom0_judged_from_virt_caps_not_cpuinfo() -> None:
    facts = probe(flags="", xen=XenFacts(virt_caps=("pv", "hvm", "hvm_directio", "hap"), hap=True))
    caps = judge(facts)
    assert caps["vtx"].status.value == "supported"
    assert caps["slat"].status.value == "supported"
    assert caps["pci_passthrough"].status.value == "supported"


def test_dmar_present_but_kernel_off_is_disabled_with_cmdline_hint() -> None:
    facts = probe(
        kernel=K(release="6.1", release_tuple=(6, 1), iommu_active=False, cmdline_iommu_echo=True)
    )
    vtd = judge(facts)["vtd"]
    assert vtd.status.value == "disabled"
    kernel = [r for r in vtd.reasons if r.rule == R.VTD_KERNEL.id][0]
    assert kernel.hint == {"kernel_cmdline_add": "intel_iommu=on"}


@pytest.mark.parametrize(
    ("version", "minimum", "expected"),
    [
        ("CBQ4510H.86A.0061.2009.0324.1639", "0061", True),
        ("0060", "0061", False),
        ("CBQ4510H.86A.0109", "0061", True),
        ("F10c", "0061", None),
    ],
)
def test_bios_comparison(version: str, minimum: str, expected: bool | None) -> None:
    assert bios_at_least(version, minimum) is expected


def test_bios_build_extracts_intel_build_number() -> None:
    assert bios_build("APQ4310H.86A.0031.2009.0630.1516") == "0031"
    assert bios_build("P1.90") == "P1.90"


def test_guest_without_virtual_iommu_masks_vtd_instead_of_failing_the_host() -> None:
    guest = probe(
        flags="hypervisor",
        chipset=ChipsetFacts(),
        firmware=FirmwareFacts(dmar=False),
        kernel=K(release="6.1", release_tuple=(6, 1), iommu_active=False),
        hypervisor=HypervisorFacts(present=True, name="KVM"),
    )
    vtd = judge(guest)["vtd"]
    assert vtd.status.value == "masked"
    assert any(
        r.rule == R.VTD_FIRMWARE_TABLE.id and r.layer.value == "hypervisor" for r in vtd.reasons
    )


def test_old_xen_without_hap_token_leaves_slat_unknown() -> None:
    facts = probe(flags="", xen=XenFacts(virt_caps=("hvm", "hvm_directio"), hap=None))
    assert judge(facts)["slat"].status.value == "unknown"


@pytest.mark.parametrize(
    ("cpu_vtx", "expected"), [("yes", "disabled"), ("no", "unsupported"), ("unknown", "unknown")]
)
def test_xen_without_hvm_asks_the_catalogue_why(cpu_vtx: str, expected: str) -> None:
    facts = probe(
        flags="",
        xen=XenFacts(virt_caps=("pv",), hap=False),
        cpu=CpuFacts(vendor="intel", flags=frozenset(), spec=cpu(vtx=cpu_vtx)),
    )
    assert judge(facts)["vtx"].status.value == expected


def test_missing_dev_kvm_is_advice_not_a_verdict() -> None:
    facts = probe(kernel=K(release="6.1", release_tuple=(6, 1), iommu_active=True, dev_kvm=False))
    vtx = judge(facts)["vtx"]
    assert vtx.status.value == "supported"
    advice = [r for r in vtx.reasons if r.rule == R.KVM_DEVICE.id]
    assert advice and advice[0].advisory and advice[0].hint == {"command": "modprobe kvm_intel"}


GUEST = HypervisorFacts(present=True, name="VMware")
# The host's silicon as the guest names it: ARK gives the E5-2660 v3 VT-x and EPT.
HOST_ROW = cpu("Xeon E5-2660 v3", vtx="yes", slat="yes")


def test_guest_slat_is_not_taken_from_the_host_cpu_row() -> None:
    caps = judge(probe(cpu=CpuFacts(vendor="intel", spec=HOST_ROW), hypervisor=GUEST))
    assert caps["slat"].status.value == "masked"
    assert caps["vtx"].status.value == "unknown"
    masked = [r for r in caps["slat"].reasons if r.rule == R.SLAT_MASKED.id]
    assert len(masked) == 1 and "VMware" in masked[0].message
    assert masked[0].layer.value == "hypervisor"
    # the host row is still shown, as context only
    for cap in ("slat", "vtx"):
        rows = [r for r in caps[cap].reasons if r.rule in (R.SLAT_CPU.id, R.VTX_CPU.id)]
        assert rows and all(r.advisory for r in rows)


def test_xen_pv_domain_slat_points_at_xl_info() -> None:
    pv = HypervisorFacts(present=True, name="Xen", xen_pv_domain=True)
    slat = judge(probe(cpu=CpuFacts(vendor="intel", spec=HOST_ROW), hypervisor=pv))["slat"]
    assert slat.status.value == "masked"
    masked = [r for r in slat.reasons if r.rule == R.SLAT_MASKED.id][0]
    assert masked.hint == {"check": "xl info in dom0: 'hap' in virt_caps"}


@pytest.mark.parametrize(
    ("flags", "kernel", "expected"),
    [
        # the guest's own cpuinfo: vmx with ept exposed, vmx without ept (nested without EPT)
        ("vmx ept hypervisor", K(), "supported"),
        ("vmx hypervisor", K(), "masked"),
        # the guest's own KVM: ept=Y, or an L1TF line (printed only with EPT on)
        (None, K(kvm_params=(("ept", "Y"),)), "supported"),
        (
            None,
            K(slat_log=(("kvm_intel.l1tf_ept", "L1TF CPU bug present and SMT on"),)),
            "supported",
        ),
        # KVM runs in the guest (VT-x exposed) but nothing shows EPT passed through
        (None, K(kvm_log=(("kvm.vmx_setup", "VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL"),)), "unknown"),
    ],
)
def test_guest_slat_needs_the_guests_own_evidence(
    flags: str | None, kernel: KernelFacts, expected: str
) -> None:
    own = frozenset(flags.split()) if flags is not None else None
    facts = probe(
        cpu=CpuFacts(vendor="intel", spec=HOST_ROW, flags=own), kernel=kernel, hypervisor=GUEST
    )
    assert judge(facts)["slat"].status.value == expected


@pytest.mark.parametrize(
    ("brand", "model", "expected"),
    [
        # Haswell-EP, an OEM SKU ARK does not list: EPT from the signature, VT-x from the Xeon class
        ("Intel(R) Xeon(R) CPU E5-2666 v3 @ 2.90GHz", 0x3F, "supported"),
        # Clarkdale Pentium: Westmere silicon, but the Pentium G6950 has no VT-x (ARK), so its
        # signature alone must not claim EPT
        ("Intel(R) Pentium(R) CPU G6950 @ 2.80GHz", 0x25, "unknown"),
    ],
)
def test_logged_cpu_outside_the_catalogue_infers_ept_only_with_vtx(
    brand: str, model: int, expected: str
) -> None:
    logged = CpuFacts(vendor="intel", brand=brand, family=6, model=model, stepping=2)
    slat = judge(probe(cpu=logged))["slat"]
    assert slat.status.value == expected
    if expected == "supported":
        assert [r.rule for r in slat.reasons] == [R.INFER_INTEL_EPT.id]

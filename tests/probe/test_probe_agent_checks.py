"""The agent's live checks on a fake root tree: the KVM ioctls (mocked), the firmware lock
MSR, kvm module parameters, device nodes and per-device IOMMU groups; and how the service
reads them back."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from virtcompat.probe.artefacts import parse_artefacts

INTEL_CPUINFO = "vendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n"
AMD_CPUINFO = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu svm npt sev sev_es\n"


def _write(root: Path, rel: str, content: str | bytes = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


class FakeKvm:
    """Stands in for fcntl.ioctl on /dev/kvm and records what the agent asked."""

    def __init__(self, api: int = 12, create_error: OSError | None = None) -> None:
        self.api = api
        self.create_error = create_error
        self.calls: list[int] = []
        self.closed: list[int] = []

    def ioctl(self, fd: int, request: int, arg: int = 0) -> int:
        self.calls.append(request)
        if request == 0xAE00:
            return self.api
        if request == 0xAE01:
            if self.create_error is not None:
                raise self.create_error
            return 99  # the new VM's descriptor
        raise AssertionError(f"unexpected ioctl {request:#x}")


def _checks(
    agent: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeKvm
) -> dict[str, Any]:
    real_close = agent.os.close

    def close(fd: int) -> None:
        if fd == 99:
            fake.closed.append(fd)
            return
        real_close(fd)

    monkeypatch.setattr(agent.fcntl, "ioctl", fake.ioctl)
    monkeypatch.setattr(agent, "is_char_device", lambda path: True)
    monkeypatch.setattr(agent.os, "close", close)
    collector = agent.Collector(str(root))
    cpuinfo = (root / "proc/cpuinfo").read_text()
    checks: dict[str, Any] = collector.live_checks({"cpuinfo": cpuinfo})
    return checks


def test_kvm_usable_through_kvm_intel(
    agent_module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "proc/cpuinfo", INTEL_CPUINFO)
    _write(tmp_path, "dev/kvm")
    for name, value in (("nested", "Y"), ("ept", "Y"), ("unrestricted_guest", "Y")):
        _write(tmp_path, f"sys/module/kvm_intel/parameters/{name}", value + "\n")
    _write(tmp_path, "sys/module/kvm/parameters/halt_poll_ns", "200000\n")
    fake = FakeKvm()
    checks = _checks(agent_module, tmp_path, monkeypatch, fake)
    assert checks["kvm_check"] == {
        "usable": True,
        "api_version": 12,
        "module": "kvm_intel",
        "error": None,
    }
    # API version first, then one VM created and its descriptor closed: nothing else.
    assert fake.calls == [0xAE00, 0xAE01] and fake.closed == [99]
    assert checks["kvm_params"] == {"nested": "Y", "ept": "Y", "unrestricted_guest": "Y"}
    obs = parse_artefacts({**checks, "cpuinfo": INTEL_CPUINFO})
    assert obs.checks.kvm_usable is True and obs.checks.kvm_module == "kvm_intel"
    assert dict(obs.checks.kvm_params)["ept"] == "Y"


def test_kvm_from_another_module_and_a_failing_create(
    agent_module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "proc/cpuinfo", "vendor_id\t: AuthenticAMD\nflags\t\t: fpu hypervisor\n")
    _write(tmp_path, "dev/kvm")
    _write(tmp_path, "sys/module/kvm_pvm/refcnt", "0\n")
    checks = _checks(agent_module, tmp_path, monkeypatch, FakeKvm())
    assert checks["kvm_check"]["usable"] is True
    assert checks["kvm_check"]["module"] == "kvm_pvm" == checks["kvm_module"]

    broken = FakeKvm(create_error=OSError(12, "Cannot allocate memory"))
    checks = _checks(agent_module, tmp_path, monkeypatch, broken)
    assert checks["kvm_check"]["usable"] is False
    assert checks["kvm_check"]["error"] == "ioctl: Cannot allocate memory"
    assert broken.closed == []


def test_no_dev_kvm_means_no_check(
    agent_module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "proc/cpuinfo", INTEL_CPUINFO)
    fake = FakeKvm()
    checks = _checks(agent_module, tmp_path, monkeypatch, fake)
    assert checks["kvm_check"] is None and fake.calls == []


@pytest.mark.parametrize(
    ("vendor_cpuinfo", "offset", "value", "locked_off"),
    [
        (INTEL_CPUINFO, 0x3A, 0x1, True),  # lock set, VMXON outside SMX clear
        (INTEL_CPUINFO, 0x3A, 0x5, False),  # lock set, VMX enabled
        (AMD_CPUINFO, 0xC0010114, 0x10, True),  # VM_CR.SVMDIS
        (AMD_CPUINFO, 0xC0010114, 0x0, False),
    ],
)
def test_firmware_lock_msr(
    agent_module: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vendor_cpuinfo: str,
    offset: int,
    value: int,
    locked_off: bool,
) -> None:
    _write(tmp_path, "proc/cpuinfo", vendor_cpuinfo)
    msr = tmp_path / "dev/cpu/0/msr"
    msr.parent.mkdir(parents=True)
    with open(msr, "wb") as handle:  # a sparse file standing in for the MSR device
        handle.seek(offset)
        handle.write(value.to_bytes(8, "little"))
    checks = _checks(agent_module, tmp_path, monkeypatch, FakeKvm())
    msr_check = checks["msr_feature_control"]
    assert msr_check["value"] == value and msr_check["locked_off"] is locked_off
    obs = parse_artefacts({"msr_feature_control": msr_check})
    assert obs.checks.msr_locked_off is locked_off  # recomputed by the server, not trusted


def test_iommu_groups_per_device_and_devices(
    agent_module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "proc/cpuinfo", AMD_CPUINFO)
    for group, address, reset in (
        ("13", "0000:01:00.0", "flr bus"),
        ("13", "0000:01:00.1", "flr"),
        ("7", "0000:00:17.0", None),
    ):
        _write(tmp_path, f"sys/kernel/iommu_groups/{group}/devices/{address}")
        if reset is not None:
            _write(tmp_path, f"sys/bus/pci/devices/{address}/reset_method", reset + "\n")
    _write(tmp_path, "dev/vhost-net")
    _write(tmp_path, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
    _write(tmp_path, "sys/class/iommu/ivhd0/amd-iommu/cap", "0x0\n")
    checks = _checks(agent_module, tmp_path, monkeypatch, FakeKvm())
    assert checks["iommu_group_devices"] == [
        {"group": 13, "address": "0000:01:00.0", "reset_method": "flr bus"},
        {"group": 13, "address": "0000:01:00.1", "reset_method": "flr"},
        {"group": 7, "address": "0000:00:17.0", "reset_method": None},
    ]
    assert checks["devices"]["/dev/vhost-net"] is True
    assert checks["devices"]["/dev/vfio/vfio"] is False
    assert checks["cgroup_controllers"] == ["cpuset", "cpu", "io", "memory", "pids"]
    assert checks["iommu_classes"] == ["ivhd0"]
    assert checks["secure_guests"] == {"sev": True, "sev_es": True, "sev_snp": False, "tdx": False}
    obs = parse_artefacts(checks)
    groups = {d.address: d.group for d in obs.checks.group_devices or ()}
    assert groups == {"0000:01:00.0": 13, "0000:01:00.1": 13, "0000:00:17.0": 7}

"""The standalone agent, run as a subprocess against fake /proc + /sys trees."""

from __future__ import annotations

import ast
import hashlib
import http.server
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from virtcompat.probe import Observations, parse_artefacts, scrub_artefacts

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"
AGENT = Path(__file__).resolve().parents[2] / "agent" / "virtcompat-probe"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.pop("VIRTCOMPAT_TOKEN", None)
    return env


def run_agent(*args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, str(AGENT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        stdin=subprocess.DEVNULL,
    )


def write(root: Path, rel: str, content: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def _salted(salt: str, value: str) -> str:
    return hashlib.sha256((salt + value).encode()).hexdigest()[:8]


def _observe(payload: dict[str, Any]) -> Observations:
    clean, _ = scrub_artefacts(payload["artefacts"], "server-salt")
    return parse_artefacts(clean)


def _assert_absent(output: str, secrets: list[str]) -> None:
    folded = output.lower()
    for secret in secrets:
        assert secret.lower() not in folded, secret
        assert secret.lower().replace(":", "-") not in folded, secret


# --- fake hosts ------------------------------------------------------------------------------

INTEL_SECRETS = [
    "7XJ4KQ1",
    "4c4c4544-0058-4a10-8034-b7c04f4b5131",
    "CN1296325J01KK",
    "d4:be:d9:a1:b2:c3",
    "3f1d7c9a-52b4-4c0e-9d7e-6a1b2c3d4e5f",
    "0123456789AB",
    "ASSET-77",
]


def intel_host(root: Path) -> None:
    """Sandy Bridge desktop: DMAR, remapping active, IOMMU groups, kvm_intel nested."""
    write(
        root,
        "proc/cpuinfo",
        (DATA / "cpuinfo" / "intel-core-i7-2600-baremetal.cpuinfo").read_text(),
    )
    write(
        root,
        "proc/cmdline",
        "BOOT_IMAGE=/vmlinuz-5.15.0-91-generic "
        "root=UUID=3f1d7c9a-52b4-4c0e-9d7e-6a1b2c3d4e5f ro quiet intel_iommu=on\n",
    )
    write(root, "proc/sys/kernel/osrelease", "5.15.0-91-generic\n")
    dmi = {
        "sys_vendor": "Dell Inc.",
        "product_name": "OptiPlex 790",
        "board_name": "0HY9JP",
        "board_vendor": "Dell Inc.",
        "bios_vendor": "Dell Inc.",
        "bios_version": "A22",
        "bios_date": "11/29/2018",
        "chassis_type": "3",
        "product_serial": "7XJ4KQ1",
        "product_uuid": "4c4c4544-0058-4a10-8034-b7c04f4b5131",
        "board_serial": "..CN1296325J01KK.",
        "chassis_serial": "7XJ4KQ1",
        "chassis_asset_tag": "ASSET-77",
    }
    for key, value in dmi.items():
        write(root, f"sys/class/dmi/id/{key}", value + "\n")
    for table in ("APIC", "DMAR", "DSDT", "FACP", "FACS", "SSDT1", "SSDT2"):
        write(root, f"sys/firmware/acpi/tables/{table}", "binary")
    (root / "sys/firmware/acpi/tables/data").mkdir()
    (root / "sys/firmware/acpi/tables/dynamic").mkdir()
    for group in range(6):
        (root / f"sys/kernel/iommu_groups/{group}/devices").mkdir(parents=True)
    write(root, "dev/kvm", "")
    write(root, "sys/module/kvm_intel/parameters/nested", "Y\n")
    write(
        root,
        ".virtcompat/dmesg.txt",
        "\n".join(
            [
                "[    0.000000] Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) #101",
                "[    0.000000] Command line: BOOT_IMAGE=/vmlinuz-5.15.0-91-generic "
                "root=UUID=3f1d7c9a-52b4-4c0e-9d7e-6a1b2c3d4e5f ro quiet intel_iommu=on",
                "[    0.000000] DMI: Dell Inc. OptiPlex 790/0HY9JP, BIOS A22 11/29/2018",
                "[    0.000000] ACPI: DMAR 0x00000000CAFE0000 0000E8 (v01 INTEL  SNB  1 INTL 1)",
                "[    0.000000] DMAR: IOMMU enabled",
                "[    0.012345] DMAR: Host address width 36",
                "[    0.012346] DMAR: DRHD base: 0x000000fed90000 flags: 0x1",
                "[    0.412345] DMAR: Intel(R) Virtualization Technology for Directed I/O",
                "[    0.500000] pci 0000:00:02.0: Adding to iommu group 0",
                "[    2.100000] e1000e 0000:00:19.0 eth0: (PCI Express:2.5GT/s) d4:be:d9:a1:b2:c3",
                "[    2.200000] usb 1-1.4: SerialNumber: 0123456789AB",
                "",
            ]
        ),
    )
    write(root, ".virtcompat/lspci.txt",
          "00:00.0 Host bridge [0600]: Intel Corporation 2nd Generation Core Processor Family "
          "DRAM Controller [8086:0100] (rev 09)\n"
          "00:1f.0 ISA bridge [0601]: Intel Corporation Q67 Express Chipset LPC Controller "
          "[8086:1c4e] (rev 05)\n"
          "00:19.0 Ethernet controller [0200]: Intel Corporation 82579LM Gigabit Network "
          "Connection (Lewisville) [8086:1502] (rev 05)\n")  # fmt: skip


def kvm_guest(root: Path) -> None:
    """A KVM guest: hypervisor flag, QEMU DMI, journalctl log with a host name, no /dev/kvm."""
    write(
        root,
        "proc/cpuinfo",
        (DATA / "cpuinfo" / "kvm-guest-amd-ryzen7-2700x-no-svm.cpuinfo").read_text(),
    )
    write(
        root,
        "proc/cmdline",
        "BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 "
        "root=UUID=0a1b2c3d-1111-4222-8333-444455556666 ro quiet\n",
    )
    write(root, "proc/sys/kernel/osrelease", "6.1.0-13-amd64\n")
    write(root, "sys/class/dmi/id/sys_vendor", "QEMU\n")
    write(root, "sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n")
    write(root, "sys/class/dmi/id/product_uuid", "9b2f0d1e-2222-4333-8444-555566667777\n")
    for table in ("APIC", "DSDT", "FACP", "MCFG"):
        write(root, f"sys/firmware/acpi/tables/{table}", "binary")
    (root / "sys/kernel/iommu_groups").mkdir(parents=True)
    prefix = "Nov 26 03:55:01 guest-vm-01 kernel: "
    write(
        root,
        ".virtcompat/journalctl.txt",
        "".join(
            prefix + line + "\n"
            for line in [
                "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP",
                "Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 "
                "root=UUID=0a1b2c3d-1111-4222-8333-444455556666 ro quiet",
                "DMI: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014",
                "Hypervisor detected: KVM",
                "Booting paravirtualized kernel on KVM",
                "kvm: no hardware support for 'kvm_amd'",
            ]
        ),
    )
    write(root, ".virtcompat/lspci.txt",
          "00:00.0 Host bridge [0600]: Intel Corporation 82G33/G31/P35/P31 Express DRAM "
          "Controller [8086:29c0]\n00:1f.0 ISA bridge [0601]: Intel Corporation 82801IB (ICH9) "
          "LPC Interface Controller [8086:2918] (rev 02)\n")  # fmt: skip


GUEST_SECRETS = [
    "guest-vm-01",
    "0a1b2c3d-1111-4222-8333-444455556666",
    "9b2f0d1e-2222-4333-8444-555566667777",
]


def no_lspci_host(root: Path) -> None:
    """An old Q45 box without lspci: sysfs PCI fallback, /var/log/dmesg, a hostile symlink."""
    write(
        root,
        "proc/cpuinfo",
        (DATA / "cpuinfo" / "intel-core-i7-2600-baremetal.cpuinfo").read_text(),
    )
    os.symlink("/etc/passwd", root / "proc/cmdline")
    write(root, "proc/sys/kernel/osrelease", "2.6.32-5-amd64\n")
    devices = root / "sys/bus/pci/devices"
    for slot, klass, vendor, device, rev in (
        ("0000:00:00.0", "0x060000", "0x8086", "0x2e10", "0x03"),
        ("0000:00:1f.0", "0x060100", "0x8086", "0x3a14", "0x02"),
    ):
        for key, value in (("class", klass), ("vendor", vendor), ("device", device),
                           ("revision", rev)):  # fmt: skip
            write(root, f"sys/bus/pci/devices/{slot}/{key}", value + "\n")
    (devices / "not-a-slot").mkdir()
    os.symlink("../../../kernel/iommu_groups/7", devices / "0000:00:1f.0" / "iommu_group")
    (root / "sys/kernel/iommu_groups/7").mkdir(parents=True)
    write(root, "var/log/dmesg", "\n".join([
        "Linux version 2.6.32-5-amd64 (Debian 2.6.32-48squeeze6) (gcc version 4.3.5) #1 SMP",
        "Intel-IOMMU: enabled",
        "DMAR: Host address width 36",
        "PCI-DMA: Intel(R) Virtualization Technology for Directed I/O",
        "",
    ]))  # fmt: skip


def xen_dom0(root: Path) -> str:
    """A Xen dom0: xl info, vmx masked in cpuinfo, a salt kept in the tree. Returns the salt."""
    cpuinfo = (DATA / "cpuinfo" / "intel-core-i7-2600-baremetal.cpuinfo").read_text()
    write(root, "proc/cpuinfo", cpuinfo.replace(" vmx ", " hypervisor "))
    write(root, "proc/cmdline", "placeholder root=/dev/mapper/vg-root ro console=hvc0\n")
    write(root, "proc/sys/kernel/osrelease", "5.10.0-28-amd64\n")
    write(root, "sys/class/dmi/id/board_name", "DQ45CB\n")
    write(root, "sys/class/dmi/id/product_serial", "BQCB12345678\n")
    for table in ("APIC", "DMAR", "DSDT", "FACP"):
        write(root, f"sys/firmware/acpi/tables/{table}", "binary")
    write(root, ".virtcompat/dmesg.txt", "\n".join([
        "[    0.000000] Linux version 5.10.0-28-amd64 (debian-kernel@lists.debian.org) #1 SMP",
        "[    0.000000] Booting paravirtualized kernel on Xen",
        "[    0.000000] Xen version: 4.17.3 (preserve-AD)",
        "",
    ]))  # fmt: skip
    write(root, ".virtcompat/xl-info.txt",
          "host                   : xen-dom0-secret-name\n"
          "release                : 5.10.0-28-amd64\nmachine                : x86_64\n"
          "nr_cpus                : 8\n"
          "virt_caps              : pv hvm hvm_directio pv_directio hap shadow iommu_hap_pt_share\n"
          "xen_version            : 4.17.3\n"
          "xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64\n"
          "xen_commandline        : placeholder dom0_mem=4096M,max:4096M\n")  # fmt: skip
    salt = "f" * 64
    write(root, "var/lib/virtcompat-probe/salt", salt + "\n")
    return salt


# --- dry runs on the fake hosts --------------------------------------------------------------


def _dry_run(root: Path, *extra: str) -> tuple[dict[str, Any], str, str]:
    result = run_agent("--root", str(root), "--dry-run", *extra)
    assert result.returncode == 0, result.stderr
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload, result.stdout, result.stderr


def test_intel_host_with_dmar(tmp_path: Path) -> None:
    root = tmp_path / "host"
    intel_host(root)
    salt_file = tmp_path / "state" / "salt"
    payload, out, err = _dry_run(root, "--salt-file", str(salt_file))

    assert payload["agent"] == {"name": "virtcompat-probe", "version": "0.1.0"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["collected_at"])
    art = payload["artefacts"]
    assert art["dmesg_source"] == "dmesg"
    assert "lspci" in art and "pci_devices" not in art
    assert art["acpi_tables"] == ["APIC", "DMAR", "DSDT", "FACP", "FACS", "SSDT1", "SSDT2"]
    assert (art["iommu_groups"], art["dev_kvm"], art["kvm_nested"], art["kvm_module"]) == (
        6,
        True,
        True,
        "kvm_intel",
    )
    assert art["kernel_release"] == "5.15.0-91-generic"
    assert "xl_info" not in art and "collection_warnings" not in art

    salt = salt_file.read_text().strip()
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    dmi = art["dmi"]
    assert dmi["sys_vendor"] == "Dell Inc." and dmi["chassis_type"] == "3"
    assert dmi["product_serial"] == f"<redacted:serial:{_salted(salt, '7XJ4KQ1')}>"
    assert dmi["chassis_serial"] == dmi["product_serial"]
    assert dmi["product_uuid"].startswith("<redacted:uuid:")
    assert dmi["chassis_asset_tag"].startswith("<redacted:asset_tag:")
    _assert_absent(out + err, INTEL_SECRETS)
    assert salt not in out + err

    assert "dmesg: 1 mac, 1 serial, 1 uuid" in err
    assert "cmdline: 1 uuid" in err
    assert "dmi.product_serial" in err and str(salt_file) in err

    obs = _observe(payload)
    assert obs.cpuinfo is not None and obs.cpuinfo.has_vmx and obs.cpuinfo.has_ept
    assert obs.kernel_log is not None and obs.kernel_log.iommu_active
    assert obs.dmar_table is True
    assert obs.cmdline is not None and obs.cmdline.intel_iommu_enabled
    assert obs.pci is not None and [d.pci_id for d in obs.pci.lpc_bridges] == ["8086:1c4e"]
    assert obs.dmi is not None and obs.dmi.identity_keys_seen


def test_same_host_same_salt_same_hashes(tmp_path: Path) -> None:
    root = tmp_path / "host"
    intel_host(root)
    salt_file = tmp_path / "salt"
    first, _, _ = _dry_run(root, "--salt-file", str(salt_file))
    second, _, _ = _dry_run(root, "--salt-file", str(salt_file))
    assert first["artefacts"] == second["artefacts"]
    other, _, _ = _dry_run(root, "--salt-file", str(tmp_path / "other-salt"))
    assert (
        other["artefacts"]["dmi"]["product_serial"] != first["artefacts"]["dmi"]["product_serial"]
    )


def test_kvm_guest(tmp_path: Path) -> None:
    root = tmp_path / "guest"
    kvm_guest(root)
    payload, out, err = _dry_run(root, "--salt-file", str(tmp_path / "salt"))
    art = payload["artefacts"]
    assert art["dmesg_source"] == "journalctl"
    assert art["dev_kvm"] is False and art["iommu_groups"] == 0
    assert "kvm_nested" not in art and "kvm_module" not in art
    _assert_absent(out + err, GUEST_SECRETS)
    assert "host" in err  # the journal host name was counted as redacted

    obs = _observe(payload)
    assert obs.cpuinfo is not None and obs.cpuinfo.hypervisor and not obs.cpuinfo.has_svm
    assert obs.kernel_log is not None
    assert obs.kernel_log.hypervisor_names == ("KVM", "QEMU")
    assert obs.kernel_log.kvm_no_hw_support
    assert obs.dmi is not None and obs.dmi.virtual_platform == "QEMU"
    assert obs.dmar_table is False and obs.ivrs_table is False


def test_host_without_lspci_uses_sysfs(tmp_path: Path) -> None:
    root = tmp_path / "old"
    no_lspci_host(root)
    payload, out, err = _dry_run(root)
    art = payload["artefacts"]
    assert "lspci" not in art
    assert art["pci_devices"] == [
        {"slot": "0000:00:00.0", "class": "0x060000", "vendor": "0x8086", "device": "0x2e10",
         "revision": "0x03"},
        {"slot": "0000:00:1f.0", "class": "0x060100", "vendor": "0x8086", "device": "0x3a14",
         "revision": "0x02", "iommu_group": 7},
    ]  # fmt: skip
    assert art["dmesg_source"] == "/var/log/dmesg"
    assert art["iommu_groups"] == 1 and art["dev_kvm"] is False
    # proc/cmdline is a symlink out of the tree: refused, and said so.
    assert "cmdline" not in art
    assert any("leaves the --root tree" in w for w in art["collection_warnings"])
    assert "root:" not in out  # nothing of /etc/passwd
    # No salt file in the tree and none given: a one-off salt, nothing written into the tree.
    assert "one-off" in err
    assert not (root / "var/lib/virtcompat-probe").exists()

    obs = _observe(payload)
    assert obs.pci is not None and obs.pci.source == "sysfs"
    assert [d.pci_id for d in obs.pci.host_bridges] == ["8086:2e10"]
    assert [d.pci_id for d in obs.pci.lpc_bridges] == ["8086:3a14"]
    assert obs.kernel_log is not None and obs.kernel_log.iommu_active
    assert obs.kernel_log.iommu_cmdline_echo
    assert obs.kernel_version == (2, 6, 32)


def test_xen_dom0(tmp_path: Path) -> None:
    root = tmp_path / "dom0"
    salt = xen_dom0(root)
    payload, out, err = _dry_run(root)
    art = payload["artefacts"]
    assert "xl_info" in art and "iommu_groups" not in art
    _assert_absent(out + err, ["xen-dom0-secret-name", "BQCB12345678"])
    assert art["dmi"]["product_serial"] == f"<redacted:serial:{_salted(salt, 'BQCB12345678')}>"
    assert "xl_info: 1 host" in err

    obs = _observe(payload)
    assert obs.xl_info is not None
    assert (obs.xl_info.hvm, obs.xl_info.directio, obs.xl_info.hap) == (True, True, True)
    assert obs.xl_info.xen_version == "4.17.3"
    assert obs.kernel_log is not None and obs.kernel_log.hypervisor_names == ("Xen",)
    assert obs.cmdline is not None and obs.cmdline.xen_hints == ("console=hvc0",)
    assert any("Xen masks" in w for w in obs.warnings)


def test_this_machine_dry_run(tmp_path: Path) -> None:
    result = run_agent("--dry-run", "--salt-file", str(tmp_path / "salt"))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    art = payload["artefacts"]
    assert art["cpuinfo"] and isinstance(art["dev_kvm"], bool)
    assert "redaction report" in result.stderr
    obs = _observe(payload)
    assert obs.cpuinfo is not None and obs.cpuinfo.logical_cpus >= 1
    assert obs.kernel_release


# --- usage errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--url is required"),
        (["--url", "http://127.0.0.1:9"], "no token"),
        (["--url", "file:///etc/passwd", "--token", "t"], "http:// or https://"),
        (["--root", "/nonexistent-tree", "--dry-run"], "not a directory"),
        (["--render-response", "/nonexistent.json"], "cannot read"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = run_agent(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_missing_cpuinfo_is_a_collection_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_agent("--root", str(tmp_path / "empty"), "--dry-run")
    assert result.returncode == 2
    assert "cpuinfo" in result.stderr


# --- rendering the diagnosis -----------------------------------------------------------------


def _reason(message: str, hint: Any = None) -> dict[str, Any]:
    return {"rule": "HW-TEST", "layer": "firmware", "status": "x", "message": message,
            "hint": hint, "evidence": []}  # fmt: skip


RESPONSE: dict[str, Any] = {
    "id": "7f3c",
    "diagnosis": {
        "capabilities": {
            "vtx": {"status": "supported", "reasons": [_reason("VT-x is on")]},
            "vtd": {
                "status": "disabled",
                "reasons": [
                    _reason(
                        "DMAR table present but the kernel left VT-d off",
                        {"cmdline_add": "intel_iommu=on", "bios_attribute": "VtForDirectIo"},
                    ),
                    _reason("second reason, not shown"),
                ],
            },
            "slat": {"status": "masked", "reasons": [_reason("EPT hidden \x1b[31mby the host")]},
            "hvm": {"status": "unknown", "reasons": []},
            "pci_passthrough": {
                "status": "unsupported",
                "reasons": [_reason("no IOMMU", {"text": "Use a board with VT-d"})],
            },
        }
    },
    "matched": {},
    "warnings": ["kernel log truncated"],
    "delete_token": "dt-123",
}

EXPECTED_TEXT = """\
PASS  vtx              supported   VT-x is on
FAIL  vtd              disabled    DMAR table present but the kernel left VT-d off
                                   hint: cmdline_add=intel_iommu=on; bios_attribute=VtForDirectIo
WARN  slat             masked      EPT hidden  [31mby the host
WARN  hvm              unknown     HVM guests
FAIL  pci_passthrough  unsupported no IOMMU
                                   hint: Use a board with VT-d
NOTE  kernel log truncated
probe id: 7f3c
delete token: dt-123 (keep it to delete this report later)
"""


def test_render_text(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(RESPONSE))
    result = run_agent("--render-response", str(path), "--format", "text")
    assert result.returncode == 1  # a FAIL line
    assert result.stdout == EXPECTED_TEXT
    assert "\x1b" not in result.stdout


def test_render_all_pass_and_json(tmp_path: Path) -> None:
    response = {"id": 1, "diagnosis": {"capabilities": {
        key: {"status": "supported", "reasons": [_reason(f"{key} ok")]}
        for key in ("vtx", "vtd", "slat", "hvm", "pci_passthrough")}}}  # fmt: skip
    path = tmp_path / "response.json"
    path.write_text(json.dumps(response))
    text = run_agent("--render-response", str(path))
    assert text.returncode == 0
    assert [line.split()[0] for line in text.stdout.splitlines()[:5]] == ["PASS"] * 5
    as_json = run_agent("--render-response", str(path), "--format", "json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == response
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps({"diagnosis": {"capabilities": {}}}))
    result = run_agent("--render-response", str(missing))
    assert result.returncode == 0
    assert result.stdout.count("WARN") == 5


# --- talking to a server ---------------------------------------------------------------------


class _Server:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 201
        self.answer: bytes = json.dumps(RESPONSE).encode()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                owner.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(owner.status)
                kind = "application/json" if owner.status < 400 else "application/problem+json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(owner.answer)))
                self.end_headers()
                self.wfile.write(owner.answer)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[_Server]:
    with _Server() as srv:
        yield srv


def test_post_to_server(tmp_path: Path, server: _Server) -> None:
    root = tmp_path / "host"
    intel_host(root)
    result = run_agent("--root", str(root), "--url", server.url + "/", "--token", "tok-1",
                       "--salt-file", str(tmp_path / "salt"))  # fmt: skip
    assert result.returncode == 1, result.stderr
    # The agent's own checks first (a --root tree's /dev/kvm is a plain file: not asked),
    # then the server's diagnosis.
    local, _, diagnosis = result.stdout.partition("PASS  vtx")
    assert "PASS  vtx" + diagnosis == EXPECTED_TEXT
    assert local.splitlines()[0].startswith("WARN  kvm              /dev/kvm exists but was not")
    (request,) = server.requests
    assert request["path"] == "/api/v1/probes"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == "Bearer tok-1"
    assert headers["content-type"] == "application/json"
    assert headers["idempotency-key"] == hashlib.sha256(request["body"]).hexdigest()
    body = json.loads(request["body"])
    assert body["agent"]["name"] == "virtcompat-probe"
    _assert_absent(request["body"].decode(), INTEL_SECRETS)
    assert _observe(body).kernel_log is not None


def test_post_token_from_environment_and_json_output(tmp_path: Path, server: _Server) -> None:
    root = tmp_path / "guest"
    kvm_guest(root)
    env = _env() | {"VIRTCOMPAT_TOKEN": "env-token"}
    result = subprocess.run(
        [sys.executable, str(AGENT), "--root", str(root), "--url", server.url, "--format",
         "json", "--salt-file", str(tmp_path / "salt")],
        capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 1
    assert json.loads(result.stdout) == RESPONSE
    assert server.requests[0]["headers"]["Authorization"] == "Bearer env-token"


def test_server_problem_is_reported(tmp_path: Path, server: _Server) -> None:
    root = tmp_path / "host"
    intel_host(root)
    server.status = 401
    server.answer = json.dumps(
        {"type": "about:blank", "title": "Unauthorized", "status": 401,
         "detail": "token lacks scope probe:write"}
    ).encode()  # fmt: skip
    result = run_agent("--root", str(root), "--url", server.url, "--token", "bad",
                       "--salt-file", str(tmp_path / "salt"))  # fmt: skip
    assert result.returncode == 3
    assert "HTTP 401: Unauthorized: token lacks scope probe:write" in result.stderr
    assert len(server.requests) == 1  # 4xx is not retried


def test_server_error_is_retried_with_the_same_key(tmp_path: Path, server: _Server) -> None:
    root = tmp_path / "host"
    intel_host(root)
    server.status = 503
    server.answer = b'{"title": "Service Unavailable", "status": 503}'
    result = run_agent("--root", str(root), "--url", server.url, "--token", "t",
                       "--retries", "1", "--salt-file", str(tmp_path / "salt"))  # fmt: skip
    assert result.returncode == 3
    assert len(server.requests) == 2
    keys = {r["headers"]["Idempotency-Key"] for r in server.requests}
    assert len(keys) == 1


def test_unreachable_server(tmp_path: Path) -> None:
    root = tmp_path / "host"
    intel_host(root)
    with _Server() as srv:
        url = srv.url  # a port that is closed once the server is gone
    result = run_agent("--root", str(root), "--url", url, "--token", "t", "--retries", "0",
                       "--timeout", "5", "--salt-file", str(tmp_path / "salt"))  # fmt: skip
    assert result.returncode == 3
    assert "cannot reach" in result.stderr


def test_non_json_answer(tmp_path: Path, server: _Server) -> None:
    root = tmp_path / "host"
    intel_host(root)
    server.status = 200
    server.answer = b"<html>proxy login</html>"
    result = run_agent("--root", str(root), "--url", server.url, "--token", "t",
                       "--salt-file", str(tmp_path / "salt"))  # fmt: skip
    assert result.returncode == 3
    assert "not JSON" in result.stderr


# --- the file itself -------------------------------------------------------------------------


def test_agent_is_standalone_python36_source() -> None:
    source = AGENT.read_text()
    assert source.startswith("#!/usr/bin/env python3\n")
    assert os.access(AGENT, os.X_OK)
    tree = ast.parse(source)
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.module != "__future__"
            modules.add((node.module or "").split(".")[0])
        assert not isinstance(node, ast.NamedExpr)
        if isinstance(node, ast.FormattedValue):
            pytest.fail("f-strings are avoided in the agent")
    assert modules <= sys.stdlib_module_names
    assert "dataclasses" not in modules
    compile(source, str(AGENT), "exec")


def _python36() -> str | None:
    candidates = [os.environ.get("VIRTCOMPAT_PY36", "")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.6*/bin/python"))
    candidates.append(shutil.which("python3.6") or "")
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 6))"],
            capture_output=True, text=True, timeout=30, env=_env(),
        )  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    return None


def test_agent_runs_on_python36(tmp_path: Path) -> None:
    python = _python36()
    if python is None:
        pytest.skip("no Python 3.6 interpreter found (set VIRTCOMPAT_PY36)")
    root = tmp_path / "host"
    intel_host(root)
    salt = str(tmp_path / "salt")
    old = run_agent("--root", str(root), "--dry-run", "--salt-file", salt, python=python)
    assert old.returncode == 0, old.stderr
    new = run_agent("--root", str(root), "--dry-run", "--salt-file", salt)
    assert json.loads(old.stdout)["artefacts"] == json.loads(new.stdout)["artefacts"]
    assert old.stderr == new.stderr

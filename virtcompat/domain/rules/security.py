"""Confidential-guest launch security: SEV/SEV-SNP need AMD, TDX needs Intel.

``<launchSecurity type='sev'|'sev-snp'>`` runs the guest under AMD Secure Encrypted
Virtualization, which only AMD EPYC-class CPUs with SEV enabled in the firmware provide;
``type='tdx'`` needs an Intel CPU with Trust Domain Extensions. The catalogue does not yet
record SEV/TDX per CPU, so a target of the wrong vendor is an error and any other target a
warning to check.
"""

from __future__ import annotations

from virtcompat.domain.rules._common import LIBVIRT_DOC, E, W, emit, rule
from virtcompat.domain.spec import DomainSpec
from virtcompat.xen.context import Ctx

SEV_HOST = rule(
    "DOM-SEC-001",
    "SEV/SEV-SNP needs an AMD host with SEV",
    E,
    "<launchSecurity type='sev'> or 'sev-snp' asks QEMU for an AMD SEV(-SNP) guest: the "
    "host CPU must be AMD with SEV (SNP: EPYC 7003 'Milan' or later) enabled in the firmware "
    "and in kvm_amd. On an Intel host, or without SEV, QEMU cannot create the guest.",
    LIBVIRT_DOC,
    "libvirt formatdomain#launch-security",
    fix="run it on an AMD host with SEV enabled, or drop <launchSecurity>",
)
TDX_HOST = rule(
    "DOM-SEC-002",
    "TDX needs an Intel host with TDX",
    E,
    "<launchSecurity type='tdx'> asks for an Intel Trust Domain: the host CPU must be Intel "
    "with TDX (4th/5th-gen Xeon Scalable or later) enabled in the firmware and in kvm_intel.",
    LIBVIRT_DOC,
    "libvirt formatdomain#launch-security",
    fix="run it on an Intel host with TDX enabled, or drop <launchSecurity>",
)

_WANT = {"sev": ("amd", SEV_HOST), "sev-snp": ("amd", SEV_HOST), "tdx": ("intel", TDX_HOST)}


def check_launch_security(spec: DomainSpec, ctx: Ctx) -> None:
    """DOM-SEC-001/002: the target's CPU vendor against the launch-security type."""
    sec = spec.launch_security
    if sec is None or sec.value not in _WANT:
        return
    vendor, r = _WANT[sec.value]
    ctx.requires.add(sec.value.split("-")[0])
    if ctx.host is None:
        return
    if ctx.host_vendor is not None and ctx.host_vendor != vendor:
        emit(
            ctx,
            r,
            f"<launchSecurity type='{sec.value}'> needs an {vendor.upper()} host; the target "
            f"CPU is {ctx.host_vendor.upper()}",
            sec.pos,
        )
        return
    emit(
        ctx,
        r,
        f"<launchSecurity type='{sec.value}'>: whether the target has "
        f"{sec.value.upper()} enabled is not recorded; check the firmware and kvm module",
        sec.pos,
        severity=W,
    )

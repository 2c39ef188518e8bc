"""What every domain-rule module shares: registering a rule and emitting at a position."""

from __future__ import annotations

from collections.abc import Callable

from virtcompat.domain.spec import DomainSpec, Pos
from virtcompat.rules.registry import Rule, Severity
from virtcompat.xen.context import Ctx
from virtcompat.xen.rules import require_host
from virtcompat.xen.rules._base import config_rule

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

LIBVIRT_DOC = "libvirt formatdomain: https://libvirt.org/formatdomain.html"
QEMU_VALIDATE = "libvirt src/qemu/qemu_validate.c, src/conf/domain_conf.c"
LIBXL_CONF = "libvirt src/libxl/libxl_conf.c, src/libxl/xen_common.c"

ModelCheck = Callable[[DomainSpec, Ctx], None]


# Registered like the XEN-* rules (one registry, one shape); the name reads as the DSL here.
rule = config_rule


def emit(
    ctx: Ctx,
    r: Rule,
    message: str,
    pos: Pos,
    *,
    severity: Severity | None = None,
    hint: str | None = None,
) -> None:
    ctx.add(
        r,
        message,
        key=pos.key,
        line=pos.line,
        column=pos.column,
        severity=severity,
        hint=hint,
    )


def need_host(
    ctx: Ctx,
    r: Rule,
    capability: str,
    what: str,
    pos: Pos,
    *,
    hard: bool = True,
    fix: str | None = None,
) -> None:
    """Record that the domain needs ``capability`` and report it if the target lacks it."""
    ctx.requires.add(capability)
    if ctx.host is None:
        return  # no target: require_host has nothing to report
    require_host(
        ctx, r, capability, what, key=pos.key, hard=hard, fix=fix, line=pos.line, column=pos.column
    )


def hw_virt(spec: DomainSpec) -> bool:
    """Does the guest need VT-x/AMD-V? KVM always; Xen for HVM/PVH; TCG never."""
    accel = spec.accelerator
    return accel == "kvm" or (accel == "xen" and spec.guest_type in ("hvm", "pvh"))

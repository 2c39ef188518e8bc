"""Lifecycle actions (<on_poweroff>/<on_reboot>/<on_crash>); the seed's ``paused``.

``paused`` (xm ``paused=1``, ``xl create -p``) has no domain XML equivalent: it is
``virsh start --paused`` / ``virsh create --paused``, a property of starting, not of the
domain, so a libvirt document cannot carry it (XEN-LIFE-003 says so).
"""

from __future__ import annotations

from virtcompat.domain.rules._common import emit
from virtcompat.domain.spec import DomainSpec
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx

_ACTIONS = ("destroy", "restart", "preserve", "rename-restart")
_CRASH_ACTIONS = _ACTIONS + ("coredump-destroy", "coredump-restart")


def check_lifecycle(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-LIFE-001 (libvirt): the actions libvirt's schema accepts per event."""
    if spec.fmt != "libvirt":
        return
    for event, action in spec.lifecycle.items():
        allowed = _CRASH_ACTIONS if event == "on_crash" else _ACTIONS
        if action.value not in allowed:
            emit(
                ctx,
                X.LIFE_ACTION,
                f"<{event}>{action.value}</{event}>: not a libvirt action for this event",
                action.pos,
                hint="one of " + ", ".join(allowed),
            )

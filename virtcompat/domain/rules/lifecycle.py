"""Lifecycle actions (xm/xl on_poweroff/on_reboot/on_crash/..., libvirt <on_*>); the seed's
``paused``.

``paused`` (xm ``paused=1``, ``xl create -p``) has no domain XML equivalent: it is
``virsh start --paused`` / ``virsh create --paused``, a property of starting, not of the
domain, so a libvirt document cannot carry it (XEN-LIFE-003 says so). xm's on_crash default
(XEN-LIFE-002) is about a missing xm key and stays in virtcompat/xen/rules/lifecycle.py.
"""

from __future__ import annotations

from virtcompat.domain.rules._common import emit
from virtcompat.domain.spec import DomainSpec
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx

# xm and libvirt's schema: coredump-* for on_crash only; xl also soft-reset, for every event.
_ACTIONS = ("destroy", "restart", "preserve", "rename-restart")
_CRASH_ACTIONS = _ACTIONS + ("coredump-destroy", "coredump-restart")
_XL_ACTIONS = _CRASH_ACTIONS + ("soft-reset",)


def _allowed(fmt: str, event: str) -> tuple[str, ...]:
    if fmt == "xl":
        return _XL_ACTIONS
    return _CRASH_ACTIONS if event == "on_crash" else _ACTIONS


def check_lifecycle(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-LIFE-001: the actions each toolstack accepts per event ('Invalid event handling
    mode' in xm, 'Unknown on_crash action' in xl, libvirt's schema)."""
    for event, action in spec.lifecycle.items():
        allowed = _allowed(spec.fmt, event)
        if action.value in allowed:
            continue
        if spec.fmt == "libvirt":
            msg = f"<{event}>{action.value}</{event}>: not a libvirt action for this event"
        elif spec.fmt == "xm" and action.value in _CRASH_ACTIONS:
            msg = f"{event} = {action.value!r}: coredump actions are only valid for on_crash in xm"
        elif spec.fmt == "xm":
            msg = f"{event} = {action.value!r}: Invalid event handling mode"
        else:
            msg = f'Unknown {event} action "{action.value}" specified'
        emit(ctx, X.LIFE_ACTION, msg, action.pos, hint="one of " + ", ".join(allowed))

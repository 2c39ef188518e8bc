"""XEN-LIFE-*: on_poweroff/on_reboot/on_crash actions and the seed's paused.

``paused`` has no libvirt domain XML equivalent: it is ``virsh start --paused`` (or
``xl create -p``), a property of starting the guest, not of the domain."""

from __future__ import annotations

from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import INFO, E, W, config_rule

LIFE_ACTION = config_rule(
    "XEN-LIFE-001",
    "on_poweroff/on_reboot/on_crash actions",
    E,
    "xm accepts destroy, restart, preserve, rename-restart, and coredump-destroy/"
    "coredump-restart for on_crash only ('Invalid event handling mode'); xl accepts all of "
    "them plus soft-reset for every event ('Unknown on_crash action \"%s\" specified').",
    "C34",
    "XC34",
    "XP",
)


LIFE_DEFAULTS = config_rule(
    "XEN-LIFE-002",
    "on_crash default differs between xm and xl",
    INFO,
    "Without on_crash, xm restarts a crashed guest while xl destroys it: moving the config "
    "to xl silently changes crash behaviour.",
    "XC34",
    "XP",
    fix="set on_crash explicitly",
)


LIFE_PAUSED = config_rule(
    "XEN-LIFE-003",
    "paused is honoured by xm only",
    W,
    "paused is an xm command-line option (-p) that a config file may also set, because "
    "Opts.load copies every local into the options. xl has no paused key and ignores it: "
    "use 'xl create -p'. (The 2009 blog documents paused=1 for xm 3.4.) libvirt domain XML "
    "has no equivalent either: starting paused is 'virsh start --paused' (or 'virsh create "
    "--paused'), a property of the start, not of the domain.",
    "O34",
    "C34",
    "XP",
    "blog",
    fix="xl create -p CONFIG",
)


def check_lifecycle(ctx: Ctx) -> None:
    """XEN-LIFE-002: without on_crash, xm restarts a crashed guest and xl destroys it. (The
    actions themselves, XEN-LIFE-001, run on the DomainSpec: domain/rules/lifecycle.py.)"""
    if ctx.xm and not ctx.has("on_crash"):
        ctx.add(
            LIFE_DEFAULTS,
            "on_crash is not set: xm restarts a crashed guest, xl would destroy it",
            hint="on_crash = 'restart' keeps xm's behaviour under xl too",
        )


def check_paused(ctx: Ctx) -> None:
    """XEN-LIFE-003: paused works in an xm config (Opts.load) but is not an xl key."""
    if not ctx.has("paused"):
        return
    if ctx.xl:
        ctx.add(
            LIFE_PAUSED,
            "paused is not an xl config key and is ignored",
            key="paused",
            hint="start it paused with 'xl create -p CONFIG'",
        )
    elif ctx.truthy("paused"):
        ctx.add(
            LIFE_PAUSED,
            "paused = 1 is honoured by xm create (as -p); xl would ignore it",
            key="paused",
            severity=INFO,
            hint="with xl use 'xl create -p CONFIG'",
        )

"""XEN-RTC-* and XEN-TIME-001: the seed's localtime and rtc_timeoffset across Xen versions;
timer_mode."""

from __future__ import annotations

import re

from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import INFO, E, W, config_rule
from virtcompat.xen.syntax import ListValue

RTC_LOCALTIME = config_rule(
    "XEN-RTC-001",
    "localtime=1 together with rtc_timeoffset",
    W,
    "The 2009 blog (for 3.4) says rtc_timeoffset is ignored when localtime=1. That was true "
    "for xm 3.1-3.3 only: commit 8e558b0e97 (3.4.0-rc1, 2009-04-01) made them add up "
    "(guest RTC = host local time + rtc_timeoffset), and xl does the same (libxl_x86.c). "
    "Libvirt's commit 'Xen: Fix <clock> handling' records the same history.",
    "IM34",
    "LX86",
    "LV",
    "blog",
)


RTC_NEGATIVE = config_rule(
    "XEN-RTC-002",
    "Negative rtc_timeoffset must be quoted in xl",
    E,
    "xl has no negative literals: rtc_timeoffset = -3600 is a lexical error, while "
    '"-3600" parses as a number on lookup (strtol; tested). libvirt\'s converters read '
    "rtc_timeoffset as unsigned and reject an unquoted negative as malformed.",
    "LXU",
    "LV",
    fix='rtc_timeoffset = "-3600"',
)


RTC_PV = config_rule(
    "XEN-RTC-003",
    "rtc_timeoffset on a PV guest under xm",
    W,
    "xm create forwards rtc_timeoffset only for builder='hvm' (it is in configure_hvm's "
    "list), so a PV guest under xm 3.4 never gets it; libvirt ignores it for PV too. xl "
    "applies it to every x86 guest type.",
    "C34",
    "LV",
    "LX86",
)


RTC_RANGE = config_rule(
    "XEN-RTC-004",
    "rtc_timeoffset must fit in 32 bits",
    E,
    "The offset reaches xc_domain_set_time_offset as an int32 (seconds): 32400 is JST, "
    "-3600 is UTC-1.",
    "LX86",
)


RTC_WINDOWS = config_rule(
    "XEN-RTC-005",
    "Windows guests want localtime=1",
    INFO,
    "Windows keeps the hardware clock in local time, so a Windows HVM guest normally needs "
    "localtime=1 (the blog's localtime entry; libvirt and the Xen wiki say the same).",
    "blog",
    "LV",
)


TIME_MODE = config_rule(
    "XEN-TIME-001",
    "timer_mode",
    E,
    "xm takes 0-3; xl takes delay_for_missed_ticks, no_delay_for_missed_ticks, "
    "no_missed_ticks_pending or one_missed_tick_pending (0-3 deprecated) and refuses it for "
    "PV ('\"timer_mode\" option is not supported for PV guests.').",
    "C34",
    "XP",
)


_WINDOWS_RE = re.compile(r"(?i)(?:^|[^a-z])(?:windows|win(?:xp|2k|7|8|10|11|20\d\d)|w2k)")


def check_clock(ctx: Ctx) -> None:
    """XEN-RTC-002(xm)/003/005: how xm/xl read the keys themselves; xm create drops
    rtc_timeoffset for PV. XEN-RTC-001/004 run on the DomainSpec (domain/rules/clock.py)."""
    offset_sc = ctx.scalar("rtc_timeoffset")
    if ctx.xm and offset_sc is not None and offset_sc.kind == "int" and offset_sc.text[:1] == "-":
        ctx.add(
            RTC_NEGATIVE,
            f"rtc_timeoffset = {offset_sc.text}: xm accepts an unquoted negative number, but "
            "libvirt's xen-xm converter rejects it as malformed and xl rejects it as a "
            "lexical error",
            key="rtc_timeoffset",
            severity=INFO,
            hint=f'rtc_timeoffset = "{offset_sc.text}" reads the same in xm, xl and libvirt',
        )
    if ctx.xm and ctx.guest == "pv" and ctx.has("rtc_timeoffset"):
        ctx.add(
            RTC_PV,
            "rtc_timeoffset is dropped for PV guests by xm create (forwarded only for "
            "builder='hvm'); libvirt ignores it for PV as well",
            key="rtc_timeoffset",
            hint="a PV guest takes its clock from dom0; xl would apply the offset",
        )
    if ctx.guest == "hvm" and not ctx.truthy("localtime") and _looks_like_windows(ctx):
        ctx.add(
            RTC_WINDOWS,
            "this looks like a Windows guest: Windows keeps the RTC in local time, so it "
            "normally wants localtime = 1",
            key="localtime" if ctx.has("localtime") else None,
        )


def _looks_like_windows(ctx: Ctx) -> bool:
    viridian = ctx.value("viridian")
    if isinstance(viridian, ListValue) and viridian.items:
        return True
    if ctx.truthy("viridian"):
        return True
    name = ctx.str_of("name")
    return name is not None and _WINDOWS_RE.search(name) is not None


_TIMER_MODES = (
    "delay_for_missed_ticks",
    "no_delay_for_missed_ticks",
    "no_missed_ticks_pending",
    "one_missed_tick_pending",
)


def check_timer_mode(ctx: Ctx) -> None:
    """XEN-TIME-001: xm 0-3; xl named modes (ints deprecated), refused for PV."""
    sc = ctx.scalar("timer_mode")
    if sc is None:
        return
    n = ctx.scalar_int(sc)
    if ctx.xm:
        if n is not None and not 0 <= n <= 3:
            ctx.add(TIME_MODE, f"timer_mode = {n}: must be 0-3", key="timer_mode")
        return
    if ctx.guest == "pv":
        ctx.add(TIME_MODE, '"timer_mode" option is not supported for PV guests.', key="timer_mode")
        return
    if sc.text in _TIMER_MODES:
        return
    if n is not None and 0 <= n <= 3:
        ctx.add(
            TIME_MODE,
            f"timer_mode = {n}: the integer form is deprecated",
            key="timer_mode",
            severity=INFO,
            hint=f'timer_mode = "{_TIMER_MODES[n]}"',
        )
        return
    ctx.add(
        TIME_MODE, f"timer_mode = {sc.text!r}: one of " + ", ".join(_TIMER_MODES), key="timer_mode"
    )

"""The guest clock: the seed's ``localtime`` and ``rtc_timeoffset`` in every format.

``localtime=1`` is ``<clock offset='localtime'/>``; ``rtc_timeoffset=N`` is
``<clock offset='variable' adjustment='N' basis='utc'/>``, and both together are
``basis='localtime'`` (libvirt's Xen converters, "Xen: Fix <clock> handling"). The offset
fits in 32 bits (XEN-RTC-004), and localtime plus an offset add up from Xen 3.4 on
(XEN-RTC-001). The xm/xl-only clock rules (an unquoted negative, xm dropping the offset for
PV, Windows wanting localtime) stay with the xm/xl keys in virtcompat/xen/rules/clock.py.
"""

from __future__ import annotations

from virtcompat.domain.rules._common import INFO, emit
from virtcompat.domain.spec import Clock, DomainSpec
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx


def check_clock(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-RTC-001/004 on the model, for xm, xl and a libvirt Xen domain.

    The quirk: rtc_timeoffset was ignored with localtime=1 only in xm 3.1-3.3; from 3.4
    (8e558b0e97) and in xl the two add up. xl 4.0/4.1 read neither (XEN-VER-002).
    """
    clock = spec.clock
    if clock is None or spec.accelerator != "xen" or clock.adjustment is None:
        return
    offset, libvirt = clock.adjustment, spec.fmt == "libvirt"
    if not -(2**31) <= offset <= 2**31 - 1:
        what = "adjustment" if libvirt else "rtc_timeoffset"
        emit(
            ctx,
            X.RTC_RANGE,
            f"{what} = {offset} does not fit in a signed 32-bit number of seconds"
            + (" (Xen's rtc_timeoffset)" if libvirt else ""),
            clock.pos,
        )
    if clock.basis != "localtime" or not offset:
        return
    if spec.fmt == "xm":
        _xm_localtime_and_offset(spec, ctx, clock, offset)
        return
    if ctx.version is not None and ctx.version.before("4.2"):
        return
    if libvirt:
        message = (
            f"basis='localtime' and adjustment='{offset}' add up: the guest RTC is host local "
            f"time {offset:+d} s (xl localtime=1 with rtc_timeoffset={offset})"
        )
    else:
        message = f"xl: {_adds_up(offset)}"
    emit(ctx, X.RTC_LOCALTIME, message, clock.pos, severity=INFO)


def _adds_up(offset: int) -> str:
    return (
        f"localtime = 1 and rtc_timeoffset = {offset} add up: the guest RTC is host local "
        f"time {offset:+d} s"
    )


def _xm_localtime_and_offset(spec: DomainSpec, ctx: Ctx, clock: Clock, offset: int) -> None:
    if spec.guest_type == "pv":
        return  # XEN-RTC-003 already: the offset never reaches a PV guest
    v = ctx.version
    if v is None:
        emit(
            ctx,
            X.RTC_LOCALTIME,
            f"localtime = 1 with rtc_timeoffset = {offset}: xm 3.1-3.3 ignore the offset "
            "when localtime = 1; from Xen 3.4 the two add up",
            clock.pos,
            hint="give the Xen version to decide; to be safe use localtime = 0 and the "
            "full offset from UTC (32400 for JST)",
        )
    elif v.before("3.1"):
        return  # XEN-VER-002: no rtc_timeoffset at all
    elif v.before("3.4"):
        emit(
            ctx,
            X.RTC_LOCALTIME,
            f"Xen {v}: rtc_timeoffset = {offset} is ignored because localtime = 1 "
            "(fixed in 3.4 by commit 8e558b0e97)",
            clock.pos,
            hint="use localtime = 0 with the full offset from UTC (32400 for JST), or "
            "localtime = 1 alone",
        )
    else:
        emit(ctx, X.RTC_LOCALTIME, f"Xen {v}: {_adds_up(offset)}", clock.pos, severity=INFO)

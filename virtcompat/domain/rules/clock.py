"""The guest clock: the seed's ``localtime`` and ``rtc_timeoffset`` in libvirt form.

``localtime=1`` is ``<clock offset='localtime'/>``; ``rtc_timeoffset=N`` is
``<clock offset='variable' adjustment='N' basis='utc'/>``, and both together are
``basis='localtime'`` (libvirt's Xen converters, "Xen: Fix <clock> handling"). The Xen
quirks keep their xl ids: the offset fits in 32 bits (XEN-RTC-004), and localtime plus an
offset add up from Xen 3.4 on (XEN-RTC-001).
"""

from __future__ import annotations

from virtcompat.domain.rules._common import INFO, emit
from virtcompat.domain.spec import DomainSpec
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx


def check_clock(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-RTC-001/004 for a libvirt Xen domain."""
    clock = spec.clock
    if spec.fmt != "libvirt" or clock is None or spec.accelerator != "xen":
        return
    offset = clock.adjustment
    if offset is None:
        return
    if not -(2**31) <= offset <= 2**31 - 1:
        emit(
            ctx,
            X.RTC_RANGE,
            f"adjustment = {offset} does not fit in a signed 32-bit number of seconds "
            "(Xen's rtc_timeoffset)",
            clock.pos,
        )
        return
    if clock.offset == "variable" and clock.basis == "localtime" and offset:
        if ctx.version is not None and ctx.version.before("4.2"):
            return
        emit(
            ctx,
            X.RTC_LOCALTIME,
            f"basis='localtime' and adjustment='{offset}' add up: the guest RTC is host "
            f"local time {offset:+d} s (xl localtime=1 with rtc_timeoffset={offset})",
            clock.pos,
            severity=INFO,
        )

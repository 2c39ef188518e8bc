"""Graphics and consoles: the seed's ``nographic`` and an unauthenticated remote console.

libvirt has no nographic switch: a domain without ``<graphics>`` is headless and its console
is the serial port (what xm's nographic=1 did). Without a ``<serial>``/``<console>`` either,
nobody can reach the guest's console at all: the seed's nographic keeps its one id,
XEN-GFX-001. A VNC/SPICE listener on a non-loopback address without a password keeps the
xl id XEN-GFX-003.
"""

from __future__ import annotations

from virtcompat.domain.rules._common import emit
from virtcompat.domain.spec import DomainSpec, Pos
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx


def _loopback(listen: str) -> bool:
    host = listen.strip().strip("[]")
    return host in ("", "localhost", "::1") or host.startswith("127.")


def check_headless(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-GFX-001 (libvirt): the nographic equivalent with no serial console to fall back on."""
    if spec.fmt != "libvirt" or spec.graphics or spec.consoles:
        return
    if spec.guest_type == "pv":
        return  # libvirt adds the Xen PV console itself
    emit(
        ctx,
        X.GFX_NOGRAPHIC,
        "no <graphics> (headless, as nographic=1) and no <serial>/<console>: the guest has "
        "no console at all",
        Pos(None, None, "devices"),
    )


def check_open_console(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-GFX-003 (libvirt): VNC/SPICE on a network address without a password."""
    if spec.fmt != "libvirt":
        return
    for g in spec.graphics:
        if g.type not in ("vnc", "spice") or g.listen is None or _loopback(g.listen):
            continue
        if g.password:
            continue
        emit(
            ctx,
            X.GFX_OPEN_VNC,
            f"{g.type.upper()} listens on {g.listen} with "
            f"{'an empty' if g.password is False else 'no'} passwd: anyone who can reach the "
            "port gets the guest console",
            g.pos,
            hint="set passwd=..., or listen on 127.0.0.1 and tunnel",
        )

"""Graphics and consoles: the seed's ``nographic`` and an unauthenticated remote console.

xm's nographic=1 drops every VNC/SDL console; xl's adds -nographic only when vnc and sdl
are both off. libvirt has no nographic switch: a domain without ``<graphics>`` is headless
and its console is the serial port, and without a ``<serial>``/``<console>`` either nobody
can reach the guest's console at all. All three are the seed's nographic, one id:
XEN-GFX-001. A VNC/SPICE listener on a non-loopback address without a password is
XEN-GFX-003 in every format.
"""

from __future__ import annotations

from virtcompat.domain.rules._common import emit
from virtcompat.domain.spec import DomainSpec, Graphics, Pos
from virtcompat.xen import rules as X
from virtcompat.xen.context import Ctx


def _loopback(listen: str) -> bool:
    """127.x, ::1 or localhost, also as xl's ADDR:DISPLAY and a bracketed IPv6 address."""
    host = listen.strip()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host in ("", "localhost", "::1") or host.startswith("127.")


def check_nographic(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-GFX-001: nographic wins in xm, needs vnc=0 (and sdl=0) in xl; a libvirt domain
    without <graphics> needs a serial console."""
    if spec.fmt == "libvirt":
        _libvirt_headless(spec, ctx)
        return
    if spec.nographic is None or not spec.nographic.value or spec.guest_type != "hvm":
        return
    vnc = spec.vnc.value if spec.vnc is not None else None
    sdl = spec.sdl.value if spec.sdl is not None else None
    if spec.fmt == "xl":
        if vnc is not False or sdl is True:
            why = "vnc defaults to 1 for HVM" if vnc is None else "vnc/sdl is on"
            emit(
                ctx,
                X.GFX_NOGRAPHIC,
                f"nographic = 1 has no effect in xl while {why}: libxl passes -nographic "
                "only when vnc and sdl are both off",
                spec.nographic.pos,
                hint="add vnc = 0 (and sdl = 0)",
            )
    elif vnc or sdl:
        emit(
            ctx,
            X.GFX_NOGRAPHIC,
            "nographic = 1 suppresses the VNC/SDL console that is also enabled here (xm "
            "passes no -vnc/-sdl with nographic)",
            spec.nographic.pos,
            hint="drop nographic or vnc/sdl",
        )


def _libvirt_headless(spec: DomainSpec, ctx: Ctx) -> None:
    if spec.graphics or spec.consoles or spec.guest_type == "pv":
        return  # for a Xen PV domain libvirt adds the PV console itself
    emit(
        ctx,
        X.GFX_NOGRAPHIC,
        "no <graphics> (headless, as nographic=1) and no <serial>/<console>: the guest has "
        "no console at all",
        Pos(None, None, "devices"),
    )


def check_open_console(spec: DomainSpec, ctx: Ctx) -> None:
    """XEN-GFX-003: VNC/SPICE on a network address without a password (an empty password
    disables authentication)."""
    for g in spec.graphics:
        if g.type not in ("vnc", "spice") or g.listen is None or _loopback(g.listen):
            continue
        if not g.password:
            message, hint = _open_console(spec, g)
            emit(ctx, X.GFX_OPEN_VNC, message, g.pos, hint=hint)


def _open_console(spec: DomainSpec, g: Graphics) -> tuple[str, str]:
    empty = "an empty" if g.password is False else "no"
    risk = "anyone who can reach the port gets the guest console"
    if g.via == "vfb":
        return (
            f"vfb VNC listens on {g.listen} without a password",
            "add vncpasswd=... to the vfb entry, or listen on 127.0.0.1",
        )
    if spec.fmt == "libvirt":
        return (
            f"{g.type.upper()} listens on {g.listen} with {empty} passwd: {risk}",
            "set passwd=..., or listen on 127.0.0.1 and tunnel",
        )
    return (
        f"VNC listens on {g.listen} with {empty} vncpasswd: {risk}",
        "set vncpasswd, or listen on 127.0.0.1 and tunnel",
    )

"""XEN-GFX-*: the display rules; the xm/xl-only checks (display given twice, videoram, xm PV
framebuffers). nographic (XEN-GFX-001) and an open console (XEN-GFX-003) run on the
DomainSpec for every format (virtcompat/domain/rules/display.py)."""

from __future__ import annotations

from virtcompat.xen.context import Ctx
from virtcompat.xen.rules._base import E, W, config_rule
from virtcompat.xen.syntax import ListValue, Scalar

GFX_NOGRAPHIC = config_rule(
    "XEN-GFX-001",
    "nographic semantics differ between xm and xl",
    W,
    "xm (image.py) passes no VNC/SDL arguments at all when nographic=1. xl (libxl_dm.c) "
    "adds -nographic only when vnc and sdl are both off, and vnc defaults to 1 for HVM, so "
    "nographic=1 alone does nothing under xl: set vnc=0 too. nographic is HVM-only "
    "(configure_hvm), whatever the 2009 blog's PV/HVM heading says. libvirt has no "
    "nographic switch: a domain without <graphics> is headless and its console is the "
    "serial port, so without <serial>/<console> too nothing can reach the guest's console.",
    "IM34",
    "LDM",
    "LC",
    "blog",
)


GFX_VNCDISPLAY = config_rule(
    "XEN-GFX-002",
    "Display given twice",
    E,
    "xl: a vnclisten containing ':' (ADDR:DISPLAY) together with vncdisplay fails with "
    "'ERROR: Display specified both in vnclisten and vncdisplay!'.",
    "XP",
)


GFX_OPEN_VNC = config_rule(
    "XEN-GFX-003",
    "VNC console reachable without a password",
    W,
    "A VNC server listening on a non-loopback address with an empty or missing vncpasswd "
    "gives anyone on the network the guest's console (an empty password disables auth).",
    "XLCFG",
    "IM34",
)


GFX_VIDEORAM = config_rule(
    "XEN-GFX-004",
    "videoram below the qemu-xen minimum",
    E,
    "libxl refuses videoram below the emulated card's need with qemu-xen: cirrus 8, stdvga "
    "16, qxl 128 MiB.",
    "LC",
)


GFX_PV_XM = config_rule(
    "XEN-GFX-005",
    "xm PV graphics go through vfb",
    W,
    "For a PV guest xm ignores top-level vnc/sdl/nographic (they are HVM device-model "
    "options); the paravirtual framebuffer is configured with vfb, whose keys are checked "
    "('configuration option %s unknown to vfbs').",
    "C34",
    "XC34",
)


_XM_VFB_KEYS = frozenset(
    {
        "vnc", "sdl", "vncunused", "vncdisplay", "vnclisten", "vncpasswd", "display",
        "xauthority", "opengl", "keymap", "type", "videoram", "serial", "monitor",
    }
)  # fmt: skip


def check_vnc(ctx: Ctx) -> None:
    """XEN-GFX-002: xl display given twice. (An open console, XEN-GFX-003, runs on the
    DomainSpec: virtcompat/domain/rules/display.py.)"""
    listen = ctx.str_of("vnclisten")
    if ctx.xl and listen is not None and ":" in listen and ctx.has("vncdisplay"):
        ctx.add(
            GFX_VNCDISPLAY,
            "ERROR: Display specified both in vnclisten and vncdisplay!",
            key="vnclisten",
        )


_VIDEORAM_MIN = {"cirrus": 8, "stdvga": 16, "qxl": 128}


def check_videoram(ctx: Ctx) -> None:
    """XEN-GFX-004: libxl's qemu-xen videoram minima per emulated card (LC)."""
    if not ctx.xl or ctx.guest != "hvm":
        return
    videoram = ctx.int_of("videoram")
    if videoram is None:
        return
    dmv = ctx.str_of("device_model_version")
    if dmv == "qemu-xen-traditional" or (
        dmv is None and ctx.version is not None and ctx.version.before("4.3")
    ):
        return
    card = ctx.str_of("vga") or ("stdvga" if ctx.truthy("stdvga") else "cirrus")
    need = _VIDEORAM_MIN.get(card)
    if need is not None and videoram < need:
        ctx.add(
            GFX_VIDEORAM,
            f"videoram = {videoram} MiB is below qemu-xen's minimum of {need} MiB for {card}",
            key="videoram",
        )


def check_xm_pv_graphics(ctx: Ctx) -> None:
    """XEN-GFX-005: xm PV ignores top-level vnc/sdl/nographic; vfb keys are whitelisted."""
    if not ctx.xm:
        return
    if ctx.guest == "pv":
        for key in ("vnc", "sdl", "nographic"):
            if ctx.truthy(key):
                ctx.add(
                    GFX_PV_XM,
                    f"{key} = 1 is ignored for a PV guest under xm (an HVM device-model option)",
                    key=key,
                    hint="configure the PV framebuffer: vfb = [ 'vnc=1,vnclisten=127.0.0.1' ]",
                )
    vfb = ctx.value("vfb")
    if not isinstance(vfb, ListValue):
        return
    for item in vfb.items:
        if not isinstance(item, Scalar):
            continue
        for k, _v in ctx.fields_of(item.text):
            if k not in _XM_VFB_KEYS:
                ctx.add(
                    GFX_PV_XM,
                    f"configuration option {k} unknown to vfbs",
                    key="vfb",
                    at=item,
                    severity=E,
                )

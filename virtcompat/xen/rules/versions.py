"""XEN-VER-*: options and syntax newer (or older) than the target Xen release."""

from __future__ import annotations

from virtcompat.xen.context import Ctx
from virtcompat.xen.options import OptionForm
from virtcompat.xen.rules._base import INFO, E, W, config_rule
from virtcompat.xen.versions import XenVersion

VER_TOOLSTACK = config_rule(
    "XEN-VER-001",
    "Toolstack not available in the target Xen",
    E,
    "xl first shipped in 4.0 (b104c3762d) and became the default in 4.2 (RN42); xend/xm was "
    "deprecated in 4.2 and removed in 4.5 (9e8672f1c3, RN45).",
    "RN42",
    "RN45",
    "MIG41",
)


VER_OPTION = config_rule(
    "XEN-VER-002",
    "Option not read by the target Xen",
    W,
    "An option newer (or older) than the target release is silently ignored: e.g. xl 4.0/4.1 "
    "did not read localtime or rtc_timeoffset (added in 4.2), passthrough needs 4.13. "
    "Releases come from the catalogue's since/removed fields.",
    "C34",
    "XP",
)


VER_DEPRECATED = config_rule(
    "XEN-VER-003",
    "Deprecated option",
    INFO,
    "The catalogue marks the option deprecated (e.g. xl stdvga -> vga since 4.3, xm nics -> "
    "vif, restart -> on_*).",
    "C34",
    "XP",
)


def _dated(ctx: Ctx) -> dict[str, OptionForm]:
    """The options check_versions has something to say about: added, removed or deprecated
    in some release."""
    dated: dict[str, OptionForm] | None = ctx.tables.get("dated")
    if dated is None:
        dated = ctx.tables["dated"] = {
            k: f
            for k, f in ctx.forms.items()
            if f is not None and (f.since or f.removed or (f.deprecated and k != "builder"))
        }
    return dated


def _reported(ctx: Ctx) -> frozenset[str]:
    """The options of _dated that check_versions reports for this target release: a
    function of the release's numbers, kept for the last few releases asked about."""
    v = ctx.version
    per_release: dict[tuple[int, ...] | None, frozenset[str]] | None
    per_release = ctx.tables.get("reported per release")
    if per_release is None:
        per_release = ctx.tables["reported per release"] = {}
    parts = v.parts if v is not None else None
    keys = per_release.get(parts)
    if keys is None:
        if len(per_release) >= 64:
            per_release.clear()
        keys = per_release[parts] = frozenset(
            k for k, f in _dated(ctx).items() if _reports(k, f, v)
        )
    return keys


def _reports(key: str, form: OptionForm, v: XenVersion | None) -> bool:
    """Does check_versions add a finding for ``key`` (the conditions of its loop)?"""
    if v is not None and form.since and v.before(form.since):
        return True
    if v is not None and form.removed and v.at_least(form.removed):
        return True
    dep = form.deprecated
    if dep is None or key == "builder":
        return False
    return not (v is not None and dep.since and v.before(dep.since))


def check_versions(ctx: Ctx) -> None:
    """XEN-VER-001/002/003: the toolstack and each option against the target release."""
    v = ctx.version
    if v is not None:
        if ctx.xl and not ctx.at_least("4.0"):
            ctx.add(VER_TOOLSTACK, f"xl does not exist in Xen {v}: it first shipped in 4.0")
        elif ctx.xm and ctx.at_least("4.5"):
            ctx.add(
                VER_TOOLSTACK,
                f"xm/xend was removed in Xen 4.5 (deprecated since 4.2); Xen {v} has only xl",
                hint="convert the config to xl syntax",
            )
        elif ctx.xm and ctx.at_least("4.2"):
            ctx.add(
                VER_TOOLSTACK,
                f"xm/xend is deprecated in Xen {v} (xl is the default toolstack since 4.2)",
                severity=INFO,
            )
    reported = _reported(ctx)
    if ctx.settings.keys().isdisjoint(reported):
        return
    dated = _dated(ctx)
    for key in ctx.settings:
        if key not in reported:
            continue
        form = dated[key]
        if v is not None and form.since and not ctx.at_least(form.since):
            ctx.add(
                VER_OPTION,
                f"{key} is not read by {ctx.fmt} in Xen {v} (since {form.since}): silently ignored",
                key=key,
            )
        if v is not None and form.removed and ctx.at_least(form.removed):
            ctx.add(
                VER_OPTION,
                f"{key} is no longer read by {ctx.fmt} in Xen {v} (removed in {form.removed})",
                key=key,
            )
        dep = form.deprecated
        if dep is None or key == "builder":  # builder: XEN-TYPE-002
            continue
        if v is not None and dep.since and not ctx.at_least(dep.since):
            continue
        when = f" since {dep.since}" if dep.since else ""
        msg = f"{key} is deprecated{when}"
        if dep.replacement:
            msg += f"; use {dep.replacement}"
        ctx.add(VER_DEPRECATED, msg, key=key, hint=dep.note)

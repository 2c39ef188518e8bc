"""XEN-SEC-*: security-sensitive options and passwords stored in the config."""

from __future__ import annotations

from virtcompat.xen.context import Ctx
from virtcompat.xen.redact import is_secret_key, spec_secrets
from virtcompat.xen.rules._base import INFO, W, _gfx_passthru_on, config_rule
from virtcompat.xen.syntax import ListValue, Scalar

SEC_DANGEROUS = config_rule(
    "XEN-SEC-001",
    "Security-sensitive option",
    W,
    "device_model_args*, device_model_override, a bootloader other than pygrub/pvgrub, "
    "custom hotplug scripts, gfx_passthru, vpmu and dm_restrict=0 run code or expose "
    "hardware with dom0 privileges; xl.cfg reserves them for trusted configs.",
    "XLCFG",
    "XEN-CONFIG.md §6",
)


SEC_SECRET = config_rule(
    "XEN-SEC-002",
    "Password stored in the config",
    INFO,
    "vncpasswd/spicepasswd are stored in clear text in the config (and xend scrubbed "
    "vncpasswd from its own output, scrub_password); this validator masks them in all "
    "output.",
    "XC34",
    "XLCFG",
)


_STANDARD_SCRIPTS = frozenset(
    {"vif-bridge", "vif-route", "vif-nat", "vif-openvswitch", "vif-common", "vif2", "block"}
)


_XL_DANGEROUS_KEYS = frozenset(
    {
        "device_model_args", "device_model_args_hvm", "device_model_args_pv",
        "device_model_override", "dm_restrict", "vpmu",
    }
)  # fmt: skip


def _bootloader_is_standard(path: str) -> bool:
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return base.startswith(("pygrub", "pvgrub"))


def check_security(ctx: Ctx) -> None:  # noqa: C901 - a list of independent options
    """XEN-SEC-001: options that run code or expose hardware with dom0 privileges (§6)."""
    # (Each of the xl-only findings needs its key set: most configs set none of them.)
    if ctx.xl and not ctx.settings.keys().isdisjoint(_XL_DANGEROUS_KEYS):
        for key in ("device_model_args", "device_model_args_hvm", "device_model_args_pv"):
            if ctx.has(key):
                ctx.add(SEC_DANGEROUS, f"{key} passes arbitrary arguments to qemu", key=key)
        if ctx.has("device_model_override"):
            ctx.add(
                SEC_DANGEROUS,
                "device_model_override runs a custom device-model binary",
                key="device_model_override",
            )
        if ctx.bool_of("dm_restrict") is False:
            ctx.add(
                SEC_DANGEROUS,
                "dm_restrict = 0 leaves the device model unrestricted",
                key="dm_restrict",
            )
        if ctx.truthy("vpmu"):
            ctx.add(SEC_DANGEROUS, "vpmu = 1: only for sufficiently privileged domains", key="vpmu")
    if _gfx_passthru_on(ctx):
        ctx.add(
            SEC_DANGEROUS,
            "gfx_passthru hands the host graphics card to the guest",
            key="gfx_passthru",
        )
    bootloader = ctx.str_of("bootloader")
    if bootloader and not _bootloader_is_standard(bootloader):
        ctx.add(
            SEC_DANGEROUS,
            f"bootloader {bootloader!r} is not pygrub/pvgrub: it runs in dom0 on guest data",
            key="bootloader",
        )
    for key in ("vif", "disk"):
        value = ctx.value(key)
        for item in value.items if isinstance(value, ListValue) else ():
            if not isinstance(item, Scalar) or "script" not in item.text:
                continue  # no script= field to read
            for k, v in ctx.fields_of(item.text):
                if k == "script" and v and v.rsplit("/", 1)[-1] not in _STANDARD_SCRIPTS:
                    ctx.add(
                        SEC_DANGEROUS,
                        f"{key} uses a custom hotplug script {v!r} (runs as root in dom0)",
                        key=key,
                        at=item,
                    )


def check_secrets(ctx: Ctx) -> None:
    """XEN-SEC-002: passwords in the config are reported as present and never shown."""
    for key in ctx.settings if ctx.secret_keys else ():
        if is_secret_key(key) and ctx.nonempty(key):
            ctx.add(
                SEC_SECRET,
                f"{key} is stored in clear text in this config (masked in this report)",
                key=key,
                hint="restrict the config file's permissions",
            )
    if not ctx.secret_fields:
        return
    for key in ("vfb", "vif", "disk", "vtpm"):
        for item in ctx.strings(key) if isinstance(ctx.value(key), ListValue) else []:
            if spec_secrets(item.text):
                ctx.add(
                    SEC_SECRET,
                    f"a {key} entry holds a password in clear text (masked)",
                    key=key,
                    at=item,
                )

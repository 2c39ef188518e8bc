"""Xen domain-config rules (XEN-*): registry entries and the checks that cite them.

Ids follow XEN-CONFIG.md §7. Every rule is registered here at import time (the registry
imports this module), and every finding the validator emits names one of these objects,
so no finding can cite an id that is not in ``GET /api/v1/rules``. Each rule's
explanation names the toolstack quirk or document it encodes; each check's docstring
says which.

Checks run in ``CHECKS`` order over a :class:`~virtcompat.xen.context.Ctx`; the syntax
rules (XEN-FMT-001/002/005/006/009/010/011, XEN-RTC-002) are emitted by ``validate`` from
the reader's issues.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping

from virtcompat.capability import Capability, Status
from virtcompat.rules.registry import Applies, Rule, Severity, register
from virtcompat.xen.context import Ctx
from virtcompat.xen.redact import is_secret_key, spec_secrets
from virtcompat.xen.syntax import ListValue, Scalar

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# The source keys of XEN-CONFIG.md §0, spelled out for readers of GET /api/v1/rules.
_SOURCES: dict[str, str] = {
    "C34": "C34: xen tools/python/xen/xm/create.py @3.4.0-rc3",
    "O34": "O34: xen tools/python/xen/xm/opts.py @3.4.0-rc3",
    "XC34": "XC34: xen tools/python/xen/xend/XendConfig.py @3.4.0-rc3",
    "IM34": "IM34: xen tools/python/xen/xend/image.py @3.4.0-rc3",
    "XD34": "XD34: xen XendDomainInfo.py, XendError.py, server/pciif.py, blkif.py @3.4.0-rc3",
    "EX34": "EX34: xen tools/examples/xmexample* @3.4.0-rc3",
    "XMCFG": "XMCFG: xen docs/man/xmdomain.cfg.pod.5 @3.4.0-rc3",
    "XLCFG": "XLCFG: xen docs/man/xl.cfg.5.pod.in",
    "XLPCI": "XLPCI: xen docs/man/xl-pci-configuration.5.pod",
    "XP": "XP: xen tools/xl/xl_parse.c (tools/libxl/xl_cmdimpl.c before 4.9)",
    "LC": "LC: xen tools/libs/light/libxl_create.c",
    "LDM": "LDM: xen tools/libs/light/libxl_dm.c",
    "LX86": "LX86: xen tools/libs/light/libxl_x86.c",
    "LPCI": "LPCI: xen tools/libs/light/libxl_pci.c",
    "LXU": "LXU: xen tools/libs/util/libxlu_cfg_l.l, libxlu_cfg_y.y, libxlu_cfg.c",
    "LV": "LV: libvirt src/libxl/xen_common.c, xen_xm.c, xen_xl.c, src/util/virconf.c",
    "RN42": "RN42: Xen 4.2 release notes",
    "RN45": "RN45: Xen Project 4.5 release notes",
    "MIG41": "MIG41: wiki.xenproject.org Migration_Guide_To_Xen4.1+",
    "§4": "XEN-CONFIG.md §4 (hardware-dependent rules)",
    "blog": "blog 'virtualization friends' 2009-10 (nographic, paused, usbdevice, usb, "
    "rtc_timeoffset, localtime)",
}


def _rule(
    id_: str,
    title: str,
    severity: Severity,
    explanation: str,
    *sources: str,
    fix: str | None = None,
) -> Rule:
    return register(
        Rule(
            id=id_,
            title=title,
            severity=severity,
            applies_to=Applies.DOMAIN_CONFIG,
            explanation=explanation,
            hint={"fix": fix} if fix else None,
            sources=tuple(_SOURCES.get(s, s) for s in sources),
        )
    )


# ==== format and syntax ==================================================================

FMT_SYNTAX = _rule(
    "XEN-FMT-001",
    "The config must parse",
    E,
    "xl reads configs with the libxlu grammar (lowercase keys, '…'/\"…\" strings, NUMBER "
    "[0-9][0-9a-fx]*, lists, newline or ';' between statements); any lexical or syntax "
    "error makes xl refuse the whole file ('Failed to parse config: Invalid argument'). xm "
    "configs are Python and fail with a SyntaxError. Errors carry line and column; reading "
    "resumes at the next statement so later problems are still reported.",
    "LXU",
    "O34",
)
FMT_PYTHON = _rule(
    "XEN-FMT-002",
    "Needs Python evaluation; not validated",
    E,
    "xm executed config files as Python with dom0 root privileges (Opts.load runs execfile "
    "with os and sys imported), so shipped examples use import, def, '%' formatting and "
    "calls. A safe validator never evaluates them (exec/eval/ast.literal_eval are all "
    "unsafe or wrong here; CVE-2007-4993 was pygrub exec-ing guest data), so such "
    "statements are reported by line and the rest of the file is validated. xl rejects "
    "Python outright (RN45: 'Arbitrary embedded python is not supported').",
    "O34",
    "EX34",
    "LXU",
    "RN45",
    fix="replace the computed values by literals (what xm would have produced)",
)
FMT_DUPLICATE = _rule(
    "XEN-FMT-003",
    "Key assigned more than once",
    W,
    "xm (Python assignment) and xl (libxlu looks settings up from the most recent) use the "
    "last value; libvirt's virconf.c uses the first. The same file therefore means "
    "different things to xl and to libvirt.",
    "LXU",
    "LV",
)
FMT_UNKNOWN = _rule(
    "XEN-FMT-004",
    "Unknown key (silently ignored)",
    W,
    "Neither toolstack rejects unknown keys: xm stores any Python name (O34) and xl_parse.c "
    "has no unknown-key check (XP), so a typo such as 'memroy' silently leaves the default "
    "in force. Keys only libvirt's converters read are reported as info.",
    "O34",
    "XP",
    "LV",
)
FMT_XL_LEXICAL = _rule(
    "XEN-FMT-005",
    "xl lexical restrictions",
    E,
    "libxlu identifiers are [a-z][._0-9a-z]*: an uppercase letter, a leading '_' or digit "
    "is a lexical error (so 'True' and 'Name' fail). CR (CRLF files) and NUL are lexical "
    "errors, and a '#' comment must end with a newline because the comment token includes "
    "it. All tested against libxlu HEAD.",
    "LXU",
)
FMT_ESCAPE = _rule(
    "XEN-FMT-006",
    "Invalid escape in an xl string",
    E,
    "libxlu accepts only \\\" \\' \\\\ \\a \\b \\f \\n \\r \\t \\v. Any other escape fails with "
    "'invalid character after backlash'; \\x escapes are rejected and octal escapes such "
    "as \\101 are silently consumed and dropped (a libxlu bug, tested).",
    "LXU",
)
FMT_TYPE = _rule(
    "XEN-FMT-007",
    "Value has the wrong shape or is not a number",
    E,
    "A list where a single value is expected (or the reverse), or a non-numeric value for a "
    "numeric key. xl prints a warning ('parameter is a list but should be a single value', "
    "'is not a valid number') and carries on with the default, so the setting silently "
    "does nothing; xend's int() conversion fails.",
    "LXU",
    "XP",
    "IM34",
)
FMT_XM_DROPPED = _rule(
    "XEN-FMT-008",
    "xm drops booleans and non-numeric flags",
    W,
    "Opts.load keeps only str, list, int and float locals: True/False, None, tuples, dicts "
    "and Python-2 longs are silently dropped, so 'acpi = False' leaves acpi at its default "
    "of 1. The 'yes'/'no' spellings are only understood on the xm command line (set_bool); "
    "from a file a string such as usb='yes' fails int() in image.py and is skipped.",
    "O34",
    "IM34",
    fix="use the integers 1 and 0",
)
FMT_VERSION_GATE = _rule(
    "XEN-FMT-009",
    "xl syntax newer than the target Xen",
    E,
    "libxlu grew: dotted keys and an unterminated last statement since 4.3 (9e14c516b6, "
    "3e71234b6a), nested lists since 4.6 (3ba52a60ff), '+=' since 4.13 (a30910bfd7). Older "
    "xl refuses such files. '+=' on a numeric key is ignored with a warning.",
    "LXU",
)
FMT_LIMIT = _rule(
    "XEN-FMT-010",
    "Input exceeds a validator limit",
    E,
    "Configs are capped (256 KiB, 4096-character lines and strings, lists nested 16 deep, "
    "1024 assignments, 200 problems) so that any input is answered in bounded time; §6 "
    "asks for a size, line, string, depth and key-count cap. Real configs are far smaller.",
    "XEN-CONFIG.md §6",
)
FMT_ENCODING = _rule(
    "XEN-FMT-011",
    "Not valid UTF-8",
    W,
    "Bytes that are not UTF-8 were replaced by U+FFFD before reading. libxlu passes 8-bit "
    "bytes through inside strings (%option 8bit) but they are a lexical error anywhere else.",
    "LXU",
)
FMT_OTHER_TOOLSTACK = _rule(
    "XEN-FMT-012",
    "Key of the other toolstack",
    W,
    "xm-only keys (loader, vcpu_avail, nics, vscsi, ...) are silently ignored by xl, and xl "
    "keys (type, maxvcpus, cmdline, spice*, ...) mean nothing to xend; renamed keys (cpu_cap "
    "-> cap, bootargs -> bootloader_args, stdvga -> vga) silently lose their effect.",
    "XP",
    "C34",
)

# ==== versions ============================================================================

VER_TOOLSTACK = _rule(
    "XEN-VER-001",
    "Toolstack not available in the target Xen",
    E,
    "xl first shipped in 4.0 (b104c3762d) and became the default in 4.2 (RN42); xend/xm was "
    "deprecated in 4.2 and removed in 4.5 (9e8672f1c3, RN45).",
    "RN42",
    "RN45",
    "MIG41",
)
VER_OPTION = _rule(
    "XEN-VER-002",
    "Option not read by the target Xen",
    W,
    "An option newer (or older) than the target release is silently ignored: e.g. xl 4.0/4.1 "
    "did not read localtime or rtc_timeoffset (added in 4.2), passthrough needs 4.13. "
    "Releases come from the catalogue's since/removed fields.",
    "C34",
    "XP",
)
VER_DEPRECATED = _rule(
    "XEN-VER-003",
    "Deprecated option",
    INFO,
    "The catalogue marks the option deprecated (e.g. xl stdvga -> vga since 4.3, xm nics -> "
    "vif, restart -> on_*).",
    "C34",
    "XP",
)

# ==== guest type ==========================================================================

NAME_REQUIRED = _rule(
    "XEN-NAME-001",
    "xl needs a domain name",
    E,
    "xl refuses a config without name ('Domain name must be specified.'); xm defaulted to "
    "the config file's basename.",
    "XP",
    "C34",
)
VAL_ALLOWED = _rule(
    "XEN-VAL-001",
    "Value outside the catalogued values or range",
    E,
    "Enumerated strings are checked strictly by the toolstacks (xl: 'Unknown vga', 'Invalid "
    "...'); numeric ranges come from the catalogue's min/max.",
    "XP",
    "C34",
)
TYPE_BUILDER = _rule(
    "XEN-TYPE-001",
    "builder/type values",
    E,
    "xm: builder is 'linux' or 'hvm' (image.py handlers). xl: type is pv, pvh or hvm, and "
    "builder generic or hvm; xl >= 4.10 rejects builder='linux' ('Invalid domain type "
    'linux.\'). xl matches both by prefix (strncmp(buf, "hvm", strlen(buf))), so "" and '
    '"h" silently mean hvm: a quirk worth spelling out. A builder that contradicts type '
    'fails (\'Contradicting "builder" and "type" options specified.\').',
    "C34",
    "IM34",
    "XP",
)
TYPE_BUILDER_DEPRECATED = _rule(
    "XEN-TYPE-002",
    "builder is deprecated in xl",
    INFO,
    "xl 4.10 replaced builder by type (builder='hvm' -> type='hvm', 'generic' -> 'pv').",
    "XP",
    "XLCFG",
    fix='use type = "hvm" / "pv" / "pvh"',
)
TYPE_PV_KERNEL = _rule(
    "XEN-TYPE-003",
    "PV guest without kernel or bootloader",
    E,
    "A PV (and PVH) guest is booted from a dom0 kernel image or through a bootloader such as "
    "pygrub; with neither, domain creation fails.",
    "XLCFG",
    "C34",
)
TYPE_IGNORED_FOR_GUEST = _rule(
    "XEN-TYPE-004",
    "Option ignored for this guest type",
    W,
    "xm create forwards HVM device-model options (acpi, apic, pae, serial, stdvga, boot, "
    "soundhw, usb, viridian, nographic, timer_mode, ...) only for builder='hvm' "
    "(configure_hvm); for a PV guest they silently do nothing, and PV-only keys do nothing "
    "for HVM. The catalogue's applies field decides.",
    "C34",
    "XP",
)
TYPE_XL_IGNORES = _rule(
    "XEN-TYPE-005",
    "xl ignores xm-style device model and firmware keys",
    W,
    "xl ignores device_model ('WARNING: ignoring device_model directive'; use "
    "device_model_override and device_model_version) and an HVM kernel=...hvmloader (use "
    "firmware_override), both common in configs converted from xm.",
    "XP",
)

# ==== memory, CPU, lifecycle ==============================================================

MEM_RANGE = _rule(
    "XEN-MEM-001",
    "memory and maxmem",
    E,
    "memory must be positive and not above maxmem. xend: 'Invalid Configuration: "
    "memory_dynamic_max must be less than or equal to memory_static_max'.",
    "XC34",
    "XLCFG",
)
MEM_POD = _rule(
    "XEN-MEM-002",
    "HVM memory < maxmem starts pre-ballooned (PoD)",
    W,
    "xl starts an HVM guest with memory < maxmem in populate-on-demand mode: the guest must "
    "run a balloon driver early or it crashes, and PoD cannot be combined with passthrough.",
    "XLCFG",
    "LC",
)
CPU_VCPUS = _rule(
    "XEN-CPU-001",
    "vcpus and maxvcpus",
    E,
    "xl: maxvcpus must be >= vcpus ('xl: maxvcpus < vcpus'); vcpus < 1 is coerced to 1.",
    "XP",
)
CPU_PIN_LIST = _rule(
    "XEN-CPU-002",
    "xm cpus list length must equal vcpus",
    E,
    "A per-vCPU cpus list in xm must have one entry per vCPU: XendConfig fails with 'vcpus "
    "and the item number of cpus are not same'.",
    "XC34",
)
CPU_SCHED = _rule(
    "XEN-CPU-003",
    "Scheduler weight and cap ranges",
    E,
    "cpu_weight must be 1-65535 ('...valid values are within range from 1 to 65535'); the "
    "cap (xm cpu_cap, xl cap) 0 to vcpus*100 ('Cpu cap out of range').",
    "XD34",
    "XLCFG",
)
CPU_APIC = _rule(
    "XEN-CPU-004",
    "apic=0 has no effect with several vCPUs",
    INFO,
    "The documentation of both toolstacks: apic is ignored if vcpus > 1.",
    "EX34",
    "XLCFG",
)
LIFE_ACTION = _rule(
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
LIFE_DEFAULTS = _rule(
    "XEN-LIFE-002",
    "on_crash default differs between xm and xl",
    INFO,
    "Without on_crash, xm restarts a crashed guest while xl destroys it: moving the config "
    "to xl silently changes crash behaviour.",
    "XC34",
    "XP",
    fix="set on_crash explicitly",
)
LIFE_PAUSED = _rule(
    "XEN-LIFE-003",
    "paused is honoured by xm only",
    W,
    "paused is an xm command-line option (-p) that a config file may also set, because "
    "Opts.load copies every local into the options. xl has no paused key and ignores it: "
    "use 'xl create -p'. (The 2009 blog documents paused=1 for xm 3.4.)",
    "O34",
    "C34",
    "XP",
    "blog",
    fix="xl create -p CONFIG",
)

# ==== clock ===============================================================================

RTC_LOCALTIME = _rule(
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
RTC_NEGATIVE = _rule(
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
RTC_PV = _rule(
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
RTC_RANGE = _rule(
    "XEN-RTC-004",
    "rtc_timeoffset must fit in 32 bits",
    E,
    "The offset reaches xc_domain_set_time_offset as an int32 (seconds): 32400 is JST, "
    "-3600 is UTC-1.",
    "LX86",
)
RTC_WINDOWS = _rule(
    "XEN-RTC-005",
    "Windows guests want localtime=1",
    INFO,
    "Windows keeps the hardware clock in local time, so a Windows HVM guest normally needs "
    "localtime=1 (the blog's localtime entry; libvirt and the Xen wiki say the same).",
    "blog",
    "LV",
)

# ==== graphics ============================================================================

GFX_NOGRAPHIC = _rule(
    "XEN-GFX-001",
    "nographic semantics differ between xm and xl",
    W,
    "xm (image.py) passes no VNC/SDL arguments at all when nographic=1. xl (libxl_dm.c) "
    "adds -nographic only when vnc and sdl are both off, and vnc defaults to 1 for HVM, so "
    "nographic=1 alone does nothing under xl: set vnc=0 too. nographic is HVM-only "
    "(configure_hvm), whatever the 2009 blog's PV/HVM heading says.",
    "IM34",
    "LDM",
    "LC",
    "blog",
)
GFX_VNCDISPLAY = _rule(
    "XEN-GFX-002",
    "Display given twice",
    E,
    "xl: a vnclisten containing ':' (ADDR:DISPLAY) together with vncdisplay fails with "
    "'ERROR: Display specified both in vnclisten and vncdisplay!'.",
    "XP",
)
GFX_OPEN_VNC = _rule(
    "XEN-GFX-003",
    "VNC console reachable without a password",
    W,
    "A VNC server listening on a non-loopback address with an empty or missing vncpasswd "
    "gives anyone on the network the guest's console (an empty password disables auth).",
    "XLCFG",
    "IM34",
)
GFX_VIDEORAM = _rule(
    "XEN-GFX-004",
    "videoram below the qemu-xen minimum",
    E,
    "libxl refuses videoram below the emulated card's need with qemu-xen: cirrus 8, stdvga "
    "16, qxl 128 MiB.",
    "LC",
)
GFX_PV_XM = _rule(
    "XEN-GFX-005",
    "xm PV graphics go through vfb",
    W,
    "For a PV guest xm ignores top-level vnc/sdl/nographic (they are HVM device-model "
    "options); the paravirtual framebuffer is configured with vfb, whose keys are checked "
    "('configuration option %s unknown to vfbs').",
    "C34",
    "XC34",
)

# ==== USB =================================================================================

USB_PV = _rule(
    "XEN-USB-001",
    "usb/usbdevice need an HVM guest",
    W,
    "usb and usbdevice configure qemu's emulated USB, so they only exist for HVM guests (the "
    "blog lists them as HVM-only); a PV guest silently gets nothing (use PVUSB usbctrl/usbdev "
    "in xl).",
    "C34",
    "XP",
    "blog",
)
USB_IMPLICIT = _rule(
    "XEN-USB-002",
    "usbdevice without usb=1",
    W,
    "xl.cfg says 'The USB bus must also be enabled using usb=1'. In practice qemu-dm's "
    "-usbdevice sets usb_enabled (3.2 ioemu vl.c) and libxl adds -usb itself, so it works; "
    "say usb=1 for clarity and portability.",
    "XLCFG",
    "LDM",
)
USB_DEVICE = _rule(
    "XEN-USB-003",
    "usbdevice value",
    E,
    "usbdevice takes tablet (an absolute pointer that follows the VNC cursor: the blog "
    "recommends it over mouse), mouse, keyboard, host:BUS.ADDR, host:VID:PID or the old "
    "qemu-dm disk:PATH. xm takes one string; xl also a list, since 4.3. libvirt maps only "
    "tablet, mouse and keyboard. The full set depends on the qemu build.",
    "EX34",
    "XLCFG",
    "LV",
    "blog",
)
USB_VERSION = _rule(
    "XEN-USB-004",
    "usbversion conflicts",
    E,
    "libxl refuses usbversion or spiceusbredirection together with usb/usbdevice, and "
    "usbversion must be 1, 2 or 3.",
    "LC",
    "LDM",
)

# ==== PCI passthrough ======================================================================

PCI_HVM_IOMMU = _rule(
    "XEN-PCI-001",
    "HVM passthrough needs an IOMMU",
    E,
    "Assigning a PCI device (or the graphics card, gfx_passthru) to an HVM guest needs VT-d "
    "or AMD-Vi ('hvm_directio' in virt_caps). xm: 'failed to assign device: maybe the "
    "platform doesn't support VT-d, or VT-d isn't enabled properly?'. Xen 3.4 leaves the "
    "IOMMU off unless booted with iommu=1; from 4.0 it is on by default.",
    "§4",
    "LC",
    "XD34",
)
PCI_PV_IOMMU = _rule(
    "XEN-PCI-002",
    "PV passthrough without an IOMMU",
    E,
    "xl >= 4.13 refuses passthrough to any guest type without an IOMMU ('passthrough not "
    "supported on this platform'). Before, and with xm, PV passthrough worked through "
    "pciback alone, which lets the guest DMA anywhere: a warning.",
    "LC",
    "LPCI",
    "XD34",
)
PCI_BDF = _rule(
    "XEN-PCI-003",
    "PCI device specification syntax",
    E,
    "xm: [DDDD:]BB:SS.F[@VSLOT][,msitranslate=0|1][,power_mgmt=0|1] in hex, other options "
    "'Invalid pci option'. xl (xl-pci-configuration): [DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...], "
    "F may be *, keys bdf, vslot, permissive, msitranslate, seize, power_mgmt, rdm_policy, "
    "name. Device numbers go to 0x1f, functions to 7.",
    "C34",
    "XLPCI",
)
PCI_PASSTHROUGH_MODE = _rule(
    "XEN-PCI-004",
    "passthrough= mode",
    E,
    "passthrough is disabled, enabled, sync_pt, share_pt or default (4.13). 'disabled' with "
    "pci or dtdev devices fails ('passthrough disabled but devices are specified'); share_pt "
    "is HVM/PVH only and needs iommu_hap_pt_share.",
    "LC",
    "XLCFG",
)
PCI_POD = _rule(
    "XEN-PCI-005",
    "Passthrough with PoD (memory < maxmem)",
    E,
    "libxl: 'IOMMU required for device passthrough but not supported together with PoD' "
    "for HVM/PVH guests with memory < maxmem.",
    "LC",
)
PCI_TRUSTED = _rule(
    "XEN-PCI-006",
    "Options for trusted guests only",
    W,
    "permissive/pci_permissive, seize, iomem, ioports and irqs give the guest raw hardware "
    "access; xl.cfg and xl-pci-configuration reserve them for trusted VMs.",
    "XLPCI",
    "XLCFG",
)
PCI_DEFAULTS = _rule(
    "XEN-PCI-007",
    "Passthrough defaults differ between xm and xl",
    INFO,
    "pci_msitranslate defaults to 1 in xm and 0 in xl; xl sets e820_host=1 for a PV guest "
    "with PCI devices.",
    "C34",
    "XLPCI",
    "XP",
)
PCI_HVM_ONLY = _rule(
    "XEN-PCI-008",
    "PCI options for HVM only",
    E,
    "power_mgmt/pci_power_mgmt, rdm and rdm_policy only exist for HVM (x86) guests.",
    "XLCFG",
    "XLPCI",
)

# ==== hardware ============================================================================

HVM_HOST = _rule(
    "XEN-HVM-001",
    "HVM guest needs host HVM support",
    E,
    "HVM (and PVH) guests need VT-x/AMD-V present and enabled (Xen's hvm_enabled; 'hvm' in "
    "virt_caps, hvm-3.0-* in xen_caps). xm: 'HVM guest support is unavailable: is VT/AMD-V "
    "supported by your CPU and enabled in your BIOS?'; xl has no pre-check and fails with a "
    "generic 'domain creation fail'.",
    "§4",
    "XD34",
)
HVM_DOM0_MASK = _rule(
    "XEN-HVM-002",
    "Do not judge VT-x from dom0's /proc/cpuinfo",
    INFO,
    "Xen hides vmx/svm from a PV dom0 (3.4 traps.c clears VMXE/SVME; HEAD marks them "
    "host-only), so a probe run in dom0 looks like a host without VT-x. Check 'xl info' "
    "virt_caps instead.",
    "§4",
)
HAP_HOST = _rule(
    "XEN-HAP-001",
    "hap=1 without EPT/NPT",
    E,
    "Explicit hap=1 on a host without EPT/NPT fails on Xen >= 4.13 ('HAP requested but not "
    "available', d0c0ba7d3d); from 3.4 to 4.12 Xen silently falls back to shadow paging. "
    "With hap unset, xm and xl < 4.13 ask for HAP and fall back the same way, and xl >= "
    "4.13 picks shadow paging itself.",
    "§4",
    "LC",
    "xen.git d0c0ba7d3d",
)
HAP_SHADOW = _rule(
    "XEN-HAP-002",
    "hap=0 needs shadow paging",
    INFO,
    "hap=0 requires the hypervisor's shadow paging (CONFIG_SHADOW_PAGING; 'shadow' in "
    "virt_caps from 4.13), which can be compiled out, and is slower than HAP.",
    "LC",
)
NEST_REQUIREMENTS = _rule(
    "XEN-NEST-001",
    "nestedhvm requirements",
    E,
    "nestedhvm (xl 4.2+, no xm equivalent) needs an HVM (or PVH) guest, HAP (Xen >= 4.15: "
    "'Nested virt not supported without HAP') and host support (Xen >= 4.19: 'Nested virt "
    "requested but not available').",
    "XP",
    "§4",
)
NEST_ALTP2M = _rule(
    "XEN-NEST-002",
    "nestedhvm with altp2m",
    E,
    "libxl: 'nestedhvm and altp2mhvm cannot be used together'.",
    "LC",
)
PAE_REQUIRED = _rule(
    "XEN-PAE-001",
    "pae=0",
    W,
    "Without PAE a 64-bit HVM guest cannot boot, and xl's nx=1 requires PAE.",
    "XLCFG",
)
DISK_SPEC = _rule(
    "XEN-DISK-001",
    "Disk specification",
    E,
    "xm: 'TYPE:SRC,VDEV[:cdrom],MODE[,BACKEND[,PROTO]]' with 3 to 5 fields ('Invalid disk "
    "specifier'), MODE r, w or w! ('Invalid mode'), TYPE phy, file, tap or a block-TYPE "
    "hotplug script. xl's diskspec has no 'w!' (RN45) and checks access, format, "
    "backendtype and devtype values.",
    "C34",
    "XD34",
    "RN45",
)
VIF_SPEC = _rule(
    "XEN-VIF-001",
    "Network interface specification",
    E,
    "xm accepts only backend, bridge, ip, mac, script, type, vifname, rate, model, accel, "
    "policy and label ('Invalid vif option: k'). A mac must be six hex octets (xl: 'Invalid "
    "parameter mac'); type is vif or ioemu; xl does not support accel.",
    "C34",
    "XP",
)
DM_VERSION = _rule(
    "XEN-DM-001",
    "device_model_version",
    E,
    "xl accepts qemu-xen and (4.2-4.20) qemu-xen-traditional, which was removed in 4.21 "
    "(19ab8356ab): 'Unknown device_model_version \"%s\" specified'.",
    "XP",
    "LC",
)
TIME_MODE = _rule(
    "XEN-TIME-001",
    "timer_mode",
    E,
    "xm takes 0-3; xl takes delay_for_missed_ticks, no_delay_for_missed_ticks, "
    "no_missed_ticks_pending or one_missed_tick_pending (0-3 deprecated) and refuses it for "
    "PV ('\"timer_mode\" option is not supported for PV guests.').",
    "C34",
    "XP",
)
SEC_DANGEROUS = _rule(
    "XEN-SEC-001",
    "Security-sensitive option",
    W,
    "device_model_args*, device_model_override, a bootloader other than pygrub/pvgrub, "
    "custom hotplug scripts, gfx_passthru, vpmu and dm_restrict=0 run code or expose "
    "hardware with dom0 privileges; xl.cfg reserves them for trusted configs.",
    "XLCFG",
    "XEN-CONFIG.md §6",
)
SEC_SECRET = _rule(
    "XEN-SEC-002",
    "Password stored in the config",
    INFO,
    "vncpasswd/spicepasswd are stored in clear text in the config (and xend scrubbed "
    "vncpasswd from its own output, scrub_password); this validator masks them in all "
    "output.",
    "XC34",
    "XLCFG",
)


# ==== helpers =============================================================================

_UNMET: dict[Status, Severity] = {
    Status.UNKNOWN: W,
    Status.CONFLICT: W,
    Status.UNSUPPORTED: E,
    Status.DISABLED: E,
    Status.MASKED: E,
}


def _host_capability(ctx: Ctx, name: str) -> Capability | None:
    if ctx.host is None:
        return None
    cap = ctx.host.get(name)
    return cap if cap is not None else Capability(status=Status.UNKNOWN)


def require_host(
    ctx: Ctx,
    rule: Rule,
    capability: str,
    what: str,
    *,
    key: str | None,
    hard: bool = True,
    soft: Severity = W,
    fix: str | None = None,
    line: int | None = None,
    column: int | None = None,
) -> None:
    """Report an unmet host requirement, citing the verdict's status and reasons.

    unknown/conflict -> warning; unsupported/disabled/masked -> error when ``hard``,
    else ``soft`` (the toolstack falls back instead of failing).
    """
    cap = _host_capability(ctx, capability)
    if cap is None or cap.status is Status.SUPPORTED:
        return
    severity = _UNMET[cap.status]
    if severity is E and not hard:
        severity = soft
    reasons = "; ".join(f"{r.rule}: {r.message}" for r in cap.reasons) or "no reasons given"
    related = tuple(
        {
            "capability": capability,
            "rule": r.rule,
            "layer": r.layer.value,
            "status": r.status.value,
            "message": r.message,
        }
        for r in cap.reasons
    )
    host_hints = [
        f"{r.rule}: " + ", ".join(f"{k}: {v}" for k, v in r.hint.items())
        for r in cap.reasons
        if r.hint
    ]
    hint = "; ".join(([fix] if fix else []) + host_hints) or None
    ctx.add(
        rule,
        f"{what} needs host capability '{capability}', which is {cap.status.value} "
        f"(host reasons: {reasons})",
        key=key,
        line=line,
        column=column,
        severity=severity,
        hint=hint,
        related=related,
    )


def _shown(ctx: Ctx, key: str, text: str) -> str:
    """A value quoted in a message: masked for password-like keys."""
    if is_secret_key(key):
        return "'***'"
    shown = text if len(text) <= 80 else text[:80] + "…"
    return repr(shown)


def _spec_fields(text: str) -> list[tuple[str, str | None]]:
    """Split a 'k=v,k=v' device spec (vif, vfb, pci options); items without '=' get None."""
    out: list[tuple[str, str | None]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            k, v = part.split("=", 1)
            out.append((k.strip(), v.strip()))
        else:
            out.append((part, None))
    return out


def _guest_label(guest: str) -> str:
    return guest.upper()


def _is_hvm_like(ctx: Ctx) -> bool:
    return ctx.guest in ("hvm", "pvh")


def _gfx_passthru_on(ctx: Ctx) -> bool:
    # A string in both toolstacks ("1", "igd", ...); 0 and "" leave it off.
    return ctx.str_of("gfx_passthru") not in (None, "", "0")


# ==== checks: keys, shapes, values, versions ==============================================

_NAME_CACHE: dict[str, list[str]] = {}
_MAX_SUGGESTIONS = 100


def _names_for(ctx: Ctx) -> list[str]:
    names = _NAME_CACHE.get(ctx.fmt)
    if names is None:
        names = sorted(ctx.catalogue.for_format(ctx.fmt))
        _NAME_CACHE[ctx.fmt] = names
    return names


def check_keys(ctx: Ctx) -> None:
    """XEN-FMT-004/012: unknown keys (typos) and keys of the other toolstack.

    Neither toolstack complains about unknown keys (O34: every local is kept; XP: no
    unknown-key check), so a typo silently keeps the default.
    """
    suggestions = 0
    for key in ctx.settings:
        opt = ctx.option(key)
        if opt is not None:
            form = opt.form(ctx.fmt)
            if form is not None and form.ignored:
                ctx.add(
                    FMT_UNKNOWN,
                    f"{key} is read only by libvirt's converters; {ctx.fmt} ignores it",
                    key=key,
                    severity=INFO,
                    line=ctx.settings[key].line,
                    column=ctx.settings[key].column,
                )
            continue
        other = ctx.catalogue.lookup(key)
        pos = ctx.settings[key]
        if other is not None:
            if ctx.xl and key in ("paused", "device_model"):
                continue  # XEN-LIFE-003 / XEN-TYPE-005 say it better
            other_fmt = "xl" if ctx.xm else "xm"
            here = other.form(ctx.fmt)
            msg = f"{key} is an {other_fmt} option; {ctx.fmt} ignores it"
            hint = None
            if here is not None:
                hint = f"{ctx.fmt} calls it {here.name}"
            else:
                form = other.form(other_fmt)
                if form is not None and form.deprecated and form.deprecated.replacement:
                    hint = f"use {form.deprecated.replacement}"
            ctx.add(FMT_OTHER_TOOLSTACK, msg, key=key, line=pos.line, column=pos.column, hint=hint)
            continue
        close: list[str] = []
        if len(key) <= 64 and suggestions < _MAX_SUGGESTIONS:
            suggestions += 1
            close = difflib.get_close_matches(key, _names_for(ctx), n=3, cutoff=0.75)
        hint = "did you mean " + " or ".join(close) + "?" if close else None
        ctx.add(
            FMT_UNKNOWN,
            f"unknown key {key}: {ctx.fmt} silently ignores it",
            key=key,
            line=pos.line,
            column=pos.column,
            hint=hint,
        )


_SCALAR_TYPES = frozenset({"bool", "int", "string", "enum", "int_or_enum"})


def check_shapes(ctx: Ctx) -> None:
    """XEN-FMT-007/008: list vs single value, numbers where numbers are read.

    xl prints a warning and uses the default (xlu_cfg_get_long/get_defbool), so the setting
    silently does nothing; xm values from a file are stored raw and fail xend's int().
    """
    for key in ctx.settings:
        form = ctx.form(key)
        value = ctx.value(key)
        if form is None or value is None:
            continue
        if isinstance(value, ListValue):
            if form.type in _SCALAR_TYPES:
                ctx.add(
                    FMT_TYPE,
                    f"{key} is a list but should be a single value",
                    key=key,
                    hint="xl: 'parameter is a list but should be a single value'; the "
                    "default is used",
                )
                continue
            for item in value.items:
                if isinstance(item, ListValue):
                    ctx.add(
                        FMT_TYPE, f"{key}: nested list where a string is expected", key=key, at=item
                    )
                    break
            continue
        if form.type == "list":
            hint = (
                "xm iterates a string character by character here"
                if ctx.xm
                else "xl: 'parameter is a single value but should be a list'"
            )
            ctx.add(FMT_TYPE, f"{key} should be a list: [ ... ]", key=key, hint=hint)
            continue
        if form.type == "bool":
            _check_bool_shape(ctx, key, value)
        elif form.type == "int":
            _check_int_shape(ctx, key, value)


def _check_bool_shape(ctx: Ctx, key: str, value: Scalar) -> None:
    if ctx.scalar_int(value) is not None or (ctx.xm and value.kind == "float"):
        return
    if ctx.xm:
        ctx.add(
            FMT_XM_DROPPED,
            f"{key} = {_shown(ctx, key, value.text)}: xend reads flags with int(); from a "
            "file this string fails and the option is silently skipped",
            key=key,
            hint=f"{key} = 1 or {key} = 0 ('yes'/'no' only work on the xm command line)",
        )
        return
    ctx.add(
        FMT_TYPE,
        f"{key} = {_shown(ctx, key, value.text)} is not a number: xl warns and uses the default",
        key=key,
        hint="xl booleans are numbers: 0 is false, anything else true",
    )


def _check_int_shape(ctx: Ctx, key: str, value: Scalar) -> None:
    if ctx.scalar_int(value) is not None:
        return
    if ctx.xm and value.kind == "float":
        ctx.add(
            FMT_TYPE,
            f"{key} = {value.text}: a float where an integer is expected",
            key=key,
            severity=W,
        )
        return
    ctx.add(
        FMT_TYPE,
        f"{key} = {_shown(ctx, key, value.text)} is not a valid number"
        + (" (libxlu: strtol with base 0, so 08 and 1e3 are invalid)" if ctx.xl else ""),
        key=key,
        hint="xl warns and uses the default" if ctx.xl else "xend's int() fails",
    )


# Keys whose values have a dedicated rule; the generic XEN-VAL-001 check skips them.
_DEDICATED_VALUES = frozenset(
    {
        "builder", "type", "on_poweroff", "on_reboot", "on_crash", "on_watchdog",
        "on_soft_reset", "device_model_version", "timer_mode", "usbdevice", "passthrough",
        "rtc_timeoffset", "memory", "maxmem", "vcpus", "maxvcpus", "cpu_weight", "cap",
        "cpu_cap", "usbversion",
    }
)  # fmt: skip


def check_values(ctx: Ctx) -> None:
    """XEN-VAL-001: enumerated values and integer ranges from the catalogue."""
    for key in ctx.settings:
        form = ctx.form(key)
        sc = ctx.scalar(key)
        if form is None or sc is None or key in _DEDICATED_VALUES:
            continue
        if key == "boot":
            letters = "abcdn" if ctx.xm else "cdn"
            bad = sorted({c for c in sc.text if c not in letters})
            if bad or not sc.text:
                ctx.add(
                    VAL_ALLOWED,
                    f"boot = {sc.text!r}: boot devices are the letters {letters}",
                    key=key,
                    hint="e.g. boot = 'cd' (disk, then CD-ROM)",
                )
        elif form.type == "enum":
            if sc.text not in form.values:
                ctx.add(
                    VAL_ALLOWED,
                    f"{key} = {_shown(ctx, key, sc.text)} is not one of " + ", ".join(form.values),
                    key=key,
                )
        elif form.type == "int_or_enum":
            if sc.text not in form.values and ctx.scalar_int(sc) is None:
                ctx.add(
                    VAL_ALLOWED,
                    f"{key} = {_shown(ctx, key, sc.text)} is not one of " + ", ".join(form.values),
                    key=key,
                )
        elif form.type == "int" and (form.min is not None or form.max is not None):
            n = ctx.scalar_int(sc)
            if n is None:
                continue
            if (form.min is not None and n < form.min) or (form.max is not None and n > form.max):
                lo = "" if form.min is None else str(form.min)
                hi = "" if form.max is None else str(form.max)
                ctx.add(VAL_ALLOWED, f"{key} = {n} is outside {lo}..{hi}", key=key)


def check_versions(ctx: Ctx) -> None:
    """XEN-VER-001/002/003: the toolstack and each option against the target release."""
    v = ctx.version
    if v is not None:
        if ctx.xl and v.before("4.0"):
            ctx.add(VER_TOOLSTACK, f"xl does not exist in Xen {v}: it first shipped in 4.0")
        elif ctx.xm and v.at_least("4.5"):
            ctx.add(
                VER_TOOLSTACK,
                f"xm/xend was removed in Xen 4.5 (deprecated since 4.2); Xen {v} has only xl",
                hint="convert the config to xl syntax",
            )
        elif ctx.xm and v.at_least("4.2"):
            ctx.add(
                VER_TOOLSTACK,
                f"xm/xend is deprecated in Xen {v} (xl is the default toolstack since 4.2)",
                severity=INFO,
            )
    for key in ctx.settings:
        form = ctx.form(key)
        if form is None:
            continue
        if v is not None and form.since and v.before(form.since):
            ctx.add(
                VER_OPTION,
                f"{key} is not read by {ctx.fmt} in Xen {v} (since {form.since}): silently ignored",
                key=key,
            )
        if v is not None and form.removed and v.at_least(form.removed):
            ctx.add(
                VER_OPTION,
                f"{key} is no longer read by {ctx.fmt} in Xen {v} (removed in {form.removed})",
                key=key,
            )
        dep = form.deprecated
        if dep is None or key == "builder":  # builder: XEN-TYPE-002
            continue
        if v is not None and dep.since and v.before(dep.since):
            continue
        when = f" since {dep.since}" if dep.since else ""
        msg = f"{key} is deprecated{when}"
        if dep.replacement:
            msg += f"; use {dep.replacement}"
        ctx.add(VER_DEPRECATED, msg, key=key, hint=dep.note)


# ==== checks: guest type =================================================================


def _xl_prefix(value: str, choices: tuple[str, ...]) -> str | None:
    """xl's strncmp(buf, choice, strlen(buf)) match: the first choice ``value`` prefixes."""
    for choice in choices:
        if choice.startswith(value):
            return choice
    return None


def resolve_guest(ctx: Ctx) -> None:
    """XEN-TYPE-001/002: decide PV/HVM/PVH as the toolstack would, and check the spelling.

    xm: builder 'hvm' or 'linux' (default). xl: type (>= 4.10) or builder, both matched by
    prefix in the order hvm, pv, pvh (so "" means hvm); builder 'linux' is an error from
    4.10 and plain PV before.
    """
    if ctx.xm:
        if not ctx.has("builder"):
            ctx.guest = "pv"
            return
        b = ctx.str_of("builder")
        if b is None:
            ctx.guest = None if ctx.value("builder") is None else "pv"
            return
        if b in ("hvm", "linux"):
            ctx.guest = "hvm" if b == "hvm" else "pv"
            return
        ctx.add(
            TYPE_BUILDER,
            f"builder = {b!r}: xend has no such image handler (use 'linux' or 'hvm')",
            key="builder",
        )
        ctx.guest = None
        return

    type_guest: str | None = None
    builder_guest: str | None = None
    unknown = False
    modern = ctx.at_least_or_head("4.10")
    if ctx.has("type") and modern:
        t = ctx.str_of("type")
        if t is None:
            unknown = True
        else:
            type_guest = {"hvm": "hvm", "pv": "pv", "pvh": "pvh"}.get(
                _xl_prefix(t, ("hvm", "pv", "pvh")) or ""
            )
            if type_guest is None:
                ctx.add(
                    TYPE_BUILDER, f"Invalid domain type {t}. (type is pv, pvh or hvm)", key="type"
                )
                unknown = True
            elif t != type_guest:
                ctx.add(
                    TYPE_BUILDER,
                    f"type = {t!r} is read as {type_guest!r} only because xl matches by "
                    "prefix (a quirk)",
                    key="type",
                    hint=f'type = "{type_guest}"',
                )
    if ctx.has("builder"):
        b = ctx.str_of("builder")
        if b is None:
            unknown = unknown or ctx.value("builder") is None
        elif modern:
            match = _xl_prefix(b, ("hvm", "generic"))
            if match is None:
                extra = " (xl >= 4.10 rejects builder='linux')" if b == "linux" else ""
                ctx.add(
                    TYPE_BUILDER,
                    f"Invalid domain type {b}.{extra}",
                    key="builder",
                    hint='type = "pv"' if b == "linux" else 'type = "pv" / "hvm"',
                )
                unknown = True
            else:
                builder_guest = "hvm" if match == "hvm" else "pv"
                if b != match:
                    ctx.add(
                        TYPE_BUILDER,
                        f"builder = {b!r} is read as {match!r} only because xl matches by "
                        "prefix (a quirk)",
                        key="builder",
                    )
            ctx.add(
                TYPE_BUILDER_DEPRECATED,
                "builder is deprecated in xl since 4.10",
                key="builder",
                hint=f'type = "{builder_guest or "pv"}"',
            )
        else:
            builder_guest = "hvm" if "hvm".startswith(b) else "pv"
    if type_guest and builder_guest and type_guest != builder_guest:
        ctx.add(
            TYPE_BUILDER,
            'Contradicting "builder" and "type" options specified.',
            key="builder",
        )
    if unknown and type_guest is None and builder_guest is None:
        ctx.guest = None
    else:
        ctx.guest = type_guest or builder_guest or "pv"


def check_name(ctx: Ctx) -> None:
    """XEN-NAME-001: xl has no default name ('Domain name must be specified.')."""
    if ctx.xl and not ctx.has("name"):
        ctx.add(
            NAME_REQUIRED,
            "Domain name must be specified. (xl has no default name)",
            key="name",
            hint='name = "myguest"',
        )


def check_boot_source(ctx: Ctx) -> None:
    """XEN-TYPE-003: a PV/PVH guest boots from kernel= or a bootloader (or PVH firmware)."""
    if ctx.guest not in ("pv", "pvh") or ctx.incomplete:
        return
    keys = ("kernel", "bootloader") + (("firmware",) if ctx.guest == "pvh" else ())
    if any(ctx.has(k) for k in keys):
        return
    ctx.add(
        TYPE_PV_KERNEL,
        f"{_guest_label(ctx.guest)} guest without kernel or bootloader: nothing to boot",
        hint='kernel = "/boot/vmlinuz-..." or bootloader = "pygrub"',
    )


# Handled by a more specific rule when set for the wrong guest type.
_TYPE4_SKIP_COMMON = frozenset({"usb", "usbdevice", "rtc_timeoffset", "pci_power_mgmt", "rdm"})
_TYPE4_SKIP = {
    "xm": _TYPE4_SKIP_COMMON | {"vnc", "sdl", "nographic"},
    "xl": _TYPE4_SKIP_COMMON | {"timer_mode"},
}


def check_guest_applicability(ctx: Ctx) -> None:
    """XEN-TYPE-004: options the toolstack does not apply to this guest type.

    xm create forwards HVM options only for builder='hvm' (configure_hvm); the catalogue's
    applies field records this per toolstack.
    """
    if ctx.guest is None:
        return
    for key in ctx.settings:
        form = ctx.form(key)
        if form is None or form.ignored or ctx.guest in form.applies:
            continue
        if key in _TYPE4_SKIP[ctx.fmt] or not ctx.nonempty(key):
            continue
        ctx.add(
            TYPE_IGNORED_FOR_GUEST,
            f"{key} is ignored for {_guest_label(ctx.guest)} guests ({ctx.fmt} applies it to "
            + "/".join(a.upper() for a in form.applies)
            + ")",
            key=key,
        )


def check_xl_ignores(ctx: Ctx) -> None:
    """XEN-TYPE-005: xl ignores device_model and an HVM kernel=hvmloader (XP warnings)."""
    if not ctx.xl:
        return
    if ctx.has("device_model"):
        ctx.add(
            TYPE_XL_IGNORES,
            "xl ignores device_model ('WARNING: ignoring device_model directive')",
            key="device_model",
            hint="use device_model_override (a path) and device_model_version",
        )
    kernel = ctx.str_of("kernel")
    if ctx.guest == "hvm" and kernel is not None and "hvmloader" in kernel:
        ctx.add(
            TYPE_XL_IGNORES,
            "xl ignores kernel=...hvmloader for HVM guests (an xm idiom)",
            key="kernel",
            hint="drop it, or use firmware_override",
        )


# ==== checks: memory and CPUs ============================================================


def check_memory(ctx: Ctx) -> None:
    """XEN-MEM-001/002: memory > 0, maxmem >= memory; xl HVM memory < maxmem means PoD."""
    mem = ctx.int_of("memory")
    maxmem = ctx.int_of("maxmem")
    if mem is not None and mem <= 0:
        ctx.add(MEM_RANGE, f"memory = {mem}: must be a positive number of MiB", key="memory")
        return
    if maxmem is None:
        return
    effective = mem if mem is not None else (128 if ctx.xm else 32)
    if maxmem < effective:
        msg = (
            "Invalid Configuration: memory_dynamic_max must be less than or equal to "
            "memory_static_max"
            if ctx.xm
            else "maxmem must not be below memory (xl.cfg)"
        )
        ctx.add(MEM_RANGE, f"maxmem = {maxmem} < memory = {effective}: {msg}", key="maxmem")
    elif ctx.xl and ctx.guest == "hvm" and maxmem > effective:
        ctx.add(
            MEM_POD,
            f"memory = {effective} < maxmem = {maxmem}: the HVM guest starts pre-ballooned "
            "(populate-on-demand) and needs a balloon driver early in boot",
            key="maxmem",
            hint="set memory = maxmem unless the guest has a balloon driver",
        )


def check_vcpus(ctx: Ctx) -> None:
    """XEN-CPU-001/002/004: vcpus >= 1, maxvcpus >= vcpus, xm cpus list length, apic."""
    vcpus = ctx.int_of("vcpus")
    if vcpus is not None and vcpus < 1:
        if ctx.xl:
            ctx.add(CPU_VCPUS, f"vcpus = {vcpus}: xl coerces it to 1", key="vcpus", severity=W)
        else:
            ctx.add(CPU_VCPUS, f"vcpus = {vcpus}: a domain needs at least one vCPU", key="vcpus")
    effective = vcpus if vcpus is not None and vcpus >= 1 else 1
    maxvcpus = ctx.int_of("maxvcpus")
    if ctx.xl and maxvcpus is not None and maxvcpus < effective:
        ctx.add(CPU_VCPUS, f"xl: maxvcpus < vcpus ({maxvcpus} < {effective})", key="maxvcpus")
    cpus = ctx.value("cpus")
    if ctx.xm and isinstance(cpus, ListValue) and (vcpus is not None or not ctx.has("vcpus")):
        if len(cpus.items) != effective:
            ctx.add(
                CPU_PIN_LIST,
                f"cpus has {len(cpus.items)} entries but vcpus = {effective}: 'vcpus and the "
                "item number of cpus are not same'",
                key="cpus",
            )
    if _is_hvm_like(ctx) and ctx.bool_of("apic") is False and effective > 1:
        ctx.add(
            CPU_APIC,
            f"apic = 0 has no effect with vcpus = {effective} (apic is ignored if vcpus > 1)",
            key="apic",
        )


def check_scheduler(ctx: Ctx) -> None:
    """XEN-CPU-003: credit-scheduler weight 1-65535 and cap 0..vcpus*100 (XD34)."""
    weight = ctx.int_of("cpu_weight")
    if weight is not None and not 1 <= weight <= 65535:
        ctx.add(
            CPU_SCHED,
            f"cpu_weight = {weight}: valid values are within range from 1 to 65535",
            key="cpu_weight",
        )
    cap_key = "cpu_cap" if ctx.xm else "cap"
    cap = ctx.int_of(cap_key)
    if cap is None:
        return
    vcpus = max(ctx.int_of("maxvcpus" if ctx.xl and ctx.has("maxvcpus") else "vcpus") or 1, 1)
    if not 0 <= cap <= vcpus * 100:
        ctx.add(
            CPU_SCHED,
            f"{cap_key} = {cap}: Cpu cap out of range, valid range is from 0 to {vcpus * 100} "
            f"({vcpus} vCPU(s) x 100)",
            key=cap_key,
        )


# ==== checks: lifecycle ==================================================================

_XM_ACTIONS = ("destroy", "restart", "preserve", "rename-restart")
_XM_CRASH_ACTIONS = _XM_ACTIONS + ("coredump-destroy", "coredump-restart")
_XL_ACTIONS = _XM_CRASH_ACTIONS + ("soft-reset",)


def check_lifecycle(ctx: Ctx) -> None:
    """XEN-LIFE-001/002: on_* actions per toolstack; the on_crash default differs."""
    events: tuple[str, ...] = ("on_poweroff", "on_reboot", "on_crash")
    if ctx.xl:
        events += ("on_watchdog", "on_soft_reset")
    for key in events:
        action = ctx.str_of(key)
        if action is None:
            continue
        allowed: tuple[str, ...] = _XL_ACTIONS
        if ctx.xm:
            allowed = _XM_CRASH_ACTIONS if key == "on_crash" else _XM_ACTIONS
        if action in allowed:
            continue
        if ctx.xm and action in _XM_CRASH_ACTIONS:
            msg = f"{key} = {action!r}: coredump actions are only valid for on_crash in xm"
        elif ctx.xm:
            msg = f"{key} = {action!r}: Invalid event handling mode"
        else:
            msg = f'Unknown {key} action "{action}" specified'
        ctx.add(LIFE_ACTION, msg, key=key, hint="one of " + ", ".join(allowed))
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


# ==== checks: clock =======================================================================

_WINDOWS_RE = re.compile(r"(?i)(?:^|[^a-z])(?:windows|win(?:xp|2k|7|8|10|11|20\d\d)|w2k)")


def check_clock(ctx: Ctx) -> None:  # noqa: C901 - one rule family, read top to bottom
    """XEN-RTC-001/002(xm)/003/004/005: rtc_timeoffset and localtime across versions.

    The quirk: rtc_timeoffset was ignored with localtime=1 only in xm 3.1-3.3; from 3.4
    (8e558b0e97) and in xl the two add up. xm create drops rtc_timeoffset for PV.
    """
    offset_sc = ctx.scalar("rtc_timeoffset")
    offset = ctx.int_of("rtc_timeoffset")
    if offset is not None and not -(2**31) <= offset <= 2**31 - 1:
        ctx.add(
            RTC_RANGE,
            f"rtc_timeoffset = {offset} does not fit in a signed 32-bit number of seconds",
            key="rtc_timeoffset",
        )
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
    if ctx.truthy("localtime") and offset:
        _localtime_and_offset(ctx, offset)
    if ctx.guest == "hvm" and not ctx.truthy("localtime") and _looks_like_windows(ctx):
        ctx.add(
            RTC_WINDOWS,
            "this looks like a Windows guest: Windows keeps the RTC in local time, so it "
            "normally wants localtime = 1",
            key="localtime" if ctx.has("localtime") else None,
        )


def _localtime_and_offset(ctx: Ctx, offset: int) -> None:
    adds_up = (
        f"localtime = 1 and rtc_timeoffset = {offset} add up: the guest RTC is host local "
        f"time {offset:+d} s"
    )
    if ctx.xm:
        if ctx.guest == "pv":
            return  # XEN-RTC-003 already: the offset never reaches a PV guest
        v = ctx.version
        if v is None:
            ctx.add(
                RTC_LOCALTIME,
                f"localtime = 1 with rtc_timeoffset = {offset}: xm 3.1-3.3 ignore the offset "
                "when localtime = 1; from Xen 3.4 the two add up",
                key="rtc_timeoffset",
                hint="give the Xen version to decide; to be safe use localtime = 0 and the "
                "full offset from UTC (32400 for JST)",
            )
        elif v.before("3.1"):
            return  # XEN-VER-002: no rtc_timeoffset at all
        elif v.before("3.4"):
            ctx.add(
                RTC_LOCALTIME,
                f"Xen {v}: rtc_timeoffset = {offset} is ignored because localtime = 1 "
                "(fixed in 3.4 by commit 8e558b0e97)",
                key="rtc_timeoffset",
                hint="use localtime = 0 with the full offset from UTC (32400 for JST), or "
                "localtime = 1 alone",
            )
        else:
            ctx.add(RTC_LOCALTIME, f"Xen {v}: {adds_up}", key="rtc_timeoffset", severity=INFO)
        return
    if ctx.version is not None and ctx.version.before("4.2"):
        return  # XEN-VER-002: xl 4.0/4.1 read neither
    ctx.add(RTC_LOCALTIME, f"xl: {adds_up}", key="rtc_timeoffset", severity=INFO)


def _looks_like_windows(ctx: Ctx) -> bool:
    viridian = ctx.value("viridian")
    if isinstance(viridian, ListValue) and viridian.items:
        return True
    if ctx.truthy("viridian"):
        return True
    name = ctx.str_of("name")
    return name is not None and _WINDOWS_RE.search(name) is not None


# ==== checks: graphics ====================================================================

_XM_VFB_KEYS = frozenset(
    {
        "vnc", "sdl", "vncunused", "vncdisplay", "vnclisten", "vncpasswd", "display",
        "xauthority", "opengl", "keymap", "type", "videoram", "serial", "monitor",
    }
)  # fmt: skip


def check_nographic(ctx: Ctx) -> None:
    """XEN-GFX-001: nographic wins in xm, needs vnc=0 (and sdl=0) in xl."""
    if not ctx.truthy("nographic") or ctx.guest != "hvm":
        return
    vnc = ctx.bool_of("vnc")
    sdl = ctx.bool_of("sdl")
    if ctx.xl:
        if vnc is not False or sdl is True:
            why = "vnc defaults to 1 for HVM" if vnc is None else "vnc/sdl is on"
            ctx.add(
                GFX_NOGRAPHIC,
                f"nographic = 1 has no effect in xl while {why}: libxl passes -nographic "
                "only when vnc and sdl are both off",
                key="nographic",
                hint="add vnc = 0 (and sdl = 0)",
            )
    elif vnc or sdl:
        ctx.add(
            GFX_NOGRAPHIC,
            "nographic = 1 suppresses the VNC/SDL console that is also enabled here (xm "
            "passes no -vnc/-sdl with nographic)",
            key="nographic",
            hint="drop nographic or vnc/sdl",
        )


def _is_loopback(listen: str) -> bool:
    host = listen.strip()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host in ("", "localhost", "::1") or host.startswith("127.")


def check_vnc(ctx: Ctx) -> None:
    """XEN-GFX-002/003: xl display given twice; a VNC console open to the network."""
    listen = ctx.str_of("vnclisten")
    if ctx.xl and listen is not None and ":" in listen and ctx.has("vncdisplay"):
        ctx.add(
            GFX_VNCDISPLAY,
            "ERROR: Display specified both in vnclisten and vncdisplay!",
            key="vnclisten",
        )
    passwd = ctx.str_of("vncpasswd")
    if ctx.xm:
        vnc_on = ctx.guest == "hvm" and ctx.truthy("vnc")
    else:
        vnc_on = (ctx.guest == "hvm" and ctx.bool_of("vnc") is not False) or (
            ctx.guest == "pv" and ctx.truthy("vnc")
        )
    if vnc_on and listen is not None and not _is_loopback(listen) and not passwd:
        ctx.add(
            GFX_OPEN_VNC,
            f"VNC listens on {listen} with {'an empty' if passwd == '' else 'no'} vncpasswd: "
            "anyone who can reach the port gets the guest console",
            key="vnclisten",
            hint="set vncpasswd, or listen on 127.0.0.1 and tunnel",
        )
    for item in ctx.strings("vfb") if isinstance(ctx.value("vfb"), ListValue) else []:
        fields = dict(_spec_fields(item.text))
        if not (fields.get("vnc") == "1" or fields.get("type") == "vnc"):
            continue
        vfb_listen = fields.get("vnclisten")
        vfb_pass = fields.get("vncpasswd", passwd)
        if vfb_listen is not None and not _is_loopback(vfb_listen) and not vfb_pass:
            ctx.add(
                GFX_OPEN_VNC,
                f"vfb VNC listens on {vfb_listen} without a password",
                key="vfb",
                at=item,
                hint="add vncpasswd=... to the vfb entry, or listen on 127.0.0.1",
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
        for k, _v in _spec_fields(item.text):
            if k not in _XM_VFB_KEYS:
                ctx.add(
                    GFX_PV_XM,
                    f"configuration option {k} unknown to vfbs",
                    key="vfb",
                    at=item,
                    severity=E,
                )


# ==== checks: USB =========================================================================

_USB_HOST_BUSADDR = re.compile(r"host:\d{1,3}\.\d{1,3}")
_USB_HOST_VIDPID = re.compile(r"host:[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}")


def check_usb(ctx: Ctx) -> None:  # noqa: C901 - one rule family, read top to bottom
    """XEN-USB-001..004: usb/usbdevice are HVM-only; value syntax; tablet over mouse."""
    usb = ctx.truthy("usb")
    devices = [d for d in ctx.strings("usbdevice") if d.text]
    device_set = bool(devices)
    if ctx.guest == "pv":
        if usb:
            ctx.add(
                USB_PV,
                "usb = 1 does nothing for a PV guest (emulated USB is HVM-only)",
                key="usb",
                hint="PV guests use PVUSB (xl usbctrl/usbdev)",
            )
        if devices:
            ctx.add(
                USB_PV,
                "usbdevice does nothing for a PV guest (emulated USB is HVM-only)",
                key="usbdevice",
            )
    if ctx.guest == "hvm" and devices and not usb:
        ctx.add(
            USB_IMPLICIT,
            "usbdevice without usb = 1: documented as required; qemu-dm and libxl enable the "
            "USB bus implicitly",
            key="usbdevice",
            hint="add usb = 1",
        )
    value = ctx.value("usbdevice")
    if isinstance(value, ListValue):
        if ctx.xm:
            ctx.add(
                USB_DEVICE,
                "usbdevice takes a single string in xm (libvirt's xen-xm too)",
                key="usbdevice",
            )
        elif ctx.version is not None and ctx.version.before("4.3"):
            ctx.add(
                USB_DEVICE,
                f"a usbdevice list needs xl 4.3 or later (target {ctx.version})",
                key="usbdevice",
            )
    for item in devices:
        _check_usbdevice_value(ctx, item)
    if ctx.xl:
        version = ctx.int_of("usbversion")
        if version is not None and not 1 <= version <= 3:
            ctx.add(USB_VERSION, f"usbversion = {version}: must be 1, 2 or 3", key="usbversion")
        for key in ("usbversion", "spiceusbredirection"):
            if ctx.has(key) and (ctx.int_of(key) or 0) > 0 and (usb or device_set):
                ctx.add(
                    USB_VERSION,
                    f"{key} cannot be combined with usb/usbdevice (libxl refuses it)",
                    key=key,
                )


def _check_usbdevice_value(ctx: Ctx, item: Scalar) -> None:
    text = item.text
    if text in ("tablet", "keyboard"):
        return
    if text == "mouse":
        ctx.add(
            USB_DEVICE,
            "usbdevice = 'mouse' emulates a relative pointer that drifts from the VNC cursor; "
            "'tablet' gives an absolute pointer (recommended)",
            key="usbdevice",
            at=item,
            severity=INFO,
            hint="usbdevice = 'tablet'",
        )
        return
    if text.startswith("host:"):
        if _USB_HOST_BUSADDR.fullmatch(text) or _USB_HOST_VIDPID.fullmatch(text):
            return
        ctx.add(
            USB_DEVICE,
            f"usbdevice = {text!r}: host devices are host:BUS.ADDR or host:VID:PID (hex)",
            key="usbdevice",
            at=item,
        )
        return
    if text.startswith("disk:"):
        if ctx.xl:
            ctx.add(
                USB_DEVICE,
                "usbdevice disk:... is an old qemu-dm form; qemu-xen may not accept it",
                key="usbdevice",
                at=item,
                severity=INFO,
            )
        return
    ctx.add(
        USB_DEVICE,
        f"usbdevice = {text!r} is not a known device (tablet, mouse, keyboard, host:..., "
        "disk:...); the accepted set depends on the qemu build",
        key="usbdevice",
        at=item,
        hint="usbdevice = 'tablet'",
    )


# ==== checks: PCI =========================================================================

_XM_BDF = re.compile(
    r"(?:([0-9a-fA-F]{1,4})[:,])?([0-9a-fA-F]{1,2})[:,]([0-9a-fA-F]{1,2})[.,]([0-7])"
    r"(?:@([0-9a-fA-F]{1,2}))?"
)
_XL_BDF = re.compile(
    r"(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7*])"
    r"(?:@([0-9a-fA-F]{1,2}))?"
)
_XM_PCI_OPTS = frozenset({"msitranslate", "power_mgmt"})
_XL_PCI_KEYS = frozenset(
    {"bdf", "vslot", "permissive", "msitranslate", "seize", "power_mgmt", "rdm_policy", "name"}
)


def _pci_devices(ctx: Ctx) -> list[Scalar]:
    return [d for d in ctx.strings("pci") if d.text.strip()] if ctx.has("pci") else []


def _parse_pci(ctx: Ctx, item: Scalar) -> tuple[str | None, dict[str, str | None]]:
    """(problem, options) for one pci entry."""
    text = item.text.strip()
    regex = _XM_BDF if ctx.xm else _XL_BDF
    fields: dict[str, str | None] = {}
    m = regex.match(text)
    rest = text
    if m is not None:
        rest = text[m.end() :]
        if rest and not rest.startswith(","):
            return f"unexpected {rest[:20]!r} after the device address", fields
        rest = rest[1:]
        if int(m.group(3), 16) > 0x1F:
            return f"device number {m.group(3)} is above 0x1f", fields
        if m.group(5) is not None and int(m.group(5), 16) > 0x1F:
            return f"virtual slot {m.group(5)} is above 0x1f", fields
    for k, v in _spec_fields(rest):
        fields[k] = v
    if m is None:
        bdf = fields.get("bdf")
        if ctx.xm or (bdf is None and "name" not in fields):
            form = "[DDDD:]BB:SS.F" if ctx.xm else "[DDDD:]BB:DD.F"
            return f"not a PCI address ({form}, hex)", fields
        if bdf is not None and not _XL_BDF.fullmatch(bdf):
            return f"bdf={bdf!r} is not a PCI address", fields
    allowed = _XM_PCI_OPTS if ctx.xm else _XL_PCI_KEYS
    for k, v in fields.items():
        if k not in allowed:
            return f"Invalid pci option: {k}", fields
        if v is None:
            return f"pci option {k} needs a value", fields
        if ctx.xm and v not in ("0", "1"):
            return f"pci option {k}={v}: must be 0 or 1", fields
    return None, fields


def check_pci(ctx: Ctx) -> None:  # noqa: C901 - one rule family, read top to bottom
    """XEN-PCI-003..008 (config side) and XEN-PCI-001/002 (host side) for passthrough."""
    devices = _pci_devices(ctx)
    per_device: list[tuple[Scalar, dict[str, str | None]]] = []
    for item in devices:
        problem, fields = _parse_pci(ctx, item)
        per_device.append((item, fields))
        if problem:
            ctx.add(PCI_BDF, f"pci {item.text.strip()!r}: {problem}", key="pci", at=item)
    dtdevs = ctx.strings("dtdev") if ctx.xl else []
    if ctx.xl:
        mode = ctx.str_of("passthrough")
        if mode is not None:
            allowed = ("disabled", "enabled", "sync_pt", "share_pt", "default")
            if mode not in allowed:
                ctx.add(
                    PCI_PASSTHROUGH_MODE,
                    f"passthrough = {mode!r}: one of " + ", ".join(allowed),
                    key="passthrough",
                )
            elif mode == "disabled" and (devices or dtdevs):
                ctx.add(
                    PCI_PASSTHROUGH_MODE,
                    "passthrough disabled but devices are specified",
                    key="passthrough",
                )
            elif mode == "share_pt" and ctx.guest == "pv":
                ctx.add(
                    PCI_PASSTHROUGH_MODE,
                    "passthrough = 'share_pt' is for HVM/PVH guests only",
                    key="passthrough",
                )
        mem = ctx.int_of("memory")
        maxmem = ctx.int_of("maxmem")
        if (devices or dtdevs) and _is_hvm_like(ctx) and mem and maxmem and mem < maxmem:
            ctx.add(
                PCI_POD,
                "IOMMU required for device passthrough but not supported together with PoD "
                f"(memory = {mem} < maxmem = {maxmem})",
                key="maxmem",
                hint="set memory = maxmem",
            )
    # XEN-PCI-006: raw hardware access for trusted guests only.
    for key in ("pci_permissive", "pci_seize"):
        if ctx.truthy(key):
            ctx.add(PCI_TRUSTED, f"{key} = 1: only for trusted guests", key=key)
    for key in ("iomem", "ioports", "irqs", "irq"):
        if ctx.form(key) is not None and ctx.strings(key):
            ctx.add(
                PCI_TRUSTED, f"{key} passes raw hardware resources: trusted guests only", key=key
            )
    for item, fields in per_device:
        for k in ("permissive", "seize"):
            if fields.get(k) not in (None, "0"):
                ctx.add(PCI_TRUSTED, f"pci {k}=1: only for trusted guests", key="pci", at=item)
    # XEN-PCI-008: HVM-only PCI options.
    if ctx.guest in ("pv", "pvh"):
        label = _guest_label(ctx.guest)
        if ctx.truthy("pci_power_mgmt"):
            ctx.add(
                PCI_HVM_ONLY, f"pci_power_mgmt is HVM-only (guest is {label})", key="pci_power_mgmt"
            )
        if ctx.xl and ctx.has("rdm"):
            ctx.add(PCI_HVM_ONLY, f"rdm is HVM-only (guest is {label})", key="rdm")
        for item, fields in per_device:
            if fields.get("power_mgmt") not in (None, "0") or "rdm_policy" in fields:
                ctx.add(
                    PCI_HVM_ONLY,
                    f"power_mgmt/rdm_policy are HVM-only (guest is {label})",
                    key="pci",
                    at=item,
                )
    if not devices:
        if _gfx_passthru_on(ctx):
            _passthrough_host(ctx, "gfx_passthru", "graphics passthrough (gfx_passthru)")
        return
    # XEN-PCI-007: defaults that changed between the toolstacks.
    if ctx.guest == "hvm" and not ctx.has("pci_msitranslate"):
        ctx.add(
            PCI_DEFAULTS,
            f"pci_msitranslate defaults to {'1' if ctx.xm else '0'} in {ctx.fmt} "
            f"({'0' if ctx.xm else '1'} in {'xl' if ctx.xm else 'xm'})",
            key="pci",
        )
    if ctx.xl and ctx.guest == "pv" and not ctx.has("e820_host"):
        ctx.add(PCI_DEFAULTS, "xl sets e820_host = 1 for a PV guest with PCI devices", key="pci")
    _passthrough_host(ctx, "pci", f"PCI passthrough of {len(devices)} device(s)")


def _passthrough_host(ctx: Ctx, key: str, what: str) -> None:
    old_xen = ctx.version is not None and ctx.version.before("4.0")
    iommu_hint = (
        "Xen 3.4 leaves the IOMMU off by default: boot Xen with iommu=1"
        if old_xen
        else "enable VT-d/AMD-Vi in the firmware"
    )
    if _is_hvm_like(ctx):
        ctx.requires.add("pci_passthrough")
        require_host(
            ctx,
            PCI_HVM_IOMMU,
            "pci_passthrough",
            f"{what} to an HVM guest",
            key=key,
            fix=iommu_hint,
        )
        if old_xen and ctx.host is None:
            ctx.add(PCI_HVM_IOMMU, f"{what}: {iommu_hint}", key=key, severity=INFO)
        return
    if ctx.guest != "pv":
        return
    strict = ctx.xl and ctx.at_least_or_head("4.13")
    if strict:
        ctx.requires.add("pci_passthrough")
        require_host(
            ctx,
            PCI_PV_IOMMU,
            "pci_passthrough",
            f"{what} (xl >= 4.13: 'passthrough not supported on this platform')",
            key=key,
            fix=iommu_hint,
        )
    else:
        require_host(
            ctx,
            PCI_PV_IOMMU,
            "pci_passthrough",
            f"{what} to a PV guest without an IOMMU is insecure (pciback only);",
            key=key,
            hard=False,
            fix=iommu_hint,
        )


# ==== checks: hardware ====================================================================


def check_hvm_host(ctx: Ctx) -> None:
    """XEN-HVM-001/002: HVM and PVH guests need VT-x/AMD-V on, seen by Xen not dom0."""
    if not _is_hvm_like(ctx):
        return
    assert ctx.guest is not None
    ctx.requires.add("hvm")
    key = "type" if ctx.has("type") and ctx.xl else ("builder" if ctx.has("builder") else None)
    require_host(
        ctx,
        HVM_HOST,
        "hvm",
        f"an {_guest_label(ctx.guest)} guest",
        key=key,
        fix="enable VT-x/AMD-V in the firmware setup",
    )
    if ctx.host is not None:
        masked = [
            name
            for name in ("hvm", "vtx")
            if (cap := ctx.host.get(name)) is not None and cap.status is Status.MASKED
        ]
        if masked:
            ctx.add(
                HVM_DOM0_MASK,
                "the host verdict says VT-x/AMD-V is masked: if the probe ran in a Xen dom0, "
                "Xen hides vmx/svm from dom0's /proc/cpuinfo on purpose",
                key=key,
                hint="check 'xl info' (virt_caps: hvm) on the Xen host instead",
            )


def check_hap(ctx: Ctx) -> None:
    """XEN-HAP-001/002: hap=1 on a host without EPT/NPT; hap=0 needs shadow paging."""
    if not (ctx.guest == "hvm" or (ctx.xl and ctx.guest == "pvh")):
        return
    hap = ctx.bool_of("hap")
    if hap is False:
        if ctx.xl:
            ctx.add(
                HAP_SHADOW,
                "hap = 0: the guest uses shadow paging (slower; needs a hypervisor built "
                "with shadow paging, 'shadow' in virt_caps on 4.13+)",
                key="hap",
            )
        return
    fails = ctx.at_least_or_head("4.13") if ctx.xl else False
    if ctx.xm and ctx.version is not None and ctx.version.at_least("4.13"):
        fails = True
    if hap is True:
        ctx.requires.add("slat")
        require_host(
            ctx,
            HAP_HOST,
            "slat",
            "hap = 1 ("
            + (
                "'HAP requested but not available' on Xen >= 4.13"
                if fails
                else "silent fallback to shadow paging before Xen 4.13"
            )
            + ")",
            key="hap",
            hard=fails,
            fix="drop hap = 1 to let xl choose, or use a CPU with EPT/NPT",
        )
        return
    if ctx.host is None:
        return
    cap = _host_capability(ctx, "slat")
    if cap is None or cap.status in (Status.SUPPORTED, Status.UNKNOWN, Status.CONFLICT):
        return
    if ctx.xl and ctx.at_least_or_head("4.13"):
        require_host(
            ctx,
            HAP_HOST,
            "slat",
            "hardware-assisted paging (xl then picks shadow paging)",
            key=None,
            hard=False,
            soft=INFO,
        )
    else:
        require_host(
            ctx,
            HAP_HOST,
            "slat",
            "the default hap = 1 (Xen silently falls back to shadow paging)",
            key=None,
            hard=False,
            soft=W,
        )


def check_nested(ctx: Ctx) -> None:
    """XEN-NEST-001/002: nestedhvm needs HVM/PVH, xl 4.2+, HAP (4.15+), no altp2m."""
    if not ctx.xl or not ctx.truthy("nestedhvm"):
        return
    if ctx.guest == "pv":
        ctx.add(NEST_REQUIREMENTS, "nestedhvm needs an HVM (or PVH) guest", key="nestedhvm")
        return
    if ctx.bool_of("hap") is False and ctx.at_least_or_head("4.15"):
        ctx.add(
            NEST_REQUIREMENTS, "Nested virt not supported without HAP (hap = 0)", key="nestedhvm"
        )
    ctx.requires.update(("hvm", "slat"))
    strict = ctx.at_least_or_head("4.15")
    require_host(
        ctx,
        NEST_REQUIREMENTS,
        "slat",
        "nestedhvm (" + ("needs HAP on Xen >= 4.15" if strict else "works best with HAP") + ")",
        key="nestedhvm",
        hard=strict,
    )
    altp2m = ctx.str_of("altp2m")
    if (altp2m is not None and altp2m != "disabled") or ctx.truthy("altp2mhvm"):
        ctx.add(NEST_ALTP2M, "nestedhvm and altp2mhvm cannot be used together", key="nestedhvm")


# ==== checks: devices, misc ===============================================================


def check_pae(ctx: Ctx) -> None:
    """XEN-PAE-001: pae=0 stops 64-bit HVM guests; xl nx=1 needs PAE."""
    if ctx.guest != "hvm" or ctx.bool_of("pae") is not False:
        return
    ctx.add(PAE_REQUIRED, "pae = 0: a 64-bit guest cannot boot without PAE", key="pae")
    if ctx.xl and ctx.truthy("nx"):
        ctx.add(PAE_REQUIRED, "nx = 1 requires pae = 1", key="nx")


_XM_DISK_TYPES = frozenset({"phy", "file", "tap", "tap2"})
_XL_DISK_VALUES = {
    "access": ("r", "ro", "w", "rw"),
    "format": ("raw", "qcow", "qcow2", "vhd", "qed", "empty"),
    "backendtype": ("phy", "tap", "qdisk", "standalone"),
    "devtype": ("cdrom", "disk"),
}


def check_disks(ctx: Ctx) -> None:
    """XEN-DISK-001: xm disk specifiers (preprocess_disk, blkif.py); xl has no 'w!'."""
    value = ctx.value("disk")
    if not isinstance(value, ListValue):
        return
    for item in value.items:
        if not isinstance(item, Scalar):
            continue
        problem = _xm_disk_problem(item.text) if ctx.xm else _xl_disk_problem(item.text)
        if problem:
            severity, message = problem
            ctx.add(
                DISK_SPEC, f"disk {item.text!r}: {message}", key="disk", at=item, severity=severity
            )


def _xm_disk_problem(spec: str) -> tuple[Severity, str] | None:
    fields = spec.split(",")
    if not 3 <= len(fields) <= 5:
        return E, f"Invalid disk specifier ({len(fields)} fields; xm takes 3 to 5)"
    uname, _dev, mode = fields[0], fields[1], fields[2]
    if mode not in ("r", "w", "w!"):
        return E, f"Invalid mode {mode!r} (r, w or w!)"
    if uname == "":
        return None  # an empty CD-ROM drive: ',hdc:cdrom,r'
    if ":" not in uname:
        return E, "the source needs a type prefix (phy:, file:, tap:...)"
    kind = uname.split(":", 1)[0]
    if kind not in _XM_DISK_TYPES:
        return W, (
            f'Block device type "{kind}" needs a /etc/xen/scripts/block-{kind} hotplug '
            "script, or xend says it is invalid"
        )
    return None


def _xl_disk_problem(spec: str) -> tuple[Severity, str] | None:
    positional: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if "=" in part:
            k, v = part.split("=", 1)
            allowed = _XL_DISK_VALUES.get(k.strip())
            if allowed is not None and v.strip() not in allowed:
                extra = " (xl has no 'w!')" if k.strip() == "access" else ""
                return E, f"{k.strip()}={v.strip()} is not one of {', '.join(allowed)}{extra}"
        else:
            positional.append(part)
    if "w!" in positional:
        return E, "xl has no 'w!' access mode (RN45); use 'w'"
    return None


_XM_VIF_KEYS = frozenset(
    {"backend", "bridge", "ip", "mac", "script", "type", "vifname", "rate", "model", "accel",
     "policy", "label"}
)  # fmt: skip
_MAC = re.compile(r"[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5}")
_STANDARD_SCRIPTS = frozenset(
    {"vif-bridge", "vif-route", "vif-nat", "vif-openvswitch", "vif-common", "vif2", "block"}
)


def check_vifs(ctx: Ctx) -> None:
    """XEN-VIF-001: xm vif key whitelist; mac syntax; xl type vif/ioemu, no accel."""
    value = ctx.value("vif")
    if not isinstance(value, ListValue):
        return
    for item in value.items:
        if not isinstance(item, Scalar):
            continue
        for k, v in _spec_fields(item.text):
            if v is None:
                ctx.add(VIF_SPEC, f"vif item {k!r} is not key=value", key="vif", at=item)
            elif ctx.xm and k not in _XM_VIF_KEYS:
                ctx.add(VIF_SPEC, f"Invalid vif option: {k}", key="vif", at=item)
            elif k == "mac" and not _MAC.fullmatch(v):
                ctx.add(
                    VIF_SPEC, f"Invalid parameter 'mac': {v!r} (six hex octets)", key="vif", at=item
                )
            elif ctx.xl and k == "type" and v not in ("vif", "ioemu"):
                ctx.add(VIF_SPEC, f"vif type={v!r}: vif or ioemu", key="vif", at=item)
            elif ctx.xl and k == "accel":
                ctx.add(VIF_SPEC, "xl does not support vif accel", key="vif", at=item, severity=W)


def check_device_model_version(ctx: Ctx) -> None:
    """XEN-DM-001: qemu-xen-traditional is gone in 4.21; unknown values are fatal."""
    dmv = ctx.str_of("device_model_version")
    if not ctx.xl or dmv is None:
        return
    if dmv == "qemu-xen":
        return
    if dmv == "qemu-xen-traditional":
        if ctx.version is None:
            ctx.add(
                DM_VERSION,
                "qemu-xen-traditional was removed in Xen 4.21",
                severity=W,
                key="device_model_version",
            )
        elif ctx.version.at_least("4.21"):
            ctx.add(
                DM_VERSION,
                f"qemu-xen-traditional was removed in Xen 4.21 (target {ctx.version})",
                key="device_model_version",
            )
        return
    ctx.add(
        DM_VERSION,
        f'Unknown device_model_version "{dmv}" specified',
        key="device_model_version",
        hint="qemu-xen",
    )


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


def _bootloader_is_standard(path: str) -> bool:
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return base.startswith(("pygrub", "pvgrub"))


def check_security(ctx: Ctx) -> None:  # noqa: C901 - a list of independent options
    """XEN-SEC-001: options that run code or expose hardware with dom0 privileges (§6)."""
    for key in ("device_model_args", "device_model_args_hvm", "device_model_args_pv"):
        if ctx.xl and ctx.has(key):
            ctx.add(SEC_DANGEROUS, f"{key} passes arbitrary arguments to qemu", key=key)
    if ctx.xl and ctx.has("device_model_override"):
        ctx.add(
            SEC_DANGEROUS,
            "device_model_override runs a custom device-model binary",
            key="device_model_override",
        )
    if ctx.xl and ctx.bool_of("dm_restrict") is False:
        ctx.add(
            SEC_DANGEROUS, "dm_restrict = 0 leaves the device model unrestricted", key="dm_restrict"
        )
    if ctx.xl and ctx.truthy("vpmu"):
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
        for item in ctx.strings(key) if isinstance(ctx.value(key), ListValue) else []:
            for k, v in _spec_fields(item.text):
                if k == "script" and v and v.rsplit("/", 1)[-1] not in _STANDARD_SCRIPTS:
                    ctx.add(
                        SEC_DANGEROUS,
                        f"{key} uses a custom hotplug script {v!r} (runs as root in dom0)",
                        key=key,
                        at=item,
                    )


def check_secrets(ctx: Ctx) -> None:
    """XEN-SEC-002: passwords in the config are reported as present and never shown."""
    for key in ctx.settings:
        if is_secret_key(key) and ctx.nonempty(key):
            ctx.add(
                SEC_SECRET,
                f"{key} is stored in clear text in this config (masked in this report)",
                key=key,
                hint="restrict the config file's permissions",
            )
    for key in ("vfb", "vif", "disk", "vtpm"):
        for item in ctx.strings(key) if isinstance(ctx.value(key), ListValue) else []:
            if spec_secrets(item.text):
                ctx.add(
                    SEC_SECRET,
                    f"a {key} entry holds a password in clear text (masked)",
                    key=key,
                    at=item,
                )


Check = Callable[[Ctx], None]

CHECKS: tuple[Check, ...] = (
    resolve_guest,
    check_keys,
    check_shapes,
    check_values,
    check_versions,
    check_name,
    check_boot_source,
    check_guest_applicability,
    check_xl_ignores,
    check_memory,
    check_vcpus,
    check_scheduler,
    check_lifecycle,
    check_paused,
    check_clock,
    check_nographic,
    check_vnc,
    check_videoram,
    check_xm_pv_graphics,
    check_usb,
    check_pci,
    check_hvm_host,
    check_hap,
    check_nested,
    check_pae,
    check_disks,
    check_vifs,
    check_device_model_version,
    check_timer_mode,
    check_security,
    check_secrets,
)

# Every XEN-* rule, for SARIF's tool.driver.rules and for tests.
XEN_RULES: Mapping[str, Rule] = {
    r.id: r for r in list(globals().values()) if isinstance(r, Rule) and r.id.startswith("XEN-")
}

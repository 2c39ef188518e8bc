"""Removal of host identifiers from probe artefacts before anything is stored.

The server runs :func:`scrub_artefacts` on every incoming probe, so the database never holds a
MAC address, a UUID, a serial number or a secret-looking command-line value in clear. Each
value is replaced by ``<redacted:KIND:HASH8>``, HASH8 being the first 8 hex digits of
``sha256(salt + value)``: the same value maps to the same placeholder under one salt (two
reports of one machine can be told apart from two machines) but cannot be read back. With
``salt=None`` the placeholder is just ``<redacted:KIND>`` (used where no linkage is wanted).

The agent (``agent/virtcompat-probe``) carries a copy of these rules because it must stay one
standalone file; ``tests/probe/test_probe_redact.py`` checks that both give the same output.

Every pattern is written to fail fast: bounded quantifiers, fixed-width look-arounds and no
nested repetition, so the cost is linear in the text (a 4 MiB log takes well under a second).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from virtcompat.probe._common import Warnings, decode_input, fields_as_dict
from virtcompat.probe.limits import ARTEFACT_ITEM_LIMITS, ARTEFACT_LIMITS, DEFAULT_LIMIT

__all__ = [
    "DMI_IDENTITY_KEYS",
    "RedactionReport",
    "identity_kind",
    "placeholder",
    "scrub_artefacts",
    "scrub_identifiers",
    "scrub_lines",
    "scrub_text",
    "scrub_text_lines",
]

#: DMI keys that identify one machine. They are never kept in clear: the agent sends them as
#: placeholders, and the server replaces any clear value it still receives.
DMI_IDENTITY_KEYS: dict[str, str] = {
    "product_serial": "serial",
    "board_serial": "serial",
    "chassis_serial": "serial",
    "product_uuid": "uuid",
    "board_asset_tag": "asset_tag",
    "chassis_asset_tag": "asset_tag",
}

_PLACEHOLDER_RE = re.compile(r"<redacted:[a-z_]{1,16}(?::[0-9a-f]{8})?>")

_KEY_SEPARATORS_RE = re.compile(r"[\s\-_.:/]+")
# "mac" as its own word or a word's start ("mac_plain", "eth0_mac", "macaddr"), never inside
# one ("hmac", "dmac") nor "machine".
_MAC_WORD_RE = re.compile(r"(?<![a-z])mac(?!hine)|hwaddr|lladdr")


def identity_kind(key: str) -> str | None:
    """The kind of identifier a field named ``key`` holds, by meaning rather than by list.

    Every spelling of a serial, UUID, asset tag or MAC field: sysfs names (``product_serial``,
    ``product_uuid``), dmidecode ``-s`` keywords (``system-serial-number``,
    ``baseboard-asset-tag``, ``system-uuid``), dmidecode labels (``Serial Number``), and any
    case, spacing, underscores or trailing spaces; ``sn``/``s/n`` alone mean a serial.
    """
    norm = _KEY_SEPARATORS_RE.sub("_", key.strip().lower()).strip("_")
    if not norm:
        return None
    if "serial" in norm or norm in ("sn", "s_n", "s/n", "serialno"):
        return "serial"
    if "uuid" in norm or "guid" in norm:
        return "uuid"
    if "asset" in norm:
        return "asset_tag"
    if _MAC_WORD_RE.search(norm):
        return "mac"
    return None


def placeholder(kind: str, value: str, salt: str | None) -> str:
    """The placeholder that replaces ``value``."""
    if salt is None:
        return f"<redacted:{kind}>"
    digest = hashlib.sha256((salt + value).encode("utf-8", "surrogatepass")).hexdigest()
    return f"<redacted:{kind}:{digest[:8]}>"


# --- the rules, applied in this order ------------------------------------------------------

# ``key=value`` tokens; the key is then checked in Python, which keeps the regex linear (an
# alternation of secret words inside ``[\w.-]*`` would backtrack at every word start).
_KEY_VALUE_RE = re.compile(r"(?<![\w.\-])(?P<key>[\w.\-]{1,64})=(?P<val>[^\s<\"']{1,256})")
_SECRET_KEY_RE = re.compile(
    r"passw|passphrase|secret|token|api[_\-]?key|credential|private[_\-]?key|auth[_\-]?key",
    re.IGNORECASE,
)

# ``product_serial: X`` (text dumps of /sys/class/dmi/id, ``grep . /sys/class/dmi/id/*``).
_DMI_KEY_RE = re.compile(
    r"(?<![\w])(?P<key>product_serial|board_serial|chassis_serial|product_uuid"
    r"|board_asset_tag|chassis_asset_tag)(?P<sep>[ \t]{0,8}[:=][ \t]{0,8})"
    r"(?P<val>[^\s<][^\r\n]{0,255})"
)

# ``Serial Number: X`` (dmidecode), ``SerialNumber: X`` (USB in dmesg), ``Serial : X``
# (Raspberry Pi cpuinfo). Not ``Serial: 8250/16550 driver, 4 ports`` nor ``Serial: AMBA PL011
# UART driver``, which every x86/ARM boot log prints: those name a driver, not a device.
# ``(?<!redacted:)`` keeps ``<redacted:serial:...>`` placeholders from being redacted again.
_SERIAL_COLON_RE = re.compile(
    r"(?<![\w])(?<!redacted:)(?P<key>serial(?:[ _\-]?(?:number|no\.?))?|S/N)"
    r"(?P<sep>[ \t]{0,8}:[ \t]{0,8})"
    r"(?![^\r\n]{0,64}\bdriver\b)(?P<val>[^\s<][^\r\n]{0,255})",
    re.IGNORECASE,
)

# ``serial=X``, ``usb.serial=X``, ``serial_number=X``.
_SERIAL_EQUALS_RE = re.compile(
    r"(?<![\w.\-])(?P<key>(?:[\w.\-]{0,32}[._])?serial(?:[_\-]?(?:number|no))?)="
    r"(?P<val>[^\s<,;\"']{1,128})",
    re.IGNORECASE,
)

# RFC 4122 form; braces of Windows-style GUIDs stay around the placeholder.
_UUID_RE = re.compile(
    r"(?<![0-9A-Fa-f])(?P<val>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}"
    r"-[0-9A-Fa-f]{12})(?![0-9A-Fa-f])"
)

# ``root=PARTUUID=1234abcd-02`` (MBR partition ids) and ``UUID=1234-ABCD`` (FAT volume ids)
# are not RFC 4122 shaped but identify the disk just as well.
_UUID_KEY_RE = re.compile(
    r"(?<![\w.\-])(?P<key>(?:PART)?UUID)=(?P<val>[^\s<,;\"':]{1,128})", re.IGNORECASE
)

# Six octets with one separator kind. The look-arounds reject longer colon runs (EUI-64,
# IPv6), PCI addresses (``0000:00:1f.3``: the octet before the first colon has 4 digits) and
# the middle of hex strings; ``12:34:56`` timestamps have 3 groups and never match.
_MAC_RE = re.compile(
    r"(?<![0-9A-Fa-f:.\-])(?P<val>[0-9A-Fa-f]{2}(?P<sep>[:\-])[0-9A-Fa-f]{2}"
    r"(?:(?P=sep)[0-9A-Fa-f]{2}){4})(?![0-9A-Fa-f]|[:\-][0-9A-Fa-f])"
)

# systemd names USB NICs after their MAC (``enx001122334455``, ``wlx...``): see
# systemd.net-naming-scheme(7), "MAC address" policy.
_MAC_IFNAME_RE = re.compile(r"(?<![0-9A-Za-z])(?P<pfx>enx|wlx)(?P<val>[0-9a-fA-F]{12})(?![\w])")

# journalctl's ``short``/``short-iso``/``short-monotonic`` formats put the host name before
# ``kernel:``; dmesg never does.
_JOURNAL_HOST_RE = re.compile(
    r"^(?P<ts>(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})?"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+\-]\d\d:?\d\d)?"
    r"|\[ {0,12}\d{1,10}\.\d{1,9}\])) (?P<val>[^\s<\[\]:]{1,253}) kernel: ",
    re.MULTILINE,
)

# systemd logs the host name to the kernel ring buffer: "systemd[1]: Hostname set to <box>."
# and systemd-hostnamed "Changed host name to 'box'".
_HOSTNAME_RE = re.compile(
    r"(?P<pre>Hostname set to <|[Cc]hanged (?:static |pretty |transient )?host ?name to ')"
    r"(?P<val>[^<>'\s]{1,253})"
)

_BORING_MACS = frozenset({"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"})
_BORING_UUID = "00000000-0000-0000-0000-000000000000"


def _split_value(raw: str) -> tuple[str, str]:
    value = raw.rstrip()
    return value, raw[len(value) :]


def scrub_text(text: str, salt: str | None) -> tuple[str, list[str]]:
    """Replace identifiers in ``text``; return the new text and one kind per replacement.

    Kinds: ``mac``, ``uuid``, ``serial``, ``asset_tag``, ``secret``, ``host``. Already
    redacted placeholders are left alone, so scrubbing twice changes nothing.
    """
    checked: object = text
    if not isinstance(checked, str):
        return "", []
    kinds: list[str] = []

    def key_value(m: re.Match[str]) -> str:
        if not _SECRET_KEY_RE.search(m["key"]):
            return m[0]
        kinds.append("secret")
        return f"{m['key']}={placeholder('secret', m['val'], salt)}"

    def dmi_key(m: re.Match[str]) -> str:
        value, tail = _split_value(m["val"])
        kind = DMI_IDENTITY_KEYS[m["key"]]
        kinds.append(kind)
        return f"{m['key']}{m['sep']}{placeholder(kind, value, salt)}{tail}"

    def serial(m: re.Match[str]) -> str:
        value, tail = _split_value(m["val"])
        kinds.append("serial")
        return f"{m['key']}{m['sep']}{placeholder('serial', value, salt)}{tail}"

    def serial_eq(m: re.Match[str]) -> str:
        kinds.append("serial")
        return f"{m['key']}={placeholder('serial', m['val'], salt)}"

    def uuid(m: re.Match[str]) -> str:
        value = m["val"].lower()
        if value == _BORING_UUID:
            return m[0]
        kinds.append("uuid")
        return placeholder("uuid", value, salt)

    def uuid_key(m: re.Match[str]) -> str:
        kinds.append("uuid")
        return f"{m['key']}={placeholder('uuid', m['val'].lower(), salt)}"

    def mac(m: re.Match[str]) -> str:
        value = m["val"].lower().replace("-", ":")
        if value in _BORING_MACS:
            return m[0]
        kinds.append("mac")
        return placeholder("mac", value, salt)

    def mac_ifname(m: re.Match[str]) -> str:
        hexes = m["val"].lower()
        value = ":".join(hexes[i : i + 2] for i in range(0, 12, 2))
        kinds.append("mac")
        return m["pfx"] + placeholder("mac", value, salt)

    def hostname(m: re.Match[str]) -> str:
        kinds.append("host")
        return m["pre"] + placeholder("host", m["val"], salt)

    def journal_host(m: re.Match[str]) -> str:
        kinds.append("host")
        return f"{m['ts']} {placeholder('host', m['val'], salt)} kernel: "

    if "=" in text:
        text = _KEY_VALUE_RE.sub(key_value, text)
    lowered = text.lower()
    if "_serial" in lowered or "_uuid" in lowered or "asset_tag" in lowered:
        text = _DMI_KEY_RE.sub(dmi_key, text)
    if "-" in text:
        text = _UUID_RE.sub(uuid, text)
    if "uuid=" in lowered:
        text = _UUID_KEY_RE.sub(uuid_key, text)
    if ":" in text or "-" in text:
        text = _MAC_RE.sub(mac, text)
    if "enx" in text or "wlx" in text:
        text = _MAC_IFNAME_RE.sub(mac_ifname, text)
    # Serial keys last: a MAC or UUID glued to "Serial" becomes a placeholder ending in ">",
    # after which the key matches; running this after them keeps scrubbing idempotent.
    if "serial" in lowered or "s/n" in lowered:
        text = _SERIAL_COLON_RE.sub(serial, text)
        if "=" in text:
            text = _SERIAL_EQUALS_RE.sub(serial_eq, text)
    if " kernel: " in text:
        text = _JOURNAL_HOST_RE.sub(journal_host, text)
    if "ostname set to" in text or "ost name to" in text or "ostname to" in text:
        text = _HOSTNAME_RE.sub(hostname, text)
    return text, kinds


_XL_HOST_RE = re.compile(
    r"^(?P<key>host[ \t]{0,32}:[ \t]{0,8})(?P<val>[^\s<][^\r\n]{0,252})", re.MULTILINE
)


def scrub_xl_info(text: str, salt: str | None) -> tuple[str, list[str]]:
    """:func:`scrub_text` plus the ``host : NAME`` line of ``xl info``."""
    text, kinds = scrub_text(text, salt)

    def host(m: re.Match[str]) -> str:
        value, tail = _split_value(m["val"])
        kinds.append("host")
        return f"{m['key']}{placeholder('host', value, salt)}{tail}"

    return _XL_HOST_RE.sub(host, text), kinds


# --- identifiers by meaning (server side) -----------------------------------------------------
# Spellings the agent's first pass (a copy of :func:`scrub_text`) does not know. The server
# runs them after it, so a report from any agent, or none, is held to the same standard.

# ``Product_Serial: X``, ``system-serial-number: X``, ``ID_SERIAL_SHORT=X``, ``Asset Tag: X``,
# ``MAC Address: X``, ``sn : X`` (nvme id-ctrl) and, for "... number" keys only, a space alone:
# lspci's ``Device Serial Number 00-1b-21-ff-ff-3a-4f-5f`` and nvme's ``serial number X``.
# The key must start a word (``usbserial:`` and ``serial8250:`` are drivers, not fields).
_ID_FIELD_RE = re.compile(
    r"(?<![A-Za-z0-9<])(?<!redacted:)"
    r"(?P<key>(?:serial|uuid|guid|asset[ _\-]?tag|mac[ _\-]?addr(?:ess)?|hw[ _\-]?addr)"
    r"(?:[ _\-.]?(?:number|num|no|nr|short|id|string))?|sn(?=[ \t]{0,16}:))"
    r"(?:(?P<sep>[ \t]{0,16}[:=][ \t]{0,8})|(?<=number)(?P<space>[ \t]{1,8}))"
    r"(?![^\r\n]{0,64}\bdriver\b)(?P<val>[^\s<\"',;][^\r\n]{0,255})",
    re.IGNORECASE,
)

# Cisco's dotted form ``001b.213a.4f5f``; not inside a longer dotted run (BIOS versions such
# as ``CBQ4510H.86A.0061.2009.0324.1639`` hold three 4-digit groups too).
_MAC_DOTTED_RE = re.compile(
    r"(?<![0-9A-Za-z.:\-])(?P<val>[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})"
    r"(?![0-9A-Za-z]|\.[0-9A-Za-z])"
)

# Twelve hex digits alone: a MAC without separators. Digits-only runs are too often plain
# numbers (``max_idle_ns: 440795261668``) and count only after a MAC word; addresses keep
# their ``0x`` (the ``x`` is a letter), and longer runs (addresses, hashes) never match.
_MAC_BARE_RE = re.compile(r"(?<![0-9A-Za-z_.:\-/])(?P<val>[0-9A-Fa-f]{12})(?![0-9A-Za-z_:\-])")
_MAC_CONTEXT_RE = re.compile(r"(?i)(?:mac|hwaddr|lladdr|ether|address)\W{0,3}$")

# 32 hex digits alone: a UUID written without dashes (SMBIOS tools, ``/etc/machine-id``).
_UUID_BARE_RE = re.compile(r"(?<![0-9A-Za-z_.:\-/])(?P<val>[0-9A-Fa-f]{32})(?![0-9A-Za-z_])")

# ``/dev/disk/by-id/ata-Samsung_SSD_850_EVO_250GB_S2R6NX0H123456X``: udev names disks after
# their model and serial (and ``wwn-0x...`` after their world-wide name).
_DISK_BY_ID_RE = re.compile(r"(?P<pre>/dev/disk/by-id/)(?P<val>[^\s<\"',;]{1,200})")


def scrub_all(text: str, salt: str | None) -> str:
    """Both passes, for a free-text field outside the artefacts (agent name, warnings)."""
    first, _ = scrub_text(text, salt)
    return scrub_identifiers(first, salt)[0]


def scrub_identifiers(text: str, salt: str | None) -> tuple[str, list[str]]:
    """The server's second pass over text already through :func:`scrub_text`."""
    kinds: list[str] = []

    def field(m: re.Match[str]) -> str:
        kind = identity_kind(m["key"]) or "serial"
        sep = m["sep"] if m["sep"] is not None else m["space"]
        if m["sep"] is not None and "=" in m["sep"]:
            value = re.split(r"[\s,;\"']", m["val"], maxsplit=1)[0]
            tail = m["val"][len(value) :]
        elif m["space"] is not None:
            value = m["val"].split(None, 1)[0]
            tail = m["val"][len(value) :]
        else:
            value, tail = _split_value(m["val"])
        if kind == "uuid" and value.lower().replace("-", "") == "0" * 32:
            return m[0]
        kinds.append(kind)
        return f"{m['key']}{sep}{placeholder(kind, value, salt)}{tail}"

    def mac_hexes(value: str) -> str:
        hexes = re.sub(r"[^0-9a-f]", "", value.lower())
        return ":".join(hexes[i : i + 2] for i in range(0, 12, 2))

    def mac_dotted(m: re.Match[str]) -> str:
        kinds.append("mac")
        return placeholder("mac", mac_hexes(m["val"]), salt)

    def mac_bare(m: re.Match[str]) -> str:
        value = m["val"]
        if value.isdigit() and not _MAC_CONTEXT_RE.search(text[max(0, m.start() - 16) : m.start()]):
            return value
        if value.lower() in ("000000000000", "ffffffffffff"):
            return value
        kinds.append("mac")
        return placeholder("mac", mac_hexes(value), salt)

    def uuid_bare(m: re.Match[str]) -> str:
        value = m["val"].lower()
        if value == "0" * 32:
            return m[0]
        dashed = f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
        kinds.append("uuid")
        return placeholder("uuid", dashed, salt)

    def disk(m: re.Match[str]) -> str:
        kinds.append("serial")
        return m["pre"] + placeholder("serial", m["val"], salt)

    lowered = text.lower()
    if any(w in lowered for w in ("serial", "uuid", "guid", "asset", "mac", "addr", "sn")):
        text = _ID_FIELD_RE.sub(field, text)
    if "." in text:
        text = _MAC_DOTTED_RE.sub(mac_dotted, text)
    text = _UUID_BARE_RE.sub(uuid_bare, text)
    text = _MAC_BARE_RE.sub(mac_bare, text)
    if "/dev/disk/by-id/" in text:
        text = _DISK_BY_ID_RE.sub(disk, text)
    return text, kinds


# --- both passes over the lines that can change -----------------------------------------------
# The passes above each scan the whole text, and a probe's dmesg or cpuinfo is mostly lines
# none of them can touch. :func:`scrub_lines` finds, with a few C-speed searches, the lines
# where some pass could replace something, runs the passes unchanged over those lines only
# and leaves every other line as it is. The result is exactly that of the passes over the whole
# text, because:
#
# * every pattern matches inside one line (none crosses a "\n", and a line's first character
#   is read the same after a "\n" as at the start of a string), and no replacement adds or
#   removes a "\n";
# * each search below is a necessary condition, on the line as received, for some pass to
#   replace something in it (or count a kind): a line meeting none is never changed by any
#   pass, so every later pass sees it as received too;
# * the one look back past a match, mac_bare's 16-character context, always finds the same
#   text: each selected line runs with at least 16 characters of unchanged lines before it
#   (or everything before it, from the start of the text);
# * the passes' ``in`` checks only skip a pass that could not match (for ASCII text; anything
#   else, where case-insensitive patterns also match letters such as U+017F, takes the
#   passes over the whole text).
#
# tests/probe/test_redact_lines.py compares both over the corpus and generated text.

_HEX_DIGITS = b"0123456789abcdefABCDEF"
# Hex digits to "h", other bytes unchanged: separated MAC, UUID and dotted shapes.
_HEX_SHAPES = bytes.maketrans(_HEX_DIGITS, b"h" * len(_HEX_DIGITS))
# Hex digits to "h", everything else to " ": a run of exactly N hex digits is " " + N*"h" + " ".
_HEX_RUNS = bytes(ord("h") if bytes([i]) in _HEX_DIGITS else ord(" ") for i in range(256))

# On the lowercased text: the key words of every keyed rule (key=value secrets, DMI keys,
# serial/UUID/asset/MAC fields, UUID=, S/N, host names, disk ids), each with the pattern its
# line must then hold when a bare find would flag too many lines ("address sizes", "keyboard").
_LOWER_WORDS: tuple[tuple[bytes, re.Pattern[bytes] | None], ...] = (
    (b"pass", re.compile(rb"passw|passphrase")),
    (b"secret", None),
    (b"token", None),
    (b"credential", None),
    (b"key", re.compile(rb"(?:api|private|auth)[_\-]?key")),
    (b"serial", None),
    (b"s/n", None),
    (b"uid", re.compile(rb"[gu]uid")),  # not cpuid
    (b"asset", None),
    (b"ame set to <", None),  # Hostname set to <
    (b"ame to '", None),  # host name to ', hostname to '
    (b"/dev/disk/by-id/", None),
    (b"addr", re.compile(rb"(?:mac|hw)[ _\-]?addr")),
)
_SN_RE = re.compile(rb"sn[ \t]{0,16}:")
# On the text as sent (case-sensitive rules).
_EXACT_WORDS = (b" kernel: ",)
# Separated MACs and Cisco's dotted form.
_SHAPES = (b"hh:hh:hh:hh:hh:hh", b"hh-hh-hh-hh-hh-hh", b"hhhh.hhhh.hhhh")
# Runs of exactly 12 and 32 hex digits: bare MACs and UUIDs; also every dashed UUID (its last
# group) and every enx/wlx interface name (the MAC after the "x").
_RUNS = (b" " + b"h" * 12 + b" ", b" " + b"h" * 32 + b" ")
_CONTEXT = 16  # mac_bare looks this far back
_SHORT = 32  # below this length the passes themselves are cheaper than the search


def _passes(text: str, salt: str | None) -> tuple[str, list[str]]:
    first, kinds = scrub_text(text, salt)
    second, more = scrub_identifiers(first, salt)
    return second, kinds + more


def _candidate_lines(text: str) -> set[int]:
    """Start offsets of the lines some pass could change (ASCII ``text``).

    Whether a line is a candidate depends on its content alone, so a text that repeats most
    of its lines (cpuinfo: one block per CPU) is searched once per distinct line."""
    if text.count("\n") >= 64:
        lines = text.split("\n")
        distinct = dict.fromkeys(lines)
        if len(distinct) * 2 <= len(lines):
            joined = "\n".join(distinct)
            hit = {_line_at(joined, at) for at in _scan(joined)}
            starts: set[int] = set()
            if hit:
                at = 0
                for line in lines:
                    if line in hit:
                        starts.add(at)
                    at += len(line) + 1
            return starts
    return _scan(text)


def _line_at(text: str, at: int) -> str:
    end = text.find("\n", at)
    return text[at:] if end < 0 else text[at:end]


def _scan(text: str) -> set[int]:
    raw = text.encode("ascii")
    lower = raw.lower()
    hits: list[int] = []

    def every(haystack: bytes, needle: bytes, check: re.Pattern[bytes] | None = None) -> None:
        # One hit per line is enough: search on from the next line. (In ``runs``, padded by
        # one byte, index ``at`` is the run's first digit in ``raw``: the needle's leading
        # separator sits at ``at - 1`` there, and may be the previous line's "\n".)
        at = haystack.find(needle)
        while at >= 0:
            end = raw.find(b"\n", at)
            if end < 0:
                end = len(raw)
            if check is None or check.search(lower, raw.rfind(b"\n", 0, at) + 1, end):
                hits.append(at)
            at = haystack.find(needle, end + 1)

    # ``in`` first: most needles are absent, and the test costs less than a call of every().
    for word, check in _LOWER_WORDS:
        if word in lower:
            every(lower, word, check)
    for word in _EXACT_WORDS:
        if word in raw:
            every(raw, word)
    if b"sn" in lower:
        hits.extend(m.start() for m in _SN_RE.finditer(lower))
    shapes = raw.translate(_HEX_SHAPES)
    for shape in _SHAPES:
        if shape in shapes:
            every(shapes, shape)
    runs = b" " + raw.translate(_HEX_RUNS) + b" "
    for run in _RUNS:
        if run in runs:
            every(runs, run)
    return {text.rfind("\n", 0, at) + 1 for at in hits}


def scrub_lines(text: str, salt: str | None) -> tuple[str, list[str]]:
    """:func:`scrub_text` then :func:`scrub_identifiers`, run over the lines that can change
    only; the same text and kinds as running them over ``text`` (see above)."""
    return _selected(text, salt, _passes)


def scrub_text_lines(text: str, salt: str | None) -> tuple[str, list[str]]:
    """:func:`scrub_text` alone, run over the lines that can change only (the candidates
    cover its rules too); the same text and kinds as ``scrub_text(text, salt)``."""
    return _selected(text, salt, scrub_text)


def _selected(
    text: str, salt: str | None, passes: Callable[[str, str | None], tuple[str, list[str]]]
) -> tuple[str, list[str]]:
    if len(text) < _SHORT or not text.isascii():
        return passes(text, salt)  # short: the passes cost less than finding candidates
    starts = _candidate_lines(text)
    if not starts:
        return text, []
    # Spans of whole lines to run the passes over: each candidate line with enough unchanged
    # lines before it for the context look-back; overlapping spans merge.
    spans: list[list[int]] = []
    for line in sorted(starts):
        begin, need = line, _CONTEXT
        while need > 0 and begin > 0 and not (spans and begin <= spans[-1][1]):
            previous = text.rfind("\n", 0, begin - 1) + 1
            if previous not in starts:
                need -= begin - previous
            begin = previous
        end = text.find("\n", line)
        end = len(text) if end < 0 else end + 1
        if spans and begin <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([begin, end])
    done, kinds = passes("".join(text[b:e] for b, e in spans), salt)
    out: list[str] = []
    last = cursor = 0
    for begin, end in spans:
        out.append(text[last:begin])
        stop = cursor
        for _ in range(text.count("\n", begin, end)):
            stop = done.index("\n", stop) + 1
        if end == len(text) and not text.endswith("\n"):
            stop = len(done)
        out.append(done[cursor:stop])
        cursor, last = stop, end
    out.append(text[last:])
    return "".join(out), kinds


# --- whole artefact sets -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RedactionReport:
    """What :func:`scrub_artefacts` changed; never contains a redacted value."""

    #: artefact name -> kind -> number of replacements
    counts: Mapping[str, Mapping[str, int]]
    #: ``dmi.KEY`` entries whose clear value was replaced by its placeholder
    hashed_keys: tuple[str, ...]
    #: artefacts cut to their cap, dropped (wrong type, too deep) and similar notes
    warnings: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.counts.values())

    def as_warnings(self) -> list[str]:
        """One line per artefact that was changed, then the notes (for a response's warnings)."""
        lines = []
        for name in sorted(self.counts):
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts[name].items()))
            lines.append(f"{name}: redacted {kinds}")
        if self.hashed_keys:
            lines.append(f"stored only as salted hashes: {', '.join(self.hashed_keys)}")
        lines.extend(self.warnings)
        return lines

    def as_dict(self) -> dict[str, Any]:
        return fields_as_dict(self)


_MAX_DEPTH = 4


class _Scrubber:
    def __init__(self, salt: str | None) -> None:
        self.salt = salt
        self.counts: dict[str, dict[str, int]] = {}
        self.hashed: list[str] = []
        self.warnings = Warnings()

    def count(self, name: str, kinds: list[str]) -> None:
        if not kinds:
            return
        bucket = self.counts.setdefault(name, {})
        for kind in kinds:
            bucket[kind] = bucket.get(kind, 0) + 1

    def text(self, name: str, value: str, limit: int) -> str:
        local = Warnings()
        clean, _ = decode_input(value, limit, local)
        for warning in local.freeze():
            self.warnings.add(f"{name}: {warning}")
        if name == "xl_info":
            clean, kinds = scrub_xl_info(clean, self.salt)
            clean, more = scrub_identifiers(clean, self.salt)
            kinds += more
        else:
            clean, kinds = scrub_lines(clean, self.salt)
        self.count(name, kinds)
        return clean

    def identity(self, name: str, key: str, kind: str, item: Any) -> Any:
        """The value of an identity field: a placeholder, whatever its type."""
        if item is None or item == "" or isinstance(item, bool):
            return item
        if isinstance(item, str) and _PLACEHOLDER_RE.fullmatch(item.strip()):
            return item.strip()
        raw = item if isinstance(item, str) else json.dumps(item, default=str)
        self.hashed.append(f"{name}.{key}")
        self.count(name, [kind])
        value = raw.strip()[:256].encode("utf-8", "replace").decode("utf-8")
        return placeholder(kind, value, self.salt)

    def value(self, name: str, value: Any, budget: list[int], depth: int) -> Any:
        """Scrub any JSON value; ``budget`` is the remaining byte allowance of the artefact."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            if budget[0] <= 0:
                return ""
            clean = self.text(name, value, budget[0])
            budget[0] -= len(clean.encode("utf-8"))
            return clean
        if depth >= _MAX_DEPTH:
            self.warnings.add(f"{name}: nested deeper than {_MAX_DEPTH} levels; dropped")
            return None
        items_cap = ARTEFACT_ITEM_LIMITS.get(name, 256)
        if isinstance(value, list | tuple):
            if len(value) > items_cap:
                self.warnings.add(f"{name}: {len(value)} entries; only the first {items_cap} kept")
            return [self.value(name, v, budget, depth + 1) for v in list(value)[:items_cap]]
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in list(value.items())[:items_cap]:
                if not isinstance(key, str):
                    self.warnings.add(f"{name}: non-string key dropped")
                    continue
                kind = identity_kind(key)
                if kind is not None:
                    out[key[:64]] = self.identity(name, key[:64], kind, item)
                    continue
                out[key[:64]] = self.value(name, item, budget, depth + 1)
            if len(value) > items_cap:
                self.warnings.add(f"{name}: {len(value)} keys; only the first {items_cap} kept")
            return out
        self.warnings.add(f"{name}: value of type {type(value).__name__} dropped")
        return None

    def dmi(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return self.value("dmi", value, [ARTEFACT_LIMITS["dmi"]], 0)
        out: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        if len(value) > ARTEFACT_ITEM_LIMITS["dmi"]:
            self.warnings.add(f"dmi: {len(value)} keys; only the first 64 kept")
        for key, item in list(value.items())[: ARTEFACT_ITEM_LIMITS["dmi"]]:
            if not isinstance(key, str):
                self.warnings.add("dmi: non-string key dropped")
                continue
            kind = DMI_IDENTITY_KEYS.get(key) or identity_kind(key)
            if kind is None:
                rest[key] = item
                continue
            out[key[:64]] = self.identity("dmi", key[:64], kind, item)
        out.update(self.value("dmi", rest, [ARTEFACT_LIMITS["dmi"]], 0))
        return out


def scrub_artefacts(artefacts: Any, salt: str | None) -> tuple[dict[str, Any], RedactionReport]:
    """Scrub every artefact of a probe body; never raises.

    Text artefacts are capped to :data:`ARTEFACT_LIMITS` first (so the time spent is bounded
    whatever the caller passes), then run through :func:`scrub_text`. DMI serial/UUID/asset-tag
    keys keep their name but their value becomes a placeholder. Values of unexpected types are
    dropped and reported.
    """
    scrubber = _Scrubber(salt)
    result: dict[str, Any] = {}
    if not isinstance(artefacts, Mapping):
        scrubber.warnings.add(f"artefacts must be an object, got {type(artefacts).__name__}")
    else:
        for name, value in list(artefacts.items())[:64]:
            if not isinstance(name, str):
                scrubber.warnings.add("non-string artefact name dropped")
                continue
            name = name[:64]
            if name == "dmi":
                result[name] = scrubber.dmi(value)
            else:
                limit = ARTEFACT_LIMITS.get(name, DEFAULT_LIMIT)
                result[name] = scrubber.value(name, value, [limit], 0)
    report = RedactionReport(
        counts={k: dict(v) for k, v in scrubber.counts.items()},
        hashed_keys=tuple(scrubber.hashed),
        warnings=scrubber.warnings.freeze(),
    )
    return result, report

"""One parser per bulk-source format; each maps a file's bytes to a ``Parsed``."""

from __future__ import annotations

from collections.abc import Callable

from virtcompat.catalogue.importers import amd, ark, ark_json, codenames, cpuid, lpc_ids, qubes_hcl
from virtcompat.catalogue.records import Parsed

PARSERS: dict[str, Callable[[bytes, str], Parsed]] = {
    "ark": ark.parse,
    "ark-json": ark_json.parse,
    "codenames": codenames.parse,
    "cpuid": cpuid.parse,
    "amd": amd.parse,
    "qubes-hcl": qubes_hcl.parse,
    "lpc-ids": lpc_ids.parse,
}
KINDS = tuple(PARSERS)

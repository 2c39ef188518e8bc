"""Fixtures for the domain-rule tests (same host factory as tests/xen): no database, no Flask."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from virtcompat.capability import Capability, Layer, Reason, Status

XEN_DATA = Path(__file__).resolve().parent.parent / "data" / "xen"

HostFactory = Callable[..., dict[str, Capability]]


def _capability(status: str, rule: str = "HW-TEST", message: str = "test reason") -> Capability:
    st = Status(status)
    reasons = () if st is Status.SUPPORTED else (Reason(rule, Layer.CHIPSET, st, message),)
    return Capability(status=st, reasons=reasons)


@pytest.fixture
def host() -> HostFactory:
    """host(hvm="supported", pci_passthrough="unsupported", ...) -> capability map.

    Every capability not named is supported; a value may also be a Capability.
    """

    def make(**statuses: str | Capability) -> dict[str, Capability]:
        caps = {
            name: _capability("supported")
            for name in ("vtx", "vtd", "slat", "hvm", "pci_passthrough")
        }
        for name, value in statuses.items():
            caps[name] = value if isinstance(value, Capability) else _capability(value)
        return caps

    return make


@pytest.fixture
def xen_data() -> Path:
    return XEN_DATA

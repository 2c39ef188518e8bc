"""Fixtures for the domain-rule tests: the same host factory and data folder as tests/xen
(no database, no Flask)."""

from __future__ import annotations

from tests.xen.conftest import XEN_DATA, HostFactory, host, xen_data

__all__ = ["XEN_DATA", "HostFactory", "host", "xen_data"]

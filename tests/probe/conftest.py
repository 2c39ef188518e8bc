"""Fixtures for the probe parser, redaction and agent tests (no database, no Flask)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

AGENT = Path(__file__).resolve().parents[2] / "agent" / "virtcompat-probe"


@pytest.fixture(scope="session")
def agent_module() -> ModuleType:
    """The agent script imported as a module (its main() is guarded by __name__)."""
    loader = importlib.machinery.SourceFileLoader("virtcompat_probe_agent", str(AGENT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # keep agent/ free of __pycache__
    try:
        loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module

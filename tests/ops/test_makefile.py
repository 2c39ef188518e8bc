"""`make help` tells the truth about the Makefile."""

from __future__ import annotations

import re
import subprocess

from tests.ops.conftest import ROOT


def test_make_help_lists_real_targets_without_unexpanded_variables() -> None:
    out = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "$(" not in out.stdout
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-zA-Z_-]+):", makefile, re.M))
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony is not None
    assert set(phony.group(1).split()) <= targets
    listed = set(re.findall(r"^\s*(?:\x1b\[[0-9;]*m)?([a-z-]+)", out.stdout, re.M))
    assert {"run", "test", "bench", "migrate", "seed", "compose-config"} <= listed

"""Seconds to validate 256 KiB hostile domain configs (xl and xm), the worst first.

    .venv/bin/python bench/pathological_configs.py

Issue 8 asks for well under a second each; a real config takes about a millisecond.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.xen.test_syntax_bounded_work import PATHOLOGICAL  # noqa: E402
from virtcompat.xen.validate import validate_config  # noqa: E402


def main() -> None:
    rows = []
    for name, data in PATHOLOGICAL.items():
        for fmt in ("xl", "xm"):
            started = time.perf_counter()
            validate_config(data, fmt, None)
            rows.append((time.perf_counter() - started, name, fmt))
    for seconds, name, fmt in sorted(rows, reverse=True):
        print(f"{seconds:7.3f} s  {fmt}  {name}")


if __name__ == "__main__":
    main()

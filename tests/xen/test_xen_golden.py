"""Golden results for the real-world corpus (tests/data/xen/{xm,xl}, copied from the shared
corpus with its SOURCES.md).

Every file is validated in the format of its directory; the whole result (findings,
options, requires) must equal ``tests/data/xen/golden/<name>.json``. Regenerate after a
deliberate change with ``VIRTCOMPAT_REGEN_GOLDEN=1 pytest tests/xen/test_xen_golden.py``
and review the diff by eye.

All corpus files are valid configs (libvirt's own tests parse each of them), so none may
be rejected by the reader, except for genuine Python in Xen's xmexample2.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from virtcompat.xen.validate import validate_config

DATA = Path(__file__).resolve().parent.parent / "data" / "xen"
GOLDEN = DATA / "golden"
CORPUS = sorted((DATA / "xm").glob("*.cfg")) + sorted((DATA / "xl").glob("*.cfg"))
REGEN = os.environ.get("VIRTCOMPAT_REGEN_GOLDEN") == "1"

# Reader rules: lexical/syntax errors, xl lexical rules, bad escapes, limits, encoding.
_READER_RULES = {"XEN-FMT-001", "XEN-FMT-005", "XEN-FMT-006", "XEN-FMT-010", "XEN-FMT-011"}


def _fmt(path: Path) -> str:
    return path.parent.name


def test_corpus_is_present() -> None:
    assert len(CORPUS) == 21
    assert (DATA / "xm" / "SOURCES.md").exists() and (DATA / "xl" / "SOURCES.md").exists()


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    result = validate_config(path.read_bytes(), fmt=_fmt(path)).as_dict()
    golden = GOLDEN / f"{path.stem}.json"
    if REGEN:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert golden.exists(), f"no golden for {path.name}: run with VIRTCOMPAT_REGEN_GOLDEN=1"
    assert result == json.loads(golden.read_text("utf-8"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_is_not_rejected_by_the_reader(path: Path) -> None:
    result = validate_config(path.read_bytes(), fmt=_fmt(path))
    assert not [f.as_dict() for f in result.findings if f.rule in _READER_RULES]
    python = [f for f in result.findings if f.rule == "XEN-FMT-002"]
    if path.name == "xen-xmexample2.cfg":
        assert python and not result.valid
    else:
        assert not python and result.valid, [f.as_dict() for f in result.findings]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_auto_detects_the_corpus_format(path: Path) -> None:
    result = validate_config(path.read_bytes())
    assert result.format == _fmt(path), result.format_reason
    assert result.format_reason

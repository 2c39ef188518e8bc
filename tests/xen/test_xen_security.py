"""Nothing in a config is executed, imported or opened; secrets never reach any output."""

from __future__ import annotations

import ast
import builtins
import json
import os
import subprocess
import sys
import tokenize
from pathlib import Path
from typing import Any

import pytest

from virtcompat.xen.options import catalogue
from virtcompat.xen.report import format_lines
from virtcompat.xen.sarif import to_sarif
from virtcompat.xen.validate import validate_config

XEN_SRC = Path(__file__).resolve().parents[2] / "virtcompat" / "xen"


def _hostile(marker: Path) -> str:
    return (
        "import os\n"
        f"os.system('touch {marker}')\n"
        f"name = open('{marker}', 'w').write('x')\n"
        f"kernel = __import__('os').system('touch {marker}')\n"
        f"memory = eval(\"__import__('os').system('touch {marker}')\")\n"
        f"exec(\"open('{marker}', 'w')\")\n"
        "disk = [ open('/etc/passwd').read() ]\n"
        f"extra = compile('open(\"{marker}\", \"w\")', 'x', 'exec')\n"
        "vif = [ '%s' % os.getcwd() ]\n"
    )


@pytest.mark.parametrize("fmt", ["auto", "xm", "xl"])
def test_hostile_config_leaves_no_trace(tmp_path: Path, fmt: str) -> None:
    marker = tmp_path / "marker"
    result = validate_config(_hostile(marker), fmt=fmt)
    assert not marker.exists()
    assert not result.valid
    if fmt != "xl":
        lines = [f.line for f in result.findings if f.rule == "XEN-FMT-002"]
        assert lines == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_validation_never_calls_evaluating_or_io_builtins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue()  # the packaged catalogue is our own file: load it before the trap is set

    def trap(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"called with {args!r}")

    real_import = builtins.__import__

    def guarded_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in ("os", "subprocess", "socket", "xen", "shutil"):
            raise AssertionError(f"import of {name}")
        return real_import(name, *args, **kwargs)

    for obj, attr in (
        (builtins, "eval"),
        (builtins, "exec"),
        (builtins, "compile"),
        (builtins, "open"),
        (ast, "literal_eval"),
        (ast, "parse"),
        (os, "system"),
        (os, "popen"),
        (subprocess, "Popen"),
    ):
        monkeypatch.setattr(obj, attr, trap)
    monkeypatch.setattr(builtins, "__import__", guarded_import)
    marker = tmp_path / "marker"
    for fmt in ("auto", "xm", "xl"):
        validate_config(_hostile(marker), fmt=fmt)
        validate_config(_hostile(marker).encode(), fmt=fmt, xen_version="3.4")
    monkeypatch.undo()
    assert not marker.exists()


# Names that would evaluate, import or open something, as code (not in strings/comments).
_FORBIDDEN_NAMES = {
    "eval", "exec", "execfile", "literal_eval", "__import__", "import_module", "open",
    "system", "popen", "Popen",
}  # fmt: skip
_FORBIDDEN_MODULES = {"ast", "subprocess", "pickle", "marshal", "shelve", "os"}


def _code_names(path: Path) -> list[tuple[str, str, str]]:
    """(previous, name, next) for every NAME token of a source file."""
    with path.open("rb") as fh:  # our own source, not a config
        toks = [t for t in tokenize.tokenize(fh.readline) if t.type in (tokenize.NAME, tokenize.OP)]
    out = []
    for i, tok in enumerate(toks):
        if tok.type == tokenize.NAME:
            prev = toks[i - 1].string if i else ""
            nxt = toks[i + 1].string if i + 1 < len(toks) else ""
            out.append((prev, tok.string, nxt))
    return out


def test_source_has_no_evaluating_or_io_calls() -> None:
    for path in sorted(XEN_SRC.glob("*.py")):
        names = _code_names(path)
        for prev, name, nxt in names:
            if nxt == "(" and name in _FORBIDDEN_NAMES:
                raise AssertionError(f"{path.name} calls {name}()")
            if name == "compile" and nxt == "(" and prev != ".":
                raise AssertionError(f"{path.name} calls compile()")
            if name in ("load", "unsafe_load", "full_load") and prev == "." and nxt == "(":
                raise AssertionError(f"{path.name} calls a non-safe YAML/pickle load")
            if prev in ("import", "from") and name in _FORBIDDEN_MODULES:
                raise AssertionError(f"{path.name} imports {name}")


def test_package_does_not_import_flask() -> None:
    code = (
        "import sys, virtcompat.xen.validate, virtcompat.xen.sarif, virtcompat.xen.report, "
        "virtcompat.xen.options; assert 'flask' not in sys.modules, 'flask imported'"
    )
    root = XEN_SRC.parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


SECRETS = ("s3cretVNC", "Sp1cePass", "hunter2hunter2", "t0kenvalue")


@pytest.mark.parametrize("fmt", ["xm", "xl"])
def test_secrets_are_masked_in_every_output(fmt: str) -> None:
    cfg = (
        'name = "g"\ntype = "hvm"\n'
        f'vncpasswd = "{SECRETS[0]}"\n'
        f'spicepasswd = "{SECRETS[1]}"\n'
        f"vfb = [ 'vnc=1,vncpasswd={SECRETS[2]},vnclisten=0.0.0.0' ]\n"
        f'admin_password = "{SECRETS[3]}"\n'
        f'vncpasswd = "{SECRETS[0]}"\n'  # duplicate: its finding must not quote the value
        f'extra = "mention {SECRETS[0]} here"\n'
    )
    result = validate_config(cfg, fmt=fmt, xen_version="4.17" if fmt == "xl" else "3.4")
    outputs = [
        json.dumps(result.as_dict()),
        json.dumps(to_sarif(result)),
        "\n".join(format_lines(result, "g.cfg")),
    ]
    for out in outputs:
        for secret in SECRETS:
            assert secret not in out
    assert result.options["vncpasswd"] == "***"
    assert result.options["vfb"] == ["vnc=1,vncpasswd=***,vnclisten=0.0.0.0"]


def test_secret_in_a_bad_value_is_not_echoed() -> None:
    for cfg in ("vncpasswd = Hunter2xyz\n", "vncpasswd = -Hunter2xyz\n", "vncpasswd = True\n"):
        for fmt in ("xm", "xl"):
            out = json.dumps(validate_config(cfg, fmt=fmt).as_dict())
            assert "Hunter2xyz" not in out and "True" not in out.split('"options"')[1]

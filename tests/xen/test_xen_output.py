"""The public interface: arguments, result shape (CONTRACT.md), SARIF, report lines."""

from __future__ import annotations

import json

import pytest

from virtcompat.xen.findings import Finding, ValidationResult
from virtcompat.xen.report import format_lines
from virtcompat.xen.rules import XEN_RULES
from virtcompat.xen.sarif import to_sarif
from virtcompat.xen.validate import MAX_CONFIG_BYTES, validate_config

CFG = 'name = "g"\ntype = "hvm"\nmemroy = 512\nrtc_timeoffset = -3600\nusbdevice = "mouse"\n'


def test_bad_arguments_raise_value_error() -> None:
    with pytest.raises(ValueError):
        validate_config("", fmt="sxp")
    for version in ("latest", "", "1.0", "4.x", "4" * 60):
        with pytest.raises(ValueError):
            validate_config("", xen_version=version)


def test_versions_are_accepted_in_common_spellings() -> None:
    for version in ("3.4", "4.17", "4.17.2", "3.4.0-rc3", "4"):
        assert validate_config("", xen_version=version).xen_version == version


def test_result_shape_follows_the_contract() -> None:
    result = validate_config(CFG, fmt="auto")
    doc = result.as_dict()
    assert set(doc) == {
        "valid", "format", "format_reason", "xen_version", "findings", "requires", "options",
    }  # fmt: skip
    assert doc["valid"] is False and doc["format"] == "xl"
    for f in doc["findings"]:
        assert set(f) >= {"rule", "severity", "key", "line", "column", "message", "hint"}
        assert f["severity"] in ("error", "warning", "info")
        assert f["rule"] in XEN_RULES
    assert json.loads(json.dumps(doc)) == doc
    keys = [f.sort_key() for f in result.findings]
    assert keys == sorted(keys)


def test_result_types_are_frozen() -> None:
    result = validate_config(CFG)
    with pytest.raises(AttributeError):
        result.valid = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.findings[0].rule = "X"  # type: ignore[misc]
    assert isinstance(result, ValidationResult) and isinstance(result.findings[0], Finding)


def test_oversized_input_is_refused_with_a_finding() -> None:
    for config in ("a" * (MAX_CONFIG_BYTES + 1), b"a" * (MAX_CONFIG_BYTES + 1), "é" * 140_000):
        result = validate_config(config)
        assert not result.valid
        assert [f.rule for f in result.findings] == ["XEN-FMT-010"]
        assert result.options == {}
    assert validate_config("a = 1\n" * 40_000).findings  # under the limit: read normally


def test_format_is_reported_with_a_reason() -> None:
    assert validate_config(CFG, fmt="xm").format_reason == "given by the caller"
    python = validate_config("import os\nmemory = 1\n")
    assert python.format == "xm" and "line 1" in python.format_reason
    old = validate_config("memory = 128\n", xen_version="3.4")
    assert old.format == "xm" and "predates xl" in old.format_reason
    new = validate_config("memory = 128\n", xen_version="4.17")
    assert new.format == "xl" and "4.5" in new.format_reason
    plus = validate_config('extra = "a"\nextra += "b"\n')
    assert plus.format == "xl" and "'+='" in plus.format_reason
    plain = validate_config("memory = 128\n")
    assert plain.format == "xl" and "defaulting" in plain.format_reason


def test_options_echo_is_json_ready() -> None:
    cfg = "a = 1.5\nb = True\nc = -5\nd = 0x10\ne = [1, 'x', [2]]\nf = 1e999\n"
    result = validate_config(cfg, fmt="xm")
    assert result.options == {"a": 1.5, "c": -5, "d": 16, "e": [1, "x", [2]], "f": "1e999"}
    json.dumps(result.options, allow_nan=False)


def test_sarif_log() -> None:
    result = validate_config(CFG, fmt="xl")
    log = to_sarif(result, artifact_uri="guests/g.cfg")
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f.rule for f in result.findings})
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert len(run["results"]) == len(result.findings)
    for res, f in zip(run["results"], result.findings, strict=True):
        assert res["ruleId"] == f.rule
        assert rules[res["ruleIndex"]]["id"] == f.rule
        assert res["level"] == {"error": "error", "warning": "warning", "info": "note"}[f.severity]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "guests/g.cfg"
        if f.line is None:
            assert "region" not in loc
        else:
            assert loc["region"]["startLine"] == f.line >= 1
            assert loc["region"]["startColumn"] == f.column
    rtc = next(r for r in run["results"] if r["ruleId"] == "XEN-RTC-002")
    assert rtc["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 18}
    json.dumps(log)


def test_report_lines() -> None:
    result = validate_config(CFG, fmt="xl")
    lines = format_lines(result, "g.cfg")
    assert len(lines) == len(result.findings)
    assert "g.cfg:4: error XEN-RTC-002 unquoted negative number -3600" in "\n".join(lines)
    no_line = validate_config('type = "hvm"\n', fmt="xl")
    assert any(
        line.startswith("x.cfg:0: error XEN-NAME-001 ") for line in format_lines(no_line, "x.cfg")
    )
    for line in lines:
        assert "\n" not in line


def test_invalid_utf8_is_reported_at_its_position() -> None:
    result = validate_config(b'name = "g"\nkernel = "/k\xff"\n', fmt="xl")
    (f,) = [f for f in result.findings if f.rule == "XEN-FMT-011"]
    assert (f.line, f.column) == (2, 13) and f.severity == "warning"
    assert result.options["kernel"] == "/k\ufffd"


def test_lone_surrogate_in_text_is_replaced() -> None:
    result = validate_config('name = "g\ud800"\nkernel = "/k"\n', fmt="xl")
    assert [f.rule for f in result.findings] == ["XEN-FMT-011"]
    json.dumps(result.as_dict()).encode("utf-8")


def test_nul_and_crlf_per_format() -> None:
    xl = validate_config('name = "g"\x00\nkernel = "/k"\n', fmt="xl")
    assert "XEN-FMT-005" in {f.rule for f in xl.findings} and not xl.valid
    xm = validate_config("kernel = '/k'\x00\n", fmt="xm")
    assert "XEN-FMT-001" in {f.rule for f in xm.findings}
    crlf = 'name = "g"\r\nkernel = "/k"\r\n'
    xl_crlf = validate_config(crlf, fmt="xl")
    assert [(f.rule, f.line) for f in xl_crlf.findings] == [("XEN-FMT-005", 1)]
    assert validate_config(crlf.replace('"', "'") + "on_crash = 'destroy'\r\n", fmt="xm").valid

"""SARIF 2.1.0 output for a validation result (code-scanning UIs, CI annotations).

Only the rules a result cites go into ``tool.driver.rules``, taken from the registry
entries themselves. SARIF levels: error -> "error", warning -> "warning", info -> "note".
Findings without a line get a location without a region (SARIF regions need
startLine >= 1).
"""

from __future__ import annotations

from typing import Any

from virtcompat.rules.registry import Rule, get_rule
from virtcompat.xen.findings import Finding, ValidationResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_INFO_URI = {
    "xl": "https://xenbits.xen.org/docs/unstable/man/xl.cfg.5.html",
    "libvirt": "https://libvirt.org/formatdomain.html",
}


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.id.replace("-", ""),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.explanation},
        "defaultConfiguration": {"level": _LEVELS[rule.severity.value]},
        "properties": {"sources": list(rule.sources)},
    }
    if rule.hint and "fix" in rule.hint:
        descriptor["help"] = {"text": str(rule.hint["fix"])}
    return descriptor


def _result(finding: Finding, index: int, artifact_uri: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri, "index": 0}}
    if finding.line is not None and finding.line >= 1:
        region: dict[str, Any] = {"startLine": finding.line}
        if finding.column is not None and finding.column >= 1:
            region["startColumn"] = finding.column
        physical["region"] = region
    text = finding.message
    if finding.hint:
        text = f"{text} (hint: {finding.hint})"
    properties: dict[str, Any] = {"severity": finding.severity}
    if finding.key is not None:
        properties["key"] = finding.key
    if finding.related:
        properties["related"] = [dict(r) for r in finding.related]
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "properties": properties,
    }


def to_sarif(result: ValidationResult, artifact_uri: str = "domain.cfg") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: the validator as tool, one result per finding."""
    cited = sorted({f.rule for f in result.findings})
    # XEN-* and DOM-* alike: every finding names a registered rule.
    rules = [r for r in (get_rule(rule_id) for rule_id in cited) if r is not None]
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = [_result(f, index.get(f.rule, -1), artifact_uri) for f in result.findings]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "virtcompat-xen-validate",
                        "informationUri": _INFO_URI.get(result.format, _INFO_URI["xl"]),
                        "rules": [_rule_descriptor(rule) for rule in rules],
                    }
                },
                "artifacts": [{"location": {"uri": artifact_uri}}],
                "results": results,
                "properties": {
                    "valid": result.valid,
                    "format": result.format,
                    "formatReason": result.format_reason,
                    "xenVersion": result.xen_version,
                    "requires": list(result.requires),
                },
            }
        ],
    }

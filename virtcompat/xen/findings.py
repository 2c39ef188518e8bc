"""The result shapes of a domain-config validation (CONTRACT.md, POST /validate/domain-config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from virtcompat.frozen import slot_setters


@dataclass(frozen=True, slots=True, init=False)
class Finding:
    """One problem or note about a config; ``rule`` is always a registered rule id.

    ``line``/``column`` are 1-based and None when the finding concerns the whole file
    (a missing key, a size limit, a host capability). ``related`` carries the host verdict
    reasons a hardware finding rests on (``{"capability", "rule", "layer", "status",
    "message"}``).
    """

    rule: str
    severity: str  # "error" | "warning" | "info"
    key: str | None
    line: int | None
    column: int | None
    message: str
    hint: str | None = None
    related: tuple[dict[str, Any], ...] = ()

    def __init__(
        self,
        rule: str,
        severity: str,
        key: str | None,
        line: int | None,
        column: int | None,
        message: str,
        hint: str | None = None,
        related: tuple[dict[str, Any], ...] = (),
    ) -> None:
        # Several per config: the slots directly (virtcompat.frozen).
        _f_rule(self, rule)
        _f_severity(self, severity)
        _f_key(self, key)
        _f_line(self, line)
        _f_column(self, column)
        _f_message(self, message)
        _f_hint(self, hint)
        _f_related(self, related)

    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.line or 0, self.column or 0, self.rule, self.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "key": self.key,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
            "related": [dict(r) for r in self.related],
        }


_f_rule, _f_severity, _f_key, _f_line, _f_column, _f_message, _f_hint, _f_related = slot_setters(
    Finding, "rule", "severity", "key", "line", "column", "message", "hint", "related"
)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    valid: bool  # False iff some finding is an error
    format: str  # "xm" | "xl"
    format_reason: str
    xen_version: str | None
    findings: tuple[Finding, ...]  # sorted by line, column, rule
    requires: tuple[str, ...]  # host capabilities the config needs, e.g. ("hvm", "slat")
    options: dict[str, Any] = field(default_factory=dict)  # key -> value, secrets masked

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "format": self.format,
            "format_reason": self.format_reason,
            "xen_version": self.xen_version,
            "findings": [f.as_dict() for f in self.findings],
            "requires": list(self.requires),
            "options": self.options,
        }

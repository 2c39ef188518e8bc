"""Rule metadata and the process-wide registry.

A rule is registered once, at import time, by the module that implements its check, and is
referenced by that module through the returned object (``reason(rule=HW_VTD_CHIPSET.id)``),
so no code can cite an id that is not in the registry. ``GET /api/v1/rules`` publishes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applies(StrEnum):
    HARDWARE = "hardware"
    DOMAIN_CONFIG = "domain-config"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity
    applies_to: Applies
    explanation: str
    hint: Mapping[str, Any] | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "applies_to": self.applies_to.value,
            "explanation": self.explanation,
            "hint": dict(self.hint) if self.hint is not None else None,
            "sources": list(self.sources),
        }


_REGISTRY: dict[str, Rule] = {}
_VERSION: list[str] = []  # rules_version() of the registry as it is; emptied by register()


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the registry; a second rule with the same id is a programming error."""
    existing = _REGISTRY.get(rule.id)
    if existing is not None and existing != rule:
        raise ValueError(f"rule id {rule.id!r} registered twice with different content")
    _REGISTRY[rule.id] = rule
    _VERSION.clear()
    return rule


def _load_all() -> None:
    # Importing the rule modules registers their rules; done lazily so that the registry
    # module itself stays import-cycle free.
    import virtcompat.domain.rules  # noqa: F401
    import virtcompat.engine.rules  # noqa: F401
    import virtcompat.xen.rules  # noqa: F401


def all_rules() -> list[Rule]:
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda r: r.id)


def get_rule(rule_id: str) -> Rule | None:
    _load_all()
    return _REGISTRY.get(rule_id)


def rules_version() -> str:
    """A short digest of every rule's content: changes whenever any rule changes.

    Computed once per registry state: every verdict and probe carries it, and hashing the
    whole registry cost about as much as the verdict itself."""
    _load_all()
    if not _VERSION:
        payload = json.dumps([r.as_dict() for r in all_rules()], sort_keys=True).encode()
        _VERSION.append(hashlib.sha256(payload).hexdigest()[:12])
    return _VERSION[0]

"""The one rule registry: hardware verdict rules and Xen domain-config rules alike."""

from virtcompat.rules.registry import (
    Applies,
    Rule,
    Severity,
    all_rules,
    get_rule,
    register,
    rules_version,
)

__all__ = ["Applies", "Rule", "Severity", "all_rules", "get_rule", "register", "rules_version"]

"""Compiler-style text lines for ``flask validate``: ``file:line: severity RULE message``.

A finding without a line (a missing key, a host capability, the size limit) is printed
with line 0, so every line keeps the same ``file:line:`` shape for editors and grep;
line numbers in configs start at 1, so 0 can only mean "the whole file". Hints follow
the message after " -- hint: ". Newlines in texts are flattened so one finding is one
output line.
"""

from __future__ import annotations

from virtcompat.xen.findings import ValidationResult


def _flat(text: str) -> str:
    return " ".join(text.split())


def format_lines(result: ValidationResult, filename: str) -> list[str]:
    lines = []
    for f in result.findings:
        text = _flat(f.message)
        if f.hint:
            text += f" -- hint: {_flat(f.hint)}"
        lines.append(f"{filename}:{f.line or 0}: {f.severity} {f.rule} {text}")
    return lines

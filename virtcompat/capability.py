"""The shapes of a capability verdict, shared by /compat, probe diagnoses and config checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """What we can say about one capability of one host.

    ``disabled`` means present but switched off in firmware or kernel (fixable);
    ``masked`` means hidden by a hypervisor; ``conflict`` means sources disagree.
    """

    SUPPORTED = "supported"
    UNSUPPORTED = "unsupported"
    DISABLED = "disabled"
    MASKED = "masked"
    UNKNOWN = "unknown"
    CONFLICT = "conflict"


class Layer(StrEnum):
    CPU = "cpu"
    CHIPSET = "chipset"
    FIRMWARE = "firmware"
    KERNEL = "kernel"
    HYPERVISOR = "hypervisor"
    BOARD = "board"


CAPABILITIES: tuple[str, ...] = ("vtx", "vtd", "slat", "hvm", "pci_passthrough")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact came from: a catalogue row (spec), a probe, or a note."""

    kind: str  # "spec" | "probe" | "note"
    id: str | int | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "source": self.source}


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of a verdict; ``rule`` is always a registered rule id."""

    rule: str
    layer: Layer
    status: Status
    message: str
    hint: Mapping[str, Any] | None = None
    evidence: tuple[Evidence, ...] = ()
    # Context that does not decide the capability's status (guidance, qualifications, a
    # catalogue fact shown beside the observation that overrides it).
    advisory: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "layer": self.layer.value,
            "status": self.status.value,
            "message": self.message,
            "hint": dict(self.hint) if self.hint is not None else None,
            "evidence": [e.as_dict() for e in self.evidence],
            "advisory": self.advisory,
        }


@dataclass(frozen=True, slots=True)
class Capability:
    status: Status
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "reasons": [r.as_dict() for r in self.reasons]}


Capabilities = Mapping[str, Capability]
"""Capability name (one of CAPABILITIES) -> verdict."""

"""The shapes of a capability verdict, shared by /compat, probe diagnoses and config checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


# The layers in chain order (iterating the enum class itself is a generator over its names).
_LAYERS: tuple[Layer, ...] = tuple(Layer)


CAPABILITIES: tuple[str, ...] = ("vtx", "vtd", "slat", "hvm", "pci_passthrough")


class Confidence(StrEnum):
    """How well a verdict is founded.

    ``high``: an explicit record (ARK, a datasheet, the curated seed) or an observation (a
    probe, an HCL report) for every layer it needed; ``medium``: a weaker citation, or a
    ``supported`` with a layer nobody judged; ``low``: inferred by an ``HW-INFER-*`` rule,
    or nothing established (every ``unknown``).
    """

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _CONFIDENCE_RANK[self]


_CONFIDENCE_RANK = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}
_CONFIDENCES = {c.value: c for c in Confidence}


def confidence_of(value: str | None) -> Confidence | None:
    """A citation's confidence string as a ``Confidence`` (None when absent or foreign)."""
    if not value:
        return None
    try:
        return _CONFIDENCES.get(value)  # Confidence(value), without the enum call
    except TypeError:  # unhashable: never a confidence
        return None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact came from: a catalogue row (spec), a probe, or a note."""

    kind: str  # "spec" | "probe" | "note" | "inference"
    id: str | int | None = None
    source: str | None = None
    # The citation's own confidence; None for observations (a probe is first-hand) and for
    # stored diagnoses that predate the field.
    confidence: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "id": self.id, "source": self.source}
        if self.confidence is not None:
            out["confidence"] = self.confidence
        return out

    @property
    def weight(self) -> Confidence | None:
        if self.kind == "probe":
            return Confidence.HIGH
        return confidence_of(self.confidence)


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of a verdict; ``rule`` is always a registered rule id.

    (The ``as_dict`` methods here read enum members' ``_value_``: the same string as
    ``.value``, without the enum property's descriptor call, dozens of times per verdict.)
    """

    rule: str
    layer: Layer
    status: Status
    message: str
    hint: Mapping[str, Any] | None = None
    evidence: tuple[Evidence, ...] = ()
    # Context that does not decide the capability's status (guidance, qualifications, a
    # catalogue fact shown beside the observation that overrides it).
    advisory: bool = False
    # Set for a reason that is not a citation (an inference is ``low``); otherwise the
    # reason weighs what its evidence weighs (see ``weight``).
    confidence: Confidence | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "layer": self.layer._value_,
            "status": self.status._value_,
            "message": self.message,
            "hint": dict(self.hint) if self.hint is not None else None,
            "evidence": [e.as_dict() for e in self.evidence],
            "advisory": self.advisory,
        }
        weight = self.weight
        if weight is not None:
            out["confidence"] = weight._value_
        return out

    @property
    def weight(self) -> Confidence | None:
        """The reason's confidence: explicit, else the best of its evidence (one explicit
        record is enough to know a fact), else None (a derived or guidance step)."""
        if self.confidence is not None:
            return self.confidence
        weights = [w for e in self.evidence if (w := e.weight) is not None]
        return max(weights, key=lambda w: w.rank) if weights else None


# A "firmware" requirement is met by the board's documented behaviour too: both describe what
# the board's BIOS does, and the catalogue records it on either row.
_SAME_LAYER: Mapping[Layer, frozenset[Layer]] = {
    Layer.FIRMWARE: frozenset({Layer.FIRMWARE, Layer.BOARD}),
    Layer.BOARD: frozenset({Layer.FIRMWARE, Layer.BOARD}),
}


@dataclass(frozen=True, slots=True)
class Capability:
    status: Status
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    # None when no chain was assessed (a capability a caller stated for a config check).
    confidence: Confidence | None = None
    judged: tuple[Layer, ...] = ()
    unjudged: tuple[Layer, ...] = ()
    # The verdict a demanded confidence replaced with "unknown": (status, confidence).
    withheld: tuple[Status, Confidence] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status._value_}
        if self.confidence is not None:
            out["confidence"] = self.confidence._value_
            out["layers"] = {
                "judged": [layer._value_ for layer in self.judged],
                "unjudged": [layer._value_ for layer in self.unjudged],
            }
        if self.withheld is not None:
            out["withheld"] = {
                "status": self.withheld[0].value,
                "confidence": self.withheld[1].value,
            }
        out["reasons"] = [r.as_dict() for r in self.reasons]
        return out


def judged_layers(reasons: Sequence[Reason]) -> tuple[tuple[Layer, ...], tuple[Layer, ...]]:
    """(judged, open) layers in chain order: a layer is judged when its deciding reasons all
    settled something; one that still says ``unknown`` (a BIOS version not given, a chipset
    not known) is open, even beside a settled reason of the same layer."""
    settled = {r.layer for r in reasons if not r.advisory and r.status != Status.UNKNOWN}
    pending = {r.layer for r in reasons if not r.advisory and r.status == Status.UNKNOWN}
    return (
        tuple(layer for layer in _LAYERS if layer in settled - pending),
        tuple(layer for layer in _LAYERS if layer in pending),
    )


def assess(
    status: Status,
    reasons: Sequence[Reason],
    required: Sequence[Layer],
    *,
    inherit: Sequence[Capability] = (),
) -> Capability:
    """A capability with its confidence and its judged / unjudged layers.

    ``required`` is the chain this capability needs judged for this kind of question (a
    catalogue query: the hardware; a probe: the host as it runs). ``inherit`` names the
    capabilities a derived one rests on (HVM on VT-x): their layers and confidence carry over.

    - ``unknown`` is always ``low``: nothing is established.
    - ``supported`` is as strong as its weakest deciding reason, and at most ``medium``
      while a required layer is unjudged: the README's "never claimed without positive
      evidence for every layer", in numbers.
    - any other status (unsupported, disabled, masked, conflict) is as strong as the best
      reason that decided it: one explicit "No" is enough to know a part lacks a feature.
    """
    own_judged, own_open = judged_layers(reasons)
    judged = set(own_judged)
    missing: set[Layer] = set(own_open)
    weights: list[Confidence] = []
    for dep in inherit:
        judged.update(dep.judged)
        missing.update(dep.unjudged)
        if dep.confidence is not None:
            weights.append(dep.confidence)
    for layer in required:
        if not judged & _SAME_LAYER.get(layer, frozenset({layer})):
            missing.add(layer)
    judged -= missing
    deciding = [r for r in reasons if not r.advisory and r.status == status]
    own = [w for r in deciding if (w := r.weight) is not None]
    if status == Status.UNKNOWN:
        confidence = Confidence.LOW
    elif status == Status.SUPPORTED:
        every = own + weights
        confidence = min(every, key=lambda w: w.rank) if every else Confidence.MEDIUM
        if missing and confidence == Confidence.HIGH:
            confidence = Confidence.MEDIUM
    else:
        every = own or weights
        confidence = max(every, key=lambda w: w.rank) if every else Confidence.MEDIUM
    return Capability(
        status=status,
        reasons=tuple(reasons),
        confidence=confidence,
        judged=tuple(layer for layer in _LAYERS if layer in judged),
        unjudged=tuple(layer for layer in _LAYERS if layer in missing),
    )


Capabilities = Mapping[str, Capability]
"""Capability name (one of CAPABILITIES) -> verdict."""

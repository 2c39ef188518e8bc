"""virtcompat.frozen.quick_init: a faster __init__ that leaves a frozen dataclass as it was."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from dataclasses import dataclass, field

import pytest

from virtcompat.frozen import quick_init
from virtcompat.xen.syntax import Scalar


@dataclass(frozen=True, slots=True)
class Plain:
    kind: str
    line: int
    hint: str | None = None
    related: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, hash=False)


@quick_init
@dataclass(frozen=True, slots=True)
class Quick:
    kind: str
    line: int
    hint: str | None = None
    related: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, hash=False)


def test_same_signature_and_objects() -> None:
    assert str(inspect.signature(Quick)) == str(inspect.signature(Plain))
    for args, kwargs in [(("a", 1), {}), (("a", 1, "h"), {}), ((), {"kind": "a", "line": 2})]:
        q, p = Quick(*args, **kwargs), Plain(*args, **kwargs)  # type: ignore[arg-type]
        assert dataclasses.astuple(q) == dataclasses.astuple(p)
        assert hash(q) == hash(p) and q == Quick(*args, **kwargs)  # type: ignore[arg-type]
        assert repr(q) == repr(p).replace("Plain", "Quick")
        assert pickle.loads(pickle.dumps(q)) == q
    assert dataclasses.replace(Quick("a", 1), hint="x") == Quick("a", 1, "x")
    # A default_factory is called per object.
    assert Quick("a", 1).extra == {} and Quick("a", 1).extra is not Quick("a", 1).extra
    assert Quick("a", 1, extra={"n": 1}).extra == {"n": 1}


def test_still_frozen_and_argument_errors_unchanged() -> None:
    q = Quick("a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.kind = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Quick("a")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick("a", 1, "h", (), {}, "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick("a", 1, kind="b")  # type: ignore[misc]
    assert Scalar("string", "x", 1, 2) == Scalar(kind="string", text="x", line=1, column=2)


def test_refuses_what_it_cannot_build() -> None:
    @dataclass(frozen=True, slots=True)
    class Init:
        a: int
        b: dataclasses.InitVar[int]

    @dataclass(frozen=True, slots=True)
    class KwOnly:
        a: int = field(kw_only=True)

    @dataclass(frozen=True, slots=True)
    class NoInit:
        a: int = field(init=False, default=1)

    @dataclass(frozen=True, slots=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(slots=True)
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    for cls in (Init, KwOnly, NoInit, PostInit, Mutable, NoSlots):
        with pytest.raises(TypeError):
            quick_init(cls)

"""The hand-written __init__ of the hot frozen dataclasses (virtcompat.frozen) stays exact."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from virtcompat.domain.spec import (
    NOWHERE,
    Clock,
    Graphics,
    Pos,
    Val,
    clock_at,
    graphics_at,
    pos_at,
    val_at,
    val_with,
)
from virtcompat.frozen import check_init, slot_setters, twin
from virtcompat.xen.findings import Finding, ValidationResult
from virtcompat.xen.syntax import Assignment, ListValue, Scalar

HAND_WRITTEN = [Scalar, ListValue, Assignment, Pos, Val, Finding]


@pytest.mark.parametrize("cls", HAND_WRITTEN, ids=lambda c: c.__name__)
def test_init_matches_the_dataclass_fields(cls: type) -> None:
    check_init(cls)


def test_objects_behave_as_frozen_dataclasses() -> None:
    s = Scalar("number", "4", 3, 9)
    assert s == Scalar(kind="number", text="4", line=3, column=9)
    assert hash(s) == hash(Scalar("number", "4", 3, 9)) and s != Scalar("number", "4", 3, 10)
    assert repr(s) == "Scalar(kind='number', text='4', line=3, column=9)"
    assert dataclasses.astuple(s) == ("number", "4", 3, 9)
    assert dataclasses.replace(s, text="5") == Scalar("number", "5", 3, 9)
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.text = "5"  # type: ignore[misc]
    assert Pos() == NOWHERE and Val(1).pos is NOWHERE and Val(1).shown == ""
    f = Finding("XEN-KEY-001", "warning", "k", 1, 2, "m")
    assert f.hint is None and f.related == ()
    with pytest.raises(TypeError):
        Scalar("number", "4", 3)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Scalar("number", "4", 3, 9, kind="string")  # type: ignore[misc]


def test_check_init_catches_a_field_the_init_forgot() -> None:
    @dataclass(frozen=True, slots=True, init=False)
    class Forgot:
        a: int
        b: int = 0

        def __init__(self, a: int) -> None:
            object.__setattr__(self, "a", a)
            object.__setattr__(self, "b", 0)

    @dataclass(frozen=True, slots=True, init=False)
    class Swapped:
        a: int
        b: int

        def __init__(self, a: int, b: int) -> None:
            object.__setattr__(self, "a", b)
            object.__setattr__(self, "b", a)

    for cls in (Forgot, Swapped):
        with pytest.raises(AssertionError):
            check_init(cls)


@dataclass(slots=True)
class _Mutable:
    a: int


@dataclass(frozen=True)
class _NoSlots:
    a: int


def test_slot_setters_refuses_wrong_names() -> None:
    with pytest.raises(TypeError):
        slot_setters(Scalar, "kind", "text", "line")  # a field left out
    with pytest.raises(TypeError):
        slot_setters(Scalar, "text", "kind", "line", "column")  # out of order


@pytest.mark.parametrize("cls", [_Mutable, _NoSlots], ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "build", [lambda c: slot_setters(c, "a"), twin], ids=["slot_setters", "twin"]
)
def test_refuses_classes_that_are_not_frozen_and_slotted(
    build: Callable[[type], object], cls: type
) -> None:
    with pytest.raises(TypeError):
        build(cls)


def test_twin_builds_the_object_the_init_builds() -> None:
    """An instance filled through twin(cls) and handed to cls is the object cls(...) makes:
    type, fields, eq, hash, repr, pickling and frozenness."""
    values: dict[type, tuple[object, ...]] = {
        Scalar: ("string", "x", 3, 9),
        ListValue: ((Scalar("number", "1", 1, 2),), 1, 1),
        Assignment: ("k", "=", Scalar("number", "1", 1, 5), 1, 1),
        Pos: (1, 2, "k"),
        Val: (5, Pos(1, 2, "k"), "5"),
        Finding: ("XEN-FMT-004", "warning", "k", 1, 2, "m", "h", ()),
        ValidationResult: (True, "xl", "r", "4.17", (), ("hvm",), {"k": 1}),
        Clock: ("variable", 3600, "utc", Pos(4, 1, "rtc_timeoffset")),
        Graphics: ("vnc", "0.0.0.0", True, Pos(2, 7, "vnc"), "vfb"),
    }
    for cls, args in values.items():
        made = twin(cls)()
        for f, v in zip(dataclasses.fields(cls), args, strict=True):
            setattr(made, f.name, v)
        made.__class__ = cls
        expected = cls(*args)
        assert type(made) is cls and made == expected and repr(made) == repr(expected)
        if cls is not ValidationResult:  # (it holds a dict: unhashable, as before)
            assert hash(made) == hash(expected)
            assert pickle.loads(pickle.dumps(made)) == expected
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, dataclasses.fields(cls)[0].name, None)


def test_the_xl_fast_path_builds_real_values() -> None:
    from virtcompat.xen.syntax import Mode, parse

    parsed = parse('a = "s"\nb = 1\nc = [ "x" ]\nd = [ "x", "y" ]\ne = []\n', Mode.XL)
    for a in parsed.assignments:
        assert type(a) is Assignment
        value = a.value
        assert type(value) in (Scalar, ListValue)
        if isinstance(value, ListValue):
            assert all(type(item) is Scalar for item in value.items)


def test_the_spec_builders_build_what_the_classes_build() -> None:
    pos = Pos(3, 5, "memory")
    assert val_at(512, 3, 5, "memory", "512") == Val(512, pos, "512")
    assert type(val_at(1, 1, 1, "k", "1")) is Val and type(pos_at(1, 2, "k")) is Pos
    assert pos_at(None, None, "k") == Pos(None, None, "k")
    assert val_with("hvm", pos, "hvm") == Val("hvm", pos, "hvm")
    assert clock_at("utc", None, "utc", pos) == Clock("utc", None, "utc", pos)
    assert graphics_at("sdl", None, None, pos) == Graphics("sdl", None, None, pos)
    assert type(graphics_at("vnc", None, False, pos, "vfb")) is Graphics

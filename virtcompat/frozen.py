"""Fast construction for the frozen, slotted dataclasses built per line of every config.

``dataclasses`` gives a frozen class an ``__init__`` that stores each field with
``object.__setattr__(self, name, value)`` (its own ``__setattr__`` refuses), a generic lookup
per field: building a four-field ``Scalar`` costs about 0.45 us, against 0.12 us for a
mutable one. Validating one xl config builds about sixty (values, assignments, positions,
findings), a sixth of the time per config (#14).

The few classes built that often declare ``@dataclass(frozen=True, slots=True, init=False)``
and a hand-written ``__init__`` that stores each field through its slot descriptor (what
``object.__setattr__`` ends up calling), taken once after the class exists with
:func:`slot_setters`. The class is otherwise untouched: still frozen, hashable, comparable,
a dataclass to ``asdict`` and ``replace``. Nothing is generated at run time.
:func:`check_init` (run by the tests over every such class) proves the hand-written
``__init__`` takes the fields in order with the dataclass defaults and stores each one, so
adding a field without updating ``__init__`` fails the suite.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

Setter = Callable[[Any, Any], None]


def slot_setters(cls: type, *names: str) -> tuple[Setter, ...]:
    """The slot descriptors' ``__set__`` for ``names``, which must be all of ``cls``'s fields.

    Raises TypeError at import when the class is not a frozen slotted dataclass or the names
    are not its fields in declaration order.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: slot_setters needs a frozen dataclass with slots")
    fields = [f.name for f in dataclasses.fields(cls)]
    if list(names) != fields:
        raise TypeError(f"{cls.__name__}: fields are {fields}, not {list(names)}")
    return tuple(cls.__dict__[name].__set__ for name in names)


def check_init(cls: type) -> None:
    """Raise AssertionError unless ``cls.__init__`` matches what ``dataclasses`` would build.

    Same parameters in field order, same defaults (no ``default_factory``: the hot classes
    have none), and each argument stored in its own field.
    """
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in params] == [f.name for f in fields], cls
    sentinels = []
    for p, f in zip(params, fields, strict=True):
        assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, (cls, p)
        assert f.default_factory is dataclasses.MISSING, (cls, f)
        if f.default is not dataclasses.MISSING:
            assert p.default is f.default, (cls, p)
        else:
            assert p.default is inspect.Parameter.empty, (cls, p)
        sentinels.append(object())
    obj = cls(*sentinels)
    assert [getattr(obj, f.name) for f in fields] == sentinels, cls
    for f in fields:
        if f.default is not dataclasses.MISSING:
            assert getattr(cls(*sentinels[: fields.index(f)]), f.name) is f.default, (cls, f)

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

The hottest builds (the xl parser's values and statements, the DomainSpec values, findings,
the result) go one step further through :func:`twin`: a plain class with the same slots,
filled with ordinary attribute stores, whose instance is then given the frozen class.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
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


def twin(cls: type) -> type:
    """A plain class with exactly ``cls``'s slots and nothing else, for the hottest builds.

    Each slot setter call above costs about as much as a Python function call (the slot
    wrapper packs and unpacks an argument tuple), so a four-field object filled through
    them costs twice a plain one (valgrind: ~3,900 against ~1,950 instructions). An
    instance of the twin is filled with plain attribute stores (a mutable slotted class:
    no ``__setattr__`` of its own), then handed to ``cls`` by assigning its ``__class__``,
    which Python allows between heap types of the same layout. The object is then a
    ``cls`` in every respect (type, frozen, eq, hash, repr, pickle), as if built by
    ``cls.__init__`` with the same values. The caller must store every field before the
    swap; the tests compare each such build with the class's own ``__init__``.

    Raises TypeError at import when ``cls`` is not a frozen slotted dataclass whose slots
    are its fields, or when Python refuses the swap (a layout this does not expect).
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: twin needs a frozen dataclass with slots")
    names = tuple(f.name for f in dataclasses.fields(cls))
    if tuple(cls.__dict__["__slots__"]) != names:
        raise TypeError(f"{cls.__name__}: slots {cls.__dict__['__slots__']} are not {names}")
    # The same bases as written (Generic[T] for Val), so the layouts match.
    made = types.new_class(
        f"_{cls.__name__}Twin",
        cls.__dict__.get("__orig_bases__", cls.__bases__),
        exec_body=lambda ns: ns.update(__slots__=names, __module__=cls.__module__),
    )
    probe = made()
    for name in names:
        setattr(probe, name, None)
    probe.__class__ = cls  # raises TypeError if the layouts differ
    return made

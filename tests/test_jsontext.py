"""virtcompat.jsontext: orjson's text, and the standard library's for what orjson refuses."""

from __future__ import annotations

import json

import pytest

from virtcompat.jsontext import dumps


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1, 2.5, None, True, False], "c": {"d": 'é\u2028"\\'}},
        [],
        "x",
        {1: "int key", "s": (1, 2)},  # a non-string key and a tuple, as json.dumps takes them
        2**70,  # beyond 64 bits: orjson refuses, the standard library writes it
        {"n": -(2**64)},
    ],
)
def test_same_document_as_json_dumps(value: object) -> None:
    text = dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert text == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError):
        dumps({"x": object()})

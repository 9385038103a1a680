"""Indented JSON written faster than ``json.dumps(..., indent=2)``, and the same bytes."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest

from cloudcraver_host.indented_json import dumps_indented


class _Level(str, enum.Enum):
    HIGH = "high"


class _Count(enum.IntEnum):
    ONE = 1


VALUES: list[Any] = [
    {},
    [],
    "",
    0,
    -12345678901234567890,
    None,
    True,
    False,
    1.5,
    float("nan"),
    float("inf"),
    {"a": {}, "b": [], "c": [{}], "d": [[]]},
    {"text": 'quote " backslash \\ line\nbreak \x1b[31m \u202e é 😀 \ud800'},
    {1: "int key", 2.5: "float key", False: "bool key", None: "none key"},
    {"nested": {"list": [1, "two", None, {"three": [3.0, (4, 5)]}]}},
    ("a", "tuple", ["inside"]),
    {"enum": _Level.HIGH, "int enum": _Count.ONE, _Level.HIGH: "enum key"},
    [{"rule_id": "r", "severity": "error", "location": {"file": "f", "line": 3}}] * 3,
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:40] for v in VALUES])
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2)

"""Integers too long for Python, and walks that must not expand shared (aliased) data."""

from __future__ import annotations

import time
from typing import Any

import pytest

from cloudcraver_host.config import parse_assignment, parse_value
from cloudcraver_host.errors import ConfigError
from cloudcraver_host.integers import from_value_error, longest_integer
from cloudcraver_host.tomlfile import IntegerTooLongError, dumps, loads, too_deep


def python_refusal() -> ValueError:
    try:
        int("9" * 5000)
    except ValueError as exc:
        return exc
    raise AssertionError("Python read 5,000 digits")  # pragma: no cover


def test_pythons_refusal_is_worded_as_ours() -> None:
    words = from_value_error(python_refusal())
    assert words is not None and "5,000 digits" in words and "quote it" in words
    assert from_value_error(ValueError("something else")) is None


@pytest.mark.parametrize("literal", ["9" * 5000, "1" + "_9" * 5000, "0x" + "f" * 4000])
def test_toml_with_a_long_integer_is_a_config_error(literal: str) -> None:
    with pytest.raises(IntegerTooLongError, match="digits is over the 4,300 digits accepted"):
        loads(f"n = {literal}", source="x.toml")


def test_an_integer_at_the_limit_is_read() -> None:
    assert loads(f"n = {'9' * 4300}", source="x.toml")["n"] == int("9" * 4300)


def test_a_long_integer_on_the_command_line_is_an_error_not_text() -> None:
    with pytest.raises(ConfigError, match=r"^--set x: an integer of 5,000 digits"):
        parse_assignment(f"x={'9' * 5000}", source="--set")
    assert parse_value(f'"{"9" * 5000}"') == "9" * 5000  # quoted: text


def shared(levels: int) -> Any:
    """Data of ``2 ** levels`` leaves in ``levels`` lists: what a YAML alias chain builds."""
    node: Any = [1]
    for _ in range(levels):
        node = [node, node]
    return node


def test_walks_visit_shared_data_once() -> None:
    data = {"x": shared(60)}  # 2**60 leaves once expanded
    started = time.monotonic()
    assert not too_deep(data, 64)
    assert too_deep({"x": shared(70)}, 64)
    assert longest_integer(data) is None
    assert time.monotonic() - started < 1


def test_toml_writes_controls_as_escapes_that_read_back() -> None:
    text = "a\x85b\u202ec\u2028d\x1b"
    written = dumps({"k": text})
    assert all(char not in written for char in "\x85\u202e\u2028\x1b"), written
    assert loads(written, source="x")["k"] == text

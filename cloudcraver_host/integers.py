"""Integers too long for Python to read or print: an input error, not a crash.

Python refuses to convert between ``int`` and decimal text beyond 4,300 digits (a defence
against quadratic-time conversion) and raises a plain :class:`ValueError` wherever that
happens: in ``tomllib``, ``json`` or ``yaml`` while reading a configuration, a manifest or
``--params``, or later, when a value read in another base (``0xfff…``) is printed. No
setting or parameter needs such a number, so the host refuses it where it is read, with
its own words: what (an integer of N digits), and what to do (quote it to make it text).
"""

from __future__ import annotations

import re
import sys
from typing import Any

__all__ = ["MAX_INTEGER_DIGITS", "from_value_error", "longest_integer", "too_long"]

#: The most decimal digits an integer may have: Python's default conversion limit.
MAX_INTEGER_DIGITS = 4300

# What Python says: "Exceeds the limit (4300 digits) for integer string conversion: value
# has 5000 digits; use sys.set_int_max_str_digits() to increase the limit".
_PYTHON_SAYS = re.compile(r"limit \((\d+) digits\) for integer string conversion(?:.*?(\d+))?")


def too_long(digits: int | None) -> str:
    """The words for an integer of ``digits`` decimal digits (``None``: not known)."""
    size = f"of {digits:,} digits" if digits else f"of more than {_limit():,} digits"
    return (
        f"an integer {size} is over the {_limit():,} digits accepted; "
        "quote it if it is meant as text"
    )


def from_value_error(error: BaseException) -> str | None:
    """:func:`too_long`'s words if ``error`` is Python refusing a long integer, else ``None``."""
    if not isinstance(error, ValueError):
        return None
    match = _PYTHON_SAYS.search(str(error))
    if match is None:
        return None
    return too_long(int(match[2]) if match[2] else None)


def longest_integer(value: Any) -> int | None:
    """How many digits (about) the first integer in ``value`` over the limit has, else ``None``.

    Walks dicts and lists without recursing, each once (a YAML alias bomb costs its size,
    not its expansion). Finds what a parser let through: a literal in another base (TOML's
    and YAML's ``0x…``), whose decimal form is over the limit.
    """
    bound = 10 ** _limit()
    pending = [value]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, (dict, list)):
            if id(item) not in seen:
                seen.add(id(item))
                pending.extend(item.values() if isinstance(item, dict) else item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= bound:
            # Not str(item): that is the very conversion Python refuses.
            return int(item.bit_length() * 0.30103) + 1
    return None


def _limit() -> int:
    # The interpreter may have been started with another limit (-X int_max_str_digits).
    getter = getattr(sys, "get_int_max_str_digits", None)  # Python 3.10.7 and later
    current = getter() if getter is not None else 0
    return min(MAX_INTEGER_DIGITS, current) if current else MAX_INTEGER_DIGITS

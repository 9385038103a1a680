"""How large an integer literal the policy parsers accept.

Python refuses to convert between ``int`` and decimal text beyond 4,300 digits (a
defence against quadratic-time conversion), raising :class:`ValueError` wherever that
happens: in a parser, but also later, when a rule or a report prints the number. No
infrastructure value needs that many digits, so the parsers refuse such a literal as the
file's own error (:class:`IntegerTooLarge`, turned into the file's
:class:`~cloudcraver_hookspecs.PluginInputError` with its line), whatever base it is
written in and whatever limit the interpreter was started with.
"""

from __future__ import annotations

import math
import re
import sys

__all__ = [
    "MAX_INTEGER_DIGITS",
    "IntegerTooLarge",
    "check_integer",
    "convert",
    "find_long_integer",
    "list_index",
    "too_large",
]

#: The most decimal digits an integer may have: Python's default conversion limit.
MAX_INTEGER_DIGITS = 4300
# The smallest integer with more than MAX_INTEGER_DIGITS decimal digits.
_TOO_LARGE = 10**MAX_INTEGER_DIGITS
_ADVICE = "quote it if it is meant as text"


class IntegerTooLarge(ValueError):
    """An integer literal over :data:`MAX_INTEGER_DIGITS` digits; the message says so."""


def too_large(digits: int) -> IntegerTooLarge:
    """The error for an integer literal of about ``digits`` decimal digits."""
    return IntegerTooLarge(
        f"an integer of {digits:,} digits is over the {MAX_INTEGER_DIGITS:,} digits "
        f"accepted; {_ADVICE}"
    )


def check_integer(text: str, value: int | None = None) -> None:
    """Refuse the literal ``text`` (and its ``value``, once converted) if too large.

    The text is checked before it is converted (any base: a literal longer than the limit
    cannot be a number worth reading, and converting it may cost quadratic time), the
    value after (a hexadecimal literal has fewer digits than its decimal form).

    :raises IntegerTooLarge: when it is.
    """
    digits = len(text.lstrip("+-"))
    if digits > MAX_INTEGER_DIGITS:
        raise too_large(digits)
    if value is not None and abs(value) >= _TOO_LARGE:
        # Not str(value): that is the very conversion Python refuses.
        raise too_large(int(value.bit_length() * math.log10(2)) + 1)


def convert(text: str, base: int = 10) -> int:
    """``int(text, base)``, refusing a literal over the limit.

    :raises IntegerTooLarge: when it is over the limit (or over the interpreter's own).
    """
    check_integer(text)
    try:
        value = int(text, base)
    except ValueError:  # the interpreter's limit may be set lower than ours
        raise too_large(len(text)) from None
    check_integer(text, value)
    return value


def list_index(text: str) -> int | None:
    """``text`` as an index into a list (ASCII digits, at most nine), else ``None``.

    ``str.isdigit`` also accepts digits ``int`` refuses (``"²"``); and no list of a
    document has a billion items.
    """
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def find_long_integer(text: str) -> tuple[int, int] | None:
    """Where the first run of digits longer than the interpreter allows starts, and its length.

    For a parser that only says that some number was too long (``json``).
    """
    getter = getattr(sys, "get_int_max_str_digits", None)  # Python 3.10.7 and later
    limit = (
        min(MAX_INTEGER_DIGITS, getter() or MAX_INTEGER_DIGITS) if getter else MAX_INTEGER_DIGITS
    )
    # Not the digits of a float (json reads those without a limit).
    match = re.search(f"(?<![0-9.])[0-9]{{{limit + 1},}}(?![0-9.eE])", text)
    return None if match is None else (match.start(), match.end() - match.start())

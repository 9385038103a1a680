r"""Text from files and users made safe to print: no control characters, no endless lines.

A resource name, a message or a file name read from a file to validate is printed in the
text report and in ``error:`` lines. Printed raw, a line feed in it starts a line the file
wrote (a forged ``0 finding(s)`` summary), a carriage return or an ANSI escape rewrites the
terminal, a bidirectional control (U+202E...) shows the line in another order than it is,
and a lone surrogate cannot even be encoded. :func:`escape` writes each such character as
a visible escape (``\n``, ``\x1b``, ``\u202e``); :func:`shorten` keeps an echoed value
from making a line of 100 kB. JSON and SARIF need neither: ``json`` escapes them already.
"""

from __future__ import annotations

import re

__all__ = ["MAX_ECHO", "MAX_LINE", "UNSAFE", "escape", "shorten"]

#: How much of a value given by the user an error message repeats.
MAX_ECHO = 200
#: The longest ``error:``/``warning:`` line printed (longer ones lose their middle).
MAX_LINE = 1000

# C0 and C1 controls (DEL included), the bidirectional controls (U+061C ALM, U+200E/F
# LRM/RLM, U+202A-E embeddings and overrides, U+2066-9 isolates), the Unicode line and
# paragraph separators, and lone surrogates.
#: The characters :func:`escape` escapes (one per match).
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control, bidirectional control and lone surrogate escaped."""
    return UNSAFE.sub(_escaped, text)


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """``text``, or its start and end with how many characters were left out between."""
    if len(text) <= limit:
        return text
    head, tail = limit * 3 // 4, limit // 5
    left_out = len(text) - head - tail
    return f"{text[:head]}… ({left_out} more characters) …{text[len(text) - tail :]}"

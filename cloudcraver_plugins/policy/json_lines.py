"""Line numbers for JSON documents: a source map from JSON pointers to lines.

``json`` gives no positions, so once a text is known to be valid JSON a small scanner
walks it again and notes where each member and item starts. Containers deeper than the
map needs are skipped whole by the standard decoder.
"""

from __future__ import annotations

import bisect
import json
import re

from .model import escape_pointer

__all__ = ["duplicate_key_line", "source_map"]

# Findings point at resources and properties; deeper nodes are not mapped.
_MAP_DEPTH = 12
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Scanner:
    """Walks a valid JSON text, recording the line of every member and item."""

    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self.newlines = [match.start() for match in re.finditer("\n", text)]
        self.lines: dict[str, int] = {}
        self.duplicate: tuple[str, int] | None = None

    def line(self, position: int) -> int:
        return bisect.bisect_left(self.newlines, position) + 1

    def skip_space(self, position: int) -> int:
        match = _WHITESPACE.match(self.text, position)
        return match.end() if match else position

    def value(self, position: int, pointer: str, depth: int) -> int:
        """Scan the value starting at ``position``; returns the position after it."""
        position = self.skip_space(position)
        char = self.text[position]
        if depth < self.max_depth and char == "{":
            return self.object(position + 1, pointer, depth)
        if depth < self.max_depth and char == "[":
            return self.array(position + 1, pointer, depth)
        _, end = _DECODER.raw_decode(self.text, position)
        return end

    def object(self, position: int, pointer: str, depth: int) -> int:
        position = self.skip_space(position)
        if self.text[position] == "}":
            return position + 1
        seen: set[str] = set()
        while True:
            position = self.skip_space(position)
            key, end = _DECODER.raw_decode(self.text, position)
            if key in seen and self.duplicate is None:
                self.duplicate = (key, self.line(position))
            seen.add(key)
            child = f"{pointer}/{escape_pointer(key)}"
            self.lines.setdefault(child, self.line(position))
            position = self.skip_space(end) + 1  # the colon
            position = self.skip_space(self.value(position, child, depth + 1))
            if self.text[position] == "}":
                return position + 1
            position += 1  # the comma

    def array(self, position: int, pointer: str, depth: int) -> int:
        position = self.skip_space(position)
        if self.text[position] == "]":
            return position + 1
        index = 0
        while True:
            position = self.skip_space(position)
            child = f"{pointer}/{index}"
            self.lines.setdefault(child, self.line(position))
            position = self.skip_space(self.value(position, child, depth + 1))
            if self.text[position] == "]":
                return position + 1
            position += 1
            index += 1


def source_map(text: str) -> dict[str, int]:
    """JSON pointer -> 1-based line for every member and item of ``text`` (valid JSON)."""
    scanner = _Scanner(text, _MAP_DEPTH)
    start = scanner.skip_space(0)
    scanner.lines[""] = scanner.line(start)
    scanner.value(start, "", 0)
    return scanner.lines


def duplicate_key_line(text: str) -> tuple[str, int] | None:
    """The first key repeated within one object of ``text`` (valid JSON), and its line."""
    scanner = _Scanner(text, max_depth=200)
    scanner.value(scanner.skip_space(0), "", 0)
    return scanner.duplicate

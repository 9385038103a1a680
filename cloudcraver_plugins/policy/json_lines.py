"""Line numbers for JSON documents: a source map from JSON pointers to lines.

``json`` gives no positions, so once a text is known to be valid JSON a small scanner
walks it again and notes where each member and item starts. Containers deeper than the
map needs are skipped whole by the standard decoder.

:class:`LazySourceMap` does the same on demand: asked for one pointer, it indexes only
the containers on the way to it (each once), so that a large document (a plan of
thousands of resources) costs a scan of the few containers findings point into rather
than of every member.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from .model import escape_pointer

__all__ = ["LazySourceMap", "duplicate_key_line", "source_map"]

# Findings point at resources and properties; deeper nodes are not mapped.
_MAP_DEPTH = 12
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# A member's key with no escape in it (valid JSON: its text is the key), and the colon.
_PLAIN_KEY = re.compile(r'"([^"\\]*)"[ \t\n\r]*:[ \t\n\r]*')
# What follows a member or item: white space, and the comma if another one follows.
_AFTER_VALUE = re.compile(r"[ \t\n\r]*(?:,[ \t\n\r]*)?")
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


def _unescape(segment: str) -> str:
    if "~" not in segment:  # nearly every segment: nothing to undo
        return segment
    return segment.replace("~1", "/").replace("~0", "~")


class LazySourceMap(Mapping[str, int]):
    """JSON pointer -> 1-based line of ``text`` (valid JSON), worked out when asked.

    Holds the same entries as :func:`source_map`; iterating over it builds them all.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines: list[int] | None = None
        # By container pointer: member or item -> (where its key or item starts, where
        # its value starts); None for a pointer that is not a container.
        self._entries: dict[str, dict[str, tuple[int, int]] | None] = {}
        self._all: dict[str, int] | None = None
        self._found: dict[str, int | None] = {}  # lines already worked out, by pointer

    def _line(self, position: int) -> int:
        if self._newlines is None:
            self._newlines = [match.start() for match in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._newlines, position) + 1

    def _skip_space(self, position: int) -> int:
        match = _WHITESPACE.match(self.text, position)
        return match.end() if match else position

    def _index(self, pointer: str, start: int) -> dict[str, tuple[int, int]] | None:
        """The members (or items) of the container at ``start``, indexed once."""
        if pointer in self._entries:
            return self._entries[pointer]
        text, entries = self.text, {}
        opening = text[start]
        if opening not in "{[":
            self._entries[pointer] = None
            return None
        # One container may hold 90,000 members: the loop calls only C (a pattern reads a
        # key without escapes and the colon, the decoder's scanner skips each value whole
        # and raises StopIteration on bad JSON, a pattern the comma and white space).
        skip = cast(Callable[[str, int], "re.Match[str]"], _WHITESPACE.match)  # always matches
        after = cast(Callable[[str, int], "re.Match[str]"], _AFTER_VALUE.match)  # likewise
        plain_key = _PLAIN_KEY.match
        decode: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
        position = skip(text, start + 1).end()
        index = 0
        while text[position] not in "}]":
            if opening == "{":
                plain = plain_key(text, position)
                if plain is not None:
                    key, value = plain.group(1), plain.end()
                else:  # escapes in the key: decoded
                    key, end = decode(text, position)
                    value = skip(text, skip(text, end).end() + 1).end()  # past the colon
                entries[key] = (position, value)
            else:
                value = position
                entries[str(index)] = (position, position)
                index += 1
            position = after(text, decode(text, value)[1]).end()
        self._entries[pointer] = entries
        return entries

    def _locate(self, pointer: str) -> int | None:
        """Where the member or item ``pointer`` starts (its key, for a member)."""
        if pointer == "":
            return self._skip_space(0)
        if not pointer.startswith("/") or pointer.count("/") > _MAP_DEPTH:
            return None
        container, _, last = pointer.rpartition("/")
        # Findings point into a few containers (a type's 90,000 resources): their
        # entries are found once, then each pointer is one lookup.
        entries = self._entries.get(container)
        if entries is None:
            entries = self._members(container)
        entry = None if entries is None else entries.get(_unescape(last))
        return None if entry is None else entry[0]

    def _members(self, container: str) -> dict[str, tuple[int, int]] | None:
        """The entries of the container at ``container``; ``None``: no such container."""
        if container in self._entries:
            return self._entries[container]
        if container == "":
            return self._index("", self._skip_space(0))
        parent, _, last = container.rpartition("/")
        entries = self._members(parent)
        entry = None if entries is None else entries.get(_unescape(last))
        if entry is None:
            self._entries[container] = None
            return None
        return self._index(container, entry[1])

    def get(self, pointer: str, default: int | None = None) -> int | None:  # type: ignore[override]
        """The line of ``pointer``, or ``default`` when the document has no such node."""
        if self._all is not None:
            return self._all.get(pointer, default)
        if pointer in self._found:  # rules report a resource several times
            line = self._found[pointer]
            return default if line is None else line
        try:
            position = self._locate(pointer)
        except (ValueError, IndexError, StopIteration):  # not the valid JSON it should be
            position = None
        line = self._found[pointer] = None if position is None else self._line(position)
        return default if line is None else line

    def __getitem__(self, pointer: str) -> int:
        line = self.get(pointer)
        if line is None:
            raise KeyError(pointer)
        return line

    def _everything(self) -> dict[str, int]:
        if self._all is None:
            self._all = source_map(self.text)
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())

"""Changing one value in a configuration file that people also edit by hand.

The edit is made on the text, so comments and layout survive: the key's line is
replaced, or added to its table, or a new table is appended. The result is parsed back
and compared with what was intended; if the text edit could not express it (a value
spanning several lines, a dotted key written inline...), the file is written out in full.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import set_path
from .errors import ConfigError
from .tomlfile import dumps, loads, locked_update_text

__all__ = ["edit_config_text", "set_config_value"]

_HEADER = re.compile(r"^\s*\[(?!\[)(?P<name>[^\]]+)\]\s*(#.*)?$")


def _split_dotted(name: str) -> tuple[str, ...]:
    parts = [p.strip() for p in name.split(".")]
    return tuple(p[1:-1] if len(p) > 1 and p[0] == p[-1] and p[0] in "\"'" else p for p in parts)


def _edit_text(text: str, path: Sequence[str], value: Any) -> str:
    table, key = tuple(path[:-1]), path[-1]
    line_for_key = dumps({key: value}).strip()
    lines = text.splitlines()
    start = end = None
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match is None:
            continue
        if start is not None:
            end = index
            break
        if _split_dotted(match["name"]) == table:
            start = index
    if start is None:
        block = dumps(_nest(table, {key: value})).strip()
        if not text.strip():
            return f"{block}\n"
        tail = "" if text.endswith("\n") else "\n"
        return f"{text}{tail}\n{block}\n"
    end = len(lines) if end is None else end
    key_line = re.compile(rf"^\s*{re.escape(key)}\s*=|^\s*\"{re.escape(key)}\"\s*=")
    for index in range(start + 1, end):
        if key_line.match(lines[index]):
            lines[index] = line_for_key
            return "\n".join(lines) + "\n"
    insert_at = end
    while insert_at > start + 1 and not lines[insert_at - 1].strip():
        insert_at -= 1
    lines.insert(insert_at, line_for_key)
    return "\n".join(lines) + "\n"


def _nest(path: Sequence[str], leaf: dict[str, Any]) -> dict[str, Any]:
    for key in reversed(path):
        leaf = {key: leaf}
    return leaf


def edit_config_text(
    text: str, path: Sequence[str], value: Any, *, source: str = "configuration"
) -> str:
    """``text`` with ``path`` set to ``value``: edited in place, or written anew if it must be.

    :param source: names the file in the error raised if ``text`` is not valid TOML.
    """
    wanted = set_path(loads(text, source=source) if text.strip() else {}, path, value)
    candidate = _edit_text(text, path, value)
    try:
        if loads(candidate, source=source) == wanted:
            return candidate
    except ConfigError:  # the text edit produced invalid TOML: rewrite instead
        pass
    return dumps(wanted)


def set_config_value(file: Path, path: Sequence[str], value: Any) -> None:
    """Set ``path`` (a key path such as ``("plugins", "policy", "x")``) to ``value`` in ``file``."""
    locked_update_text(file, lambda text: edit_config_text(text, path, value, source=str(file)))

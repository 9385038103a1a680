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

__all__ = [
    "edit_config_text",
    "remove_plugin_section",
    "set_config_value",
    "unset_config_text",
    "unset_config_value",
]

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
    current = loads(text, source=source) if text.strip() else {}
    _check_shape(current, path, value, source)
    wanted = set_path(current, path, value)
    candidate = _edit_text(text, path, value)
    try:
        if loads(candidate, source=source) == wanted:
            return candidate
    except ConfigError:  # the text edit produced invalid TOML: rewrite instead
        pass
    return dumps(wanted)


def _check_shape(data: dict[str, Any], path: Sequence[str], value: Any, source: str) -> None:
    """Refuse an edit that would silently drop values: a value where a table is, or the reverse."""
    node: Any = data
    for depth, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            return
        node = node[key]
        here = ".".join(path[: depth + 1])
        last = depth == len(path) - 1
        if not last and not isinstance(node, dict):
            raise ConfigError(
                f"{source}: {here} is a value ({dumps({'v': node}).strip()[4:]}), not a table, "
                f"so {'.'.join(path)} cannot be set under it; run `cloudcraver config unset "
                f"{here}` first if that is what you mean"
            )
        if last and isinstance(node, dict) and not isinstance(value, dict):
            raise ConfigError(
                f"{source}: {here} is a table holding {', '.join(node) or 'nothing'}; setting it "
                f"to a value would drop them: run `cloudcraver config unset {here}` first"
            )


def set_config_value(file: Path, path: Sequence[str], value: Any) -> None:
    """Set ``path`` (a key path such as ``("plugins", "policy", "x")``) to ``value`` in ``file``."""
    locked_update_text(file, lambda text: edit_config_text(text, path, value, source=str(file)))


def remove_plugin_section(file: Path, name: str) -> bool:
    """Remove ``[plugins.<name>]`` from ``file``; whether there was one.

    The file is written anew (its comments are not kept) only when the section existed.
    """
    if not file.is_file():
        return False
    removed: list[bool] = []

    def update(text: str) -> str:
        data = loads(text, source=str(file)) if text.strip() else {}
        plugins = data.get("plugins")
        if not isinstance(plugins, dict) or name not in plugins:
            return text
        del plugins[name]
        if not plugins:
            del data["plugins"]
        removed.append(True)
        return dumps(data)

    locked_update_text(file, update)
    return bool(removed)


def unset_config_text(
    text: str, path: Sequence[str], *, source: str = "configuration"
) -> str | None:
    """``text`` without the key ``path`` (comments kept when the edit allows); ``None`` if unset."""
    data = loads(text, source=source) if text.strip() else {}
    parent: Any = data
    for key in path[:-1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(parent, dict) or path[-1] not in parent:
        return None
    del parent[path[-1]]
    candidate = _remove_line(text, path)
    try:
        if candidate is not None and loads(candidate, source=source) == data:
            return candidate
    except ConfigError:  # the line edit broke the file: rewrite it instead
        pass
    return dumps(data)


def _remove_line(text: str, path: Sequence[str]) -> str | None:
    """``text`` without the line ``key = ...`` inside the table ``path[:-1]``, if found."""
    table, key = tuple(path[:-1]), path[-1]
    key_line = re.compile(rf"^\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*=")
    lines = text.splitlines()
    current: tuple[str, ...] | None = ()
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match is not None:
            current = _split_dotted(match["name"])
        elif line.lstrip().startswith("[["):
            current = None  # inside an array of tables: not ours to edit by line
        elif current == table and key_line.match(line):
            del lines[index]
            return "\n".join(lines) + "\n"
    return None


def unset_config_value(file: Path, path: Sequence[str]) -> bool:
    """Remove the key ``path`` from ``file``; whether it was set (the file is unchanged if not)."""
    removed: list[bool] = []

    def update(text: str) -> str:
        edited = unset_config_text(text, path, source=str(file))
        if edited is None:
            return text
        removed.append(True)
        return edited

    if not file.is_file():
        return False
    locked_update_text(file, update)
    return bool(removed)

"""Reading and writing TOML files the way the host needs: clear errors, atomic writes.

Reading uses ``tomllib`` (``tomli`` before Python 3.11). Writing uses a small emitter of
our own, because the files the host writes (state, user configuration) hold only tables,
strings, numbers, booleans and arrays. Every write goes to a temporary file in the same
folder, is flushed to disk and renamed over the target, under a lock file, so that a crash
or a concurrent writer never leaves a truncated or mixed file.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError, StateFileError

__all__ = [
    "atomic_write_text",
    "dumps",
    "loads",
    "locked_update",
    "locked_update_text",
    "read_toml",
]

#: How long a writer waits for another one holding the lock before giving up.
LOCK_TIMEOUT_SECONDS = 30.0

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def loads(text: str, *, source: str) -> dict[str, Any]:
    """Parse TOML text; ``source`` names where it came from in the error message."""
    # Imported here: a run without configuration or state files never parses TOML.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}; fix the file or remove it") from exc
    return data


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; an absent file reads as an empty table."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return loads(text, source=str(path))


def dumps(data: Mapping[str, Any], *, header: str = "") -> str:
    """Serialise a table to TOML text (scalars first, then sub-tables, keys in order)."""
    lines: list[str] = [f"# {line}".rstrip() for line in header.splitlines()]
    _emit_table(lines, (), data)
    text = "\n".join(lines).strip("\n")
    return text + "\n" if text else ""


def _emit_table(lines: list[str], prefix: tuple[str, ...], table: Mapping[str, Any]) -> None:
    scalars = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_array(v)}
    if scalars or (prefix and not any(_is_table(v) for v in table.values())):
        if prefix:
            lines.extend(["", f"[{_dotted(prefix)}]"])
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars.items())
    for key, value in table.items():
        if _is_table(value):
            _emit_table(lines, (*prefix, key), value)
        elif _is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{_dotted((*prefix, key))}]]"])
                lines.extend(f"{_key(k)} = {_value(v)}" for k, v in item.items())


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _dotted(keys: tuple[str, ...]) -> str:
    return ".".join(_key(k) for k in keys)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never a mix."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is; not possible on Windows.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def locked_update(
    path: Path,
    update: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    header: str = "",
    timeout: float = LOCK_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Read ``path``, apply ``update`` and write the result back, all under its lock file.

    Holding the lock from the read to the rename is what makes concurrent updates lose
    nothing: each writer sees the previous writer's result.
    """
    result: dict[str, Any] = {}

    def update_text(text: str) -> str:
        result.update(update(loads(text, source=str(path)) if text else {}))
        return dumps(result, header=header)

    locked_update_text(path, update_text, timeout=timeout)
    return result


def locked_update_text(
    path: Path, update: Callable[[str], str], *, timeout: float = LOCK_TIMEOUT_SECONDS
) -> None:
    """Like :func:`locked_update`, on the file's text (absent file: empty text)."""
    from filelock import FileLock, Timeout

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock", timeout=timeout):
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            atomic_write_text(path, update(text))
    except Timeout as exc:
        raise StateFileError(
            f"{path}: another cloudcraver command has held its lock for {timeout:.0f}s; "
            "retry when it has finished"
        ) from exc
    except OSError as exc:
        raise StateFileError(f"{path}: cannot write: {exc}") from exc

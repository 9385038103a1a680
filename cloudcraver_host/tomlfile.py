"""Reading and writing TOML files the way the host needs: clear errors, atomic writes.

Reading uses ``tomllib`` (``tomli`` before Python 3.11), through the bounded reader of
:mod:`~cloudcraver_host.regular_files` (regular files only, at most
:data:`~cloudcraver_host.regular_files.SMALL_FILE_LIMIT` bytes); a table or array nested
more than :data:`MAX_DEPTH` levels deep is refused as malformed, before anything recurses
through it, and so is an integer too long for Python to read or print
(:mod:`~cloudcraver_host.integers`). Writing uses a small emitter of our own, because the
files the host writes (state, user configuration) hold only tables, strings, numbers,
booleans and arrays. Every write goes to a temporary file in the same folder, is flushed
to disk and renamed over the target, under a lock file, so that a crash or a concurrent
writer never leaves a truncated or mixed file. A symbolic link is followed to the regular
file it points to, which is replaced (the link stays); a folder, device, FIFO or socket is
never replaced.
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

from .display import UNSAFE
from .errors import ConfigError, StateFileError
from .integers import from_value_error, longest_integer, too_long
from .regular_files import read_text, reason, write_target

__all__ = [
    "IntegerTooLongError",
    "atomic_write_text",
    "dumps",
    "loads",
    "locked_update",
    "locked_update_text",
    "read_toml",
    "too_deep",
]

#: How long a writer waits for another one holding the lock before giving up.
LOCK_TIMEOUT_SECONDS = 30.0

#: Tables and arrays nested deeper than this are refused (no host file needs ten levels).
MAX_DEPTH = 64

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class IntegerTooLongError(ConfigError):
    """The TOML text holds an integer over Python's digit limit.

    :attr:`words` says so without the source (for a value given on the command line).
    """

    def __init__(self, source: str, words: str) -> None:
        super().__init__(f"{source}: invalid TOML: {words}")
        self.words = words


def loads(text: str, *, source: str) -> dict[str, Any]:
    """Parse TOML text; ``source`` names where it came from in the error message."""
    # Imported here: a run without configuration or state files never parses TOML.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    nested = f"nested more than {MAX_DEPTH} levels deep"
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}; fix the file or remove it") from exc
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{source}: invalid TOML: {nested}; fix the file or remove it") from None
    except ValueError as exc:  # Python refuses to read a decimal integer over 4,300 digits
        words = from_value_error(exc)
        if words is None:
            raise
        raise IntegerTooLongError(source, words) from None
    if too_deep(data, MAX_DEPTH):  # dotted headers nest without recursing: [a.a.a.a...]
        raise ConfigError(f"{source}: invalid TOML: {nested}; fix the file or remove it")
    digits = longest_integer(data)  # 0xfff...: read, but it could never be printed
    if digits is not None:
        raise IntegerTooLongError(source, too_long(digits))
    return data


def too_deep(value: Any, limit: int) -> bool:
    """Whether tables/arrays (dicts/lists) in ``value`` nest more than ``limit`` levels deep.

    Walks without recursing, so that it answers for any depth, and walks a node met again
    (a YAML alias) only when met deeper: an alias bomb costs its size, not its expansion.
    """
    pending: list[tuple[Any, int]] = [(value, 1)]
    deepest: dict[int, int] = {}
    while pending:
        item, depth = pending.pop()
        if not isinstance(item, (dict, list)):
            continue
        if depth > limit:
            return True
        if deepest.get(id(item), 0) >= depth:
            continue
        deepest[id(item)] = depth
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)
    return False


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; an absent file reads as an empty table.

    :raises ConfigError: it is not a regular file, is over the size limit, is not UTF-8 or
        not valid TOML.
    """
    try:
        text = read_text(path)
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {reason(exc)}") from exc
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
        elif UNSAFE.match(char) and not 0xD800 <= ord(char) <= 0xDFFF:
            # Controls (C0, C1), bidi controls and line separators are written as escapes:
            # the same string to TOML, but one that cannot rewrite a terminal showing the
            # file or `config show` (a lone surrogate cannot be written to TOML at all:
            # left as it is, writing the file refuses it).
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
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never a mix.

    A symbolic link is followed: the file it points to is replaced and the link stays. An
    existing file keeps its permission bits; a new one is readable by its owner only.

    :raises NotRegularFileError: ``path`` is a folder, a device, a FIFO or a socket (or
        links to one), or lies under a file; nothing is written.
    :raises UnicodeEncodeError: ``text`` holds a lone surrogate; nothing is written.
    :raises OSError: the folder cannot be made or written.
    """
    import tempfile

    data = text.encode("utf-8")  # before any file is made
    target = write_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A short prefix: the temporary name must fit where a 255-byte target name fits.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            _keep_mode(handle.fileno(), target)
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(target.parent)


def _keep_mode(fd: int, target: Path) -> None:
    # Replacing a file must not change who may read it (mkstemp makes 0600 files).
    with contextlib.suppress(FileNotFoundError):
        mode = os.stat(target).st_mode & 0o7777
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)


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
                text = read_text(path)
            except FileNotFoundError:
                text = ""
            except (OSError, UnicodeDecodeError) as exc:
                raise StateFileError(f"{path}: cannot read: {reason(exc)}") from exc
            atomic_write_text(path, update(text))
    except Timeout as exc:
        raise StateFileError(
            f"{path}: another cloudcraver command has held its lock for {timeout:.0f}s; "
            "retry when it has finished"
        ) from exc
    except OSError as exc:
        raise StateFileError(f"{path}: cannot write: {reason(exc)}") from exc

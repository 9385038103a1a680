"""The host reads and writes regular files only, and reads at most a bounded number of bytes.

Every file the host reads that someone else may have written (documents to validate,
``--params``, configuration, state, manifests) goes through :func:`read_bytes` or
:func:`read_text`: a FIFO would block for ever, ``/dev/zero`` (or a ``*.yaml`` symlink to
it) never ends, a ``/proc`` file has a size of 0 whatever it holds. So the file is checked
with ``stat`` before it is opened (a FIFO or a device is never opened), opened without
blocking, checked again with ``fstat`` (someone may have swapped it in between), and read
up to the limit plus one byte: the limit holds on the bytes actually read.

Writes go through :func:`write_target`: the file a write may replace, following a symbolic
link to a regular file on purpose, and refusing folders, devices, FIFOs and sockets.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = [
    "SMALL_FILE_LIMIT",
    "FileTooLargeError",
    "NotRegularFileError",
    "kind_of",
    "read_bytes",
    "read_text",
    "reason",
    "write_target",
]

#: The most bytes read from a configuration, state, manifest or parameter file (4 MiB).
SMALL_FILE_LIMIT = 4 * 1024 * 1024

# O_NONBLOCK: opening a FIFO swapped in after the stat check must not wait for a writer.
# O_NOCTTY: opening a terminal must not make it ours. Absent on Windows (which has no FIFOs).
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 1024 * 1024


class NotRegularFileError(OSError):
    """The path is a folder, a device, a FIFO or a socket; ``str()`` says which.

    :attr:`path` is the path refused, when known (``filename`` would change ``str()``).
    """

    path: str | None = None


class FileTooLargeError(OSError):
    """The file holds more than the limit.

    :param limit: the limit in bytes.
    :param size: the file's size as ``fstat`` gives it (it may understate: ``/proc`` files).
    """

    def __init__(self, limit: int, size: int, path: str | None = None) -> None:
        shown = f"{size} bytes is" if size > limit else "it is"
        super().__init__(f"{shown} over the {limit}-byte limit")
        self.limit = limit
        self.size = size
        self.path = path


def kind_of(mode: int) -> str:
    """What a file of ``mode`` is, as words: ``"a FIFO"``, ``"a folder"``..."""
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def _require_regular(mode: int, path: Path | None = None) -> None:
    if not stat.S_ISREG(mode):
        error = NotRegularFileError(f"{kind_of(mode)}, not a regular file")
        error.path = None if path is None else str(path)
        raise error


def read_bytes(path: Path, limit: int) -> bytes:
    """The content of the regular file ``path`` (symbolic links followed), at most ``limit`` bytes.

    :raises NotRegularFileError: it is a folder, device, FIFO or socket (never opened).
    :raises FileTooLargeError: it holds more than ``limit`` bytes.
    :raises OSError: it cannot be opened or read (``FileNotFoundError`` if absent).
    """
    _require_regular(os.stat(path).st_mode, path)
    fd = os.open(path, _READ_FLAGS)
    try:
        info = os.fstat(fd)
        _require_regular(info.st_mode, path)
        if info.st_size > limit:  # known too large: no need to read it to say so
            raise FileTooLargeError(limit, info.st_size, str(path))
        chunks: list[bytes] = []
        remaining = limit + 1  # one byte more than allowed tells "too large" from "just fits"
        while remaining > 0:
            chunk = os.read(fd, min(remaining, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileTooLargeError(limit, info.st_size, str(path))
    return data


def read_text(path: Path, limit: int = SMALL_FILE_LIMIT) -> str:
    """Like :func:`read_bytes`, decoded as UTF-8 (a byte-order mark is dropped).

    :raises UnicodeDecodeError: the content is not UTF-8.
    """
    return read_bytes(path, limit).decode("utf-8-sig")


def reason(error: Exception) -> str:
    """Why reading or writing failed, in words: ``Permission denied``, ``a FIFO, not a ...``."""
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start}); save it as UTF-8"
    if isinstance(error, UnicodeEncodeError):
        return (
            f"the text holds {error.object[error.start]!r} at character {error.start}, "
            "which UTF-8 cannot encode (a lone surrogate)"
        )
    return str(getattr(error, "strerror", None) or error)


def write_target(path: Path) -> Path:
    """The file a write to ``path`` replaces: ``path``, or where its symbolic link points.

    A symbolic link to a regular file (or to nothing yet) is followed on purpose, so that
    writing a linked ``config.toml`` changes the file it points to and the link stays a
    link. Anything else that is not a regular file is refused, and so is a path under a
    file.

    :raises NotRegularFileError: ``path`` (or its link's target) is a folder, a device, a
        FIFO or a socket, or a folder on the way is a file.
    :raises OSError: the path cannot be looked at (too long a name, a symbolic link loop).
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        _require_folder_on_the_way(target.parent)
        return target
    except NotADirectoryError:
        _require_folder_on_the_way(target.parent)
        raise
    _require_regular(mode)
    return target


def _require_folder_on_the_way(folder: Path) -> None:
    # The nearest existing ancestor must be a folder: `-o report.txt/x.json` is a mistake.
    for ancestor in (folder, *folder.parents):
        try:
            mode = os.stat(ancestor).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        if not stat.S_ISDIR(mode):
            raise NotRegularFileError(f"{ancestor} is {kind_of(mode)}, not a folder")
        return

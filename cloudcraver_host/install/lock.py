"""One change at a time per Python environment: an OS lock on ``change.lock``.

The lock is ``flock(2)`` on POSIX, held on an open file descriptor: the kernel releases
it when the last descriptor closes, so a killed process never leaves a stale lock, and
a pip subprocess given the descriptor (``pass_fds``) keeps it held until pip itself
exits. That is what guarantees never two pips on one environment: if the host is killed
while pip runs, the next change waits for that pip to finish.

``owner.json`` next to the lock names the holder (pid, command, start time) for the
message a waiting or ``--no-wait`` command shows; it is informative only: a stale
``owner.json`` of a dead process blocks nothing, the lock is what counts.

On Windows ``msvcrt.locking`` is used instead (the host runs there too); a child
process does not inherit that lock, so the pip-outlives-the-host guarantee is POSIX-only.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..errors import ChangeError

__all__ = ["ChangeLock", "Owner", "is_held", "read_owner"]

_LOCK = "change.lock"
_OWNER = "owner.json"
#: How often a waiting process retries on Windows (POSIX blocks in the kernel instead).
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Owner:
    """Who holds (or last held) the change lock.

    :param pid: the holder's process id.
    :param command: what it runs, such as ``cloudcraver plugin install cc-x``.
    :param started: when it took the lock (ISO 8601, UTC).
    """

    pid: int
    command: str
    started: str

    def describe(self) -> str:
        """``pid N: COMMAND, since STARTED``, as messages show it."""
        return f"pid {self.pid}: {self.command}, since {self.started}"


_UNKNOWN = Owner(0, "an unknown command", "an unknown time")


def read_owner(folder: Path) -> Owner | None:
    """The owner recorded in ``folder/owner.json`` (``None`` if absent or unreadable).

    It names the current holder only while the lock is held: a process that was killed
    leaves its ``owner.json`` behind.
    """
    try:
        data = json.loads((folder / _OWNER).read_text(encoding="utf-8"))
        return Owner(int(data["pid"]), str(data["command"]), str(data["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _default_command() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return " ".join([name, *sys.argv[1:]])


class ChangeLock:
    """The environment's change lock, as a context manager.

    :param folder: the environment's folder (see
        :func:`~cloudcraver_host.install.journal.environment_folder`); created if needed.
    :param wait: wait for a running change to end; ``False`` (``--no-wait``) raises at once.
    :param on_wait: called once, with the holder, before waiting (to tell the user why
        nothing happens); not called when the lock is free.
    :param command: what to record as the holder's command (default: this process's argv).

    :raises ChangeError: on entry, if another change runs and ``wait`` is false.
    """

    def __init__(
        self,
        folder: Path,
        *,
        wait: bool = True,
        on_wait: Callable[[Owner], None] | None = None,
        command: str | None = None,
    ) -> None:
        self.folder = folder
        self.path = folder / _LOCK
        self.wait = wait
        self.on_wait = on_wait
        self.command = command if command is not None else _default_command()
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"ChangeLock({str(self.folder)!r}, held={self.held})"

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def fileno(self) -> int:
        """The descriptor holding the lock: give it to pip with ``pass_fds`` so pip holds it too.

        :raises RuntimeError: if the lock is not held.
        """
        if self._fd is None:
            raise RuntimeError("the change lock is not held")
        return self._fd

    def acquire(self) -> None:
        """Take the lock (waiting or raising as configured) and record this process as owner."""
        if self._fd is not None:
            raise RuntimeError("the change lock is already held by this object")
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _try_lock(fd):
                owner = read_owner(self.folder) or _UNKNOWN
                if not self.wait:
                    raise ChangeError(
                        f"another change is running ({owner.describe()}); let it finish, "
                        "or run the command again without --no-wait to wait for it"
                    )
                if self.on_wait is not None:
                    self.on_wait(owner)
                _lock_blocking(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        # Not inherited by default (PEP 446): only the pip runs given it in pass_fds hold it.
        owner = Owner(os.getpid(), self.command, _now())
        from ..tomlfile import atomic_write_text

        atomic_write_text(self.folder / _OWNER, json.dumps(owner.__dict__) + "\n")

    def release(self) -> None:
        """Give the lock up (``owner.json`` is removed first, while still holding it).

        On POSIX the descriptor is only closed, never unlocked: ``LOCK_UN`` would release
        the lock for a pip child sharing it too, while closing leaves it held until the
        last descriptor (the child's) is closed.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            (self.folder / _OWNER).unlink()
        try:
            _unlock_before_close(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> ChangeLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def is_held(folder: Path) -> bool:
    """Whether a change holds the lock of ``folder`` now (tested without waiting or creating).

    POSIX only (a shared ``flock`` tried and dropped at once); ``False`` where that cannot
    be told (Windows) or the lock file does not exist.
    """
    if sys.platform == "win32":  # pragma: no cover - msvcrt cannot test a lock
        return False
    try:
        fd = os.open(folder / _LOCK, os.O_RDONLY)
    except OSError:
        return False
    try:
        return not _try_shared(fd)
    finally:
        os.close(fd)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
    import time

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _lock_blocking(fd: int) -> None:
        while not _try_lock(fd):
            time.sleep(_POLL_SECONDS)

    def _unlock_before_close(fd: int) -> None:
        # Windows releases locks of a closed handle only eventually: unlock first.
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _lock_blocking(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _try_shared(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock_before_close(fd: int) -> None:
        del fd  # closing is enough, and leaves a child holding a copy locked

"""Work split over forked copies of this process, for commands that check many files.

A forked child starts with the parent's plugins already imported and activated, so it
costs no start-up; it sends its result back pickled through a pipe. Forking is used only
where it is safe and cheap: Linux, no other thread running. Anywhere else, and for any
chunk whose child fails, the caller does the work itself.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

__all__ = ["can_fork", "default_jobs", "map_forked"]

Item = TypeVar("Item")
Result = TypeVar("Result")


def can_fork() -> bool:
    """Whether work can go to forked children here and now."""
    # macOS and Windows cannot fork safely (system frameworks, no fork at all); a process
    # with threads could fork with a lock held by a thread that does not exist in the child.
    # The host's watchdog (guard.py) is the exception: it only sleeps and reads counters,
    # holding no lock a child could inherit.
    from .guard import watchdog_threads

    return sys.platform.startswith("linux") and threading.active_count() == 1 + watchdog_threads()


def default_jobs() -> int:
    """The processors this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def map_forked(
    work: Callable[[Item], Result], chunks: Sequence[Item], *, prepare: Callable[[], None]
) -> list[Result | None]:
    """``work(chunk)`` for every chunk, each in a child of its own.

    :param prepare: run in each child first (to detach it from the parent's files).
    :returns: per chunk, its result, or ``None`` when its child failed or gave nothing.
    """
    children: list[tuple[int, int]] = []
    for chunk in chunks:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            os.close(read_end)
            _run_child(work, chunk, prepare, write_end)
        os.close(write_end)
        children.append((pid, read_end))
    return [cast("Result | None", _collect(pid, read_end)) for pid, read_end in children]


def _run_child(
    work: Callable[[Item], Result], chunk: Item, prepare: Callable[[], None], write_end: int
) -> None:
    status = 1
    try:
        prepare()
        payload = pickle.dumps(work(chunk), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        status = 0
    except BaseException:  # the parent redoes the chunk itself
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _collect(pid: int, read_end: int) -> object:
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not payload:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # a truncated payload: the parent redoes the chunk
        return None

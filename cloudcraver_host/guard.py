"""What plugin code may not do to the command running it: end it, hang it, or write to its output.

Plugins run in the host's process (until the sandbox isolates them), so nothing here stops
hostile code; it stops the mistakes and lazy shortcuts that would turn a failing check into
a pass:

- **ending the process**: ``SystemExit``, ``KeyboardInterrupt`` and ``GeneratorExit``
  escaping plugin code become an ordinary failure of that plugin (:func:`plugin_fault`),
  and ``os._exit`` called while a hook runs raises ``SystemExit`` instead of ending the
  process. A real Ctrl-C (a SIGINT the process received) or SIGTERM still interrupts the
  command, as a :class:`UserInterrupt`: one ``error:`` line, exit code 130 or 143.
- **hanging**: every hook call and every import of a plugin runs under a deadline
  (``[host] call_timeout``). A watchdog thread sees a call that has not returned in time,
  prints one ``error:`` line naming the plugin and the hook, and ends the process with
  exit code 3. It cannot unwind the plugin's code (no ``deactivate`` runs then), and it
  cannot run while the plugin holds the interpreter lock in C code.
- **writing to standard output**: with ``capture`` (the CLI), ``sys.stdout`` points at
  standard error while a hook runs, so ``--format json`` output stays parseable. Writes
  to file descriptor 1 itself (``os.write(1, ...)``, a child process) are not redirected.

The cost is paid per hook call, not per check of the clock: about 0.4 µs (swapping
``sys.stdout`` and ``os._exit`` in and out, a counter) plus one attribute store per
implementation; the watchdog thread polls four times a second.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TextIO

__all__ = [
    "CallGuard",
    "PluginAbort",
    "UserInterrupt",
    "plugin_fault",
    "received_signal",
    "watch_user_interrupts",
]

#: ``os._exit`` as it was at import: the watchdog's way out, whatever a plugin did to ``os``.
_REAL_EXIT = os._exit
#: How the watchdog reports a timeout: exit code 3 (plugin failure, docs/cli.md).
_EXIT_PLUGIN_FAILURE = 3
#: The SIGINT/SIGTERM the process received, in order (see :func:`watch_user_interrupts`).
_SIGNALS_SEEN: list[int] = []


class PluginAbort(Exception):
    """A plugin tried to end the command (``SystemExit``, ``KeyboardInterrupt``...).

    Raised in its place so that the host treats it like any other exception of that plugin.
    """

    def __init__(self, original: BaseException) -> None:
        self.original = original
        text = str(original).strip().splitlines()
        shown = f"{type(original).__name__}: {text[0]}" if text else type(original).__name__
        super().__init__(f"{shown} (a plugin may not end the command)")


def signal_name(signum: int) -> str:
    """How a signal is named to the user: ``SIGINT (Ctrl+C)``, ``SIGTERM``, ``signal 7``."""
    import signal

    if signum == signal.SIGINT:
        return "SIGINT (Ctrl+C)"
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class UserInterrupt(KeyboardInterrupt):
    """The user (or the system) stopped the command: SIGINT (Ctrl+C) or SIGTERM.

    A ``KeyboardInterrupt``, so that no ``except Exception`` on the way swallows it (and a
    plugin's ``except Exception`` neither). ``str()`` is the one-line message; the command
    ends with :attr:`exit_code`. A plugin change's own interruption is a subclass that says
    what the change put back.
    """

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        default = f"interrupted by {signal_name(signum)}; the command did not finish"
        self.message = message or default
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    @property
    def exit_code(self) -> int:
        """``128 + signal number`` (130, 143), as a shell reports a process the signal ended."""
        return 128 + self.signum


def _on_signal(signum: int, frame: Any) -> None:
    _SIGNALS_SEEN.append(signum)
    raise UserInterrupt(signum)


def received_signal() -> int | None:
    """The first SIGINT or SIGTERM this process received, if any.

    For code that cannot see the :class:`UserInterrupt` itself: Typer turns any
    ``KeyboardInterrupt`` into a silent exit code 130.
    """
    return _SIGNALS_SEEN[0] if _SIGNALS_SEEN else None


def watch_user_interrupts() -> None:
    """Tell a real Ctrl-C apart from a ``KeyboardInterrupt`` a plugin raises.

    Replaces Python's default SIGINT handler (which only raises ``KeyboardInterrupt``) with
    one that also remembers the signal came, and raises :class:`UserInterrupt`; SIGTERM,
    which would end the process on the spot, does the same (so ``finally`` blocks run:
    plugins are deactivated, temporary files removed). Only in the main thread, and only
    for a signal nobody installed a handler of their own for.
    """
    import signal

    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_signal)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_signal)


def plugin_fault(error: BaseException) -> Exception:
    """``error`` as an exception of the plugin that raised it.

    An ``Exception`` is returned as it is; ``SystemExit``, ``GeneratorExit`` and a
    ``KeyboardInterrupt`` the plugin raised itself become a :class:`PluginAbort`. A
    ``KeyboardInterrupt`` from a real Ctrl-C (or SIGTERM) is raised again: the user stops
    the command.
    """
    if isinstance(error, Exception):
        return error
    if isinstance(error, KeyboardInterrupt) and _SIGNALS_SEEN:
        raise error
    return PluginAbort(error)


def _refuse_exit(status: int = 0) -> None:
    raise SystemExit(f"os._exit({status})")


class CallGuard:
    """The deadline and output capture of the plugin calls of one host.

    :param timeout: seconds a hook call or a plugin import may take; ``0`` means no limit.
    :param capture: send what plugins print to standard output to standard error.
    :param on_expire: called (from the watchdog thread, for at most a second) with the
        plugin, the hook (``import`` for an import) and the reason, before the process ends:
        the host records the plugin's last failure there.

    The relay calls :meth:`enter` and :meth:`leave` around each hook call and sets
    :attr:`plugin` before each implementation; other plugin code runs in :meth:`running`.
    """

    __slots__ = (
        "__weakref__",
        "_saved",
        "capture",
        "depth",
        "hook",
        "on_expire",
        "plugin",
        "seq",
        "timeout",
    )

    def __init__(
        self,
        timeout: float = 0,
        capture: bool = False,
        on_expire: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.timeout = timeout
        self.capture = capture
        self.on_expire = on_expire
        self.depth = 0
        #: Changes whenever a hook call starts or ends; with :attr:`plugin` (set before each
        #: implementation runs) it tells the watchdog whether the same call still runs.
        self.seq = 0
        self.plugin = ""
        self.hook = ""
        self._saved: tuple[TextIO, Any] | None = None
        if timeout > 0:
            _WATCHED.add(self)

    def enter(self, hook: str) -> tuple[str, str]:
        """Plugin code of ``hook`` starts; returns what :meth:`leave` restores."""
        token = (self.plugin, self.hook)
        self.hook = hook
        self.seq += 1
        self.depth += 1
        if self.depth == 1:
            self._saved = (sys.stdout, os._exit)
            os._exit = _refuse_exit  # type: ignore[assignment]
            if self.capture:
                sys.stdout = sys.stderr
            if self.timeout > 0 and _WATCHDOG[0] is None:
                _start_watchdog()
        return token

    def leave(self, token: tuple[str, str]) -> None:
        """Plugin code started by the matching :meth:`enter` ended."""
        self.plugin, self.hook = token
        self.seq += 1
        self.depth -= 1
        if self.depth == 0 and self._saved is not None:
            # What was there before: a plugin that replaced either does not keep it.
            sys.stdout, os._exit = self._saved
            self._saved = None

    @contextlib.contextmanager
    def running(self, plugin: str, hook: str) -> Iterator[None]:
        """Run one plugin's code (an import, ``activate``...) under the guard."""
        token = self.enter(hook)
        self.plugin = plugin
        try:
            yield
        finally:
            self.leave(token)

    def _expire(self) -> None:
        plugin, hook = self.plugin or "?", self.hook
        what = f"importing plugin '{plugin}'" if hook == "import" else f"plugin '{plugin}' ({hook})"
        reason = f"did not finish within {self.timeout:g} s ([host] call_timeout)"
        message = (
            f"error: {what} did not finish within {self.timeout:g} s, so the command was "
            "stopped; fix or disable the plugin, or raise [host] call_timeout "
            "(CLOUDCRAVER_CALL_TIMEOUT)\n"
        )
        # Straight to the file descriptor: the main thread may hold sys.stderr's lock.
        with contextlib.suppress(OSError):
            os.write(2, message.encode("utf-8", "replace"))
        saved = self._saved

        def wind_up() -> None:
            if self.on_expire is not None:
                self.on_expire(plugin, hook, reason)
            for stream in (saved[0] if saved else sys.stdout, sys.stderr):
                stream.flush()

        # In a thread of its own, for a second at most: a lock the stuck main thread holds
        # (a stream's, the state file's) must not keep the process from ending.
        helper = threading.Thread(target=wind_up, daemon=True)
        helper.start()
        helper.join(1.0)
        _REAL_EXIT(_EXIT_PLUGIN_FAILURE)


#: The guards with a deadline, and the one watchdog thread of the process.
_WATCHED: weakref.WeakSet[CallGuard] = weakref.WeakSet()
_WATCHDOG: list[threading.Thread | None] = [None]
#: How often the watchdog looks (at most; a shorter deadline makes it look more often).
_POLL = 0.25


def _start_watchdog() -> None:
    thread = threading.Thread(target=_watch, name=WATCHDOG_NAME, daemon=True)
    _WATCHDOG[0] = thread
    thread.start()


def _watch() -> None:
    # For each guard: the last (seq, plugin) seen and since when; unchanged while the
    # guard runs plugin code, the same call is still running.
    seen: dict[int, tuple[int, str, float]] = {}
    while True:
        guards = list(_WATCHED)
        shortest = min((g.timeout for g in guards), default=_POLL * 8)
        time.sleep(min(_POLL, shortest / 8))
        now = time.monotonic()
        current: dict[int, tuple[int, str, float]] = {}
        for guard in guards:
            if guard.depth == 0:
                continue
            last = seen.get(id(guard))
            if last is None or last[:2] != (guard.seq, guard.plugin):
                current[id(guard)] = (guard.seq, guard.plugin, now)
                continue
            current[id(guard)] = last
            if now - last[2] >= guard.timeout:
                guard._expire()
        seen = current


def _forget_watchdog_in_child() -> None:
    _WATCHDOG[0] = None  # threads do not survive fork: the child starts its own


#: The watchdog thread's name (``validate --jobs`` forks with it running: it holds no lock).
WATCHDOG_NAME = "cloudcraver-watchdog"


def watchdog_threads() -> int:
    """How many watchdog threads run in this process (0 or 1)."""
    return sum(1 for t in threading.enumerate() if t.name == WATCHDOG_NAME)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_watchdog_in_child)

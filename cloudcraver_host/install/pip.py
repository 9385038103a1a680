"""Running the environment's own pip, exactly as the user has configured it.

Cloud Craver installs plugins with ``<python> -m pip`` so that everything the user set up for
pip (index URLs, proxies, certificates, constraints, in configuration files or ``PIP_*``
variables) applies unchanged: never ``--isolated``, never a ``PIP_*`` variable of our own.
Only ``--no-input`` (a prompt would hang a transaction) and ``--disable-pip-version-check``
(a network call unrelated to the change) are added.

A change runs pip more than once (plan, check, apply). Each ``python -m pip`` spends a good
part of its time importing pip before it reads its arguments, so :meth:`PipRunner.prestart`
starts pip processes ahead of their command: they import pip's command-line modules, then
wait for their arguments and run ``pip`` exactly as ``python -m pip`` does (``runpy`` on
pip's own ``__main__``), with the same environment, configuration and inherited lock. Every
pip command runs in such a process (one started on demand when none is waiting): it imports
nothing from the working directory, which ``python -m pip`` would put first on ``sys.path``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChangeError
from .environment import is_this_interpreter

__all__ = [
    "BASE_OPTIONS",
    "MIN_PIP_VERSION",
    "PipResult",
    "PipRunner",
    "conflict_lines",
    "error_block",
]

#: ``pip install --dry-run --report`` (how changes are planned) is stable from pip 23.0 on.
MIN_PIP_VERSION = (23, 0)
#: Added to every pip command (see the module docstring for why).
BASE_OPTIONS = ("--no-input", "--disable-pip-version-check")
# The process every pip command runs in: it imports pip's CLI and install command (what takes
# the time) while waiting, then runs pip's own __main__ with the arguments it is sent, as
# `python -m pip ARGS` would, in the folder it is sent. It starts in a neutral folder, and the
# working directory ('' for `-c`) leaves sys.path before the first import: a json.py (or any
# module) in the user's folder is never imported. PYTHONPATH and site folders stay, as for pip.
_WARM_BOOT = """\
import sys
sys.path[:] = [p for p in sys.path if p not in ("", ".")]
import json, os, runpy
try:
    import pip._internal.cli.main, pip._internal.commands.install
except Exception:
    pass
line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
request = json.loads(line)
os.chdir(request["cwd"])
sys.argv = ["pip", *request["args"]]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TAIL_LINES = 20
#: Where pip processes start (they move to the caller's folder only to run a command).
_NEUTRAL_FOLDER = os.path.abspath(os.sep)


@dataclass(frozen=True)
class PipResult:
    """The outcome of one pip command.

    :param argv: the full command line that ran.
    :param returncode: pip's exit status (0: success).
    :param stdout: what pip printed on standard output.
    :param stderr: what pip printed on standard error (its warnings and errors).
    :param seconds: wall-clock time pip took.
    """

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether pip succeeded."""
        return self.returncode == 0


class PipRunner:
    """Runs ``<python> -m pip`` for one environment.

    :param python: the interpreter of the environment to change (default: this one).
    :param env: the environment variables pip runs with (default: this process's, untouched;
        tests pass a clean one so the machine's pip configuration does not leak in).
    :param timeout: seconds after which a pip command is killed (default: none).
    """

    def __init__(
        self,
        python: Path | str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> None:
        self.python = Path(python) if python is not None else Path(sys.executable)
        self.env = dict(env) if env is not None else None
        self.timeout = timeout
        self._version: tuple[int, ...] | None = None
        self._warm: list[tuple[int | None, subprocess.Popen[str]]] = []

    def __repr__(self) -> str:
        return f"PipRunner({str(self.python)!r})"

    def command(self, args: Sequence[str | os.PathLike[str]]) -> list[str]:
        """The command line :meth:`run` would run for ``args``."""
        argv = [str(a) for a in args]
        # The options go after the subcommand: before it, pip accepts only general options,
        # and `pip --version` takes no subcommand at all.
        if argv and not argv[0].startswith("-"):
            argv[1:1] = BASE_OPTIONS
        return [str(self.python), "-m", "pip", *argv]

    def run(
        self, args: Sequence[str | os.PathLike[str]], *, lock_fd: int | None = None
    ) -> PipResult:
        """Run pip with ``args`` (a subcommand and its options) and wait for it.

        :param lock_fd: an open file descriptor pip inherits: the change lock, so that if
            the host is killed while pip runs, the lock stays held until pip exits and no
            second pip can start on the same environment.
        """
        argv = self.command(args)
        process = self._take_warm(lock_fd) or self._start(lock_fd)
        return self._run_warm(process, argv)

    def prestart(self, count: int = 1, *, lock_fd: int | None = None) -> None:
        """Start ``count`` pip processes now, for the next :meth:`run` calls with ``lock_fd``.

        They import pip meanwhile; one that is never used is stopped by :meth:`close`.
        """
        for _ in range(count):
            self._warm.append((lock_fd, self._start(lock_fd)))

    def _start(self, lock_fd: int | None) -> subprocess.Popen[str]:
        """Start one pip process (see ``_WARM_BOOT``), waiting for its arguments."""
        try:
            return subprocess.Popen(
                # "pip" after the code: only names the process (ps), as `-m pip` did.
                [str(self.python), "-c", _WARM_BOOT, "pip"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=self.env,
                cwd=_NEUTRAL_FOLDER,
                pass_fds=(lock_fd,) if lock_fd is not None else (),
            )
        except FileNotFoundError as exc:
            raise ChangeError(f"cannot run pip: {self.python} does not exist") from exc

    def close(self) -> None:
        """Stop the prestarted pip processes that were not used."""
        warm, self._warm = self._warm, []
        for _, process in warm:
            process.kill()
            process.communicate()

    def _take_warm(self, lock_fd: int | None) -> subprocess.Popen[str] | None:
        for index, (fd, process) in enumerate(self._warm):
            if fd == lock_fd and process.poll() is None:
                del self._warm[index]
                return process
        return None

    def _run_warm(self, process: subprocess.Popen[str], argv: list[str]) -> PipResult:
        started = time.monotonic()
        request = json.dumps({"cwd": os.getcwd(), "args": argv[3:]})
        try:
            stdout, stderr = process.communicate(request + "\n", timeout=self.timeout)
        except subprocess.TimeoutExpired as exc:
            _stop(process)
            raise ChangeError(
                f"pip did not finish within {self.timeout:.0f}s: {' '.join(argv[3:])}"
            ) from exc
        except BaseException:
            _stop(process)  # interrupted (Ctrl+C): pip goes with the host, never runs on
            raise
        return PipResult(
            argv=tuple(argv),
            returncode=process.returncode,
            stdout=stdout,
            stderr=stderr,
            seconds=time.monotonic() - started,
        )

    def version(self) -> tuple[int, ...]:
        """The version of pip in this environment, as numbers (``(23, 2, 1)``)."""
        if self._version is None and is_this_interpreter(self.python):
            # This environment: its metadata says, with no process at all.
            from importlib.metadata import PackageNotFoundError
            from importlib.metadata import version as installed_version

            try:
                found = installed_version("pip")
                self._version = tuple(int(p) for p in re.findall(r"\d+", found)[:3])
            except PackageNotFoundError:
                pass
        if self._version is None:
            # Importing pip's top module only: `pip --version` loads its whole CLI (~1 s).
            started = time.monotonic()
            try:
                proc = subprocess.run(
                    [str(self.python), "-c", "import pip; print('pip', pip.__version__)"],
                    capture_output=True,
                    text=True,
                    env=self.env,
                    cwd=_NEUTRAL_FOLDER,  # not a `pip` folder of the user's working directory
                    check=False,
                    timeout=self.timeout,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ChangeError(f"cannot run {self.python}: {exc}") from exc
            result = PipResult(
                argv=tuple(proc.args),
                returncode=proc.returncode,
                stdout=proc.stdout,
                stderr=proc.stderr,
                seconds=time.monotonic() - started,
            )
            match = re.match(r"pip (\d+(?:\.\d+)*)", result.stdout)
            if not result.ok or match is None:
                raise ChangeError(
                    f"pip is not usable in {self.python}; install it with "
                    f"`{self.python} -m ensurepip`",
                    details=error_block(result),
                )
            self._version = tuple(int(part) for part in match.group(1).split("."))
        return self._version

    def require_version(self, minimum: tuple[int, ...] = MIN_PIP_VERSION) -> None:
        """Raise :class:`ChangeError` if pip is older than ``minimum``."""
        found = self.version()
        if found < minimum:
            want = ".".join(map(str, minimum))
            raise ChangeError(
                f"pip {'.'.join(map(str, found))} in {self.python} is too old: plugin changes "
                f"need pip >= {want} (for `pip install --dry-run --report`); "
                f"upgrade it with `{self.python} -m pip install 'pip>={want}'`"
            )


def _stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.communicate()


def error_block(result: PipResult) -> str:
    """The reason pip gives for failing, as one readable block.

    The lines from pip's first ``ERROR:`` on (its explanation follows that line), with the
    resolver's "The conflict is caused by" section, which pip prints on standard output, put
    after the first line; when there is no ``ERROR:`` line, the last lines pip printed.
    Colours and trailing blanks are removed.
    """
    errors = _lines(result.stderr)
    for index, line in enumerate(errors):
        if line.startswith("ERROR:"):
            block = _without_repeats(errors[index:])
            conflict = conflict_lines(result)
            if conflict and conflict[0] not in block:
                block[1:1] = ["", *conflict, ""]
            return "\n".join(block).strip("\n")
    return "\n".join(_lines(result.stdout + result.stderr)[-_TAIL_LINES:]).strip("\n")


_NOT_FOUND = re.compile(r"^ERROR: Could not find a version that satisfies the requirement (.+?) \(")
_NO_MATCH = "ERROR: No matching distribution found for "


def _without_repeats(block: list[str]) -> list[str]:
    """The block without pip's "No matching distribution found for X", which repeats a line.

    pip follows "Could not find a version that satisfies the requirement X (from versions:
    ...)" with that line; only the first, which names the versions there are, is kept.
    """
    missing = {m.group(1) for line in block if (m := _NOT_FOUND.match(line))}
    return [
        line
        for line in block
        if not (line.startswith(_NO_MATCH) and line[len(_NO_MATCH) :] in missing)
    ]


def conflict_lines(result: PipResult) -> list[str]:
    """The resolver's "The conflict is caused by:" section (heading included), if any."""
    lines = _lines(result.stdout) + _lines(result.stderr)
    for index, line in enumerate(lines):
        if line.strip() == "The conflict is caused by:":
            section = [line]
            for follow in lines[index + 1 :]:
                if not follow.strip():
                    break
                section.append(follow)
            return section
    return []


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in _ANSI.sub("", text).splitlines()]

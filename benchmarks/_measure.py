"""Running a program many times and keeping wall time and peak memory of each run."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Peak memory is measured through this launcher: a process's ru_maxrss counts the memory
#: it had between fork and exec, i.e. the (large) benchmark process's own. The launcher
#: (small: no site) forks the measured program from itself and reports its ru_maxrss.
_LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[2], sys.argv[2:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(str(usage.ru_maxrss))\n"
    "os._exit(os.waitstatus_to_exitcode(status))\n"
)


@dataclass
class Case:
    """One command line measured repeatedly."""

    label: str
    argv: Sequence[str]
    env: dict[str, str]
    runs: int
    tty: bool = False
    before: str | None = None  # a file removed before each run (a cold cache)
    memory: bool = False  # run through the launcher: rss_kib is right, times are not
    times: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def median_rss(self) -> float:
        return statistics.median(self.rss_kib)


def run_once(case: Case) -> tuple[float, int, int, bytes]:
    """One run: (seconds, peak RSS in KiB, exit code, output if on a terminal)."""
    if case.before:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(case.before)
    if case.tty:
        return _run_on_pty(case)
    if case.memory:
        return _run_for_memory(case)
    started = time.perf_counter()
    process = subprocess.Popen(
        list(case.argv),
        env=case.env,
        cwd=case.env.get("HOME"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # not a terminal, as in scripts and pipes
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, process.returncode, b""


def _run_for_memory(case: Case) -> tuple[float, int, int, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "maxrss")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-S", "-I", "-c", _LAUNCHER, report, *case.argv],
            env=case.env,
            cwd=case.env.get("HOME"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        elapsed = time.perf_counter() - started
        with open(report, encoding="ascii") as handle:
            rss = int(handle.read())
    return elapsed, rss, result.returncode, b""


def _run_on_pty(case: Case) -> tuple[float, int, int, bytes]:
    master, slave = pty.openpty()
    output = bytearray()
    started = time.perf_counter()
    process = subprocess.Popen(
        list(case.argv),
        env=case.env,
        cwd=case.env.get("HOME"),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    os.close(master)
    return elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status), bytes(output)


def check(case: Case) -> None:
    """Run once and insist on exit code 0 (a benchmark of an error is worthless)."""
    if case.tty:
        _, _, code, output = run_once(case)
        if code != 0:
            raise SystemExit(f"{case.label}: exit code {code}\n{output.decode(errors='replace')}")
        return
    result = subprocess.run(
        list(case.argv),
        env=case.env,
        cwd=case.env.get("HOME"),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"{case.label}: exit code {result.returncode}: {' '.join(case.argv)}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
        )


def measure(cases: Sequence[Case]) -> None:
    """Run every case ``case.runs`` times, interleaved round by round (noise hits all alike)."""
    rounds = max(case.runs for case in cases)
    for round_ in range(rounds):
        for case in cases:
            if round_ < case.runs:
                elapsed, rss, code, _ = run_once(case)
                if code != 0:
                    raise SystemExit(f"{case.label}: exit code {code} in round {round_}")
                case.times.append(elapsed)
                case.rss_kib.append(rss)

"""Ctrl+C and SIGTERM during a real ``cloudcraver plugin install`` (issue 9, item 15).

The signal is really sent, while the change runs (its journal record is active): the change
is undone, the command says so in one line and exits 128 + the signal. A change that still
runs (its lock held) is reported as running by other commands, never as interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from support.install_env import InstallEnv

pytestmark = [
    pytest.mark.venv,
    pytest.mark.skipif(os.name == "nt", reason="POSIX signals and process groups"),
]


def wait_until_running(env: InstallEnv, timeout: float = 60) -> None:
    """Wait until the change has begun (its journal record is marked active)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(env.paths.data_dir.glob("environments/*/ACTIVE")):
            return
        time.sleep(0.01)
    raise AssertionError("the change never began")


@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_during_an_install_undoes_it_and_says_so(
    install_env: InstallEnv, signum: int, whole_group: bool
) -> None:
    before = install_env.installed()
    process = install_env.popen("plugin", "install", "cc-inst-withdep", "--yes")
    wait_until_running(install_env)

    # Ctrl+C reaches the whole foreground group (pip too); `kill PID` the host alone.
    if whole_group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    out, err = process.communicate(timeout=120)

    assert process.returncode == 128 + signum, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    name = "SIGINT (Ctrl+C)" if signum == signal.SIGINT else "SIGTERM"
    assert lines[0].startswith(f"error: interrupted by {name}: change 1 (install)"), err
    assert lines[0].endswith("the previous plugins are restored"), err
    assert install_env.installed() == before
    listed = install_env.run("plugin", "list")
    assert listed.returncode == 0 and "interrupted" not in listed.stderr, listed.stderr
    recovered = install_env.run("plugin", "recover", "--json")
    assert json.loads(recovered.stdout)["state"] == "nothing-to-do"
    (record,) = json.loads(install_env.run("plugin", "history", "--json").stdout)
    assert record["state"] == "restored"


def test_a_change_that_runs_is_reported_as_running_not_interrupted(
    install_env: InstallEnv,
) -> None:
    process = install_env.popen("plugin", "install", "cc-inst-withdep", "--yes")
    wait_until_running(install_env)
    os.kill(process.pid, signal.SIGSTOP)  # holds the lock, journal record active
    try:
        listed = install_env.run("plugin", "list")
    finally:
        os.kill(process.pid, signal.SIGCONT)
    out, err = process.communicate(timeout=120)

    assert listed.returncode == 0, listed.stderr
    assert "change 1 (install) to the installed plugins is running" in listed.stderr
    assert "interrupted" not in listed.stderr
    assert process.returncode == 0, (out, err)
    assert install_env.installed()["cc-inst-withdep"] == "1.0.0"

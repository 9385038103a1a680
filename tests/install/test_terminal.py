"""On a terminal: the plan is shown and confirmed, and each step shows as it runs (rich).

The real ``cloudcraver`` runs on a pseudo-terminal; the test answers the question as a user
would and reads what the terminal shows.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

import pytest
from support.install_env import InstallEnv

pytestmark = pytest.mark.venv

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_terminal(env: InstallEnv, *args: str, answer: str, timeout: float = 120) -> tuple[int, str]:
    """Run ``cloudcraver ARGS`` on a pty, type ``answer`` at the question; exit code, screen."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [os.fspath(env.cloudcraver), *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env={**env.environ(), "COLUMNS": "120"},
        cwd=env.home,
    )
    os.close(child)
    screen, answered = "", False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk.decode("utf-8", "replace")
        if not answered and "Proceed?" in screen:
            os.write(main, answer.encode() + b"\r")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(main)
    return process.wait(timeout=10), _ANSI.sub("", screen).replace("\r", "")


def test_the_plan_is_confirmed_and_the_steps_show(install_env: InstallEnv) -> None:
    code, declined = on_terminal(install_env, "plugin", "install", "cc-inst-withdep", answer="n")

    assert code == 0, declined
    assert "Plan:" in declined and "install cc-inst-withdep 1.0.0" in declined
    assert "Cancelled: nothing was changed." in declined
    assert "cc-inst-withdep" not in install_env.installed()

    code, accepted = on_terminal(install_env, "plugin", "install", "cc-inst-withdep", answer="y")

    assert code == 0, accepted
    assert "installing with pip" in accepted or "verifying the plugins" in accepted, accepted
    assert "Done: change 1 (install)" in accepted
    assert install_env.installed()["cc-inst-withdep"] == "1.0.0"

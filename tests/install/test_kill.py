"""SIGKILL at random moments of install, update, uninstall and rollback; then recover.

For each kind of change, the change is first run to its end to learn how long it takes;
then it is started again in fresh environments and killed with SIGKILL at points spread
over that time, denser towards the end where pip works (with a seeded jitter:
``CC_KILL_SEED`` replays a run). Half of the kills
take pip down with the host (the process group), half the host alone, so pip runs on
holding the change lock. After each kill:

- the next ``cloudcraver`` command starts and, if the change had begun, says it was
  interrupted;
- ``cloudcraver plugin recover`` ends with the environment exactly as before the change (or
  as after it, when the kill came after its commit): the same distributions and versions,
  every file as its RECORD says, ``pip check`` clean, and the plugin that should run runs.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from support.install_env import InstallEnv

pytestmark = pytest.mark.venv

#: Kills per kind of change (4 kinds: 24 kills in all).
KILLS = 6
SEED = int(os.environ.get("CC_KILL_SEED", "20261204"))

# What each kind starts from and runs: setup commands, then the change killed midway.
KINDS: dict[str, tuple[list[list[str]], list[str]]] = {
    "install": ([["install", "cc-inst-good==1.0.0"]], ["install", "cc-inst-withdep"]),
    "update": ([["install", "cc-inst-good==1.0.0"]], ["update", "cc-inst-good"]),
    "uninstall": ([["install", "cc-inst-withdep"]], ["uninstall", "cc-inst-withdep"]),
    "rollback": (
        [["install", "cc-inst-good==1.0.0"], ["update", "cc-inst-good"]],
        ["rollback"],
    ),
}

CHECK_FILES = """
import json
from cloudcraver_host.install.environment import damaged, snapshot
found = snapshot()
print(json.dumps({
    "versions": {n: d.version for n, d in found.items() if n.startswith("cc-inst-")},
    "damaged": {n: damaged(d) for n, d in found.items() if n.startswith("cc-inst-") and damaged(d)},
}))
"""


def plugin_set(env: InstallEnv) -> dict[str, str]:
    """The install-test distributions present, and that every file is as RECORD says."""
    result = env.run_python("-c", CHECK_FILES)
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["damaged"] == {}, data["damaged"]
    versions: dict[str, str] = data["versions"]
    return versions


def run_change(env: InstallEnv, args: list[str]) -> None:
    result = env.run("plugin", *args, "--yes")
    assert result.returncode == 0, result.stderr


def wait_for_pip(env: InstallEnv, timeout: float = 60) -> None:
    """Wait until no pip of this environment runs (after killing the host alone)."""
    deadline = time.monotonic() + timeout
    marker = str(env.python)
    while time.monotonic() < deadline:
        running = False
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    argv = handle.read().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].decode(errors="replace") == marker and b"pip" in argv:
                running = True
                break
        if not running:
            return
        time.sleep(0.1)
    raise AssertionError("pip still runs a minute after the host was killed")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_killed_changes_recover_to_a_consistent_set(
    kind: str, make_install_env: Callable[..., InstallEnv]
) -> None:
    setup, change = KINDS[kind]
    rng = random.Random(f"{SEED}-{kind}")

    reference = make_install_env("reference")
    for args in setup:
        run_change(reference, args)
    before = plugin_set(reference)
    started = time.monotonic()
    run_change(reference, change)
    duration = time.monotonic() - started
    after = plugin_set(reference)
    assert before != after

    outcomes: Counter[str] = Counter()
    for index in range(KILLS):
        env = make_install_env(f"kill-{index}")
        for args in setup:
            run_change(env, args)
        # Spread over the change, denser towards its end: the start is mostly planning
        # (nothing changed yet), the end is where pip and the verification change things.
        delay = duration * ((index + rng.uniform(0.1, 0.9)) / KILLS) ** 0.5
        whole_group = index % 2 == 0
        process = env.popen("plugin", *change, "--yes")
        time.sleep(delay)
        if whole_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.communicate()
        wait_for_pip(env)

        listed = env.run("plugin", "list")
        assert listed.returncode == 0, listed.stderr
        interrupted = "was interrupted" in listed.stderr
        recovered = env.run("plugin", "recover", "--json")
        assert recovered.returncode == 0, recovered.stderr
        state = json.loads(recovered.stdout)["state"]
        assert state == ("committed" if interrupted else "nothing-to-do"), recovered.stdout

        now = plugin_set(env)
        assert now in (before, after), (kind, delay, now)
        if interrupted:
            assert now == before, (kind, delay, now)
        env.pip("check")
        again = env.run("plugin", "list")
        assert "was interrupted" not in again.stderr
        if "cc-inst-good" in now:
            note = env.run("template", "create", "inst-good-note", "n", "-f", "json")
            assert json.loads(note.stdout)["version"] == now["cc-inst-good"]
        label = "interrupted" if interrupted else ("after" if now == after else "before")
        outcomes[label] += 1
    print(f"{kind}: {KILLS} kills at up to {duration:.1f}s, seed {SEED}: {dict(outcomes)}")
    assert sum(outcomes.values()) == KILLS

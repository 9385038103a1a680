"""The persisted plugin state: round trips, concurrent writers, atomic replacement."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cloudcraver_host.errors import StateFileError
from cloudcraver_host.state import LastFailure, PluginStateStore
from cloudcraver_host.tomlfile import locked_update, read_toml


def leftovers(folder: Path) -> list[str]:
    """Files other than the state file and its lock: temporary files must not survive."""
    return sorted(
        p.name for p in folder.iterdir() if p.name not in ("state.toml", "state.toml.lock")
    )


def test_absent_file_means_everything_enabled(tmp_path: Path) -> None:
    snapshot = PluginStateStore(tmp_path / "state.toml").load()
    assert snapshot.disabled == frozenset() and snapshot.failures == {}


def test_enable_disable_round_trip(tmp_path: Path) -> None:
    store = PluginStateStore(tmp_path / "state.toml")
    store.set_enabled("alpha", False)
    store.set_enabled("beta", False)
    assert PluginStateStore(tmp_path / "state.toml").load().disabled == {"alpha", "beta"}
    store.set_enabled("alpha", True)
    assert store.load().disabled == {"beta"}
    text = (tmp_path / "state.toml").read_text()
    assert text.startswith("# Managed by cloudcraver")
    assert "alpha" not in text  # nothing left for an enabled plugin without failures
    assert leftovers(tmp_path) == []


def test_last_failure_round_trip_and_clear(tmp_path: Path) -> None:
    store = PluginStateStore(tmp_path / "state.toml")
    at = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    failure = LastFailure("load", 'ImportError: no module named "x"\nsecond line', "1.2.0", at)
    store.set_enabled("alpha", False)
    store.record_failure("alpha", failure)
    snapshot = PluginStateStore(tmp_path / "state.toml").load()
    assert snapshot.failures == {"alpha": failure}
    assert snapshot.disabled == {"alpha"}
    store.clear_failure("alpha")
    assert store.load().failures == {}
    assert store.load().disabled == {"alpha"}


def test_a_corrupt_state_file_says_how_to_recover(tmp_path: Path) -> None:
    path = tmp_path / "state.toml"
    path.write_text("[plugins.alpha\nenabled = false\n")
    with pytest.raises(StateFileError) as raised:
        PluginStateStore(path).load()
    message = str(raised.value)
    assert str(path) in message and "delete it to reset" in message


_WORKER = """
import sys, time
from pathlib import Path
from cloudcraver_host.state import PluginStateStore

path, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
(go.parent / f"ready-{name}").touch()
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)
PluginStateStore(path).set_enabled(name, False)
"""


def test_concurrent_processes_lose_no_update(tmp_path: Path) -> None:
    folder = tmp_path / "home"
    folder.mkdir()
    path, go = folder / "state.toml", tmp_path / "go"
    PluginStateStore(path).set_enabled("already-there", False)
    names = [f"plugin-{i:02d}" for i in range(20)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDCRAVER_")}
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(path), name, str(go)], env=env)
        for name in names
    ]
    try:
        deadline = time.monotonic() + 60  # start them all, then let them race
        while len(list(tmp_path.glob("ready-*"))) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()
        codes = [w.wait(timeout=120) for w in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert codes == [0] * 20
    assert PluginStateStore(path).load().disabled == {"already-there", *names}
    assert sorted(read_toml(path)["plugins"]) == sorted(["already-there", *names])
    assert leftovers(folder) == []


def test_a_failed_update_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "state.toml"
    store = PluginStateStore(path)
    store.set_enabled("alpha", False)
    before = path.read_text()

    def bad_update(data: dict[str, object]) -> dict[str, object]:
        data["plugins"] = {"alpha": {"enabled": object()}}  # not writable as TOML
        return data

    with pytest.raises(TypeError):
        locked_update(path, bad_update)
    assert path.read_text() == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("action", ["load", "disable", "fail"])
def test_a_state_file_of_the_wrong_shape_is_refused_not_overwritten(
    tmp_path: Path, action: str
) -> None:
    path = tmp_path / "state.toml"
    path.write_text("plugins = 5\n", encoding="utf-8")
    store = PluginStateStore(path)
    with pytest.raises(StateFileError) as raised:
        if action == "load":
            store.load()
        elif action == "disable":
            store.set_enabled("alpha", False)
        else:
            store.clear_failure("alpha")
    message = str(raised.value)
    assert str(path) in message and "delete it to reset" in message
    assert raised.value.exit_code == 2
    assert path.read_text(encoding="utf-8") == "plugins = 5\n"

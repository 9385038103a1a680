"""Concurrent ``cloudcraver plugin enable|disable`` processes lose no update of ``state.toml``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import Cli
from .helpers import TRACEBACK, by_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.venv

EXTRA_PLUGINS = 10
PROCESSES = 20


def run_all_at_once(cc: Cli, commands: list[tuple[str, str]]) -> None:
    """Start one ``cloudcraver plugin VERB NAME`` per command at once; all must succeed."""
    started = [(verb, name, cc.popen("plugin", verb, name)) for verb, name in commands]
    failures = []
    for verb, name, process in started:
        try:
            stdout, stderr = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        if process.returncode != 0 or TRACEBACK in stderr:
            failures.append(f"plugin {verb} {name}: exit {process.returncode}\n{stdout}{stderr}")
        elif f"{verb}d plugin '{name}'" not in stdout:
            failures.append(f"plugin {verb} {name}: unexpected output\n{stdout}{stderr}")
    assert not failures, "\n".join(failures)


def disabled_names(cc: Cli) -> set[str]:
    data = tomllib.loads(cc.state_file.read_text(encoding="utf-8"))  # valid TOML, or this raises
    plugins = data.get("plugins", {})
    assert isinstance(plugins, dict)
    return {name for name, entry in plugins.items() if entry.get("enabled") is False}


def test_concurrent_enable_and_disable_lose_no_update(cc: Cli, clone_plugin) -> None:
    # More plugin names than the venv has: checkouts of dep-base under other names.
    for index in range(EXTRA_PLUGINS):
        folder = clone_plugin("cc-test-base", "dep-base", f"extra-{index:02d}")
    cc = cc.with_env(CLOUDCRAVER_PLUGIN_PATH=str(folder.parent))
    names = sorted(by_name(cc.json("plugin", "list", "--all", "--json")))
    assert len(names) >= PROCESSES + 1, names
    to_enable, to_disable = names[0::2][: PROCESSES // 2], names[1::2][: PROCESSES // 2]
    untouched = set(names) - set(to_enable) - set(to_disable)
    cc.forget_imports()  # listing imports the plugins without a manifest

    # Start: the ones to enable later are disabled (by concurrent commands too).
    run_all_at_once(cc, [("disable", name) for name in to_enable])
    assert disabled_names(cc) == set(to_enable)

    # Then 20 processes at once, both directions, distinct plugins.
    commands = [("enable", name) for name in to_enable] + [("disable", name) for name in to_disable]
    assert len(commands) == PROCESSES
    run_all_at_once(cc, commands)

    assert disabled_names(cc) == set(to_disable)
    listed = by_name(cc.json("plugin", "list", "--all", "--json"))
    for name in to_enable + sorted(untouched):
        assert listed[name]["enabled"] is True, name
    for name in to_disable:
        assert listed[name]["enabled"] is False, name
    assert not cc.imported() & set(to_disable), "disabled plugins are never imported"
    expected = ("state.toml", "state.toml.lock", "cache")  # cache: discovery results
    leftovers = [p.name for p in cc.home.iterdir() if p.name not in expected]
    leftovers += [p.name for p in cc.home.rglob("*.tmp")]
    assert leftovers == [], "no temporary file is left behind"

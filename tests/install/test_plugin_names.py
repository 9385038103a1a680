"""The names users see: plugin names in ``update``/``uninstall``/``outdated``, reasons said once.

Issue 9, items 17 and 20 (part): ``plugin list`` shows a plugin's name (``inst-good``), so the
commands that change plugins take it as well as the distribution's (``cc-inst-good``), and
show both; an install error prints pip's (or the verification's) reason once.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.install_env import InstallEnv

pytestmark = pytest.mark.venv


def shown(result: Any) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_update_uninstall_and_outdated_take_the_plugin_name_and_show_both(
    install_env: InstallEnv,
) -> None:
    install_env.run("plugin", "install", "cc-inst-good==1.0.0", "--yes", check=0)
    assert "inst-good" in install_env.run("plugin", "list", check=0).stdout

    rows = json.loads(install_env.run("plugin", "outdated", "--json", check=0).stdout)
    assert [(r["name"], r["plugin"]) for r in rows] == [("cc-inst-good", "inst-good")]
    table = install_env.run("plugin", "outdated", check=0).stdout
    assert "cc-inst-good" in table and "inst-good " in table

    updated = install_env.run("plugin", "update", "inst-good", "--yes")
    assert updated.returncode == 0, shown(updated)
    assert "upgrade cc-inst-good 1.0.0 -> 2.0.0 (plugin inst-good)" in updated.stdout

    removed = install_env.run("plugin", "uninstall", "inst-good", "--yes", "--purge")
    assert removed.returncode == 0, shown(removed)
    assert "remove cc-inst-good 2.0.0 (plugin inst-good)" in removed.stdout
    assert "cc-inst-good" not in install_env.installed()


def test_an_unknown_name_is_still_an_error_naming_it(install_env: InstallEnv) -> None:
    result = install_env.run("plugin", "update", "no-such-plugin", "--yes")

    assert result.returncode == 2, shown(result)
    assert "'no-such-plugin' is not an installed plugin" in result.stderr


def test_pips_reason_is_printed_once(install_env: InstallEnv) -> None:
    result = install_env.run("plugin", "install", "cc-nope", "--yes")

    assert result.returncode == 5, shown(result)
    lines = result.stderr.splitlines()
    assert lines[0] == "error: pip cannot install cc-nope; nothing was changed", shown(result)
    reasons = [line for line in lines[1:] if "cc-nope" in line]
    assert len(reasons) == 1 and "Could not find a version" in reasons[0], shown(result)


def test_a_verification_failure_is_explained_once(install_env: InstallEnv) -> None:
    result = install_env.run("plugin", "install", "cc-inst-broken", "--yes")

    assert result.returncode == 5, shown(result)
    assert result.stderr.count("broken on purpose") == 1, shown(result)

"""``cloudcraver plugin install|uninstall|update|rollback|history``, end to end.

Real pip in a virtualenv of the test's own, real wheels of ``tests/install_projects`` served
by a PEP 503 index on 127.0.0.1; every assertion is on what a user sees: exit codes, output,
what is installed, which plugin version runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.index import PackageIndex
from support.install_env import InstallEnv
from support.install_wheels import InstallWheels

pytestmark = pytest.mark.venv

#: Packages the host is made of: no plugin change may touch them.
HOST_PACKAGES = ("pluggy", "typer", "pydantic", "packaging", "cloudcraver", "cloudcraver-hookspecs")


def shown(result: Any) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def changed(env: InstallEnv, *args: str, check: int | None = 0) -> Any:
    """A changing command, confirmed, with its JSON result."""
    result = env.run("plugin", *args, "--yes", "--json")
    if check is not None:
        assert result.returncode == check, shown(result)
    return result


def outcome(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def note_version(env: InstallEnv) -> str:
    """The version of inst-good that renders its template (which code really runs)."""
    result = env.run("template", "create", "inst-good-note", "n", "-f", "json", check=0)
    data: dict[str, Any] = json.loads(result.stdout)
    return str(data["version"])


def host_versions(env: InstallEnv) -> dict[str, str | None]:
    installed = env.installed()
    return {name: installed.get(name) for name in HOST_PACKAGES}


def history(env: InstallEnv) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(env.run("plugin", "history", "--json", check=0).stdout)
    return data


# ---------------------------------------------------------------------------- install


def test_install_from_the_index_runs_the_plugin_and_records_the_change(
    install_env: InstallEnv,
) -> None:
    result = changed(install_env, "install", "cc-inst-good==1.1.0")

    data = outcome(result)
    assert data["state"] == "committed"
    assert [(c["name"], c["action"], c["after"]) for c in data["changes"]] == [
        ("cc-inst-good", "install", "1.1.0")
    ]
    assert set(data["steps"]) >= {"plan", "archive", "apply", "verify"}
    assert install_env.installed()["cc-inst-good"] == "1.1.0"
    assert note_version(install_env) == "1.1.0"
    listed = install_env.run("plugin", "list", check=0)
    assert "inst-good" in listed.stdout
    (record,) = history(install_env)
    assert record["command"] == "install" and record["state"] == "committed"
    archive = json.loads((install_env.paths.data_dir / "archive" / "index.json").read_text())
    assert any(e["name"] == "cc-inst-good" and e["version"] == "1.1.0" for e in archive["wheels"])


def test_install_text_output_names_the_change_and_how_to_undo(install_env: InstallEnv) -> None:
    result = install_env.run("plugin", "install", "cc-inst-good==1.0.0", "--yes", check=0)

    assert "install cc-inst-good 1.0.0" in result.stdout
    assert "cloudcraver plugin rollback" in result.stdout
    assert result.stderr == "", shown(result)


def test_plugin_with_a_dependency_and_uninstall_removes_only_what_it_needed(
    install_env: InstallEnv,
) -> None:
    host_before = host_versions(install_env)
    changed(install_env, "install", "cc-inst-withdep")
    assert install_env.installed()["cc-inst-lib"] == "2.0.0"

    result = changed(install_env, "uninstall", "cc-inst-withdep")

    removed = {c["name"] for c in outcome(result)["changes"]}
    assert removed == {"cc-inst-withdep", "cc-inst-lib"}
    installed = install_env.installed()
    assert "cc-inst-withdep" not in installed and "cc-inst-lib" not in installed
    assert host_versions(install_env) == host_before


def test_a_plugin_needing_another_pluggy_is_refused_naming_both(install_env: InstallEnv) -> None:
    before = install_env.installed()

    result = install_env.run("plugin", "install", "cc-inst-oldpluggy", "--yes")

    assert result.returncode == 5, shown(result)
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: refused"), shown(result)
    assert "cc-inst-oldpluggy" in first and "pluggy" in first
    assert "Traceback" not in result.stderr
    assert install_env.installed() == before


@pytest.mark.parametrize(
    ("project", "reason"),
    [
        ("cc-inst-broken", "RuntimeError"),
        ("cc-inst-badmanifest", "contribute_commands"),
        ("cc-inst-incompatible", "contract"),
    ],
)
def test_a_plugin_failing_verification_is_taken_out_again(
    install_env: InstallEnv, project: str, reason: str
) -> None:
    changed(install_env, "install", "cc-inst-good==1.0.0")
    before = install_env.installed()

    result = install_env.run("plugin", "install", project, "--yes")

    assert result.returncode == 5, shown(result)
    assert "verification failed" in result.stderr and reason in result.stderr, shown(result)
    assert "restored" in result.stderr
    assert install_env.installed() == before
    assert note_version(install_env) == "1.0.0"
    assert [r["state"] for r in history(install_env)] == ["committed", "restored"]


def test_no_verify_keeps_a_plugin_that_would_fail(install_env: InstallEnv) -> None:
    changed(install_env, "install", "cc-inst-incompatible", "--no-verify")

    assert "cc-inst-incompatible" in install_env.installed()


def test_pip_failing_shows_its_reason_and_changes_nothing(install_env: InstallEnv) -> None:
    before = install_env.installed()

    result = install_env.run("plugin", "install", "cc-inst-no-such-plugin", "--yes")

    assert result.returncode == 5, shown(result)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: pip cannot install cc-inst-no-such-plugin")
    # pip's reason once (issue 9, item 20): "No matching distribution" only repeated it.
    assert any(line.startswith("  ") and "Could not find a version" in line for line in lines)
    assert install_env.installed() == before
    assert history(install_env) == []


def test_dry_run_prints_the_plan_and_changes_nothing(install_env: InstallEnv) -> None:
    before = install_env.installed()

    result = install_env.run("plugin", "install", "cc-inst-withdep", "--dry-run", check=0)

    assert "install cc-inst-withdep 1.0.0" in result.stdout
    assert "install cc-inst-lib 2.0.0" in result.stdout
    assert "Dry run: nothing was changed." in result.stdout
    assert install_env.installed() == before
    assert history(install_env) == []


def test_without_a_terminal_a_change_needs_yes(install_env: InstallEnv) -> None:
    result = install_env.run("plugin", "install", "cc-inst-good")

    assert result.returncode == 2, shown(result)
    assert "pass --yes" in result.stderr
    assert "cc-inst-good" not in install_env.installed()


def test_install_from_a_wheel_an_sdist_and_an_editable_folder(
    install_env: InstallEnv, install_wheels: InstallWheels, tmp_path: Path
) -> None:
    from support.install_wheels import project_copy

    changed(install_env, "install", str(install_wheels.wheel("cc-inst-good", "1.2.0")))
    changed(install_env, "install", str(install_wheels.sdist("cc-inst-sdist", "1.0.0")))
    assert install_env.installed()["cc-inst-sdist"] == "1.0.0"
    assert note_version(install_env) == "1.2.0"

    folder = project_copy("cc-inst-sdist", tmp_path / "checkout", version="1.5.0")
    changed(install_env, "install", "-e", str(folder))

    assert install_env.installed()["cc-inst-sdist"] == "1.5.0"
    editable = install_env.pip("list", "--editable", "--format", "json").stdout
    assert [d["name"] for d in json.loads(editable)] == ["cc-inst-sdist"]


# ---------------------------------------------------------------------------- update, rollback


def test_update_follows_the_policy_and_outdated_says_what_is_newer(
    install_env: InstallEnv,
) -> None:
    changed(install_env, "install", "cc-inst-good==1.0.0")
    install_env.run("config", "set", "host.update_policy", "minor", check=0)

    rows = json.loads(install_env.run("plugin", "outdated", "--json", check=0).stdout)
    assert rows == [
        {
            "name": "cc-inst-good",
            "plugin": "inst-good",
            "installed": "1.0.0",
            "available": "1.2.0",
            "policy": "minor",
        }
    ]
    changed(install_env, "update", "--all")
    assert note_version(install_env) == "1.2.0"

    install_env.run("config", "set", "host.update_policy", "major", check=0)
    changed(install_env, "update", "cc-inst-good")
    assert note_version(install_env) == "2.0.0"


def test_rollback_needs_no_network(make_install_env: Any, fresh_index: PackageIndex) -> None:
    install_env = make_install_env(index=fresh_index)
    changed(install_env, "install", "cc-inst-good==1.0.0")
    changed(install_env, "install", "cc-inst-withdep")
    changed(install_env, "update", "cc-inst-good")
    assert note_version(install_env) == "2.0.0"

    fresh_index.stop()  # nothing answers on the index's port any more
    changed(install_env, "rollback")
    assert note_version(install_env) == "1.0.0"
    assert "cc-inst-withdep" in install_env.installed()

    first = history(install_env)[0]["id"]
    changed(install_env, "rollback", "--to", str(first))
    installed = install_env.installed()
    assert "cc-inst-withdep" not in installed and "cc-inst-lib" not in installed
    assert note_version(install_env) == "1.0.0"
    states = [(r["command"], r["state"]) for r in history(install_env)]
    assert states[-2:] == [("rollback", "committed"), ("rollback", "committed")]


def test_uninstall_purge_forgets_config_and_keeps_it_without(install_env: InstallEnv) -> None:
    changed(install_env, "install", "cc-inst-good==1.0.0")
    install_env.run("config", "set", "plugins.inst-good.text", "hello", check=0)

    changed(install_env, "uninstall", "cc-inst-good")
    assert "inst-good" in install_env.paths.config_file.read_text()

    changed(install_env, "install", "cc-inst-good==1.0.0")
    changed(install_env, "uninstall", "cc-inst-good", "--purge")
    assert "inst-good" not in install_env.paths.config_file.read_text()


def test_uninstalling_a_host_package_is_refused(install_env: InstallEnv) -> None:
    result = install_env.run("plugin", "uninstall", "pluggy", "--yes")

    assert result.returncode == 5, shown(result)
    assert "Cloud Craver itself needs" in result.stderr
    assert install_env.installed()["pluggy"]


# ---------------------------------------------------------------------------- configuration


def plugin_config(env: InstallEnv) -> dict[str, Any]:
    from cloudcraver_host.tomlfile import read_toml

    data = read_toml(env.paths.config_file)
    table: dict[str, Any] = data.get("plugins", {}).get("inst-good", {})
    return table


def test_an_update_migrates_the_plugin_config_and_a_rollback_puts_it_back(
    install_env: InstallEnv,
) -> None:
    changed(install_env, "install", "cc-inst-good==1.0.0")
    install_env.run("config", "set", "plugins.inst-good.text", "hello", check=0)

    result = changed(install_env, "update", "cc-inst-good")

    assert "inst-good: configuration migrated" in outcome(result)["notes"]
    assert plugin_config(install_env) == {"greeting": "hello"}
    changed(install_env, "rollback")
    assert plugin_config(install_env) == {"text": "hello"}
    assert note_version(install_env) == "1.0.0"


def test_a_failing_migration_keeps_the_old_version_and_config(install_env: InstallEnv) -> None:
    changed(install_env, "install", "cc-inst-good==1.0.0")
    install_env.run("config", "set", "plugins.inst-good.refuse_migration", "true", check=0)
    before = install_env.paths.config_file.read_text(encoding="utf-8")

    result = install_env.run("plugin", "update", "cc-inst-good", "--yes")

    assert result.returncode == 5, shown(result)
    assert "cannot migrate from 1.0.0" in result.stderr
    assert note_version(install_env) == "1.0.0"
    assert install_env.paths.config_file.read_text(encoding="utf-8") == before


# ---------------------------------------------------------------------------- one at a time


def test_a_second_change_waits_for_the_first_or_fails_with_no_wait(
    install_env: InstallEnv,
) -> None:
    import time

    first = install_env.popen("plugin", "install", "cc-inst-withdep", "--yes")
    owner = None
    deadline = time.monotonic() + 30
    while owner is None and time.monotonic() < deadline:
        owner = next(install_env.paths.data_dir.glob("environments/*/owner.json"), None)
        time.sleep(0.02)
    assert owner is not None, "the first change never took the lock"

    refused = install_env.run("plugin", "install", "cc-inst-good", "--yes", "--no-wait")
    waited = install_env.run("plugin", "install", "cc-inst-good==1.0.0", "--yes")
    first.communicate(timeout=120)

    assert first.returncode == 0
    assert refused.returncode == 5, shown(refused)
    line = refused.stderr.splitlines()[0]
    assert line.startswith("error: another change is running (pid "), shown(refused)
    assert "plugin install cc-inst-withdep" in line
    assert waited.returncode == 0, shown(waited)
    assert "waiting for another change" in waited.stderr or waited.stderr == ""
    installed = install_env.installed()
    assert installed["cc-inst-withdep"] == "1.0.0" and installed["cc-inst-good"] == "1.0.0"
    assert [r["state"] for r in history(install_env)] == ["committed", "committed"]


def test_install_from_a_git_url(install_env: InstallEnv, tmp_path: Path) -> None:
    from support.install_wheels import git_repository

    url = git_repository("cc-inst-sdist", tmp_path / "repo", versions=("1.0.0", "1.1.0"))

    changed(install_env, "install", f"{url}@v1.1.0")

    assert install_env.installed()["cc-inst-sdist"] == "1.1.0"
    (record,) = history(install_env)
    assert record["state"] == "committed"


def test_no_network_fails_with_pips_reason_and_changes_nothing(
    make_install_env: Any, fresh_index: PackageIndex
) -> None:
    env = make_install_env(index=fresh_index)
    changed(env, "install", "cc-inst-good==1.0.0")
    before = env.installed()
    fresh_index.stop()  # the index's port refuses connections: as with no network

    result = env.run("plugin", "install", "cc-inst-withdep", "--yes")

    assert result.returncode == 5, shown(result)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: pip cannot install cc-inst-withdep"), shown(result)
    assert any(line.startswith("  ") for line in lines[1:]), shown(result)
    assert "Traceback" not in result.stderr
    assert env.installed() == before
    assert [r["state"] for r in history(env)] == ["committed"]

"""transaction.py: whole changes with real pip, real verification, restore and recovery."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cloudcraver_host.errors import ChangeError
from cloudcraver_host.install.environment import snapshot
from cloudcraver_host.install.pip import PipRunner
from cloudcraver_host.install.transaction import PluginInstaller

from .helpers import (  # the *_fixture names register the fixtures here
    Venv,
    make_wheel,
    runner_fixture,  # noqa: F401
    venv_fixture,  # noqa: F401
    wheel_dir_fixture,  # noqa: F401
)

GOOD = (
    "from cloudcraver_hookspecs import hookimpl\n\n"
    "@hookimpl\ndef validate_document(document):\n    return []\n"
)


def plugin_wheel(folder: Path, version: str, code: str = GOOD, dep: str = "cc-helper") -> Path:
    return make_wheel(
        folder,
        "cc-good",
        version,
        requires=("cloudcraver-hookspecs>=1.0,<2", dep),
        files={"cc_good/__init__.py": code},
        entry_points="[cloudcraver]\ngood = cc_good\n",
    )


@pytest.fixture
def installer(tmp_path: Path, runner: PipRunner) -> PluginInstaller:
    env = dict(runner.env or {}, CLOUDCRAVER_HOME=str(tmp_path / "home"))
    return PluginInstaller(tmp_path / "data", PipRunner(runner.python, env=env, timeout=120))


def versions(venv: Venv, *names: str) -> dict[str, str | None]:
    snap = snapshot(venv.python)
    return {n: snap[n].version if n in snap else None for n in names}


def test_install_verify_fail_restore_update_rollback_uninstall(
    venv: Venv, wheel_dir: Path, installer: PluginInstaller
) -> None:
    make_wheel(wheel_dir, "cc-helper", "1.0")
    plugin_wheel(wheel_dir, "1.0")
    done = installer.install(["cc-good"], argv=["install", "cc-good"])
    assert done.state == "committed" and done.error is None
    assert {"plan", "archive", "apply", "verify"} <= set(done.steps)
    assert versions(venv, "cc-good", "cc-helper") == {"cc-good": "1.0", "cc-helper": "1.0"}
    v1 = snapshot(venv.python)["cc-good"]

    # 1.1 cannot be imported: verification fails and 1.0 comes back, byte for byte.
    plugin_wheel(wheel_dir, "1.1", code="raise ImportError('broken on purpose')\n")
    with pytest.raises(ChangeError, match=r"verification failed: .*broken on purpose.*restored"):
        installer.install(["cc-good==1.1"])
    assert snapshot(venv.python)["cc-good"].files_hash == v1.files_hash

    # A good 2.0 with a new dependency; then rolled back offline (the wheels are gone).
    make_wheel(wheel_dir, "cc-helper2", "1.0")
    plugin_wheel(wheel_dir, "2.0", dep="cc-helper2")
    assert installer.install(["cc-good"], upgrade=True).state == "committed"
    assert versions(venv, "cc-good", "cc-helper2") == {"cc-good": "2.0", "cc-helper2": "1.0"}
    shutil.rmtree(wheel_dir)
    wheel_dir.mkdir()
    back = installer.rollback()
    assert back.state == "committed"
    assert versions(venv, "cc-good", "cc-helper2") == {"cc-good": "1.0", "cc-helper2": None}
    assert snapshot(venv.python)["cc-good"].files_hash == v1.files_hash

    # Uninstall takes its own dependency along, never the host's; rollback brings both back.
    gone = installer.uninstall(["cc-good"])
    assert [c.name for c in gone.plan.changes] == ["cc-good", "cc-helper"]
    assert versions(venv, "cc-good", "cc-helper", "pluggy")["cc-good"] is None
    assert snapshot(venv.python)["pluggy"]
    installer.rollback()
    assert versions(venv, "cc-good", "cc-helper") == {"cc-good": "1.0", "cc-helper": "1.0"}

    states = [(tx.command, tx.state) for tx in installer.history()]
    assert states == [
        ("install", "committed"),
        ("install", "restored"),
        ("update", "committed"),
        ("rollback to 2", "committed"),
        ("uninstall", "committed"),
        ("rollback to 4", "committed"),
    ]


def test_dry_run_changes_nothing(venv: Venv, wheel_dir: Path, installer: PluginInstaller) -> None:
    make_wheel(wheel_dir, "cc-helper", "1.0")
    plugin_wheel(wheel_dir, "1.0")
    outcome = installer.install(["cc-good"], dry_run=True)
    assert outcome.state == "planned" and outcome.transaction is None
    assert [c.name for c in outcome.plan.changes] == ["cc-good", "cc-helper"]
    assert versions(venv, "cc-good")["cc-good"] is None and installer.history() == []


def test_recover_puts_back_an_interrupted_change(
    venv: Venv, wheel_dir: Path, installer: PluginInstaller, runner: PipRunner
) -> None:
    make_wheel(wheel_dir, "cc-helper", "1.0")
    plugin_wheel(wheel_dir, "1.0")
    installer.install(["cc-good"])
    before = snapshot(venv.python)
    # As if killed after pip replaced cc-good: the record is active, the files are new.
    names = ["cc-good", "cc-helper"]
    archived = installer._archive_before(names, before)
    tx = installer.journal.begin("install", [], archived, {}, [])
    installer.journal.update(tx, state="applying")
    plugin_wheel(wheel_dir, "3.0")
    assert runner.run(["install", "-q", "--no-deps", "cc-good==3.0"]).ok
    runner.run(["uninstall", "-y", "-q", "cc-helper"])
    assert installer.interrupted() is not None
    with pytest.raises(ChangeError, match="was interrupted; run `cloudcraver plugin recover`"):
        installer.install(["cc-helper"])
    outcome = installer.recover()
    assert outcome is not None and outcome.state == "recovered"
    after = snapshot(venv.python)
    assert {n: after[n].files_hash for n in names} == {n: before[n].files_hash for n in names}
    assert installer.interrupted() is None and installer.recover() is None
    assert installer.history()[-1].state == "recovered"


class FailingApply(PipRunner):
    """Real pip, but the apply step reports failure after pip changed the environment."""

    def run(self, args, *, lock_fd=None):  # type: ignore[no-untyped-def]
        result = super().run(args, lock_fd=lock_fd)
        if list(args)[:3] == ["install", "--no-deps", "--force-reinstall"]:
            return type(result)(result.argv, 1, "", "ERROR: injected failure\n", result.seconds)
        return result


def test_pip_failing_midway_restores_the_before_set(
    tmp_path: Path, venv: Venv, wheel_dir: Path, installer: PluginInstaller
) -> None:
    make_wheel(wheel_dir, "cc-helper", "1.0")
    plugin_wheel(wheel_dir, "1.0")
    installer.install(["cc-good"])
    before = snapshot(venv.python)
    make_wheel(wheel_dir, "cc-helper2", "1.0")
    plugin_wheel(wheel_dir, "2.0", dep="cc-helper2")
    failing = PluginInstaller(
        tmp_path / "data", FailingApply(installer.runner.python, env=installer.runner.env)
    )
    with pytest.raises(ChangeError, match=r"^pip failed to install .*restored") as info:
        failing.install(["cc-good==2.0"])
    assert info.value.details == "ERROR: injected failure"
    after = snapshot(venv.python)
    assert "cc-helper2" not in after  # added by the failed change: removed again
    assert after["cc-good"].files_hash == before["cc-good"].files_hash
    assert installer.history()[-1].state == "restored"


def test_update_and_outdated_follow_policies_and_the_contract(
    venv: Venv, wheel_dir: Path, installer: PluginInstaller
) -> None:
    from cloudcraver_host.install.plan import policy_spec

    assert policy_spec("cc-a", "1.2.3", "patch") == "cc-a>=1.2.3,<1.3"
    assert policy_spec("cc-a", "1.2.3", "minor") == "cc-a>=1.2.3,<2"
    assert policy_spec("cc-a", "1.2.3", "major") == "cc-a>=1.2.3"
    assert policy_spec("cc-a", "1.2.3", "pinned") is None
    with pytest.raises(ChangeError, match="unknown update policy 'sometimes'"):
        policy_spec("cc-a", "1", "sometimes")

    make_wheel(wheel_dir, "cc-helper", "1.0")
    plugin_wheel(wheel_dir, "1.0.0")
    installer.install(["cc-good==1.0.0"])
    plugin_wheel(wheel_dir, "1.0.1")
    plugin_wheel(wheel_dir, "1.1.0")
    plugin_wheel(wheel_dir, "2.0.0")
    # 3.0 needs a contract this host does not have: never offered.
    make_wheel(
        wheel_dir,
        "cc-good",
        "3.0.0",
        requires=("cloudcraver-hookspecs>=2",),
        entry_points="[cloudcraver]\ngood = cc_good\n",
    )
    make_wheel(wheel_dir, "cloudcraver-hookspecs", "2.0.0")

    def offered(policy: str) -> list[str | None]:
        return [c.after for c in installer.outdated(policies={"CC_Good": policy})]

    assert offered("patch") == ["1.0.1"]
    assert offered("minor") == ["1.1.0"]
    assert offered("pinned") == []
    assert [c.after for c in installer.outdated()] == ["2.0.0"]  # default: major, in contract
    done = installer.update(policies={"cc-good": "minor"})
    assert done.state == "committed"
    assert versions(venv, "cc-good") == {"cc-good": "1.1.0"}
    with pytest.raises(ChangeError, match="not an installed plugin: cc-helper"):
        installer.update(["cc-helper"])


MIGRATING = GOOD + (
    "\n@hookimpl\ndef migrate_config(from_version, to_version, config):\n"
    "    return {**config, 'level': 2, 'migrated_from': from_version}\n"
)


def test_config_migrated_on_update_comes_back_on_rollback(
    tmp_path: Path, venv: Venv, wheel_dir: Path, installer: PluginInstaller
) -> None:
    from cloudcraver_host.tomlfile import read_toml

    config = tmp_path / "home" / "config.toml"
    assert installer.config_file == config
    config.parent.mkdir(parents=True)
    config.write_text("[plugins.good]\nlevel = 1\n")
    make_wheel(wheel_dir, "cc-helper", "1.0")
    plugin_wheel(wheel_dir, "1.0")
    installer.install(["cc-good==1.0"])
    plugin_wheel(wheel_dir, "2.0", code=MIGRATING)
    installer.install(["cc-good==2.0"])
    assert read_toml(config)["plugins"]["good"] == {"level": 2, "migrated_from": "1.0"}
    assert installer.history()[-1].extra["config_before"] == {"good": {"level": 1}}
    installer.rollback()
    assert read_toml(config)["plugins"]["good"] == {"level": 1}
    assert versions(venv, "cc-good") == {"cc-good": "1.0"}


def test_direct_specs_wheel_path_and_editable_checkout(
    tmp_path: Path, venv: Venv, wheel_dir: Path, installer: PluginInstaller
) -> None:
    make_wheel(wheel_dir, "cc-helper", "1.0")
    wheel = plugin_wheel(tmp_path / "elsewhere", "1.0")
    done = installer.install([str(wheel)])
    assert done.plan.change("cc-good").download_url == wheel.as_uri()  # type: ignore[union-attr]
    assert versions(venv, "cc-good") == {"cc-good": "1.0"}

    project = tmp_path / "checkout"
    (project / "cc_good").mkdir(parents=True)
    (project / "cc_good" / "__init__.py").write_text(GOOD)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "cc-good"\nversion = "1.5.dev0"\n'
        'dependencies = ["cloudcraver-hookspecs>=1,<2", "cc-helper"]\n'
        '[project.entry-points.cloudcraver]\ngood = "cc_good"\n'
        '[tool.hatch.build.targets.wheel]\ndev-mode-dirs = ["."]\n'
    )
    env = dict(installer.runner.env or {}, PIP_NO_BUILD_ISOLATION="0")
    editing = PluginInstaller(tmp_path / "data", PipRunner(venv.python, env=env))
    assert editing.install([str(project)], editable=True).state == "committed"
    dist = snapshot(venv.python)["cc-good"]
    assert dist.editable and dist.version == "1.5.dev0"
    # Back to the wheel, then forward to the checkout again, offline, from the archive.
    editing.rollback()
    assert not snapshot(venv.python)["cc-good"].editable
    shutil.rmtree(wheel_dir)
    wheel_dir.mkdir()
    editing.rollback()  # undoes the rollback: the editable install returns
    back = snapshot(venv.python)["cc-good"]
    assert back.editable and back.files_hash == dist.files_hash


def test_recover_with_a_damaged_active_marker_restores_the_last_committed_set(
    venv: Venv, wheel_dir: Path, installer: PluginInstaller, runner: PipRunner
) -> None:
    make_wheel(wheel_dir, "cc-helper", "1.0")
    plugin_wheel(wheel_dir, "1.0")
    installer.install(["cc-good"])
    good = snapshot(venv.python)["cc-good"].files_hash
    plugin_wheel(wheel_dir, "9.0")
    assert runner.run(["install", "-q", "--no-deps", "cc-good==9.0"]).ok
    installer.journal.active_file.write_text("garbage\n")
    outcome = installer.recover()
    assert outcome is not None and outcome.state == "recovered"
    assert snapshot(venv.python)["cc-good"].files_hash == good
    assert installer.interrupted() is None and not installer.journal.active_file.exists()

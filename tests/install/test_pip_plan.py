"""pip.py and plan.py with real pip resolving real wheels from a find-links folder."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from cloudcraver_host.errors import EXIT_CHANGE_FAILED, ChangeError
from cloudcraver_host.install.environment import InstalledDist, host_pins, snapshot
from cloudcraver_host.install.pip import PipResult, PipRunner, error_block
from cloudcraver_host.install.plan import Change, Plan, classify, plan_install, plan_uninstall

from .helpers import Venv, make_wheel


def _install(runner: PipRunner, *args: str) -> None:
    result = runner.run(["install", "-q", *args])
    assert result.ok, result.stderr


# --- pip.py -----------------------------------------------------------------------------------


def test_runner_adds_only_no_input_and_version_check(runner: PipRunner) -> None:
    argv = runner.command(["install", "x"])
    assert argv[1:] == [
        "-m", "pip", "install", "--no-input", "--disable-pip-version-check", "x"
    ]  # fmt: skip
    assert "--isolated" not in argv
    assert runner.version() >= (23, 0)
    runner.require_version()


def test_runner_honours_the_users_pip_configuration(
    tmp_path: Path, runner: PipRunner, wheel_dir: Path
) -> None:
    # The user's configuration (here PIP_FIND_LINKS / PIP_NO_INDEX in the fixture's env, and
    # a config file named by PIP_CONFIG_FILE) applies: the runner adds nothing that hides it.
    make_wheel(wheel_dir, "cc-a", "1.0")
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nno-index = true\nfind-links = " + str(wheel_dir) + "\n")
    env = dict(runner.env or {})
    del env["PIP_FIND_LINKS"], env["PIP_NO_INDEX"]
    env["PIP_CONFIG_FILE"] = str(config)
    configured = PipRunner(runner.python, env=env)
    result = configured.run(["download", "-q", "-d", str(tmp_path / "dl"), "cc-a"])
    assert result.ok, result.stderr
    assert result.seconds > 0
    assert [p.name for p in (tmp_path / "dl").iterdir()] == ["cc_a-1.0-py3-none-any.whl"]


def test_too_old_pip_is_named(runner: PipRunner) -> None:
    with pytest.raises(ChangeError, match=r"pip 23\.\d+(\.\d+)? in .* too old.*pip >= 99\.0"):
        runner.require_version((99, 0))


def test_missing_interpreter_is_a_change_error(tmp_path: Path) -> None:
    with pytest.raises(ChangeError, match="does not exist"):
        PipRunner(tmp_path / "nope" / "python").run(["--version"])
    with pytest.raises(ChangeError, match="cannot run"):
        PipRunner(tmp_path / "nope" / "python").version()


def test_lock_fd_is_inherited_by_pip(tmp_path: Path) -> None:
    # A stand-in `pip` module (first on PYTHONPATH) reports whether the descriptor is open.
    fake = tmp_path / "fake" / "pip"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        "import os, sys\nos.fstat(int(os.environ['LOCK_FD']))\nprint(sys.argv[1:])\n"
    )
    fd = os.open(tmp_path / "change.lock", os.O_RDWR | os.O_CREAT)
    try:
        env = {**os.environ, "PYTHONPATH": str(fake.parent), "LOCK_FD": str(fd)}
        runner = PipRunner(sys.executable, env=env)
        held = runner.run(["install", "x"], lock_fd=fd)
        assert held.ok, held.stderr
        assert "'--no-input', '--disable-pip-version-check', 'x'" in held.stdout
        assert not runner.run(["install", "x"]).ok  # not passed: closed in the child
    finally:
        os.close(fd)


def test_error_block_is_pips_reason_in_one_block() -> None:
    result = PipResult(
        argv=("python", "-m", "pip"),
        returncode=1,
        stdout="Looking in links: x\n",
        stderr=(
            "WARNING: something\n\x1b[31mERROR: No matching distribution found for cc-q\x1b[0m \n"
        ),
        seconds=0.1,
    )
    assert error_block(result) == "ERROR: No matching distribution found for cc-q"
    quiet = PipResult(("p",), 2, "", "\n".join(f"line {i}" for i in range(30)), 0.1)
    assert error_block(quiet).splitlines() == [f"line {i}" for i in range(10, 30)]


# --- plan.py ----------------------------------------------------------------------------------


def test_classify() -> None:
    assert classify(None, "1.0") == "install"
    assert classify("1.0", "1.1") == "upgrade"
    assert classify("1.1", "1.0.post1") == "downgrade"
    assert classify("1.0", "1.0.0") == "reinstall"


def test_plan_install_classifies_against_the_snapshot(
    venv: Venv, wheel_dir: Path, runner: PipRunner
) -> None:
    make_wheel(wheel_dir, "cc-dep", "1.0")
    make_wheel(wheel_dir, "cc-low", "2.0")
    _install(runner, "cc-dep==1.0", "cc-low==2.0")
    make_wheel(wheel_dir, "cc-dep", "1.1")
    make_wheel(wheel_dir, "cc-low", "1.0")
    make_wheel(wheel_dir, "cc-new", "0.1")
    make_wheel(
        wheel_dir,
        "cc-plugin",
        "3.0",
        requires=("cc-dep>=1.1", "cc-low<2", "cc-new", "cloudcraver-hookspecs>=1"),
    )
    installed = snapshot(venv.python)
    pins = host_pins(installed)
    plan = plan_install(runner, ["cc-plugin"], constraints=pins, installed=installed)
    rows = [(c.name, c.action, c.before, c.after, c.requested, c.is_plugin) for c in plan.changes]
    assert rows == [
        ("cc-dep", "upgrade", "1.0", "1.1", False, False),
        ("cc-low", "downgrade", "2.0", "1.0", False, False),
        ("cc-new", "install", None, "0.1", False, False),
        ("cc-plugin", "install", None, "3.0", True, True),
    ]  # fmt: skip
    assert plan.change("cc-plugin") is not None
    assert plan.change("cc-plugin").download_url.startswith("file://")  # type: ignore[union-attr]
    assert plan.report["install"] and plan.seconds > 0
    # Nothing was installed: a plan changes nothing.
    assert snapshot(venv.python) == installed
    data = json.loads(plan.to_json())
    assert data["command"] == "install" and data["specs"] == ["cc-plugin"]
    assert data["changes"][3]["name"] == "cc-plugin" and "report" not in data
    # Already installed and satisfied: an empty plan.
    again = plan_install(runner, ["cc-dep"], constraints=pins, installed=installed)
    assert again.is_empty


def test_plan_refuses_a_plugin_that_needs_another_pluggy(
    venv: Venv, wheel_dir: Path, runner: PipRunner
) -> None:
    installed = snapshot(venv.python)
    pins = host_pins(installed)
    pluggy = pins["pluggy"]
    make_wheel(wheel_dir, "pluggy", "0.13.1")
    make_wheel(wheel_dir, "cc-x", "1.0", requires=("pluggy<1",))
    with pytest.raises(ChangeError) as info:
        plan_install(runner, ["cc-x"], constraints=pins, installed=installed)
    assert str(info.value) == (
        f"refused: cc-x 1.0 requires pluggy<1, but Cloud Craver itself needs pluggy {pluggy}; "
        "nothing was changed"
    )
    assert info.value.exit_code == EXIT_CHANGE_FAILED
    assert "ResolutionImpossible" in info.value.details
    assert "cc-x 1.0 depends on pluggy<1" in info.value.details
    # Without the pins pip would have planned to downgrade pluggy: the pins are what refuse.
    unpinned = plan_install(runner, ["cc-x"], constraints={}, installed=installed)
    assert unpinned.change("pluggy") is not None


def test_plan_refusal_through_a_dependency_names_both(
    venv: Venv, wheel_dir: Path, runner: PipRunner
) -> None:
    installed = snapshot(venv.python)
    pins = host_pins(installed)
    make_wheel(wheel_dir, "typer", "0.1")
    make_wheel(wheel_dir, "cc-lib", "1.0", requires=("typer<0.2",))
    make_wheel(wheel_dir, "cc-y", "2.0", requires=("cc-lib",))
    with pytest.raises(ChangeError, match=r"^refused: cc-y cannot be installed: its "
                       r"dependency cc-lib 1\.0 requires typer<0\.2, but Cloud Craver itself "
                       r"needs typer [^;]+; nothing was changed$"):  # fmt: skip
        plan_install(runner, ["cc-y"], constraints=pins, installed=installed)


def test_plan_refuses_naming_a_pinned_package(
    venv: Venv, wheel_dir: Path, runner: PipRunner
) -> None:
    installed = snapshot(venv.python)
    pins = host_pins(installed)
    make_wheel(wheel_dir, "pluggy", "0.13.1")
    with pytest.raises(ChangeError, match=r"^refused: pluggy==0\.13\.1 would change pluggy, but "):
        plan_install(runner, ["pluggy==0.13.1"], constraints=pins, installed=installed)
    # A direct path escapes pip's constraints only to be caught by the plan check.
    wheel = make_wheel(wheel_dir / "direct", "pluggy", pins["pluggy"])
    with pytest.raises(ChangeError, match=r"^refused: reinstall pluggy .* which Cloud Craver"):
        plan_install(
            runner, [str(wheel)], constraints=pins, installed=installed, force_reinstall=True
        )


def test_plan_failure_shows_pips_reason(venv: Venv, runner: PipRunner) -> None:
    with pytest.raises(ChangeError, match=r"^pip cannot install cc-nothing") as info:
        plan_install(runner, ["cc-nothing"], constraints={}, installed={})
    assert info.value.details.startswith("ERROR: Could not find a version")


def test_plan_editable_install(venv: Venv, tmp_path: Path, runner: PipRunner) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "cc_ed.py").write_text("")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "cc-ed"\nversion = "0.3"\n'
        '[tool.hatch.build.targets.wheel]\ndev-mode-dirs = ["."]\n'
    )
    env = dict(runner.env or {}, PIP_NO_BUILD_ISOLATION="0")
    plan = plan_install(
        PipRunner(runner.python, env=env),
        [str(project)],
        constraints={},
        installed={},
        editable=True,
    )
    (change,) = plan.changes
    assert (change.name, change.action, change.after) == ("cc-ed", "install", "0.3")
    assert change.download_url == project.as_uri()


def _dist(name: str, *requires: str, requested: bool = False) -> InstalledDist:
    return InstalledDist(
        name, "1.0", Path(f"/x/{name}.dist-info"), "h", False, None, requires, requested
    )


def test_plan_uninstall_removes_only_what_nothing_else_needs() -> None:
    installed = {
        "cc-a": _dist("cc-a", "shared", "only-a", "pluggy", "cloudcraver-hookspecs"),
        "cc-b": _dist("cc-b", "shared"),
        "shared": _dist("shared"),
        "only-a": _dist("only-a", "deep; python_version >= '3'", "never; python_version < '3'"),
        "deep": _dist("deep", "pluggy"),
        "never": _dist("never"),
        "mine": _dist("mine", requested=True),
        "pluggy": _dist("pluggy"),
        "cloudcraver-hookspecs": _dist("cloudcraver-hookspecs", "pluggy"),
    }
    pins = {"pluggy": "1.0", "cloudcraver-hookspecs": "1.0"}
    plan = plan_uninstall(["CC_A"], installed, pins)
    assert plan.command == "uninstall" and plan.specs == ("CC_A",)
    assert [(c.name, c.action, c.before, c.requested, c.is_plugin) for c in plan.changes] == [
        ("cc-a", "remove", "1.0", True, True),
        ("deep", "remove", "1.0", False, False),
        ("only-a", "remove", "1.0", False, False),
    ]
    # Removing both plugins frees what they shared; a kept name stays.
    both = plan_uninstall(["cc-a", "cc-b"], installed, pins, keep=["deep"])
    assert [c.name for c in both.changes] == ["cc-a", "cc-b", "only-a", "shared"]
    installed["cc-a"] = _dist("cc-a", "mine")
    assert [c.name for c in plan_uninstall(["cc-a"], installed, pins).changes] == ["cc-a", "mine"]
    kept = plan_uninstall(["cc-a"], installed, pins, keep_requested=True)
    assert [c.name for c in kept.changes] == ["cc-a"]


def test_plan_uninstall_refuses_host_packages_and_unknown_names() -> None:
    installed = {"pluggy": _dist("pluggy")}
    with pytest.raises(ChangeError, match="refused: pluggy cannot be removed: Cloud Craver"):
        plan_uninstall(["pluggy"], installed, {"pluggy": "1.0"})
    with pytest.raises(ChangeError, match="not installed: cc-zzz"):
        plan_uninstall(["cc-zzz"], installed, {})


def test_plan_to_json_round_trips() -> None:
    plan = Plan("install", ("a",), (Change("a", "install", None, "1", True, None, True),))
    assert json.loads(plan.to_json()) == plan.to_dict()
    assert not plan.is_empty and Plan("install", (), ()).is_empty

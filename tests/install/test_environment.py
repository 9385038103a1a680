"""environment.py against real installs: pip installs tiny wheels into a test virtualenv."""

from __future__ import annotations

from pathlib import Path

from cloudcraver_host.install.environment import (
    InstalledDist,
    damaged,
    files_hash,
    host_pins,
    host_requirements,
    snapshot,
)
from cloudcraver_host.install.pip import PipRunner

from .helpers import Venv, make_wheel


def _install(runner: PipRunner, *args: str) -> None:
    result = runner.run(["install", "-q", *args])
    assert result.ok, result.stderr


def test_snapshot_reads_an_installed_wheel(venv: Venv, wheel_dir: Path, runner: PipRunner) -> None:
    make_wheel(
        wheel_dir, "Cc_Demo.Thing", "1.2", requires=("cc-dep>=1", "nope; python_version<'3'")
    )
    make_wheel(wheel_dir, "cc-dep", "1.0")
    _install(runner, "cc-demo-thing")
    snap = snapshot(venv.python)
    demo = snap["cc-demo-thing"]
    assert isinstance(demo, InstalledDist)
    assert demo.version == "1.2"
    assert demo.dist_info.parent == venv.site_packages
    assert demo.requires == ("cc-dep>=1", "nope; python_version<'3'")
    assert demo.requested and not snap["cc-dep"].requested
    assert not demo.editable
    assert demo.direct_url is None  # installed by name from find-links: not a direct URL
    assert len(demo.files_hash) == 64
    assert damaged(demo) == []
    # The outer environment, seen through the venv's .pth, is part of what that python sees.
    assert "pluggy" in snap
    # Reading the folder alone gives the same record.
    assert snapshot(paths=[str(venv.site_packages)])["cc-demo-thing"] == demo


def test_files_hash_ignores_how_pip_was_asked(
    venv: Venv, wheel_dir: Path, runner: PipRunner
) -> None:
    wheel = make_wheel(wheel_dir, "cc-a", "1.0")
    _install(runner, "cc-a")
    by_name = snapshot(venv.python)["cc-a"]
    _install(runner, "--force-reinstall", "--no-compile", str(wheel))
    by_path = snapshot(venv.python)["cc-a"]
    assert by_path.direct_url is not None and by_path.direct_url["url"].startswith("file:")
    assert by_path.files_hash == by_name.files_hash


def test_damaged_names_missing_and_changed_files(
    venv: Venv, wheel_dir: Path, runner: PipRunner
) -> None:
    make_wheel(wheel_dir, "cc-a", "1.0", files={"cc_a/__init__.py": "X = 1\n", "cc_a/b.py": ""})
    _install(runner, "cc-a")
    dist = snapshot(venv.python)["cc-a"]
    before = dist.files_hash
    (venv.site_packages / "cc_a" / "b.py").unlink()
    (venv.site_packages / "cc_a" / "__init__.py").write_text("X = 2\n")
    assert damaged(dist) == ["changed: cc_a/__init__.py", "missing: cc_a/b.py"]
    # files_hash is over RECORD, which pip wrote: a damaged install keeps its identity.
    assert files_hash(dist.dist_info) == before


def test_editable_install_is_flagged(venv: Venv, tmp_path: Path, runner: PipRunner) -> None:
    project = tmp_path / "proj"
    (project / "cc_ed").mkdir(parents=True)
    (project / "cc_ed" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "cc-ed"\nversion = "0.3"\n'
        # A plain .pth to the project (no `editables` package needed to build).
        '[tool.hatch.build.targets.wheel]\ndev-mode-dirs = ["."]\n'
    )
    _install(runner, "--no-build-isolation", "-e", str(project))
    dist = snapshot(venv.python)["cc-ed"]
    assert dist.editable
    assert dist.direct_url is not None and dist.direct_url["url"] == project.as_uri()


def test_host_pins_cover_the_host_closure() -> None:
    snap = snapshot()
    pins = host_pins(snap)
    for name in ("cloudcraver", "cloudcraver-hookspecs", "pluggy", "typer", "pydantic", "pip"):
        assert pins[name] == snap[name].version
    # typer's own dependency, reached recursively; test-only extras are not followed.
    assert "click" in pins or "typer-slim" in pins or "rich" in pins
    assert "pytest" not in pins and "moto" not in pins
    assert host_requirements(snap) == sorted(pins)


def test_host_pins_skip_markers_that_do_not_apply(tmp_path: Path) -> None:
    def dist(name: str, *requires: str) -> InstalledDist:
        return InstalledDist(name, "1.0", tmp_path / f"{name}.dist-info", "", False, None, requires)

    snap = {
        "cloudcraver": dist("cloudcraver", "a", "old; python_version < '3'", "t; extra == 'test'"),
        "cloudcraver-hookspecs": dist("cloudcraver-hookspecs", "pluggy>=1"),
        "a": dist("a", "b[x]>=1"),
        "b": dist("b"),
        "old": dist("old"),
        "t": dist("t"),
        "pluggy": dist("pluggy"),
        "pip": dist("pip"),
        "other": dist("other"),
    }
    assert sorted(host_pins(snap)) == [
        "a",
        "b",
        "cloudcraver",
        "cloudcraver-hookspecs",
        "pip",
        "pluggy",
    ]

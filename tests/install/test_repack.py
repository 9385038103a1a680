"""repack.py: a wheel rebuilt from installed files reinstalls exactly what was there."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from cloudcraver_host.errors import ChangeError
from cloudcraver_host.install.environment import snapshot
from cloudcraver_host.install.pip import PipRunner
from cloudcraver_host.install.repack import repack, wheel_filename

from .helpers import Venv, make_wheel


def _pip(runner: PipRunner, *args: str) -> None:
    result = runner.run([*args])
    assert result.ok, result.stderr


def _reinstall_from(runner: PipRunner, folder: Path, requirement: str) -> None:
    # By requirement from a folder (see repack's docstring), offline, dependencies untouched.
    _pip(
        runner, "install", "-q", "--no-index", "--no-deps", "--find-links", str(folder), requirement
    )


def test_repacked_wheel_restores_the_same_files(
    tmp_path: Path, venv: Venv, wheel_dir: Path, runner: PipRunner
) -> None:
    make_wheel(
        wheel_dir,
        "cc-tool",
        "1.4",
        files={
            "cc_tool/__init__.py": "def main():\n    print('tool ok')\n",
            "cc_tool/data.txt": "payload, with a comma\n",
        },
        console_scripts={"cc-tool": "cc_tool:main"},
        scripts={"cc-helper": "#!python\nprint('helper ok')\n"},
    )
    _pip(runner, "install", "-q", "cc-tool")
    before = snapshot(venv.python)["cc-tool"]
    assert any(e.path.startswith("../") for e in before.record())  # scripts outside site-packages

    out = tmp_path / "repacked"
    wheel = repack(before, out)
    assert wheel.name == wheel_filename(before) == "cc_tool-1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert zf.testzip() is None
        record = zf.read("cc_tool-1.4.dist-info/RECORD").decode()
        helper = zf.read("cc_tool-1.4.data/scripts/cc-helper")
    assert {"cc_tool-1.4.dist-info/WHEEL", "cc_tool-1.4.dist-info/METADATA"} <= names
    assert "cc_tool-1.4.dist-info/INSTALLER" not in names
    assert not any(n.endswith(".pyc") for n in names)
    assert "cc_tool-1.4.data/scripts/cc-tool" not in names  # pip regenerates the wrapper
    assert helper == b"#!python\nprint('helper ok')\n"
    assert "sha256=" in record and record.rstrip().endswith("cc_tool-1.4.dist-info/RECORD,,")
    # Reproducible: the same installed files give the same bytes.
    assert repack(before, tmp_path / "again").read_bytes() == wheel.read_bytes()

    _pip(runner, "uninstall", "-y", "-q", "cc-tool")
    assert "cc-tool" not in snapshot(venv.python)
    _reinstall_from(runner, out, "cc-tool==1.4")
    after = snapshot(venv.python)["cc-tool"]
    assert after.files_hash == before.files_hash
    for program in ("cc-tool", "cc-helper"):
        done = subprocess.run([venv.bin / program], capture_output=True, text=True, check=True)
        assert done.stdout.split() == [program.split("-")[1], "ok"]


def test_repacked_editable_install_comes_back_editable(
    tmp_path: Path, venv: Venv, runner: PipRunner
) -> None:
    project = tmp_path / "proj"
    (project / "cc_ed").mkdir(parents=True)
    (project / "cc_ed" / "__init__.py").write_text("WHERE = 'checkout'\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "cc-ed"\nversion = "0.3"\n'
        '[tool.hatch.build.targets.wheel]\ndev-mode-dirs = ["."]\n'
    )
    _pip(runner, "install", "-q", "--no-build-isolation", "-e", str(project))
    before = snapshot(venv.python)["cc-ed"]
    assert before.editable
    wheel = repack(before, tmp_path / "repacked")
    with zipfile.ZipFile(wheel) as zf:
        assert any(n.endswith(".pth") for n in zf.namelist())
        assert "cc_ed-0.3.dist-info/direct_url.json" in zf.namelist()
    _pip(runner, "uninstall", "-y", "-q", "cc-ed")
    _reinstall_from(runner, wheel.parent, "cc-ed==0.3")
    after = snapshot(venv.python)["cc-ed"]
    assert after.editable and after.direct_url == before.direct_url
    assert after.files_hash == before.files_hash
    code = "import cc_ed; print(cc_ed.WHERE, cc_ed.__file__)"
    out = subprocess.run([venv.python, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["checkout", str(project / "cc_ed" / "__init__.py")]


def test_repack_refuses_changed_files(
    tmp_path: Path, venv: Venv, wheel_dir: Path, runner: PipRunner
) -> None:
    make_wheel(wheel_dir, "cc-a", "1.0")
    _pip(runner, "install", "-q", "cc-a")
    dist = snapshot(venv.python)["cc-a"]
    (venv.site_packages / "cc_a.py").write_text("tampered = True\n")
    with pytest.raises(ChangeError, match=r"cannot repack cc-a 1\.0: its installed files changed"):
        repack(dist, tmp_path / "out")
    (dist.dist_info / "RECORD").unlink()
    with pytest.raises(ChangeError, match="has no RECORD"):
        repack(dist, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

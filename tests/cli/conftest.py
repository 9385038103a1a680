"""Fixtures of the end-to-end tests: the real ``cloudcraver`` of the session venv, per-test homes.

- ``cc`` -> :class:`Cli`: runs ``cloudcraver`` with ``HOME`` and ``CLOUDCRAVER_HOME`` in a
  fresh folder of the test, import markers in ``cc.markers`` (``cc.imported()``) and the
  activate/deactivate log in ``cc.events_file`` (``cc.events()``). ``cc.only(...)`` gives a
  runner that loads only the plugins named (``CLOUDCRAVER_PLUGINS``).
- ``clone_plugin`` copies a project of ``tests/plugin_projects`` under another plugin name
  (a checkout for ``CLOUDCRAVER_PLUGIN_PATH``).
- ``data`` copies a file of ``tests/cli/data`` into the test's home.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from support.harness import PLUGIN_PROJECTS, CliEnv

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Cli:
    """The ``cloudcraver`` executable of the session venv, bound to one test's folders."""

    cli_env: CliEnv
    home: Path
    markers: Path
    events_file: Path
    env: Mapping[str, str | None] = field(default_factory=dict)

    def environ(self, env: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
        """The variables added to the harness's clean environment for a run."""
        return {
            "CC_TEST_MARKER_DIR": str(self.markers),
            "CC_TEST_LOG": str(self.events_file),
            **self.env,
            **(env or {}),
        }

    def __call__(
        self,
        *args: str | os.PathLike[str],
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        check: bool | int | None = None,
        timeout: float = 60,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return self.cli_env.run(
            *args,
            home=self.home,
            env=self.environ(env),
            cwd=cwd,
            check=check,
            timeout=timeout,
            input=input,
        )

    def json(
        self,
        *args: str | os.PathLike[str],
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        check: bool | int = True,
    ) -> Any:
        """Run and parse standard output as JSON (exit code 0 unless ``check`` says otherwise)."""
        result = self(*args, env=env, cwd=cwd, check=check)
        return json.loads(result.stdout)

    def popen(
        self, *args: str | os.PathLike[str], env: Mapping[str, str | None] | None = None
    ) -> subprocess.Popen[str]:
        """Start ``cloudcraver`` without waiting (for concurrency tests)."""
        return subprocess.Popen(
            [os.fspath(self.cli_env.cloudcraver), *(os.fspath(a) for a in args)],
            env=self.cli_env.environ(home=self.home, env=self.environ(env)),
            cwd=self.home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def only(self, *plugins: str) -> Cli:
        """A runner loading only ``plugins`` (``CLOUDCRAVER_PLUGINS``; none if empty)."""
        return self.with_env(CLOUDCRAVER_PLUGINS=",".join(plugins))

    def with_env(self, **env: str | None) -> Cli:
        """A runner with more variables set (``None`` removes one)."""
        return replace(self, env={**self.env, **env})

    def imported(self) -> set[str]:
        """The plugins whose module was imported by any run so far (import markers)."""
        return {p.name.removesuffix(".imported") for p in self.markers.glob("*.imported")}

    def forget_imports(self) -> None:
        """Remove the import markers written so far."""
        for marker in self.markers.glob("*.imported"):
            marker.unlink()

    def events(self) -> list[dict[str, Any]]:
        """The activate/deactivate events the test plugins logged, in order."""
        if not self.events_file.is_file():
            return []
        text = self.events_file.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    @property
    def state_file(self) -> Path:
        """``state.toml`` of this home."""
        return self.home / "state.toml"

    @property
    def config_file(self) -> Path:
        """The user configuration file of this home."""
        return self.home / "config.toml"


@pytest.fixture
def cc(cli_env: CliEnv, tmp_path: Path) -> Cli:
    """The real ``cloudcraver``, with this test's own home, import markers and event log."""
    home = tmp_path / "home"
    markers = tmp_path / "markers"
    home.mkdir()
    markers.mkdir()
    return Cli(cli_env, home, markers, tmp_path / "events.jsonl")


@pytest.fixture
def data(cc: Cli) -> Callable[..., Path]:
    """Copy files of ``tests/cli/data`` into the test's home; returns the (last) copy."""

    def copy(*names: str, to: Path | None = None) -> Path:
        folder = to or cc.home
        folder.mkdir(parents=True, exist_ok=True)
        target = folder
        for name in names:
            target = folder / name
            shutil.copyfile(DATA / name, target)
        return target

    return copy


def _clone(project: str, plugin: str, old_plugin: str, dest: Path) -> Path:
    """Copy ``tests/plugin_projects/<project>`` as plugin ``plugin`` (its own dist and package)."""
    old_package = project.replace("-", "_")
    distribution = f"cc-cli-{plugin}"
    package = distribution.replace("-", "_")
    target = dest / distribution
    shutil.copytree(
        PLUGIN_PROJECTS / project,
        target,
        ignore=shutil.ignore_patterns("__pycache__", "build", "dist", "*.egg-info"),
    )
    (target / old_package).rename(target / package)
    renames = ((old_package, package), (project, distribution), (old_plugin, plugin))
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".toml", ".json"):
            text = path.read_text(encoding="utf-8")
            for old, new in renames:
                text = text.replace(old, new)
            path.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def clone_plugin(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """``clone_plugin(project, old_plugin_name, new_plugin_name)``: a renamed checkout.

    The copies land in one folder, ``tmp_path / "plugin-path"``, fit for
    ``CLOUDCRAVER_PLUGIN_PATH`` (a folder of checkouts).
    """
    folder = tmp_path / "plugin-path"

    def clone(project: str, old_plugin: str, plugin: str) -> Path:
        folder.mkdir(exist_ok=True)
        return _clone(project, plugin, old_plugin, folder)

    return clone

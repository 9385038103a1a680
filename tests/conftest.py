"""Session fixtures: the wheels of every project and a real virtualenv to run ``cloudcraver`` in.

- ``wheelhouse`` -> :class:`support.harness.Wheelhouse`: wheels of ``hookspecs/``, the root
  project and every project under ``tests/plugin_projects/``, built once per test run.
- ``cli_env`` -> :class:`support.harness.CliEnv`: a virtualenv with Cloud Craver and every
  test plugin but ``cc-test-manifest-v2`` installed; ``cli_env.run(*args, home=tmp_path)``
  runs the real ``cloudcraver`` executable in a clean environment.
- ``checkov`` -> the checkov executable in the environment ``nox -s checkov`` made.

Both are built once per test run, also under pytest-xdist: the first worker builds under a
file lock in the run's shared temporary folder and the others reuse the result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # makes `support` importable

from support.harness import CliEnv, Wheelhouse, build_cli_env, build_wheelhouse
from support.tools import checkov_executable

T = TypeVar("T", CliEnv, Wheelhouse)


def _build_once(
    factory: pytest.TempPathFactory,
    name: str,
    build: Callable[[Path], T],
    load: Callable[[str], T],
) -> T:
    from filelock import FileLock

    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by every worker of this run
    root = base / name
    with FileLock(str(root) + ".lock"):
        ready, failed = root / "ready.json", root / "failed.txt"
        if ready.is_file():
            return load(ready.read_text(encoding="utf-8"))
        if failed.is_file():
            pytest.fail(f"building the {name} failed in another worker:\n{failed.read_text()}")
        root.mkdir(parents=True, exist_ok=True)
        try:
            value = build(root)
        except Exception as exc:
            failed.write_text(str(exc), encoding="utf-8")
            raise
        ready.write_text(value.to_json(), encoding="utf-8")
        return value


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Wheelhouse:
    """Wheels of the contract, Cloud Craver and every test plugin project."""
    return _build_once(tmp_path_factory, "wheelhouse", build_wheelhouse, Wheelhouse.from_json)


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Wheelhouse) -> CliEnv:
    """A virtualenv with Cloud Craver and the test plugins installed (all but the v2 one)."""
    return _build_once(
        tmp_path_factory,
        "cli-env",
        lambda root: build_cli_env(root, wheelhouse),
        CliEnv.from_json,
    )


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The checkov executable, in the environment ``nox -s checkov`` made for it."""
    return checkov_executable()

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

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # makes `support` importable

from support.harness import CliEnv, Wheelhouse, build_cli_env, build_wheelhouse
from support.once import build_once as _build_once
from support.tools import checkov_executable

#: Fixtures that make the session virtualenv, or run checkov.
_SESSION_BUILDS = frozenset({"wheelhouse", "cli_env", "checkov"})

#: Fixtures of tests/install that run real pip in a virtualenv of the test's own:
#: ``runner`` (install/conftest.py) and ``plugin_venv`` (test_verify.py). About 1 s a test.
_REAL_PIP = frozenset({"runner", "plugin_venv"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as ``slow`` every test that needs the session virtualenv, pip or checkov."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("venv") or fixtures & (_SESSION_BUILDS | _REAL_PIP):
            item.add_marker(pytest.mark.slow)


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

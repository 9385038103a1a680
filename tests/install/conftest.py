"""Fixtures of the plugin install tests: real wheels, a real index, a virtualenv per test.

- ``install_wheels`` -> :class:`support.install_wheels.InstallWheels`: wheels (and sdists) of
  ``tests/install_projects/``, built once and cached in pytest's cache by a hash of their
  sources.
- ``package_index`` (session) -> :class:`support.index.PackageIndex` on 127.0.0.1 serving all
  of them. Do not change it in a test (add, remove, offline): use ``fresh_index``.
- ``fresh_index`` -> a :class:`~support.index.PackageIndex` of the test's own, same files.
- ``install_template`` (session) -> the virtualenv every ``InstallEnv`` is cloned from
  (Cloud Craver of this checkout, no plugin), built once per run.
- ``install_env`` -> :class:`support.install_env.InstallEnv`: the test's own clone, pip
  pointed at ``package_index``; ``make_install_env(name, index=...)`` makes more.

For the tests of single install modules, with hand-written wheels (see ``helpers.py``):

- ``venv`` -> :class:`helpers.Venv`: a fresh virtualenv seeing this environment's packages;
- ``wheel_dir`` -> a folder for the test's wheels;
- ``runner`` -> :class:`~cloudcraver_host.install.pip.PipRunner`: pip of ``venv``, offline,
  finding wheels in ``wheel_dir`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.harness import CliEnv, Wheelhouse
from support.index import PackageIndex
from support.install_env import InstallEnv, build_install_template, shared_fingerprint
from support.install_wheels import InstallWheels, build_install_wheels
from support.once import build_once

from cloudcraver_host.install.pip import PipRunner

from .helpers import Venv, make_venv, pip_environ


@pytest.fixture(scope="session")
def install_wheels(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> InstallWheels:
    """Every wheel and sdist of the install test projects."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        # Kept between runs; the build lock in that folder also serves xdist workers.
        return build_install_wheels(Path(), cache=Path(cache.mkdir("cloudcraver-install-wheels")))
    return build_once(
        tmp_path_factory, "install-wheels", build_install_wheels, InstallWheels.from_json
    )


@pytest.fixture(scope="session")
def package_index(install_wheels: InstallWheels) -> Iterator[PackageIndex]:
    """A PEP 503 index on 127.0.0.1 serving every install test file (read-only for tests)."""
    with PackageIndex(install_wheels.files()) as index:
        yield index


@pytest.fixture
def fresh_index(install_wheels: InstallWheels) -> Iterator[PackageIndex]:
    """An index of the test's own (to take projects offline, add or remove files)."""
    with PackageIndex(install_wheels.files()) as index:
        yield index


@pytest.fixture(scope="session")
def install_template(
    tmp_path_factory: pytest.TempPathFactory, wheelhouse: Wheelhouse
) -> Iterator[CliEnv]:
    """The virtualenv (Cloud Craver, no plugin) that each ``InstallEnv`` is a clone of.

    At the end of the session, fails if a test wrote into a file the clones share with it.
    """
    template = build_once(
        tmp_path_factory,
        "install-template",
        lambda root: build_install_template(root, wheelhouse),
        CliEnv.from_json,
    )
    before = shared_fingerprint(template)
    yield template
    if shared_fingerprint(template) != before:
        pytest.fail(
            f"a test wrote into a file every InstallEnv shares with {template.venv} "
            "(hard links): replace such files (unlink, then write), never write into them"
        )


@pytest.fixture
def make_install_env(
    install_template: CliEnv, package_index: PackageIndex, tmp_path: Path
) -> Callable[..., InstallEnv]:
    """``make_install_env(name="env", index=package_index, home=None, pip_config=None)``.

    A new clone in ``tmp_path/name``; ``index=None`` gives pip no index at all.
    """

    def make(
        name: str = "env",
        index: PackageIndex | None = package_index,
        *,
        home: Path | None = None,
        pip_config: Path | None = None,
    ) -> InstallEnv:
        url = index.simple_url if index is not None else None
        return InstallEnv.clone(
            install_template, tmp_path / name, index_url=url, home=home, pip_config=pip_config
        )

    return make


@pytest.fixture
def install_env(make_install_env: Callable[..., InstallEnv]) -> InstallEnv:
    """The test's own virtualenv with Cloud Craver, pip pointed at ``package_index``."""
    return make_install_env()


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    """A fresh virtualenv (see :func:`helpers.make_venv`)."""
    return make_venv(tmp_path / "venv")


@pytest.fixture
def wheel_dir(tmp_path: Path) -> Path:
    """A folder for the test's wheels, served to pip with ``--find-links``."""
    path = tmp_path / "wheels"
    path.mkdir()
    return path


@pytest.fixture
def runner(tmp_path: Path, venv: Venv, wheel_dir: Path) -> PipRunner:
    """pip of ``venv``, offline, finding wheels in ``wheel_dir`` only (the user's config)."""
    env = pip_environ(tmp_path, {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheel_dir)})
    return PipRunner(venv.python, env=env, timeout=120)

"""Wheels and sdists of the install test projects (``tests/install_projects/``), built once.

One project source gives several versions: each build copies the project to a scratch folder
and rewrites the ``version = "..."`` line of its ``pyproject.toml`` (the plugins read their
version from their installed metadata, so nothing else changes). Every wheel is built by one
``pip wheel --no-deps --no-build-isolation --no-index`` call with the outer environment's
hatchling (as :func:`support.harness.build_wheelhouse` does); the sdists of
``cc-inst-sdist`` come from its in-tree backend.

The result is cached in a folder named by a hash of the project sources, the build list, the
Python version and hatchling's version (:func:`build_install_wheels` with a ``cache`` folder,
normally pytest's cache), so a second test run builds nothing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from support.harness import PROJECT_ROOT, clean_environ

__all__ = [
    "INSTALL_PROJECTS",
    "SDIST_BUILDS",
    "WHEEL_BUILDS",
    "Artifact",
    "InstallWheels",
    "build_install_wheels",
    "git_repository",
    "project_copy",
    "set_version",
    "sources_hash",
]

INSTALL_PROJECTS = PROJECT_ROOT / "tests" / "install_projects"

#: Project folder -> the versions built as wheels.
WHEEL_BUILDS: dict[str, tuple[str, ...]] = {
    "cc-inst-good": ("1.0.0", "1.1.0", "1.2.0", "2.0.0"),
    "cc-inst-lib": ("1.0.0", "2.0.0"),
    "cc-inst-withdep": ("1.0.0",),
    "cc-inst-oldpluggy": ("1.0.0",),
    "cc-inst-broken": ("1.0.0",),
    "cc-inst-badmanifest": ("1.0.0",),
    "cc-inst-incompatible": ("1.0.0",),
    # Distribution "pluggy" 0.13.1: what cc-inst-oldpluggy asks for (see its README entry).
    "pluggy-stub": ("0.13.1",),
}

#: Project folder -> the versions built as sdists only (no wheel: pip must build them).
SDIST_BUILDS: dict[str, tuple[str, ...]] = {
    "cc-inst-sdist": ("1.0.0", "1.1.0"),
}

#: Builds each folder given after the output folder with hatchling's ``build_wheel`` hook.
#: The current folder leaves ``sys.path`` first: ``pluggy-stub`` holds a package ``pluggy``,
#: which hatchling itself imports.
_HATCHLING_LOOP = """
import os, sys
sys.path[:] = [p for p in sys.path if p not in ('', '.')]
import hatchling.build
out = os.path.abspath(sys.argv[1])
for folder in sys.argv[2:]:
    os.chdir(folder)
    hatchling.build.build_wheel(out)
"""

_VERSION_LINE = re.compile(r'^version = "[^"]*"', re.MULTILINE)
_SKIPPED_PARTS = ("__pycache__", "build", "dist")
_IGNORED = ("__pycache__", "build", "dist", "*.egg-info", "*.pyc")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Artifact:
    """One built file.

    :param name: the distribution's canonical name (``cc-inst-good``, ``pluggy``).
    :param version: its version.
    :param kind: ``"wheel"`` or ``"sdist"``.
    :param path: the file.
    """

    name: str
    version: str
    kind: str
    path: Path


@dataclass(frozen=True)
class InstallWheels:
    """Every built wheel and sdist of the install test projects.

    :param path: the folder holding them (nothing else is in it).
    :param artifacts: each built file.
    """

    path: Path
    artifacts: tuple[Artifact, ...]

    def _find(self, name: str, version: str, kind: str) -> Path:
        key = _normalize(name)
        for artifact in self.artifacts:
            if artifact.name == key and artifact.version == version and artifact.kind == kind:
                return artifact.path
        raise KeyError(f"no {kind} of {name} {version} was built (see WHEEL_BUILDS/SDIST_BUILDS)")

    def wheel(self, name: str, version: str = "1.0.0") -> Path:
        """The wheel of ``name`` at ``version``: ``wheel("cc-inst-good", "1.1.0")``."""
        return self._find(name, version, "wheel")

    def sdist(self, name: str, version: str = "1.0.0") -> Path:
        """The sdist of distribution ``name`` at ``version``."""
        return self._find(name, version, "sdist")

    def versions(self, name: str) -> list[str]:
        """The versions built of ``name``, oldest first."""
        from packaging.version import Version

        key = _normalize(name)
        found = {a.version for a in self.artifacts if a.name == key}
        return sorted(found, key=Version)

    def files(self) -> list[Path]:
        """Every built file."""
        return [a.path for a in self.artifacts]

    def to_json(self) -> str:
        """The JSON text :meth:`from_json` reads (to share it between xdist workers)."""
        return json.dumps(
            {
                "path": str(self.path),
                "artifacts": [
                    {"name": a.name, "version": a.version, "kind": a.kind, "path": a.path.name}
                    for a in self.artifacts
                ],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> InstallWheels:
        """Read what :meth:`to_json` wrote."""
        data = json.loads(text)
        path = Path(data["path"])
        return cls(
            path,
            tuple(
                Artifact(a["name"], a["version"], a["kind"], path / a["path"])
                for a in data["artifacts"]
            ),
        )


def _source_files() -> Iterator[Path]:
    for path in sorted(INSTALL_PROJECTS.rglob("*")):
        parts = path.relative_to(INSTALL_PROJECTS).parts
        skipped = any(p in _SKIPPED_PARTS or p.endswith(".egg-info") for p in parts)
        if path.is_file() and not skipped and path.suffix != ".pyc":
            yield path


def sources_hash() -> str:
    """A hash of everything a build depends on: the sources, the build lists, the tools."""
    digest = hashlib.sha256()
    digest.update(json.dumps([WHEEL_BUILDS, SDIST_BUILDS], sort_keys=True).encode())
    digest.update(sys.version.encode())
    digest.update(metadata.version("hatchling").encode())
    digest.update(Path(__file__).read_bytes())
    for path in _source_files():
        digest.update(path.relative_to(INSTALL_PROJECTS).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def project_copy(project: str, dest: Path, version: str | None = None) -> Path:
    """A checkout of an install test project in ``dest`` (created), optionally at ``version``.

    For installs from a folder, editable ones and VCS URLs: ``cc-inst-sdist`` needs no build
    tools (its in-tree backend also builds editable wheels), the hatchling projects do.
    """
    shutil.copytree(INSTALL_PROJECTS / project, dest, ignore=shutil.ignore_patterns(*_IGNORED))
    if version is not None:
        set_version(dest, version)
    return dest


def set_version(folder: Path, version: str) -> None:
    """Rewrite the ``version = "..."`` line of ``folder/pyproject.toml``."""
    pyproject = folder / "pyproject.toml"
    text, count = _VERSION_LINE.subn(f'version = "{version}"', pyproject.read_text("utf-8"), 1)
    if count != 1:
        raise RuntimeError(f"{pyproject} has no 'version = \"...\"' line to rewrite")
    pyproject.write_text(text, encoding="utf-8")


def git_repository(project: str, dest: Path, versions: tuple[str, ...] = ("1.0.0",)) -> str:
    """A git repository of ``project`` in ``dest``: one commit per version, each tagged
    ``v<version>``; returns its ``git+file://`` URL (append ``@v1.0.0`` for a version).
    Give pip the plain URL: the packaging of pip 23 refuses ``name @ git+file:///...``.

    git runs without the machine's or the user's git configuration.
    """
    project_copy(project, dest, versions[0])
    env = {
        **clean_environ(),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Cloud Craver tests",
        "GIT_AUTHOR_EMAIL": "tests@cloudcraver.invalid",
        "GIT_COMMITTER_NAME": "Cloud Craver tests",
        "GIT_COMMITTER_EMAIL": "tests@cloudcraver.invalid",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    for version in versions:
        set_version(dest, version)
        git("add", "-A")
        git("commit", "-q", "-m", f"{project} {version}")
        git("tag", f"v{version}")
    return f"git+{dest.absolute().as_uri()}"


def _versioned_copy(project: str, version: str, scratch: Path) -> Path:
    """A copy of ``project`` whose ``pyproject.toml`` says ``version``."""
    return project_copy(project, scratch / f"{project}-{version}", version)


def _run(argv: list[str], *, cwd: Path | None = None) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=clean_environ(), capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"command failed with exit code {result.returncode}: {' '.join(argv)}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result.stdout


def _project_name(folder: Path) -> str:
    match = re.search(r'^name = "([^"]+)"', (folder / "pyproject.toml").read_text("utf-8"), re.M)
    if match is None:
        raise RuntimeError(f"{folder}/pyproject.toml has no name")
    return _normalize(match.group(1))


def _build(dest: Path) -> InstallWheels:
    scratch = dest / "_src"
    files = dest / "files"
    files.mkdir(parents=True)
    artifacts: list[Artifact] = []
    copies: list[tuple[Path, str]] = []
    for project, versions in WHEEL_BUILDS.items():
        copies.extend((_versioned_copy(project, v, scratch), v) for v in versions)
    # pip wheel refuses two versions of one project in a call, and a call per version pays
    # pip's start-up each time: hatchling's PEP 517 hook, called in one process, builds all.
    _run([sys.executable, "-c", _HATCHLING_LOOP, str(files), *(str(f) for f, _ in copies)])
    for folder, version in copies:
        name = _project_name(folder)
        wheel = files / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        if not wheel.is_file():
            raise RuntimeError(f"pip wheel did not produce {wheel.name}")
        artifacts.append(Artifact(name, version, "wheel", wheel))
    for project, versions in SDIST_BUILDS.items():
        for version in versions:
            folder = _versioned_copy(project, version, scratch)
            backend = re.search(
                r'^build-backend = "([^"]+)"', (folder / "pyproject.toml").read_text("utf-8"), re.M
            )
            if backend is None:
                raise RuntimeError(f"{project} names no build-backend")
            code = (
                f"import sys; sys.path.insert(0, '.'); import {backend.group(1)} as b; "
                f"print(b.build_sdist({str(files)!r}))"
            )
            filename = _run([sys.executable, "-c", code], cwd=folder).strip()
            artifacts.append(Artifact(_project_name(folder), version, "sdist", files / filename))
    shutil.rmtree(scratch)
    return InstallWheels(files, tuple(artifacts))


def build_install_wheels(root: Path, cache: Path | None = None) -> InstallWheels:
    """Build every install test artifact (or reuse a cached build of the same sources).

    :param root: a folder for this build when there is no ``cache``.
    :param cache: a folder kept between test runs: the build goes to ``cache/<hash>`` and is
        reused while :func:`sources_hash` stays the same. Older builds there are removed.
    """
    from filelock import FileLock

    if cache is None:
        return _build(root / "install-wheels")
    cache.mkdir(parents=True, exist_ok=True)
    key = sources_hash()
    target = cache / key
    with FileLock(str(cache / "build.lock")):
        ready = target / "ready.json"
        if ready.is_file():
            built = InstallWheels.from_json(ready.read_text(encoding="utf-8"))
            if all(p.is_file() for p in built.files()):
                return built
        for old in cache.iterdir():
            if old.is_dir():
                shutil.rmtree(old)
        built = _build(target)
        ready.write_text(built.to_json(), encoding="utf-8")
        return built

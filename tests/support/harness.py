"""A real virtualenv with Cloud Craver and the test plugins installed, built without network.

Steps (see :func:`build_cli_env`):

1. build wheels of ``hookspecs/``, the root project and every project under
   ``tests/plugin_projects/`` in one ``pip wheel --no-deps --no-build-isolation --no-index``
   call (hatchling comes from the outer environment, installed by the ``test`` extra);
2. create a virtualenv with ``python -m venv``;
3. make the outer environment's installed dependencies of ``cloudcraver`` (the transitive
   closure of its ``Requires-Dist``, markers evaluated, without ``cloudcraver`` and
   ``cloudcraver-hookspecs``) visible in it: a folder of symlinks to their top-level files
   and ``.dist-info`` folders, named by a ``.pth`` file in the venv's site-packages, so that
   the venv's pip sees them as installed and never needs an index;
4. install the contract, Cloud Craver and the plugin wheels with the venv's own pip
   (``--no-index --no-deps``).

Every pip subprocess runs with ``PIP_CONFIG_FILE=os.devnull`` and without the outer
``PIP_*`` variables, so the machine's pip configuration (extra indexes, constraints,
find-links) plays no part.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "INSTALLED_PLUGINS",
    "INSTALLED_PROJECTS",
    "PLUGIN_PROJECTS",
    "PROJECT_ROOT",
    "CliEnv",
    "Wheelhouse",
    "build_cli_env",
    "build_wheel",
    "build_wheelhouse",
    "clean_environ",
    "copy_outer_pip",
    "dependency_closure",
    "link_distributions",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PLUGIN_PROJECTS = PROJECT_ROOT / "tests" / "plugin_projects"

#: The plugin projects installed in the session venv. ``cc-test-manifest-v2`` is not: it
#: stays a wheel file in the wheelhouse, for plugin-path tests.
INSTALLED_PROJECTS = (
    "cc-test-manifest",
    "cc-test-plain",
    "cc-test-broken",
    "cc-test-incompatible",
    "cc-test-base",
    "cc-test-child",
    "cc-test-async",
    "cc-test-hookfail",
    "cc-test-activatefail",
)

#: Every plugin the session venv has, first-party ones included.
INSTALLED_PLUGINS = (
    "aws-s3",
    "policy",
    "manifest-demo",
    "plain-demo",
    "broken-import",
    "future-contract",
    "dep-base",
    "dep-child",
    "async-demo",
    "hook-fails",
    "activate-fails",
)

_PIP_QUIET = ("--disable-pip-version-check", "--no-input", "-q")


def clean_environ(
    base: Mapping[str, str] | None = None, *, extra: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """``base`` (default: ``os.environ``) without ``PIP_*`` and ``CLOUDCRAVER_*`` variables,
    with ``PIP_CONFIG_FILE=os.devnull``; ``extra`` is applied last (``None`` removes)."""
    env = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith(("PIP_", "CLOUDCRAVER_"))
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _check_call(argv: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str]) -> str:
    result = subprocess.run(
        [os.fspath(a) for a in argv],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"command failed with exit code {result.returncode}: {' '.join(map(str, argv))}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result.stdout


# ---------------------------------------------------------------------------- wheels


def _wheel_name(project: Path) -> str:
    table = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name = re.sub(r"[-_.]+", "_", table["name"]).lower()
    version = table.get("version")
    if version is None:  # dynamic: ask the build backend, as pip wheel did
        from hatchling.metadata.core import ProjectMetadata
        from hatchling.plugin.manager import PluginManager

        version = ProjectMetadata(str(project), PluginManager()).version
    return f"{name}-{version}-py3-none-any.whl"


@dataclass(frozen=True)
class Wheelhouse:
    """The wheels built for the session.

    :param path: the folder holding them.
    :param wheels: each built project's wheel, by project folder name (``cc-test-plain``);
        the contract is ``hookspecs`` and Cloud Craver itself ``cloudcraver``.
    """

    path: Path
    wheels: dict[str, Path]

    def wheel(self, project: str) -> Path:
        """The wheel of one project (``cc-test-manifest-v2``, ``cloudcraver``...)."""
        return self.wheels[project]

    def to_json(self) -> str:
        return json.dumps(
            {"path": str(self.path), "wheels": {k: str(v) for k, v in self.wheels.items()}}
        )

    @classmethod
    def from_json(cls, text: str) -> Wheelhouse:
        data = json.loads(text)
        return cls(Path(data["path"]), {k: Path(v) for k, v in data["wheels"].items()})


def build_wheel(project: Path, dest: Path) -> Path:
    """Build one project's wheel into ``dest`` (as :func:`build_wheelhouse` does, offline)."""
    dest.mkdir(parents=True, exist_ok=True)
    _check_call(
        [
            sys.executable, "-m", "pip", "wheel", *_PIP_QUIET, "--no-deps",
            "--no-build-isolation", "--no-index", "-w", dest, str(project) + os.sep,
        ],
        env=clean_environ(),
    )  # fmt: skip
    wheel = dest / _wheel_name(project)
    if not wheel.is_file():
        raise RuntimeError(f"pip wheel did not produce {wheel}")
    return wheel


def plugin_project_dirs() -> list[Path]:
    """Every plugin project under ``tests/plugin_projects``."""
    return sorted(p for p in PLUGIN_PROJECTS.iterdir() if (p / "pyproject.toml").is_file())


def build_wheelhouse(dest: Path) -> Wheelhouse:
    """Build the contract, Cloud Craver and every plugin project into ``dest``, in one pip call."""
    dest.mkdir(parents=True, exist_ok=True)
    projects = {"hookspecs": PROJECT_ROOT / "hookspecs", "cloudcraver": PROJECT_ROOT}
    projects.update({p.name: p for p in plugin_project_dirs()})
    _check_call(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            *_PIP_QUIET,
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            dest,
            *(str(path) + os.sep for path in projects.values()),
        ],
        env=clean_environ(),
    )
    wheels = {name: dest / _wheel_name(path) for name, path in projects.items()}
    missing = [str(w) for w in wheels.values() if not w.is_file()]
    if missing:
        raise RuntimeError(f"pip wheel did not produce {', '.join(missing)}")
    return Wheelhouse(dest, wheels)


# ---------------------------------------------------------------------------- dependencies


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(
    root: str = "cloudcraver", exclude: Iterable[str] = ("cloudcraver", "cloudcraver-hookspecs")
) -> list[metadata.Distribution]:
    """The installed distributions ``root`` needs, transitively (markers evaluated).

    :raises RuntimeError: if a needed distribution is not installed here.
    """
    from packaging.requirements import Requirement

    excluded = {_normalize(n) for n in exclude}
    seen: dict[str, metadata.Distribution] = {}
    done: set[tuple[str, str]] = set()
    queue: list[tuple[str, str]] = [(root, "")]
    while queue:
        name, extra = queue.pop()
        key = _normalize(name)
        if (key, extra) in done:
            continue
        done.add((key, extra))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise RuntimeError(
                f"{name} is needed by {root} but not installed in {sys.prefix}; "
                "install the project with its test extra"
            ) from None
        if key not in excluded:
            seen.setdefault(key, dist)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
                continue
            queue.append((requirement.name, ""))
            queue.extend((requirement.name, e) for e in requirement.extras)
    return [seen[k] for k in sorted(seen)]


def link_distributions(dists: Iterable[metadata.Distribution], folder: Path) -> list[str]:
    """Symlink each distribution's top-level files and folders (from its RECORD) into ``folder``.

    :returns: the names linked.
    """
    folder.mkdir(parents=True, exist_ok=True)
    linked: list[str] = []
    for dist in dists:
        files = dist.files
        if files is None:
            raise RuntimeError(f"{dist.metadata['Name']} has no RECORD; reinstall it with pip")
        tops = set()
        for file in files:
            parts = PurePosixPath(str(file)).parts
            if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith(".pth"):
                continue
            tops.add(parts[0])
        for top in sorted(tops):
            source = Path(str(dist.locate_file(top)))
            target = folder / top
            if not source.exists() or target.exists() or target.is_symlink():
                continue
            target.symlink_to(source, target_is_directory=source.is_dir())
            linked.append(top)
    return linked


# ---------------------------------------------------------------------------- the venv


def _scripts_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def _exe(name: str) -> str:
    return name + (".exe" if os.name == "nt" else "")


@dataclass(frozen=True)
class CliEnv:
    """The session virtualenv.

    :param venv: its folder.
    :param python: its interpreter.
    :param cloudcraver: the ``cloudcraver`` executable installed in it.
    :param wheelhouse: the folder of the wheels built for the session.
    :param wheels: each project's wheel, by project folder name (see :class:`Wheelhouse`).
    :param site_packages: its site-packages folder.
    :param plugins: the plugins installed in it (entry-point names).
    """

    venv: Path
    python: Path
    cloudcraver: Path
    wheelhouse: Path
    wheels: dict[str, Path] = field(default_factory=dict)
    site_packages: Path | None = None
    plugins: tuple[str, ...] = INSTALLED_PLUGINS

    def environ(self, *, home: Path, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The clean environment programs of the venv run with (see :meth:`run`)."""
        outer_prefix = Path(sys.prefix).resolve()
        path = [str(_scripts_dir(self.venv))]
        for entry in os.environ.get("PATH", os.defpath).split(os.pathsep):
            # Leave out the outer virtualenv's scripts so nothing resolves to its copies.
            if entry and not (sys.prefix != sys.base_prefix and _inside(entry, outer_prefix)):
                path.append(entry)
        result = {
            "PATH": os.pathsep.join(path),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "CLOUDCRAVER_HOME": str(home),
            "PIP_CONFIG_FILE": os.devnull,
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
        for key in ("SYSTEMROOT", "TMPDIR", "TEMP", "TMP"):  # needed by Windows / temp files
            if key in os.environ:
                result[key] = os.environ[key]
        for key, value in (env or {}).items():
            if value is None:
                result.pop(key, None)
            else:
                result[key] = value
        return result

    def run_program(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        home: Path,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        check: bool | int | None = None,
        timeout: float = 60,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run any program with the clean environment of :meth:`run`."""
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [os.fspath(a) for a in argv],
            env=self.environ(home=home, env=env),
            cwd=cwd or home,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )
        expected = None if check is None or check is False else 0 if check is True else check
        if expected is not None and result.returncode != expected:
            raise AssertionError(
                f"expected exit code {expected}, got {result.returncode}: "
                f"{' '.join(os.fspath(a) for a in argv)}\n"
                f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
            )
        return result

    def run(
        self,
        *args: str | os.PathLike[str],
        home: Path,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        check: bool | int | None = None,
        timeout: float = 60,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the real ``cloudcraver`` executable of the venv.

        The environment is built from scratch: ``PATH`` (the venv's scripts first), ``HOME``
        and ``CLOUDCRAVER_HOME`` set to ``home``, ``LANG=C.UTF-8``,
        ``PIP_CONFIG_FILE=os.devnull``, ``NO_COLOR=1``, ``COLUMNS=200``; no ``PIP_*`` or
        ``CLOUDCRAVER_*`` variable of the outer environment. ``env`` adds or (with ``None``)
        removes variables.

        :param home: a per-test folder (created if needed); also the default ``cwd``.
        :param check: ``True`` asserts exit code 0, an ``int`` asserts that exit code,
            ``None`` (default) checks nothing. A failed check shows stdout and stderr.
        """
        return self.run_program(
            [self.cloudcraver, *args],
            home=home,
            env=env,
            cwd=cwd,
            check=check,
            timeout=timeout,
            input=input,
        )

    def run_python(
        self,
        *args: str | os.PathLike[str],
        home: Path,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        check: bool | int | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's Python (``run_python("-c", code, home=...)``) like :meth:`run`."""
        return self.run_program(
            [self.python, *args], home=home, env=env, cwd=cwd, check=check, timeout=timeout
        )

    def pip(self, *args: str | os.PathLike[str], home: Path) -> subprocess.CompletedProcess[str]:
        """Run the venv's own pip (``pip("install", "--no-index", "--no-deps", wheel)``).

        With the clean environment of :meth:`run` (no configuration, no index unless given),
        and asserting success.
        """
        return self.run_program(
            [self.python, "-m", "pip", *_PIP_QUIET, *args], home=home, check=True, timeout=300
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "venv": str(self.venv),
                "python": str(self.python),
                "cloudcraver": str(self.cloudcraver),
                "wheelhouse": str(self.wheelhouse),
                "wheels": {k: str(v) for k, v in self.wheels.items()},
                "site_packages": str(self.site_packages),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> CliEnv:
        data = json.loads(text)
        return cls(
            venv=Path(data["venv"]),
            python=Path(data["python"]),
            cloudcraver=Path(data["cloudcraver"]),
            wheelhouse=Path(data["wheelhouse"]),
            wheels={k: Path(v) for k, v in data["wheels"].items()},
            site_packages=Path(data["site_packages"]),
        )


def _inside(entry: str, prefix: Path) -> bool:
    try:
        Path(entry).resolve().relative_to(prefix)
    except (ValueError, OSError):
        return False
    return True


def copy_outer_pip(site_packages: Path) -> str:
    """Copy this interpreter's pip (its package and ``.dist-info``) into ``site_packages``,
    replacing any pip there. pip is pure Python and carries its own dependencies.

    :returns: the version copied.
    """
    import shutil

    outer = metadata.distribution("pip")
    for old in [*site_packages.glob("pip"), *site_packages.glob("pip-*.dist-info")]:
        shutil.rmtree(old)
    tops = {PurePosixPath(str(f)).parts[0] for f in outer.files or []}
    for top in sorted(tops):
        if top == "pip" or (top.startswith("pip-") and top.endswith(".dist-info")):
            shutil.copytree(Path(str(outer.locate_file(top))), site_packages / top)
    return outer.version


def build_cli_env(
    root: Path,
    wheelhouse: Wheelhouse,
    projects: Sequence[str] = INSTALLED_PROJECTS,
    *,
    outer_pip: bool = False,
) -> CliEnv:
    """Create the venv in ``root/venv`` and install Cloud Craver and ``projects`` into it.

    :param outer_pip: create it ``--without-pip`` and copy this interpreter's pip into it
        (:func:`copy_outer_pip`; no ``bin/pip`` script, use ``python -m pip``): seconds
        faster than ``ensurepip``, and the pip the ``test`` extra asked for.
    """
    venv = root / "venv"
    env = clean_environ()
    _check_call(
        [sys.executable, "-m", "venv", *(["--without-pip"] if outer_pip else []), venv], env=env
    )
    python = _scripts_dir(venv) / _exe("python")
    site_packages = Path(
        _check_call(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], env=env
        ).strip()
    )
    if outer_pip:
        copy_outer_pip(site_packages)
    deps = root / "outer-deps"
    link_distributions(dependency_closure(), deps)
    (site_packages / "_cloudcraver_test_deps.pth").write_text(str(deps) + "\n", encoding="utf-8")
    _check_call(
        [
            python,
            "-m",
            "pip",
            "install",
            *_PIP_QUIET,
            "--no-index",
            "--no-deps",
            wheelhouse.wheel("hookspecs"),
            wheelhouse.wheel("cloudcraver"),
            *(wheelhouse.wheel(project) for project in projects),
        ],
        env=env,
    )
    cloudcraver = _scripts_dir(venv) / _exe("cloudcraver")
    if not cloudcraver.is_file():
        raise RuntimeError(f"pip installed no {cloudcraver}")
    return CliEnv(
        venv=venv,
        python=python,
        cloudcraver=cloudcraver,
        wheelhouse=wheelhouse.path,
        wheels=dict(wheelhouse.wheels),
        site_packages=site_packages,
    )

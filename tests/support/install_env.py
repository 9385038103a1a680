"""A virtualenv of its own for each install test, cheap to make (:class:`InstallEnv`).

The *template* is made once per test run by :func:`support.harness.build_cli_env` with no
plugin: a ``python -m venv`` virtualenv with its own copy of the test environment's pip
(>= 23; run it as ``python -m pip``), the contract and Cloud
Craver installed from wheels of the current checkout, and the host's dependencies made
visible (as installed distributions pip sees) through a ``.pth`` file naming a shared folder
of links outside the venv. pip never uninstalls from that folder (it is outside the
environment), so a test that changes pluggy only shadows it in its own site-packages.

Each test gets :meth:`InstallEnv.clone` of the template:

- files of pip and setuptools (tools no test edits) and every ``__pycache__`` file are
  hard links: pip and Python replace such files (unlink, or write-then-rename), never write
  into them, so the template is never changed through a link;
- every other file is copied (the host's own files and dist-info, which a test may damage
  on purpose), and the paths of the template in ``bin/`` scripts, ``activate`` files and
  ``pyvenv.cfg`` are rewritten to the copy's.

That takes about 0.1 s instead of the ~10 s of a fresh venv.

:meth:`InstallEnv.environ` is the child environment, made from scratch: the machine's pip
configuration (``/etc/pip.conf``, ``/etc/xdg/pip/pip.conf``, the user's file, ``PIP_*``
variables: constraints, extra indexes, find-links) plays no part, and pip's only index is the
test index (``PIP_INDEX_URL``), or none (``PIP_NO_INDEX``).
"""

from __future__ import annotations

import configparser
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support.harness import CliEnv, Wheelhouse, build_cli_env, clean_environ

if TYPE_CHECKING:
    from cloudcraver_host.paths import HostPaths

__all__ = [
    "MINIMUM_PIP",
    "PIP_DEFAULTS",
    "InstallEnv",
    "build_install_template",
    "clone_venv",
    "ensure_pip",
    "shared_fingerprint",
]

#: The host plans with ``pip install --dry-run --report``: pip 23.0 or later.
MINIMUM_PIP = "23.0"

#: Top-level names in site-packages whose files are hard-linked, not copied, into a clone
#: (setuptools and friends only in venvs made by ensurepip).
_LINKED_TOPS = ("pip", "setuptools", "pkg_resources", "_distutils_hack")

#: The ``PIP_*`` variables every child gets (a test's ``env`` may override each).
#: ``PIP_CONFIG_FILE=os.devnull`` makes pip skip every configuration file, global ones too;
#: the others override the same keys should a file be read anyway (``pip_config=``).
#: No cache: each test starts with an empty pip cache, so what it sees comes from the index
#: or the host's archive, never from a wheel pip kept from another test. No retries: a test
#: that stops the index wants pip's error now, not after five back-offs.
PIP_DEFAULTS: dict[str, str] = {
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_EXTRA_INDEX_URL": "",
    "PIP_FIND_LINKS": "",
    "PIP_CONSTRAINT": "",
    "PIP_NO_CACHE_DIR": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
    "PIP_RETRIES": "0",
    "PIP_TIMEOUT": "30",
}


def _linked(relative: Path, site_packages: Path) -> bool:
    """Whether a file of the venv (relative to it) is hard-linked into clones."""
    if "__pycache__" in relative.parts:
        return True
    try:
        inside = relative.relative_to(site_packages)
    except ValueError:
        return False
    top = inside.parts[0] if inside.parts else ""
    return top.split("-", 1)[0] in _LINKED_TOPS and ("-" not in top or top.endswith(".dist-info"))


@functools.lru_cache(maxsize=8)
def _private_entries(
    source: Path, site_packages: Path
) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """What a clone of ``source`` must not share: files to copy, symlinks to re-point.

    :returns: (files not hard-linked, symlinks whose absolute target is inside ``source``),
        relative to ``source``. Cached: the template does not change during a run.
    """
    relative_site = site_packages.relative_to(source)
    files: list[Path] = []
    links: list[Path] = []
    old = str(source)
    for folder, dirnames, filenames in os.walk(source):
        here = Path(folder)
        relative = here.relative_to(source)
        for name in [*dirnames, *filenames]:
            path = here / name
            if path.is_symlink():
                target = os.readlink(path)
                if target == old or target.startswith(old + os.sep):
                    links.append(relative / name)
            elif name in filenames and not _linked(relative / name, relative_site):
                files.append(relative / name)
        dirnames[:] = [d for d in dirnames if not (here / d).is_symlink()]
    return tuple(files), tuple(links)


def shared_fingerprint(template: CliEnv) -> str:
    """A hash of the size and modification time of every file clones of ``template`` share.

    Taken before and after the tests: a change means a test wrote into a hard-linked file
    (and so into the template and every other clone) instead of replacing it.
    """
    import hashlib

    if template.site_packages is None:
        raise ValueError("the template CliEnv does not name its site-packages")
    source = Path(template.venv).absolute()
    relative_site = Path(template.site_packages).absolute().relative_to(source)
    digest = hashlib.sha256()
    for folder, dirnames, filenames in os.walk(source):
        dirnames.sort()
        here = Path(folder)
        for name in sorted(filenames):
            relative = here.relative_to(source) / name
            path = here / name
            if path.is_symlink() or not _linked(relative, relative_site):
                continue
            stat = path.stat()
            digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def clone_venv(source: Path, target: Path, site_packages: Path) -> None:
    """Copy the virtualenv ``source`` to ``target`` (see the module's documentation).

    ``cp -al`` links the whole tree at once where GNU cp is there (Linux: ~0.05 s); then the
    private files are replaced by copies. Elsewhere each file is linked from Python.

    :param site_packages: ``source``'s site-packages folder.
    """
    # Not resolved: the template's scripts name it by this very path, symlinks included.
    source, target = Path(source).absolute(), Path(target).absolute()
    files, links = _private_entries(source, Path(site_packages).absolute())
    old, new = str(source), str(target)
    if target.exists():
        raise FileExistsError(f"cannot clone a virtualenv into {target}: it exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform.startswith("linux") and shutil.which("cp"):
        argv = ["cp", "-al", "--", old, new]
        done = subprocess.run(argv, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"cp -al {old} {new} failed: {done.stderr.strip()}")
        for relative in files:
            (target / relative).unlink()  # a hard link: never write through it
            shutil.copy2(source / relative, target / relative)
    else:  # pragma: no cover - not Linux
        shutil.copytree(source, target, symlinks=True, copy_function=os.link)
        for relative in files:
            (target / relative).unlink()
            shutil.copy2(source / relative, target / relative)
    for relative in links:
        link = os.readlink(source / relative)
        (target / relative).unlink()
        os.symlink(new + link[len(old) :], target / relative)
    # Absolute paths of the template: script shebangs, activate files, pyvenv.cfg's command.
    scripts = target / ("Scripts" if os.name == "nt" else "bin")
    for path in [*scripts.iterdir(), target / "pyvenv.cfg"]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if old.encode() in data:
            path.write_bytes(data.replace(old.encode(), new.encode()))


def _pip_version(python: Path) -> str:
    result = subprocess.run(
        [os.fspath(python), "-c", "import pip; print(pip.__version__)"],
        env=clean_environ(),
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else "0"


def ensure_pip(env: CliEnv, minimum: str = MINIMUM_PIP) -> str:
    """Check that the venv ``env`` has a pip of at least ``minimum``.

    :returns: its version.
    :raises RuntimeError: if it is older (the ``test`` extra asks for ``pip>=23``).
    """
    from packaging.version import Version

    current = _pip_version(env.python)
    if Version(current) < Version(minimum):
        raise RuntimeError(
            f"pip {minimum} or later is needed for the install tests; {env.venv} has {current}"
        )
    return current


def build_install_template(root: Path, wheelhouse: Wheelhouse) -> CliEnv:
    """The template every :class:`InstallEnv` is cloned from, in ``root/venv``.

    :func:`support.harness.build_cli_env` with no plugin and the test environment's own pip
    (``outer_pip``: no ``ensurepip``, which takes seconds and may bring a pip older than
    :data:`MINIMUM_PIP`, checked by :func:`ensure_pip`).
    """
    env = build_cli_env(root, wheelhouse, projects=(), outer_pip=True)
    ensure_pip(env)
    return env


@dataclass(frozen=True)
class InstallEnv:
    """A virtualenv of one test, with Cloud Craver, its own pip and the test index.

    :param root: the folder holding ``venv/`` (and ``empty-config-dirs/``).
    :param cli: the venv as a :class:`support.harness.CliEnv` (its paths and runners).
    :param home: ``HOME`` and ``CLOUDCRAVER_HOME`` of every program run here.
    :param index_url: the simple index URL pip uses; ``None``: pip gets no index at all.
    :param pip_config: a pip configuration file the test wants pip to read
        (``PIP_CONFIG_FILE``); its keys are then not overridden by :data:`PIP_DEFAULTS`.
        Note that pip also reads the machine's global files when ``PIP_CONFIG_FILE`` names
        a real file; ``XDG_CONFIG_DIRS`` points at an empty folder, but ``/etc/pip.conf``
        is still read, so keep to the keys this class overrides.
    """

    root: Path
    cli: CliEnv
    home: Path
    index_url: str | None = None
    pip_config: Path | None = None

    @classmethod
    def clone(
        cls,
        template: CliEnv,
        root: Path,
        *,
        index_url: str | None = None,
        home: Path | None = None,
        pip_config: Path | None = None,
    ) -> InstallEnv:
        """A copy of the ``template`` venv in ``root/venv`` (see :func:`clone_venv`).

        :param index_url: the index pip uses (``PackageIndex.simple_url``), or ``None``.
        :param home: default ``root/home``.
        """
        root = Path(root)
        venv = root / "venv"
        if template.site_packages is None:
            raise ValueError("the template CliEnv does not name its site-packages")
        clone_venv(template.venv, venv, template.site_packages)
        home = Path(home) if home is not None else root / "home"
        home.mkdir(parents=True, exist_ok=True)
        (root / "empty-config-dirs").mkdir(exist_ok=True)
        cli = CliEnv(
            venv=venv,
            python=venv / template.python.relative_to(template.venv),
            cloudcraver=venv / template.cloudcraver.relative_to(template.venv),
            wheelhouse=template.wheelhouse,
            wheels=dict(template.wheels),
            site_packages=venv / template.site_packages.relative_to(template.venv),
            plugins=("aws-s3", "policy"),
        )
        return cls(root=root, cli=cli, home=home, index_url=index_url, pip_config=pip_config)

    # ------------------------------------------------------------------ paths

    @property
    def venv(self) -> Path:
        """The virtualenv's folder."""
        return self.cli.venv

    @property
    def python(self) -> Path:
        """The virtualenv's interpreter."""
        return self.cli.python

    @property
    def cloudcraver(self) -> Path:
        """The ``cloudcraver`` console script installed in it."""
        return self.cli.cloudcraver

    @property
    def site_packages(self) -> Path:
        """Its own site-packages (where plugins are installed)."""
        if self.cli.site_packages is None:  # pragma: no cover - clone always sets it
            raise RuntimeError("no site-packages")
        return self.cli.site_packages

    # ------------------------------------------------------------------ environment

    def environ(self, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The environment every program here runs with, built from scratch.

        :meth:`support.harness.CliEnv.environ` (``PATH`` with the venv's scripts first,
        ``HOME`` and ``CLOUDCRAVER_HOME`` = :attr:`home`, no outer ``PIP_*`` or
        ``CLOUDCRAVER_*``), plus: :data:`PIP_DEFAULTS`; ``PIP_INDEX_URL`` = :attr:`index_url`
        (or ``PIP_NO_INDEX=1``); ``XDG_CONFIG_DIRS`` an empty folder (pip's global files
        besides ``/etc/pip.conf``), ``XDG_CONFIG_HOME`` and ``XDG_CACHE_HOME`` under
        :attr:`home`. ``env`` is applied last (``None`` removes a variable).
        """
        extra: dict[str, str | None] = {
            "XDG_CONFIG_DIRS": str(self.root / "empty-config-dirs"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            **PIP_DEFAULTS,
        }
        if self.index_url is not None:
            extra["PIP_INDEX_URL"] = self.index_url
        else:
            extra["PIP_NO_INDEX"] = "1"
        if self.pip_config is not None:
            extra["PIP_CONFIG_FILE"] = str(self.pip_config)
            for key in _config_keys(self.pip_config):
                variable = "PIP_" + key.upper().replace("-", "_")
                extra.pop(variable, None)
                if key == "index-url":
                    extra.pop("PIP_NO_INDEX", None)
        extra.update(env or {})
        return self.cli.environ(home=self.home, env=extra)

    # ------------------------------------------------------------------ running

    def run(
        self,
        *args: str | os.PathLike[str],
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        check: bool | int | None = None,
        timeout: float = 120,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's real ``cloudcraver`` console script with :meth:`environ`.

        :param check: ``True`` asserts exit code 0, an ``int`` that exit code, ``None``
            nothing; a failed check shows stdout and stderr.
        :param cwd: default :attr:`home`.
        """
        return self.run_program(
            [self.cloudcraver, *args], env=env, cwd=cwd, check=check, timeout=timeout, input=input
        )

    def pip(
        self,
        *args: str | os.PathLike[str],
        env: Mapping[str, str | None] | None = None,
        check: bool | int | None = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's own pip (``python -m pip ARGS``) with :meth:`environ`.

        :param check: default ``True`` (asserts success); ``None`` to look at a failure.
        """
        return self.run_program(
            [self.python, "-m", "pip", *args], env=env, check=check, timeout=timeout
        )

    def run_python(
        self,
        *args: str | os.PathLike[str],
        env: Mapping[str, str | None] | None = None,
        check: bool | int | None = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's Python (``run_python("-c", code)``) with :meth:`environ`."""
        return self.run_program([self.python, *args], env=env, check=check, timeout=timeout)

    def popen(
        self,
        *args: str | os.PathLike[str],
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        start_new_session: bool = True,
        **options: Any,
    ) -> subprocess.Popen[str]:
        """Start ``cloudcraver ARGS`` without waiting (for tests that kill it midway).

        Output is piped (text) unless ``options`` say otherwise. In a session of its own by
        default, so ``os.killpg(process.pid, signal.SIGKILL)`` ends it with its pip, while
        ``process.kill()`` ends the host alone (pip goes on, as after a real crash).
        """
        options.setdefault("stdout", subprocess.PIPE)
        options.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(
            [os.fspath(self.cloudcraver), *(os.fspath(a) for a in args)],
            env=self.cli.environ(home=self.home, env=self._overrides(env)),
            cwd=cwd or self.home,
            text=True,
            start_new_session=start_new_session,
            **options,
        )

    def run_program(
        self,
        argv: list[str | os.PathLike[str]],
        *,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        check: bool | int | None = None,
        timeout: float = 120,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run any program with :meth:`environ` (as ``CliEnv.run_program`` does)."""
        return self.cli.run_program(
            argv,
            home=self.home,
            env=self._overrides(env),
            cwd=cwd,
            check=check,
            timeout=timeout,
            input=input,
        )

    def _overrides(self, env: Mapping[str, str | None] | None) -> dict[str, str | None]:
        """:meth:`environ` as overrides of ``CliEnv.environ`` (which adds its own base)."""
        full = self.environ(env)
        removed = {key: None for key, value in (env or {}).items() if value is None}
        return {**full, **removed}

    # ------------------------------------------------------------------ state

    def installed(self) -> dict[str, str]:
        """What the venv's Python sees installed: canonical name -> version.

        Read with ``importlib.metadata`` in the venv (the host's shared dependencies
        included); where a name is found twice, the first on ``sys.path`` wins, as for import.
        """
        code = (
            "import importlib.metadata as m, json, re\n"
            "seen = {}\n"
            "for d in m.distributions():\n"
            "    name = re.sub(r'[-_.]+', '-', d.metadata['Name']).lower()\n"
            "    seen.setdefault(name, d.version)\n"
            "print(json.dumps(seen))\n"
        )
        result = self.run_python("-c", code)
        data: dict[str, str] = json.loads(result.stdout)
        return data

    def sys_prefix(self) -> str:
        """``sys.prefix`` of the venv's Python (what the host keys its environment folder by)."""
        return self.run_python("-c", "import sys; print(sys.prefix)").stdout.strip()

    @property
    def paths(self) -> HostPaths:
        """The host's folders for :attr:`home` (``paths.data_dir``, ``paths.config_file``)."""
        from cloudcraver_host.paths import HostPaths

        return HostPaths.from_environment({"CLOUDCRAVER_HOME": str(self.home)})

    def pip_config_debug(self) -> str:
        """The output of ``pip config debug``: which configuration pip reads here."""
        return self.pip("config", "debug").stdout


def _config_keys(path: Path) -> set[str]:
    """The option names a pip configuration file sets (in any section)."""
    parser = configparser.RawConfigParser()
    parser.read(path, encoding="utf-8")
    return {
        key.lower().replace("_", "-") for section in parser.sections() for key in parser[section]
    }

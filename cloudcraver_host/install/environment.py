"""What is installed in a Python environment, read from metadata without importing anything.

A change to the installed plugins starts from a :func:`snapshot`: every distribution with its
version, where its ``.dist-info`` folder lies, a hash of exactly what it installed (from its
``RECORD``) and how it was installed (``direct_url.json``). :func:`damaged` says whether the
files on disk still match that ``RECORD``; :func:`host_pins` names what Cloud Craver itself
needs, which no plugin change may touch.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "HOST_DISTRIBUTIONS",
    "INSTALL_MARKERS",
    "InstalledDist",
    "RecordEntry",
    "damaged",
    "files_hash",
    "host_pins",
    "host_requirements",
    "is_this_interpreter",
    "distribution_names",
    "plugin_distributions",
    "plugin_names",
    "read_record",
    "record_hash",
    "requirement_names",
    "snapshot",
]

#: The distributions the host is made of: their requirements, recursively, are pinned.
HOST_DISTRIBUTIONS = ("cloudcraver", "cloudcraver-hookspecs")
#: Also pinned: a plugin that upgraded or removed pip would leave the host unable to restore.
_ALSO_PINNED = ("pip",)
#: Files pip writes into ``.dist-info`` at install time: they say how a distribution was
#: installed, not what it is, so they are left out of :attr:`InstalledDist.files_hash`.
INSTALL_MARKERS = frozenset({"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"})


@dataclass(frozen=True)
class RecordEntry:
    """One row of a ``RECORD`` file.

    :param path: the path as written, relative to the folder holding ``.dist-info``
        (``../`` for scripts and data installed outside ``site-packages``).
    :param hash: ``sha256=<urlsafe base64>``, or ``""`` for rows without a hash
        (``RECORD`` itself, byte-compiled files).
    :param size: the size in bytes, or ``None``.
    """

    path: str
    hash: str
    size: int | None


@dataclass(frozen=True)
class InstalledDist:
    """A distribution installed in an environment.

    :param name: canonical name (``packaging.utils.canonicalize_name``).
    :param version: the version its metadata states.
    :param dist_info: its ``.dist-info`` (or ``.egg-info``) folder.
    :param files_hash: sha256 over the sorted hashed ``RECORD`` rows, install markers
        excluded: the same content hashes the same however pip was asked to install it, and
        any changed file changes it. ``""`` when there is no ``RECORD`` (legacy installs).
    :param editable: whether ``direct_url.json`` marks it as an editable install.
    :param direct_url: the content of ``direct_url.json`` (where it was installed from), if any.
    :param requires: its ``Requires-Dist`` lines, as written.
    :param requested: whether pip marked it as asked for by the user (``REQUESTED``) rather
        than pulled in as a dependency.
    """

    name: str
    version: str
    dist_info: Path
    files_hash: str
    editable: bool
    direct_url: dict[str, Any] | None
    requires: tuple[str, ...]
    requested: bool = False

    @property
    def site_dir(self) -> Path:
        """The folder ``RECORD`` paths are relative to (the one holding ``.dist-info``)."""
        return self.dist_info.parent

    def record(self) -> list[RecordEntry]:
        """The rows of its ``RECORD`` (empty for a legacy install without one)."""
        return read_record(self.dist_info)


def read_record(dist_info: Path) -> list[RecordEntry]:
    """Parse ``<dist_info>/RECORD``; an absent file reads as no rows."""
    try:
        text = (dist_info / "RECORD").read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    entries = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0]:
            continue
        size = row[2] if len(row) > 2 else ""
        entries.append(
            RecordEntry(
                path=row[0],
                hash=row[1] if len(row) > 1 else "",
                size=int(size) if size.isdigit() else None,
            )
        )
    return entries


def _is_install_marker(path: str, dist_info_name: str) -> bool:
    head, _, tail = path.rpartition("/")
    return head == dist_info_name and tail in INSTALL_MARKERS


#: files_hash by RECORD identity (inode, size, mtime): pip writes a new RECORD file on every
#: install, so an unchanged identity means an unchanged RECORD; snapshots are taken often.
_FILES_HASH_CACHE: dict[tuple[str, int, int, int], str] = {}


def files_hash(dist_info: Path) -> str:
    """The :attr:`InstalledDist.files_hash` of the distribution installed at ``dist_info``."""
    record = dist_info / "RECORD"
    try:
        stat = record.stat()
        key = (str(record), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        cached = _FILES_HASH_CACHE.get(key)
        if cached is not None:
            return cached
        text = record.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    lines = []
    for row in csv.reader(io.StringIO(text)):
        # Rows without a hash are RECORD itself and .pyc files: whether pip compiled them
        # depends on how it was run, not on what was installed.
        if len(row) < 2 or not row[1] or _is_install_marker(row[0], dist_info.name):
            continue
        lines.append(",".join(row[:3]))
    digest = hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()
    _FILES_HASH_CACHE[key] = digest
    return digest


def record_hash(data: bytes) -> str:
    """``sha256=<urlsafe base64 without padding>``, the form ``RECORD`` rows use."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def damaged(dist: InstalledDist) -> list[str]:
    """Files its ``RECORD`` lists that are missing or whose content changed, one line each.

    Rows without a hash (byte-compiled files) are not checked: Python rewrites them at will.
    An empty list means the installed files are exactly what pip installed.
    """
    problems = []
    for entry in dist.record():
        if not entry.hash:
            continue
        target = dist.site_dir / entry.path
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            problems.append(f"missing: {entry.path}")
            continue
        except OSError as exc:
            problems.append(f"unreadable: {entry.path} ({exc.strerror})")
            continue
        if not entry.hash.startswith("sha256="):
            continue  # an algorithm we do not check; pip itself only writes sha256
        if record_hash(data) != entry.hash:
            problems.append(f"changed: {entry.path}")
    return problems


def _interpreter_path(python: Path) -> list[str]:
    # Another interpreter's sys.path can only be known by asking it. No -I or -S: pip run by
    # that interpreter sees PYTHONPATH, site folders and .pth files, so we must too.
    out = subprocess.run(
        [str(python), "-c", "import json, sys; print(json.dumps(sys.path))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=os.path.abspath(os.sep),  # nothing of the user's working directory is imported
    ).stdout
    paths: list[str] = json.loads(out)
    return paths


def is_this_interpreter(python: Path | str) -> bool:
    """Whether ``python`` is the interpreter running this process.

    Not resolved: a venv's python is a symlink to the base interpreter, yet another
    environment.
    """
    return Path(python).absolute() == Path(sys.executable).absolute()


def _iter_distributions(paths: Iterable[str]) -> Iterator[Any]:
    from importlib import metadata

    # Like imports, the first distribution of a name on the path is the one in use.
    for entry in paths:
        if entry and Path(entry).is_dir():
            yield from metadata.distributions(path=[entry])


def snapshot(
    python: Path | None = None,
    paths: list[str] | None = None,
    *,
    only: Collection[str] | None = None,
) -> dict[str, InstalledDist]:
    """Every distribution installed for an interpreter, by canonical name.

    :param python: the interpreter whose environment to read (default: this one).
    :param paths: read these folders instead of the interpreter's ``sys.path``.
    :param only: canonical names: read just these distributions (the others are skipped by
        their folder's name, before their metadata is read).
    """
    from packaging.utils import canonicalize_name

    if paths is None:
        # Not resolved: a venv's python is a symlink to the base interpreter, yet another
        # environment.
        if python is None or is_this_interpreter(python):
            paths = list(sys.path)
        else:
            paths = _interpreter_path(python)
    result: dict[str, InstalledDist] = {}
    for dist in _iter_distributions(paths):
        if only is not None and not _may_be(dist, only):
            continue
        meta = _headers(dist)
        raw_name = meta.get("name", [""])[0]
        location = getattr(dist, "_path", None)
        if not raw_name or location is None:
            continue  # a broken dist-info folder: nothing we could restore or pin
        name = canonicalize_name(raw_name)
        if name in result:
            continue
        dist_info = Path(location)
        direct_url = _read_json(dist_info / "direct_url.json")
        dir_info = direct_url.get("dir_info") if direct_url else None
        result[name] = InstalledDist(
            name=name,
            version=meta.get("version", [""])[0],
            dist_info=dist_info,
            files_hash=files_hash(dist_info),
            editable=bool(isinstance(dir_info, dict) and dir_info.get("editable")),
            direct_url=direct_url,
            requires=tuple(meta.get("requires-dist", ())),
            requested=(dist_info / "REQUESTED").exists(),
        )
    return result


def _may_be(dist: Any, names: Collection[str]) -> bool:
    """Whether ``dist`` may be one of ``names``, judged by its folder's name alone."""
    from packaging.utils import canonicalize_name

    folder = Path(getattr(dist, "_path", "")).name
    stem = folder.rsplit(".", 1)[0]  # name-version.dist-info, name.egg-info
    return canonicalize_name(stem.split("-", 1)[0]) in names or not stem


_WANTED_HEADERS = frozenset({"name", "version", "requires-dist"})


def _headers(dist: Any) -> dict[str, list[str]]:
    """The few METADATA headers a snapshot needs, read without the email parser.

    ``dist.metadata`` parses the whole file with :mod:`email` (a third of a snapshot's time);
    the headers needed come before the first blank line, one per line.
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        if line[0] in " \t":
            continue  # the continuation of a folded header: none of those wanted is folded
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in _WANTED_HEADERS:
            found.setdefault(key, []).append(value.strip())
    return found


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def requirement_names(
    dist: InstalledDist, environment: Mapping[str, str] | None = None
) -> set[str]:
    """Canonical names of what ``dist`` requires here: markers evaluated, extras ignored."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    names: set[str] = set()
    env = {**(environment or {}), "extra": ""}
    for line in dist.requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue  # pip would not have installed it either; nothing to follow
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        names.add(canonicalize_name(req.name))
    return names


def host_requirements(installed: Mapping[str, InstalledDist] | None = None) -> list[str]:
    """Canonical names of everything Cloud Craver needs, recursively, itself included.

    Follows ``Requires-Dist`` of :data:`HOST_DISTRIBUTIONS` through the installed
    distributions, with markers evaluated for this interpreter and extras ignored (the
    ``test``/``dev`` extras are not needed to run). pip is included: the host restores with it.
    A requirement that is not installed is skipped (the host would not run; nothing to pin).
    """
    installed = snapshot() if installed is None else installed
    seen: set[str] = set()
    todo = [*HOST_DISTRIBUTIONS, *_ALSO_PINNED]
    while todo:
        name = todo.pop()
        if name in seen or name not in installed:
            continue
        seen.add(name)
        todo.extend(requirement_names(installed[name]) - seen)
    return sorted(seen)


def host_pins(installed: Mapping[str, InstalledDist] | None = None) -> dict[str, str]:
    """``{name: installed version}`` for :func:`host_requirements`: what no plugin may change."""
    installed = snapshot() if installed is None else installed
    return {name: installed[name].version for name in host_requirements(installed)}


def plugin_distributions(installed: Mapping[str, InstalledDist]) -> list[str]:
    """Canonical names of the installed distributions providing Cloud Craver plugins.

    Those with an entry point in the ``cloudcraver`` group (read from ``entry_points.txt``,
    nothing imported); the host's own distributions are not counted: no plugin change
    may touch them.
    """
    return sorted(plugin_names(installed))


def plugin_names(installed: Mapping[str, InstalledDist]) -> dict[str, list[str]]:
    """``{distribution: [plugin names]}`` of every plugin distribution but the host's own.

    A plugin's name is its entry point's in the ``cloudcraver`` group, as ``plugin list``
    shows it.
    """
    from configparser import ConfigParser, Error

    from cloudcraver_hookspecs import ENTRY_POINT_GROUP

    found = {}
    for name, dist in sorted(installed.items()):
        if name in HOST_DISTRIBUTIONS:
            continue
        parser = ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the case
        try:
            parser.read_string((dist.dist_info / "entry_points.txt").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, Error):
            continue
        if parser.has_section(ENTRY_POINT_GROUP) and parser.options(ENTRY_POINT_GROUP):
            found[name] = sorted(parser.options(ENTRY_POINT_GROUP))
    return found


def distribution_names(names: Iterable[str], installed: Mapping[str, InstalledDist]) -> list[str]:
    """The distribution each of ``names`` means: a distribution name, or a plugin's name.

    ``plugin list`` shows plugins by name (``inst-good``); ``update``, ``uninstall`` and
    ``outdated`` take that as well as the distribution's (``cc-inst-good``). A name that is
    neither comes back canonicalized, for the caller's "not installed" error.
    """
    from packaging.utils import canonicalize_name

    by_plugin = {
        canonicalize_name(plugin): dist
        for dist, plugins in plugin_names(installed).items()
        for plugin in plugins
    }
    result = []
    for name in names:
        key = canonicalize_name(name)
        result.append(key if key in installed else by_plugin.get(key, key))
    return result

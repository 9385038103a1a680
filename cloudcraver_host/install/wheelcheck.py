"""Checking wheels before they are installed: their own ``RECORD``, and whose files they replace.

pip installs whatever a wheel holds, where the wheel says: it neither checks the wheel's
``RECORD`` against its files nor refuses a file another distribution owns (it silently
overwrites it). Before a change installs anything, every wheel of the plan (and every
archived wheel a rollback puts back) is read as a zip, nothing imported:

- :func:`record_problems`: every file is listed in ``RECORD`` with its sha256 (or a stronger
  hash) and size, every row names a file of the wheel, ``RECORD`` itself is listed without a
  hash;
- :func:`overlaps`: no file it installs belongs to another installed distribution (by that
  distribution's ``RECORD``), nor to another wheel of the same change.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import subprocess
import sysconfig
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .environment import InstalledDist, is_this_interpreter, read_record

__all__ = [
    "Overlap",
    "WheelFile",
    "check_wheels",
    "describe_overlaps",
    "install_scheme",
    "overlaps",
    "owned_files",
    "record_problems",
    "shared_files",
]

#: Hash algorithms a RECORD row may use (PEP 376/427: sha256 or stronger).
_ALGORITHMS = frozenset({"sha256", "sha384", "sha512"})
#: Signature files next to RECORD that RECORD cannot list (PEP 427).
_UNLISTED = frozenset({"RECORD", "RECORD.jws", "RECORD.p7s"})
_SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "include")


@dataclass(frozen=True)
class WheelFile:
    """A wheel on disk, with the distribution name and version its file name states."""

    path: Path
    name: str
    version: str

    @classmethod
    def of(cls, path: Path) -> WheelFile:
        """Read name and version from ``name-version(-build)?-tags.whl``."""
        from packaging.utils import canonicalize_name, parse_wheel_filename

        name, version, _, _ = parse_wheel_filename(path.name)
        return cls(path=path, name=canonicalize_name(name), version=str(version))

    def dist_info(self, names: Iterable[str]) -> str | None:
        """The top-level ``.dist-info`` folder among the members ``names`` (exactly one)."""
        found = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
        return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class Overlap:
    """A file a wheel would install that another distribution already owns."""

    wheel: str
    owner: str
    path: str


def record_problems(wheel: WheelFile) -> list[str]:
    """What is wrong with ``wheel`` against its own ``RECORD``: one line each, ``[]`` if sound."""
    try:
        with zipfile.ZipFile(wheel.path) as archive:
            members = {i.filename: i for i in archive.infolist() if not i.is_dir()}
            info = wheel.dist_info(members)
            if info is None:
                return ["no single .dist-info folder"]
            record_name = f"{info}/RECORD"
            if record_name not in members:
                return [f"{record_name} is missing"]
            rows = _record_rows(archive.read(record_name))
            return _compare(archive, members, rows, info)
    except (OSError, zipfile.BadZipFile, ValueError, UnicodeDecodeError) as exc:
        return [f"not a readable wheel ({exc})"]


def _record_rows(data: bytes) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(data.decode("utf-8"))) if row and row[0]]


def _compare(
    archive: zipfile.ZipFile,
    members: Mapping[str, zipfile.ZipInfo],
    rows: list[list[str]],
    info: str,
) -> list[str]:
    problems: list[str] = []
    listed: set[str] = set()
    for row in rows:
        path, digest, size = [*row, "", ""][:3]
        listed.add(path)
        unhashed = path.rpartition("/")[0] == info and path.rpartition("/")[2] in _UNLISTED
        if path not in members:
            problems.append(f"{path}: listed in RECORD, not in the wheel")
        elif unhashed:
            if digest:
                problems.append(f"{path}: RECORD must list itself without a hash")
        else:
            problems += _check_row(archive, path, digest, size)
    for name in members:
        head, _, tail = name.rpartition("/")
        if name not in listed and not (head == info and tail in _UNLISTED):
            problems.append(f"{name}: in the wheel, not listed in RECORD")
    return problems


def _check_row(archive: zipfile.ZipFile, path: str, digest: str, size: str) -> list[str]:
    algorithm, _, expected = digest.partition("=")
    if algorithm not in _ALGORITHMS or not expected:
        return [f"{path}: no sha256 (or stronger) hash in RECORD"]
    data = archive.read(path)
    actual = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=")
    problems = []
    if actual.decode("ascii") != expected.rstrip("="):
        problems.append(f"{path}: content does not match its RECORD hash")
    if size != str(len(data)):
        problems.append(f"{path}: size {len(data)}, RECORD says {size or 'nothing'}")
    return problems


def install_scheme(python: Path) -> dict[str, str]:
    """Where pip installs for ``python``: its ``sysconfig`` install paths (purelib, scripts...)."""
    if is_this_interpreter(python):
        return {k: v for k, v in sysconfig.get_paths().items() if k in _SCHEME_KEYS}
    # -I: nothing of the working directory or PYTHON* variables decides the answer.
    code = "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"
    out = subprocess.run(
        [str(python), "-I", "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    paths: dict[str, str] = json.loads(out)
    return {k: v for k, v in paths.items() if k in _SCHEME_KEYS}


def _targets(wheel: WheelFile, scheme: Mapping[str, str]) -> dict[str, str]:
    """``{absolute target path: member}`` for every file the wheel installs."""
    with zipfile.ZipFile(wheel.path) as archive:
        names = [i.filename for i in archive.infolist() if not i.is_dir()]
        info = wheel.dist_info(names) or ""
        root_key = "purelib" if _root_is_purelib(archive, info) else "platlib"
    data_dir = info[: -len(".dist-info")] + ".data" if info else None
    targets = {}
    for name in names:
        head, _, rest = name.partition("/")
        if head == data_dir:
            key, _, inner = rest.partition("/")
            base = scheme.get("include" if key == "headers" else key, scheme["data"])
            if key == "headers":
                inner = f"{wheel.name}/{inner}"
            target = os.path.join(base, inner)
        else:
            target = os.path.join(scheme[root_key], name)
        targets[os.path.normpath(target)] = name
    return targets


def _root_is_purelib(archive: zipfile.ZipFile, info: str) -> bool:
    try:
        text = archive.read(f"{info}/WHEEL").decode("utf-8", "replace")
    except KeyError:
        return True
    return "root-is-purelib: false" not in text.lower()


def owned_files(
    installed: Mapping[str, InstalledDist], skip: Iterable[str] = ()
) -> dict[str, tuple[str, str]]:
    """``{absolute path: (owner, path as its RECORD writes it)}`` of every installed file."""
    skipped = set(skip)
    owners: dict[str, tuple[str, str]] = {}
    for name, dist in installed.items():
        if name in skipped:
            continue
        for entry in read_record(dist.dist_info):
            target = os.path.normpath(os.path.join(dist.site_dir, entry.path))
            owners.setdefault(target, (name, entry.path))
    return owners


def overlaps(
    wheels: Iterable[WheelFile],
    installed: Mapping[str, InstalledDist],
    scheme: Mapping[str, str],
) -> list[Overlap]:
    """Files the ``wheels`` would install over files of other distributions.

    A wheel may replace the files of the distribution of its own name (that is an upgrade);
    any other owner, installed or another wheel of the same change, is an overlap.
    """
    wheels = list(wheels)
    owners = owned_files(installed)
    found: list[Overlap] = []
    claimed: dict[str, tuple[str, str]] = {}
    for wheel in wheels:
        for target, member in sorted(_targets(wheel, scheme).items()):
            owner = owners.get(target) or claimed.get(target)
            if owner is not None and owner[0] != wheel.name:
                found.append(Overlap(wheel.name, owner[0], owner[1]))
            claimed.setdefault(target, (wheel.name, member))
    return found


def describe_overlaps(found: list[Overlap], limit: int = 3) -> str:
    """``cc-x would overwrite cloudcraver_host/names.py of cloudcraver`` (a few paths per pair)."""
    by_pair: dict[tuple[str, str], list[str]] = {}
    for item in found:
        by_pair.setdefault((item.wheel, item.owner), []).append(item.path)
    parts = []
    for (wheel, owner), paths in by_pair.items():
        shown = ", ".join(paths[:limit])
        more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
        parts.append(f"{wheel} would overwrite {shown}{more} of {owner}")
    return "; ".join(parts)


def shared_files(names: Iterable[str], installed: Mapping[str, InstalledDist]) -> list[Path]:
    """Files of the distributions ``names`` that another installed ``RECORD`` lists too.

    Uninstalling one of them with pip deletes such a file; it belongs to the other owner as
    well, so a restore or removal keeps it (see :class:`~.transaction.PluginInstaller`).
    """
    owners: dict[str, set[str]] = {}
    for name, dist in installed.items():
        for entry in read_record(dist.dist_info):
            target = os.path.normpath(os.path.join(dist.site_dir, entry.path))
            owners.setdefault(target, set()).add(name)
    shared = set()
    for name in names:
        mine = installed.get(name)
        if mine is None:
            continue
        for entry in mine.record():
            target = os.path.normpath(os.path.join(mine.site_dir, entry.path))
            if owners.get(target, set()) - {name}:
                shared.add(target)
    return sorted(Path(path) for path in shared)


def check_wheels(
    wheels: Iterable[WheelFile],
    installed: Mapping[str, InstalledDist],
    scheme: Mapping[str, str],
) -> None:
    """Refuse wheels that do not match their ``RECORD`` or overwrite another's files.

    :raises ChangeError: naming the wheel and the problem, with every problem in ``details``.
    """
    from ..errors import ChangeError

    wheels = list(wheels)
    for wheel in wheels:
        problems = record_problems(wheel)
        if problems:
            raise ChangeError(
                f"refused: the wheel of {wheel.name} {wheel.version} does not match its RECORD "
                f"({problems[0]}); it was altered after it was built; nothing was changed",
                details="\n".join(problems),
            )
    found = overlaps(wheels, installed, scheme)
    if found:
        raise ChangeError(
            f"refused: {describe_overlaps(found)}; a plugin may not replace files of another "
            "distribution; nothing was changed",
            details="\n".join(f"{o.wheel}: {o.path} (owned by {o.owner})" for o in found),
        )

"""Rebuilding a wheel from an installed distribution, so any installed version can be restored.

A plugin version installed before Cloud Craver ever archived it (by plain pip, or by an older
host) has no wheel anywhere the host could reach offline. Its ``RECORD`` lists every file pip
installed with its hash, which is enough to build a wheel that installs the same files again:

- files under ``site-packages`` go to the wheel's root, as they came;
- files pip put elsewhere (``../`` paths: scripts, headers, data) go to
  ``<name>-<version>.data/<scheme>/``; console-script wrappers are left out, because pip
  writes them again from ``entry_points.txt``, and other scripts get their ``#!python``
  shebang back so pip points them at the interpreter again;
- byte-compiled files are left out (pip compiles on install), and so are the markers pip
  writes itself (``INSTALLER``, ``REQUESTED``, ``RECORD``); ``direct_url.json`` is kept, so an
  editable install (its ``.pth`` / finder files and ``direct_url.json``) comes back editable;
- a fresh ``RECORD`` with sha256 hashes, and the original ``WHEEL`` file (its tags), complete it.

The zip is deterministic (sorted names, fixed timestamps): repacking the same installed files
gives the same bytes, so the archive stores it once.

Install a repacked wheel *by requirement* from a folder (``pip install --no-index --no-deps
--find-links DIR name==version``), not by its path: given a path, pip records it as a direct
URL and overwrites the wheel's ``direct_url.json``, which would lose the editable marker.
"""

from __future__ import annotations

import os
import re
import sysconfig
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ChangeError
from .environment import InstalledDist, damaged, record_hash

__all__ = ["repack", "wheel_filename"]

#: Written by pip at install time: never part of a wheel.
_NOT_PACKED = frozenset({"INSTALLER", "REQUESTED", "RECORD"})
#: Fixed zip timestamp (the earliest zip allows), for reproducible wheels.
_EPOCH = (1980, 1, 1, 0, 0, 0)
#: wheel ``.data`` schemes, in the order a path is matched (``data`` is the catch-all prefix).
_SCHEMES = ("scripts", "headers", "purelib", "platlib", "data")
_DEFAULT_WHEEL = (
    "Wheel-Version: 1.0\nGenerator: cloudcraver-repack\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
)


def _escape(part: str) -> str:
    # Wheel filename components: runs of -_. become one underscore (PEP 427 / 491).
    return re.sub(r"[-_.]+", "_", part)


def _wheel_tags(wheel_text: str) -> tuple[str, str | None, bool]:
    """Compressed tag string, build tag and Root-Is-Purelib from a ``WHEEL`` file."""
    tags: list[tuple[str, str, str]] = []
    build = None
    purelib = True
    for line in wheel_text.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "Tag":
            interpreter, abi, platform = value.split("-", 2)
            tags.append((interpreter, abi, platform))
        elif key == "Build":
            build = value
        elif key == "Root-Is-Purelib":
            purelib = value.lower() == "true"
    if not tags:
        tags = [("py3", "none", "any")]

    def join(index: int) -> str:
        return ".".join(sorted({tag[index] for tag in tags}))

    return f"{join(0)}-{join(1)}-{join(2)}", build, purelib


def wheel_filename(dist: InstalledDist) -> str:
    """The file name :func:`repack` gives ``dist``'s wheel (tags from its ``WHEEL`` file)."""
    try:
        wheel_text = (dist.dist_info / "WHEEL").read_text(encoding="utf-8")
    except FileNotFoundError:
        wheel_text = ""
    tags, build, _ = _wheel_tags(wheel_text)
    parts = [_escape(dist.name), dist.version.replace("-", "_")]
    if build:
        parts.append(build)
    return "-".join([*parts, tags]) + ".whl"


def _scheme_dirs(site_dir: Path) -> dict[str, Path]:
    # The environment's install scheme, from its site-packages folder: on POSIX
    # <prefix>/lib/pythonX.Y/site-packages, on Windows <prefix>/Lib/site-packages.
    prefix = site_dir.parent.parent if os.name == "nt" else site_dir.parent.parent.parent
    scheme = "nt_venv" if os.name == "nt" else "posix_prefix"
    if scheme not in sysconfig.get_scheme_names():
        scheme = "nt" if os.name == "nt" else "posix_prefix"
    paths = sysconfig.get_paths(scheme, vars={"base": str(prefix), "platbase": str(prefix)})
    return {
        "scripts": Path(paths["scripts"]),
        # A venv puts headers under <prefix>/include/site/pythonX.Y/<name>; pip's scheme key
        # is `include`, its parent covers both layouts.
        "headers": Path(paths["include"]).parent,
        "purelib": Path(paths["purelib"]),
        "platlib": Path(paths["platlib"]),
        "data": prefix,
    }


def _console_script_names(dist: InstalledDist) -> set[str]:
    from configparser import ConfigParser

    parser = ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string((dist.dist_info / "entry_points.txt").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return set()
    names: set[str] = set()
    for section in ("console_scripts", "gui_scripts"):
        if parser.has_section(section):
            names.update(name.lower() for name in parser.options(section))
    return names


def _is_wrapper(filename: str, wrappers: set[str]) -> bool:
    name = filename.lower()
    for suffix in (".exe", "-script.py", ".pya"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name in wrappers


def _unrewrite_shebang(data: bytes) -> bytes:
    # pip replaced `#!python` with the interpreter's path when it installed the script; put
    # the placeholder back so it does that again wherever the wheel is installed.
    if data.startswith(b"#!") and b"python" in data.split(b"\n", 1)[0]:
        rest = data.split(b"\n", 1)[1] if b"\n" in data else b""
        return b"#!python\n" + rest
    return data


def _members(dist: InstalledDist) -> Iterator[tuple[str, Path, bool]]:
    """``(path in wheel, file on disk, is a script)`` for every file to pack."""
    data_dir = f"{_escape(dist.name)}-{dist.version.replace('-', '_')}.data"
    schemes: dict[str, Path] | None = None
    wrappers = _console_script_names(dist)
    outside: list[str] = []
    for entry in dist.record():
        path = entry.path
        head, _, tail = path.rpartition("/")
        if head == dist.dist_info.name and tail in _NOT_PACKED:
            continue
        if tail.endswith((".pyc", ".pyo")) or "/__pycache__/" in f"/{path}":
            continue
        source = Path(os.path.normpath(dist.site_dir / path))
        if not path.startswith("../") and not os.path.isabs(path):
            yield path, source, False
            continue
        # Not resolved, like `source`: both as pip saw them, so symlinks compare equal.
        schemes = schemes or _scheme_dirs(dist.site_dir)
        for scheme in _SCHEMES:
            try:
                relative = source.relative_to(schemes[scheme])
            except ValueError:
                continue
            if scheme == "scripts" and _is_wrapper(source.name, wrappers):
                break  # pip writes it again from entry_points.txt
            if scheme == "headers":
                # Headers install to <include>/<name>/...: the wheel holds what is below it.
                relative = Path(*relative.parts[min(len(relative.parts) - 1, 3) :])
            yield f"{data_dir}/{scheme}/{relative.as_posix()}", source, scheme == "scripts"
            break
        else:
            outside.append(path)
    if outside:
        raise ChangeError(
            f"cannot repack {dist.name} {dist.version}: files outside its environment: "
            + ", ".join(outside)
        )


def repack(dist: InstalledDist, dest_dir: Path) -> Path:
    """Build a wheel of ``dist`` from its installed files into ``dest_dir``; return its path.

    :raises ChangeError: ``dist`` has no ``RECORD`` (a legacy install), some of its files are
        missing or changed (the wheel would not be that version), or it installed files
        outside its environment.
    """
    if not (dist.dist_info / "RECORD").is_file():
        raise ChangeError(
            f"cannot repack {dist.name} {dist.version}: {dist.dist_info} has no RECORD "
            "(installed without pip?); reinstall it with pip first"
        )
    problems = damaged(dist)
    if problems:
        raise ChangeError(
            f"cannot repack {dist.name} {dist.version}: its installed files changed",
            details="\n".join(problems),
        )
    members = sorted(_members(dist))
    has_wheel_file = any(name == f"{dist.dist_info.name}/WHEEL" for name, _, _ in members)
    # A dist-info without WHEEL (very old pip): a pure-Python wheel is the only safe guess.
    wheel_text = "" if has_wheel_file else _DEFAULT_WHEEL
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / wheel_filename(dist)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=dest_dir)
    os.close(fd)
    try:
        record: list[str] = []
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, source, is_script in members:
                data = source.read_bytes()
                if is_script:
                    data = _unrewrite_shebang(data)
                _write(zf, name, data, os.stat(source).st_mode)
                record.append(f"{_csv(name)},{record_hash(data)},{len(data)}")
            if wheel_text:
                name = f"{dist.dist_info.name}/WHEEL"
                _write(zf, name, wheel_text.encode(), 0o644)
                record.append(f"{name},{record_hash(wheel_text.encode())},{len(wheel_text)}")
            record_name = f"{dist.dist_info.name}/RECORD"
            record.append(f"{record_name},,")
            _write(zf, record_name, "".join(line + "\n" for line in record).encode(), 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _csv(name: str) -> str:
    # RECORD is CSV: a name with a comma or quote is quoted, quotes doubled.
    if "," in name or '"' in name:
        return '"' + name.replace('"', '""') + '"'
    return name


def _write(zf: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    # Keep the executable bit (scripts, native helpers); pip restores it from the zip.
    info.external_attr = ((mode & 0o777) | 0o100000) << 16
    zf.writestr(info, data)

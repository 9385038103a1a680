"""A cache of discovery results, keyed on a fingerprint of the environment.

Discovery reads the metadata of every distribution and parses manifests with pydantic;
the cache makes a command that only lists or shows help skip both. The fingerprint covers
what discovery depends on: the interpreter, ``sys.path``, the name and modification time
of every ``*.dist-info``/``*.egg-info`` folder (and its ``entry_points.txt``) and ``.pth``
file on it, and the plugin paths with their entries. Any install, uninstall or upgrade
changes one of those. Files discovery read outside them (manifests and schemas of
editable installs and checkouts) are checked one by one when the cache is used.

The fingerprint is kept as the full text (no digest to collide), and there is one file
per interpreter prefix and ``sys.path``: the ``cloudcraver`` command and a program using
the library in the same environment each keep their own.

The cache is never trusted blindly: a file that cannot be read or parsed, written by
another version, or for another fingerprint, is a miss; writes go to a temporary file
renamed over the old one, so concurrent writers leave one complete file or the other.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .declaration import Declaration
from .discovery import DiscoveryResult, PluginRecord, discover

__all__ = ["CACHE_FORMAT", "DiscoveryCache", "environment_fingerprint", "environment_key"]

#: Bumped whenever what the cache stores changes shape or meaning.
CACHE_FORMAT = 2

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _folder_entries(lines: list[str], folder: str) -> None:
    """Metadata folders and .pth files of one sys.path entry, with their mtimes."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except (NotADirectoryError, FileNotFoundError, PermissionError):
        lines.append(f"{folder}:{_mtime(folder)}")  # a zip, or nothing
        return
    for entry in entries:
        name = entry.name
        if name.endswith(_METADATA_SUFFIXES):
            points = _mtime(os.path.join(entry.path, "entry_points.txt"))
            lines.append(f"{name}:{_mtime(entry.path)}:{points}")
        elif name.endswith(".pth"):
            lines.append(f"{name}:{_mtime(entry.path)}")


def _plugin_path_entries(lines: list[str], path: Path) -> None:
    lines.append(f"plugin path {path}:{_mtime(str(path))}")
    if not path.is_dir():
        return
    for child in sorted(os.scandir(path), key=lambda e: e.name):
        lines.append(f"{child.name}:{_mtime(child.path)}")
        if child.is_dir():
            lines.append(f"pyproject:{_mtime(os.path.join(child.path, 'pyproject.toml'))}")
    lines.append(f"own pyproject:{_mtime(str(path / 'pyproject.toml'))}")


def environment_fingerprint(plugin_paths: Sequence[Path], *, environment: bool = True) -> str:
    """A text that changes whenever discovery could find something different."""
    from cloudcraver_hookspecs import CONTRACT_VERSION

    # The resolved interpreter: a venv's python and python3 are one interpreter.
    interpreter = os.path.realpath(sys.executable)
    lines = [f"{CACHE_FORMAT}|{interpreter}|{sys.prefix}|{CONTRACT_VERSION}"]
    if environment:
        for entry in sys.path:
            lines.append(f"path {entry}")
            _folder_entries(lines, entry or ".")
    for path in plugin_paths:
        _plugin_path_entries(lines, path)
    return "\n".join(lines)


def environment_key(*, with_sys_path: bool = True) -> str:
    """A short name for this interpreter prefix (and ``sys.path``), for cache file names."""
    text = sys.prefix + ("\0" + "\0".join(sys.path) if with_sys_path else "")
    return f"{zlib.crc32(text.encode()):08x}"


def _record_to_data(record: PluginRecord) -> dict[str, Any]:
    data = {name: getattr(record, name) for name in PluginRecord.__dataclass_fields__}
    data["manifest"] = record.manifest.to_data() if record.manifest is not None else None
    return data


def _record_from_data(data: dict[str, Any]) -> PluginRecord:
    manifest = data.get("manifest")
    fields = {**data, "manifest": Declaration.from_data(manifest) if manifest else None}
    return PluginRecord(**fields)


class DiscoveryCache:
    """Discovery results stored in the host's cache folder, one file per environment.

    :param folder: the cache folder (``HostPaths.cache_dir``).
    """

    def __init__(self, folder: Path) -> None:
        # One file per interpreter prefix and sys.path: several virtualenvs (and programs
        # in one) share one user cache folder. The name is only a name: the fingerprint
        # inside decides.
        self.path = folder / f"discovery-{environment_key()}.json"

    def discover(
        self, plugin_paths: Sequence[Path], *, environment: bool = True
    ) -> DiscoveryResult:
        """Discovery's result, from the cache when it is still right, else computed and stored."""
        fingerprint = environment_fingerprint(plugin_paths, environment=environment)
        cached = self._load(fingerprint)
        if cached is not None:
            return cached
        result = discover(plugin_paths, environment=environment)
        self._store(fingerprint, result)
        return result

    def _load(self, fingerprint: str) -> DiscoveryResult | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                return None
            if data.get("format") != CACHE_FORMAT or data.get("fingerprint") != fingerprint:
                return None
            if not _files_unchanged(data["files"]):
                return None
            return DiscoveryResult(
                records=[_record_from_data(r) for r in data["records"]],
                warnings=list(data["warnings"]),
                files=list(data["files"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # absent, torn or foreign (any shape of JSON): discover again

    def _store(self, fingerprint: str, result: DiscoveryResult) -> None:
        data = {
            "format": CACHE_FORMAT,
            "fingerprint": fingerprint,
            "records": [_record_to_data(r) for r in result.records],
            "warnings": result.warnings,
            "files": {path: _mtime(path) for path in result.files},
        }
        from .tomlfile import atomic_write_text

        # A cache that cannot be written (read-only home) only costs speed.
        with contextlib.suppress(OSError):
            atomic_write_text(self.path, json.dumps(data))


def _files_unchanged(files: dict[str, int | None] | Iterable[Any]) -> bool:
    if not isinstance(files, dict):
        return False
    return all(_mtime(path) == mtime for path, mtime in files.items())

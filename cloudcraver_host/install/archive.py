"""The host's wheel archive: every plugin version it installs, kept so rollback needs no network.

Wheels are stored by content, as ``<root>/<sha256>.whl``; ``<root>/index.json`` names them
(distribution, version, real file name, and for a wheel rebuilt from an installed distribution
the ``files_hash`` it reproduces). Files are copied in atomically and the index is rewritten
under a lock file with an fsync'd atomic replace, so concurrent hosts and crashes leave either
the old or the new index, never a mix, and a wheel file is complete before the index names it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import ChangeError, StateFileError
from ..tomlfile import locked_update_text

__all__ = ["ArchivedWheel", "WheelArchive", "sha256_file"]

_INDEX_VERSION = 1


@dataclass(frozen=True)
class ArchivedWheel:
    """One wheel in the archive.

    :param name: canonical distribution name.
    :param version: its version (as in the wheel's file name).
    :param sha256: hex sha256 of the wheel file (also its name in the archive).
    :param filename: the wheel's real file name (pip needs it to install the wheel).
    :param files_hash: the :attr:`~cloudcraver_host.install.environment.InstalledDist.files_hash`
        installing it gives, when known (always for a repacked wheel).
    :param repacked: whether it was rebuilt from an installed distribution.
    """

    name: str
    version: str
    sha256: str
    filename: str
    files_hash: str | None = None
    repacked: bool = False


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (wheels can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _same_version(a: str, b: str) -> bool:
    from packaging.utils import canonicalize_version

    return a == b or canonicalize_version(a) == canonicalize_version(b)


class WheelArchive:
    """The content-addressed wheel store in ``root`` (``<data_dir>/archive``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.index_path = self.root / "index.json"

    def __repr__(self) -> str:
        return f"WheelArchive({str(self.root)!r})"

    def entries(self) -> list[ArchivedWheel]:
        """Every wheel the index names, in the order they were added."""
        return list(self._read())

    def add(
        self, wheel: Path, *, files_hash: str | None = None, repacked: bool = False
    ) -> ArchivedWheel:
        """Store ``wheel`` (a file with a valid wheel name) and return its entry.

        Adding the same content again stores nothing new; a ``files_hash`` learnt later
        (after installing a downloaded wheel) is recorded on the existing entry.
        """
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            name, version, _, _ = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename as exc:
            raise ChangeError(f"cannot archive {wheel}: {exc}") from exc
        self.root.mkdir(parents=True, exist_ok=True)
        digest = self._store(wheel)
        entry = ArchivedWheel(
            name=str(name),
            version=str(version),
            sha256=digest,
            filename=wheel.name,
            files_hash=files_hash,
            repacked=repacked,
        )
        result: list[ArchivedWheel] = []

        def update(text: str) -> str:
            entries = self._parse(text)
            for index, old in enumerate(entries):
                if old.sha256 == digest:
                    merged = replace(
                        old,
                        files_hash=old.files_hash or files_hash,
                        repacked=old.repacked or repacked,
                    )
                    entries[index] = merged
                    result.append(merged)
                    break
            else:
                entries.append(entry)
                result.append(entry)
            return self._dump(entries)

        locked_update_text(self.index_path, update)
        return result[0]

    def _store(self, wheel: Path) -> str:
        # Copy first, hash the copy, then rename it to its hash: the name is only ever given
        # to complete content, and a concurrent adder of the same wheel renames identical bytes.
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", suffix=".whl", dir=self.root)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, wheel.open("rb") as source:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            target = self.root / f"{digest.hexdigest()}.whl"
            if target.is_file() and sha256_file(target) == digest.hexdigest():
                os.unlink(tmp)
            else:
                os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return digest.hexdigest()

    def find(
        self, name: str, version: str, files_hash: str | None = None, *, exact: bool = False
    ) -> ArchivedWheel | None:
        """The archived wheel of ``name`` ``version``, or ``None``.

        With ``files_hash``, a wheel known to reproduce exactly those files is preferred; one
        whose ``files_hash`` is not known yet comes next (unless ``exact``), and one known to
        give other files (another build of the same version) never matches.
        """
        from packaging.utils import canonicalize_name

        wanted = canonicalize_name(name)
        candidates = [
            e for e in self._read() if e.name == wanted and _same_version(e.version, version)
        ]
        if files_hash is None:
            return candidates[-1] if candidates else None
        for entry in reversed(candidates):
            if entry.files_hash == files_hash:
                return entry
        if exact:
            return None
        unknown = [e for e in candidates if e.files_hash is None]
        return unknown[-1] if unknown else None

    def path(self, wheel: ArchivedWheel) -> Path:
        """Where the archived wheel's content lies (named by its hash, not installable as is)."""
        return self.root / f"{wheel.sha256}.whl"

    def verify(self, wheel: ArchivedWheel) -> bool:
        """Whether the archived file exists and still has its recorded hash."""
        try:
            return sha256_file(self.path(wheel)) == wheel.sha256
        except OSError:
            return False

    def materialize(self, wheels: list[ArchivedWheel], folder: Path) -> Path:
        """Put ``wheels`` under their real file names in ``folder`` for ``--find-links``.

        Hard links where possible (no copy), else copies. pip installs from the folder by
        requirement, ``name==version``; see :mod:`cloudcraver_host.install.repack` for why.

        :raises ChangeError: a wheel is missing from the archive or its content changed.
        """
        folder.mkdir(parents=True, exist_ok=True)
        for wheel in wheels:
            if not self.verify(wheel):
                raise ChangeError(
                    f"the archived wheel of {wheel.name} {wheel.version} "
                    f"({self.path(wheel)}) is missing or damaged"
                )
            target = folder / wheel.filename
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            try:
                os.link(self.path(wheel), target)
            except OSError:
                shutil.copyfile(self.path(wheel), target)
        return folder

    def _read(self) -> Iterator[ArchivedWheel]:
        try:
            text = self.index_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return iter(())
        except OSError as exc:
            raise StateFileError(f"{self.index_path}: cannot read: {exc}") from exc
        return iter(self._parse(text))

    def _parse(self, text: str) -> list[ArchivedWheel]:
        if not text.strip():
            return []
        try:
            data: Any = json.loads(text)
            return [ArchivedWheel(**item) for item in data["wheels"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise StateFileError(
                f"{self.index_path}: not a wheel archive index ({exc}); "
                "move it away and the archive starts empty"
            ) from exc

    @staticmethod
    def _dump(entries: list[ArchivedWheel]) -> str:
        data = {"version": _INDEX_VERSION, "wheels": [asdict(e) for e in entries]}
        return json.dumps(data, indent=2) + "\n"

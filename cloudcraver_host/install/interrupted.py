"""Whether a change to this environment's plugins was interrupted: read by every command.

Cheap on purpose (no hashing, no locking): it looks for the journal's ``ACTIVE`` marker in
the environment folders and matches them by the prefix each one records.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = [
    "ACTIVE_FILE",
    "ENDED_STATES",
    "ENVIRONMENTS",
    "ID_WIDTH",
    "PREFIX_FILE",
    "RECORDS",
    "interrupted_change",
    "running_change",
]

# The layout of the host's data folder for changes, defined here (the light module every
# command imports) and used by the journal too.
#: The folder of the per-environment folders.
ENVIRONMENTS = "environments"
#: The folder of an environment's transaction records (``NNNNNN.json``).
RECORDS = "transactions"
#: Digits of a record's file name.
ID_WIDTH = 6
#: The file naming the transaction in progress.
ACTIVE_FILE = "ACTIVE"
#: The file in an environment folder naming the environment's prefix.
PREFIX_FILE = "prefix.txt"
#: The states a transaction ends in.
ENDED_STATES = frozenset({"committed", "restored", "recovered", "failed"})


def interrupted_change(data_dir: Path, prefix: str = sys.prefix) -> tuple[int, str] | None:
    """The id and command of this environment's interrupted change, or ``None``.

    A change whose lock is still held is running, not interrupted (see :func:`running_change`).
    """
    for folder, change, command in _active_changes(data_dir, prefix):
        if not _lock_held(folder):
            return change, command
    return None


def running_change(data_dir: Path, prefix: str = sys.prefix) -> tuple[int, str] | None:
    """The id and command of the change running now in this environment, or ``None``."""
    for folder, change, command in _active_changes(data_dir, prefix):
        if _lock_held(folder):
            return change, command
    return None


def _lock_held(folder: Path) -> bool:
    from .lock import is_held

    return is_held(folder)


def _active_changes(data_dir: Path, prefix: str) -> list[tuple[Path, int, str]]:
    """``(folder, id, command)`` of every change of ``prefix`` marked active and not ended."""
    root = data_dir / ENVIRONMENTS
    try:
        folders = list(os.scandir(root))
    except OSError:
        return []
    real = os.path.realpath(prefix)
    found = []
    for folder in folders:
        active = Path(folder.path, ACTIVE_FILE)
        if not active.is_file():
            continue
        try:
            if Path(folder.path, PREFIX_FILE).read_text(encoding="utf-8").strip() != real:
                continue
            change = int(active.read_text(encoding="utf-8").strip())
            name = f"{change:0{ID_WIDTH}d}.json"
            record = json.loads(Path(folder.path, RECORDS, name).read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if record.get("state") in ENDED_STATES:
            continue  # stopped after its last write: it had ended
        found.append((Path(folder.path), change, str(record.get("command", "?"))))
    return found

"""Whether a change to this environment's plugins was interrupted: read by every command.

Cheap on purpose (no hashing, no locking): it looks for the journal's ``ACTIVE`` marker in
the environment folders and matches them by the prefix each one records.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["PREFIX_FILE", "interrupted_change"]

#: The file in an environment folder naming the environment's prefix.
PREFIX_FILE = "prefix.txt"


def interrupted_change(data_dir: Path, prefix: str = sys.prefix) -> tuple[int, str] | None:
    """The id and command of this environment's interrupted change, or ``None``."""
    root = data_dir / "environments"
    try:
        folders = list(os.scandir(root))
    except OSError:
        return None
    real = os.path.realpath(prefix)
    for folder in folders:
        active = Path(folder.path, "ACTIVE")
        if not active.is_file():
            continue
        try:
            if Path(folder.path, PREFIX_FILE).read_text(encoding="utf-8").strip() != real:
                continue
            change = int(active.read_text(encoding="utf-8").strip())
            record = json.loads(
                Path(folder.path, "transactions", f"{change:06d}.json").read_text("utf-8")
            )
        except (OSError, ValueError):
            continue
        if record.get("state") in ("committed", "restored", "recovered", "failed"):
            continue  # stopped after its last write: it had ended
        return change, str(record.get("command", "?"))
    return None

"""What the host learned by loading plugins that have no manifest.

A plugin without a manifest says what it offers only in code. Listing commands must not
import plugins, so the host remembers what it saw the last time such a plugin was loaded
(its hooks, and the templates it contributed), keyed by the plugin's version and location,
and shows that, marked as seen at the last load. Nothing here decides which plugins run:
lazy loading still treats a plugin without a manifest as implementing every hook.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from .discovery import PluginRecord

__all__ = ["LearnedFacts"]


class LearnedFacts:
    """A small JSON file of facts per plugin, one file per environment.

    :param folder: the host's cache folder.
    """

    def __init__(self, folder: Path) -> None:
        from .discovery_cache import environment_key

        self.path = folder / f"learned-{environment_key(with_sys_path=False)}.json"
        self._data: dict[str, Any] | None = None

    def _facts(self) -> dict[str, Any]:
        if self._data is None:
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                self._data = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._data = {}
        return self._data

    def get(self, record: PluginRecord, fact: str) -> Any:
        """A fact about ``record`` if it was learned for this very version and location."""
        entry = self._facts().get(record.key)
        if not isinstance(entry, dict):
            return None
        if entry.get("version") != record.version or entry.get("location") != record.location:
            return None
        return entry.get(fact)

    def put(self, record: PluginRecord, fact: str, value: Any) -> None:
        """Remember ``fact`` about ``record`` (written at once; a failed write only costs speed)."""
        if self.get(record, fact) == value:
            return
        facts = self._facts()
        entry = facts.get(record.key)
        if not isinstance(entry, dict) or (entry.get("version"), entry.get("location")) != (
            record.version,
            record.location,
        ):
            entry = {}  # facts of another version or copy describe other code
        entry.update(version=record.version, location=record.location)
        entry[fact] = value
        facts[record.key] = entry
        from .tomlfile import atomic_write_text

        with contextlib.suppress(OSError):
            atomic_write_text(self.path, json.dumps(facts, sort_keys=True))

"""The persisted state of the plugins: which are disabled, and how each last failed.

Kept apart from the configuration because the host writes it (``plugin enable|disable``,
failures seen at run time) while people write the configuration. Every change is a
read-modify-write under the file's lock (see :func:`~cloudcraver_host.tomlfile.locked_update`),
so concurrent commands never lose each other's updates.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import StateFileError
from .tomlfile import locked_update, read_toml

__all__ = ["LastFailure", "PluginStateStore", "StateSnapshot"]

_HEADER = (
    "Managed by cloudcraver: `cloudcraver plugin enable|disable` write this file.\n"
    "Plugin configuration belongs in config.toml, not here."
)
_FORMAT = 1


@dataclass(frozen=True)
class LastFailure:
    """The last failure the host saw for a plugin, kept so ``plugin list`` can show it later.

    :param stage: the lifecycle stage that failed (``load``, ``activate``...).
    :param reason: the one-line reason.
    :param version: the plugin version that failed.
    :param at: when (UTC).
    """

    stage: str
    reason: str
    version: str
    at: _dt.datetime


@dataclass(frozen=True)
class StateSnapshot:
    """The state file's content at one moment."""

    disabled: frozenset[str] = frozenset()
    failures: dict[str, LastFailure] = field(default_factory=dict)


class PluginStateStore:
    """Reads and updates the state file.

    :param path: the state file (``state.toml`` in the host's configuration folder).
    :param read_only: read the file but never write it (for listings such as ``--help``).
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only

    def load(self) -> StateSnapshot:
        """The current state; an absent file means every plugin is enabled."""
        try:
            data = read_toml(self.path)
        except Exception as exc:
            raise StateFileError(
                f"{exc}. The state file only records enabled plugins: delete it to reset."
            ) from exc
        disabled: set[str] = set()
        failures: dict[str, LastFailure] = {}
        for name, entry in self._checked(data).items():
            if not isinstance(entry, dict):
                continue
            if entry.get("enabled") is False:
                disabled.add(name)
            failure = entry.get("last_failure")
            if isinstance(failure, dict):
                failures[name] = _parse_failure(failure)
        return StateSnapshot(frozenset(disabled), failures)

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Record that ``name`` is enabled or disabled."""

        def update(data: dict[str, Any]) -> dict[str, Any]:
            entry = _entry(data, name)
            if enabled:
                entry.pop("enabled", None)
            else:
                entry["enabled"] = False
            return _prune(data)

        self._write(update)

    def record_failure(self, name: str, failure: LastFailure) -> None:
        """Remember ``failure`` as the last one of ``name``."""

        def update(data: dict[str, Any]) -> dict[str, Any]:
            _entry(data, name)["last_failure"] = {
                "stage": failure.stage,
                "reason": failure.reason,
                "version": failure.version,
                "at": failure.at,
            }
            return data

        self._write(update)

    def _write(self, update: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        if self.read_only:
            return

        def checked_update(data: dict[str, Any]) -> dict[str, Any]:
            self._checked(data)
            return update(data)

        locked_update(self.path, checked_update, header=_HEADER)

    def _checked(self, data: dict[str, Any]) -> dict[str, Any]:
        """The ``plugins`` table; a file of another shape is refused, never overwritten."""
        plugins = data.get("plugins", {})
        if not isinstance(plugins, dict):
            raise StateFileError(
                f"{self.path}: plugins = {type(plugins).__name__} where a table "
                "[plugins.NAME] is expected; the state file only records disabled plugins and "
                "last failures: delete it to reset"
            )
        return plugins

    def forget(self, name: str) -> None:
        """Forget everything recorded about ``name`` (``plugin uninstall --purge``)."""

        def update(data: dict[str, Any]) -> dict[str, Any]:
            _plugins_table(data).pop(name, None)
            return _prune(data)

        self._write(update)

    def clear_failure(self, name: str) -> None:
        """Forget the last failure of ``name`` (it has since loaded and activated)."""

        def update(data: dict[str, Any]) -> dict[str, Any]:
            _entry(data, name).pop("last_failure", None)
            return _prune(data)

        self._write(update)


def _plugins_table(data: dict[str, Any]) -> dict[str, Any]:
    plugins = data.get("plugins")
    return plugins if isinstance(plugins, dict) else {}


def _entry(data: dict[str, Any], name: str) -> dict[str, Any]:
    data["format"] = _FORMAT
    plugins = data.setdefault("plugins", {})
    entry = plugins.get(name)
    if not isinstance(entry, dict):
        entry = plugins[name] = {}
    return entry  # type: ignore[no-any-return]


def _prune(data: dict[str, Any]) -> dict[str, Any]:
    plugins = _plugins_table(data)
    for name in [n for n, entry in plugins.items() if not entry]:
        del plugins[name]
    return data


def _parse_failure(raw: dict[str, Any]) -> LastFailure:
    at = raw.get("at")
    if not isinstance(at, _dt.datetime):
        at = _dt.datetime.fromtimestamp(0, tz=_dt.timezone.utc)
    return LastFailure(
        stage=str(raw.get("stage", "")),
        reason=str(raw.get("reason", "")),
        version=str(raw.get("version", "")),
        at=at,
    )

"""Project trust: what an untrusted project file may set, and the projects the user trusts.

A project file (``cloudcraver.toml``, or ``[tool.cloudcraver]`` in ``pyproject.toml``) arrives
with a cloned repository, so it is untrusted input, like a VS Code workspace before "trust"
or an ``.envrc`` before ``direnv allow``. Until the user runs ``cloudcraver trust``, only the
settings that can neither run code nor weaken a check apply (:func:`untrusted_view`):

- ``[host]``: ``strict = true`` and ``safe_mode = true`` (they only tighten); every other
  host key (``plugin_paths`` and ``only`` choose the code that runs, the update policies
  choose the code that gets installed, ``max_document_bytes`` is a resource limit) is ignored.
- ``[plugins.NAME]``: a key is ignored when the user's own file sets it (a project fills in
  what the user left open, it never overrides the user), and when its name says it turns
  something off or down, points at code or sends data somewhere (:data:`RESTRICTED_WORDS`:
  ``disabled_rules``, ``severity``, ``skip_checks``, ``ignore_paths``, ``endpoint_url``...),
  whatever the plugin.
- anywhere: a value holding a ``${VAR}`` reference is ignored, so a project cannot copy the
  user's environment (a CI secret) into findings, logs or generated files.

Trust is remembered in the user's ``trusted.toml`` (never in the project) by the project
file's resolved path and the sha256 of the settings it holds: changing a setting makes the
file untrusted again.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StateFileError
from .tomlfile import locked_update, read_toml

__all__ = [
    "RESTRICTED_WORDS",
    "TAKES_TRUE_ONLY",
    "TrustStore",
    "UntrustedView",
    "settings_digest",
    "untrusted_view",
]

#: Host keys an untrusted project may set, and only to ``true``: each one only tightens.
TAKES_TRUE_ONLY = frozenset({"strict", "safe_mode"})

#: Words that make a plugin key restricted: a key whose name holds one (split on ``_`` and
#: ``-``) turns a check off or down, or points at code, so an untrusted project cannot set it.
RESTRICTED_WORDS = frozenset(
    {
        "disable", "disabled", "skip", "skipped", "ignore", "ignored", "exclude", "excluded",
        "suppress", "suppressed", "severity", "severities", "baseline", "insecure", "unsafe",
        "trust", "trusted", "path", "paths", "module", "modules", "plugin", "plugins",
        "command", "commands", "exec", "executable", "script", "scripts", "hook", "hooks",
        "url", "urls", "uri", "endpoint", "endpoints", "host", "hosts", "server", "proxy",
        "index", "registry", "address",
    }
)  # fmt: skip

_HEADER = (
    "Managed by cloudcraver: `cloudcraver trust|untrust` write this file.\n"
    "Each entry is a project file whose settings you trust, and the sha256 of its settings."
)
_FORMAT = 1


def settings_digest(settings: Mapping[str, Any]) -> str:
    """The sha256 of a project's settings (the parsed table, canonical JSON).

    Hashing the settings rather than the bytes means a comment edit, or an edit elsewhere in
    ``pyproject.toml``, keeps the trust; any change of a setting withdraws it.
    """
    canonical = json.dumps(settings, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_restricted_plugin_key(key: str) -> bool:
    """Whether an untrusted project may never set the plugin key ``key``."""
    return any(word in RESTRICTED_WORDS for word in re.split(r"[_\-.]+", key.lower()))


@dataclass(frozen=True)
class UntrustedView:
    """What applies of an untrusted project file, and what was ignored (dotted keys)."""

    data: dict[str, Any]
    ignored: tuple[str, ...]


def untrusted_view(project: Mapping[str, Any], user: Mapping[str, Any]) -> UntrustedView:
    """The part of ``project`` (a whole project file) an untrusted project may set.

    :param user: the user's own file, whose plugin keys the project may not override.
    """
    ignored: list[str] = []
    user_keys = _user_plugin_keys(user)
    data = _restrict_body(project, (), user_keys, ignored)
    envs = project.get("env")
    if isinstance(envs, Mapping):
        data["env"] = {
            name: _restrict_body(section, ("env", str(name)), user_keys, ignored)
            if isinstance(section, Mapping)
            else section
            for name, section in envs.items()
        }
    return UntrustedView(data, tuple(ignored))


def _user_plugin_keys(user: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Every (plugin, key) the user's file sets, in its body or any environment section."""
    from .names import normalize_name

    bodies = [user, *(s for s in (user.get("env") or {}).values() if isinstance(s, Mapping))]
    found: set[tuple[str, str]] = set()
    for body in bodies:
        plugins = body.get("plugins")
        if isinstance(plugins, Mapping):
            for name, table in plugins.items():
                if isinstance(table, Mapping):
                    found.update((normalize_name(str(name)), str(key)) for key in table)
    return found


def _restrict_body(
    body: Mapping[str, Any],
    prefix: tuple[str, ...],
    user_keys: set[tuple[str, str]],
    ignored: list[str],
) -> dict[str, Any]:
    from .names import normalize_name

    kept: dict[str, Any] = {k: v for k, v in body.items() if k not in ("host", "plugins", "env")}
    host = body.get("host")
    if isinstance(host, Mapping):
        kept["host"] = {}
        for key, value in host.items():
            if key in TAKES_TRUE_ONLY and value is True:
                kept["host"][key] = value
            else:
                ignored.append(".".join((*prefix, "host", str(key))))
    elif host is not None:
        kept["host"] = host  # not a table: the file's shape check reports it
    plugins = body.get("plugins")
    if isinstance(plugins, Mapping):
        kept["plugins"] = {}
        for name, table in plugins.items():
            if not isinstance(table, Mapping):
                kept["plugins"][name] = table  # reported by the shape check
                continue
            kept_table = kept["plugins"][name] = {}
            for key, value in table.items():
                if (
                    is_restricted_plugin_key(str(key))
                    or (normalize_name(str(name)), str(key)) in user_keys
                    or _refers(value)
                ):
                    ignored.append(".".join((*prefix, "plugins", str(name), str(key))))
                else:
                    kept_table[key] = value
    elif plugins is not None:
        kept["plugins"] = plugins
    return kept


def _refers(value: Any) -> bool:
    """Whether ``value`` holds a ``${VAR}`` reference anywhere."""
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_refers(v) for v in value.values())
    if isinstance(value, list):
        return any(_refers(v) for v in value)
    return False


class TrustStore:
    """The project files the user trusts (``trusted.toml`` in the configuration folder).

    :param path: the file; absent means no project is trusted.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _entries(self) -> dict[str, Any]:
        data = read_toml(self.path)
        projects = data.get("projects", {})
        if not isinstance(projects, dict):
            raise StateFileError(
                f"{self.path}: projects must be a table of project file = {{sha256 = ...}}; "
                "delete the file to trust no project, then trust them again"
            )
        return projects

    def is_trusted(self, project_file: Path, digest: str) -> bool:
        """Whether the user trusts ``project_file`` holding settings of ``digest``."""
        entry = self._entries().get(str(project_file.resolve()))
        return isinstance(entry, dict) and entry.get("sha256") == digest

    def trust(self, project_file: Path, digest: str) -> None:
        """Trust ``project_file`` while its settings have ``digest``."""
        key = str(project_file.resolve())

        def update(data: dict[str, Any]) -> dict[str, Any]:
            projects = self._projects_of(data)
            projects[key] = {"sha256": digest, "trusted_at": _dt.datetime.now(_dt.timezone.utc)}
            data["format"] = _FORMAT
            return data

        locked_update(self.path, update, header=_HEADER)

    def untrust(self, project_file: Path) -> bool:
        """Stop trusting ``project_file``; whether it was trusted."""
        key = str(project_file.resolve())
        removed: list[bool] = []

        def update(data: dict[str, Any]) -> dict[str, Any]:
            projects = self._projects_of(data)
            if projects.pop(key, None) is not None:
                removed.append(True)
            return data

        locked_update(self.path, update, header=_HEADER)
        return bool(removed)

    def _projects_of(self, data: dict[str, Any]) -> dict[str, Any]:
        projects = data.setdefault("projects", {})
        if not isinstance(projects, dict):
            raise StateFileError(
                f"{self.path}: projects must be a table; delete the file to trust no project"
            )
        return projects

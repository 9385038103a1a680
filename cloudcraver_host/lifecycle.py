r"""The lifecycle of a plugin in the host, and the public view of one plugin.

::

    discovered -> validated -> registered -> loaded -> activated -> deactivated -> unloaded
          \\____________\\____________\\___________\\________> failed (stage, reason)

- discovered: found through an entry point or a plugin path; nothing imported.
- validated: its manifest (if any), contract range and dependencies check out.
- registered: known to the host with what it offers (hooks, templates, commands);
  still nothing imported when it has a manifest.
- loaded: its module is imported and its hook implementations are in the plugin manager.
- activated: its configuration validated and its ``activate`` hook run; the relay calls it.
- deactivated: its ``deactivate`` hook ran (disabled at run time, or the host closed).
- unloaded: removed from the plugin manager.
- failed: one of the steps went wrong; the host goes on without it.

A plugin that is disabled, or left out by safe mode or ``CLOUDCRAVER_PLUGINS``, stays
``discovered`` with the reason in :attr:`PluginInfo.blocked`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Failure", "PluginInfo", "PluginStatus", "Stage"]


class PluginStatus(str, enum.Enum):
    """Where a plugin is in its lifecycle."""

    DISCOVERED = "discovered"
    VALIDATED = "validated"
    REGISTERED = "registered"
    LOADED = "loaded"
    ACTIVATED = "activated"
    DEACTIVATED = "deactivated"
    UNLOADED = "unloaded"
    FAILED = "failed"


class Stage(str, enum.Enum):
    """The step at which a plugin failed."""

    VALIDATE = "validate"
    LOAD = "load"
    CONFIGURE = "configure"
    ACTIVATE = "activate"
    CALL = "call"
    DEACTIVATE = "deactivate"


@dataclass(frozen=True)
class Failure:
    """Why a plugin failed.

    :param plugin: the plugin's name.
    :param stage: the step that failed.
    :param reason: one line: what went wrong (the exception type and message).
    :param hook: the hook being called, for failures at the ``call`` stage.
    :param user_error: whether the cause is the user's input (a bad configuration value)
        rather than the plugin's code.
    :param traceback: the formatted traceback, shown with ``--debug``.
    """

    plugin: str
    stage: Stage
    reason: str
    hook: str | None = None
    user_error: bool = False
    traceback: str | None = None

    def describe(self) -> str:
        """``plugin 'x' failed at load: ImportError: ...`` as printed once per run."""
        during = f" (in hook {self.hook})" if self.hook else ""
        return f"plugin '{self.plugin}' failed at {self.stage.value}{during}: {self.reason}"


@dataclass(frozen=True)
class PluginInfo:
    """A snapshot of one plugin, as ``plugin list`` and ``plugin info`` show it.

    :param name: the plugin name.
    :param version: its version.
    :param distribution: the distribution that provides it.
    :param location: where it was found.
    :param kind: ``environment``, ``wheel``, ``checkout``, ``directory`` or ``in-process``.
    :param first_party: whether it comes with Cloud Craver.
    :param enabled: whether the user's state enables it.
    :param status: its lifecycle status.
    :param blocked: why it is not loaded although present (disabled, safe mode...), if so.
    :param failure: how it failed in this host, if it did.
    :param last_failure: how it failed the last time any command saw it fail (persisted).
    :param has_manifest: whether it ships a manifest.
    :param contract: the contract range it declares, if any.
    :param hooks: the hooks it implements, when known.
    :param hooks_source: where that is known from: ``manifest``, ``code`` (loaded now),
        ``last load`` (seen when a command last loaded it), or ``unknown``.
    :param hook_positions: for each hook, its 1-based place in the call order and the
        number of implementations, when known.
    :param templates: the templates it offers.
    :param commands: the commands it adds.
    :param permissions: what it asks to be allowed to do.
    :param requires: the plugins it requires.
    :param description: one line about it.
    """

    name: str
    version: str
    distribution: str | None
    location: str
    kind: str
    first_party: bool
    enabled: bool
    status: PluginStatus
    blocked: str | None
    failure: Failure | None
    last_failure: dict[str, str] | None
    has_manifest: bool
    contract: str | None
    hooks: tuple[str, ...] | None
    hooks_source: str
    hook_positions: dict[str, tuple[int, int]]
    templates: tuple[str, ...]
    commands: tuple[str, ...]
    permissions: dict[str, list[str]]
    requires: tuple[str, ...]
    description: str

    def to_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "location": self.location,
            "kind": self.kind,
            "first_party": self.first_party,
            "enabled": self.enabled,
            "status": self.status.value,
            "blocked": self.blocked,
            "failure": None
            if self.failure is None
            else {
                "stage": self.failure.stage.value,
                "reason": self.failure.reason,
                "hook": self.failure.hook,
            },
            "last_failure": self.last_failure,
            "has_manifest": self.has_manifest,
            "contract": self.contract,
            "hooks": None if self.hooks is None else list(self.hooks),
            "hooks_source": self.hooks_source,
            "call_order": {
                hook: {"position": pos, "of": total}
                for hook, (pos, total) in self.hook_positions.items()
            },
            "templates": list(self.templates),
            "commands": list(self.commands),
            "permissions": self.permissions,
            "requires": list(self.requires),
            "description": self.description,
        }

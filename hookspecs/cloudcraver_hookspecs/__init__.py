"""The Cloud Craver plugin contract.

What a plugin imports: the :data:`hookimpl` marker and the data types it exchanges with
the host. Importing it pulls in pluggy and the standard library only.

The contract is versioned (:data:`CONTRACT_VERSION`, semantic versioning): a plugin states
the range it supports in its manifest (``contract = ">=1.0,<2"``) or by requiring this
distribution (``cloudcraver-hookspecs>=1.0,<2``); the host refuses an incompatible plugin
before importing it. Minor versions add hooks or optional fields; a major version changes
or removes one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .hooks import HookInfo, hook_table
    from .markers import PROJECT_NAME, hookimpl, hookspec
    from .types import (
        CommandContribution,
        DocumentSource,
        Finding,
        InfrastructureDocument,
        Location,
        PluginInputError,
        RenderedTemplate,
        RenderRequest,
        Severity,
        TemplateDescriptor,
    )

# Names are loaded on first use, so that reading the constants below (as the host does
# on every command) does not import pluggy.
_LAZY = {
    "HookInfo": "hooks",
    "hook_table": "hooks",
    "PROJECT_NAME": "markers",
    "hookimpl": "markers",
    "hookspec": "markers",
    "CommandContribution": "types",
    "DocumentSource": "types",
    "Finding": "types",
    "InfrastructureDocument": "types",
    "Location": "types",
    "PluginInputError": "types",
    "RenderedTemplate": "types",
    "RenderRequest": "types",
    "Severity": "types",
    "TemplateDescriptor": "types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudcraver_hookspecs' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


#: The version of this contract (the hook specifications and the exchanged types).
CONTRACT_VERSION = "1.1.0"

#: The entry-point group a plugin distribution registers its plugin object under.
ENTRY_POINT_GROUP = "cloudcraver"

#: The entry-point group naming a plugin's static manifest (``package:file.toml``).
MANIFEST_ENTRY_POINT_GROUP = "cloudcraver.manifest"

__all__ = [
    "CONTRACT_VERSION",
    "ENTRY_POINT_GROUP",
    "MANIFEST_ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "CommandContribution",
    "DocumentSource",
    "Finding",
    "HookInfo",
    "InfrastructureDocument",
    "Location",
    "PluginInputError",
    "RenderRequest",
    "RenderedTemplate",
    "Severity",
    "TemplateDescriptor",
    "hook_table",
    "hookimpl",
    "hookspec",
]

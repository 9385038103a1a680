"""Cloud Craver's plugin host: discovery, validation, lifecycle, hook relay, configuration.

The public surface is re-exported here; submodules are imported on first use so that
``import cloudcraver_host`` stays cheap (the CLI's ``--help`` imports none of them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import HostSettings, LayeredConfig, load_config
    from .discovery import DiscoveryResult, PluginRecord, discover
    from .errors import (
        CloudCraverError,
        ConfigError,
        InputError,
        PluginCallError,
        PluginFailedError,
        StateFileError,
    )
    from .host import PluginHost
    from .lifecycle import Failure, PluginInfo, PluginStatus, Stage
    from .manifest import Manifest, ManifestError
    from .paths import HostPaths
    from .state import PluginStateStore

__version__ = "0.1.0"

_EXPORTS = {
    "PluginHost": "host",
    "HostSettings": "config",
    "LayeredConfig": "config",
    "load_config": "config",
    "DiscoveryResult": "discovery",
    "PluginRecord": "discovery",
    "discover": "discovery",
    "CloudCraverError": "errors",
    "ConfigError": "errors",
    "InputError": "errors",
    "PluginCallError": "errors",
    "PluginFailedError": "errors",
    "StateFileError": "errors",
    "Failure": "lifecycle",
    "PluginInfo": "lifecycle",
    "PluginStatus": "lifecycle",
    "Stage": "lifecycle",
    "Manifest": "manifest",
    "ManifestError": "manifest",
    "HostPaths": "paths",
    "PluginStateStore": "state",
}

__all__ = [
    "CloudCraverError",
    "ConfigError",
    "DiscoveryResult",
    "Failure",
    "HostPaths",
    "HostSettings",
    "InputError",
    "LayeredConfig",
    "Manifest",
    "ManifestError",
    "PluginCallError",
    "PluginFailedError",
    "PluginHost",
    "PluginInfo",
    "PluginRecord",
    "PluginStateStore",
    "PluginStatus",
    "Stage",
    "StateFileError",
    "__version__",
    "discover",
    "load_config",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudcraver_host' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

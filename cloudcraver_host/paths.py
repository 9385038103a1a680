"""Where the host keeps its files: configuration, state, data and cache.

By default the user's platform directories (platformdirs); ``CLOUDCRAVER_HOME`` moves all
of them under one folder, which is what tests and portable set-ups use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["APP_NAME", "HostPaths"]

APP_NAME = "cloudcraver"


@dataclass(frozen=True)
class HostPaths:
    """The host's directories and the files in them.

    :param config_dir: holds ``config.toml`` (user configuration), ``state.toml`` and
        ``trusted.toml``.
    :param data_dir: holds data the host keeps (archives, journals of later features).
    :param cache_dir: holds caches that can be deleted at any time.
    """

    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> HostPaths:
        """The paths for this user, honouring ``CLOUDCRAVER_HOME``."""
        env = os.environ if environ is None else environ
        home = env.get("CLOUDCRAVER_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(root, root / "data", root / "cache")
        import platformdirs

        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        )

    @property
    def config_file(self) -> Path:
        """The user configuration file."""
        return self.config_dir / "config.toml"

    @property
    def state_file(self) -> Path:
        """The file recording which plugins are enabled and their last failures."""
        return self.config_dir / "state.toml"

    @property
    def trust_file(self) -> Path:
        """The project files the user trusts (``cloudcraver trust``), with their digests."""
        return self.config_dir / "trusted.toml"

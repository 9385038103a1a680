"""Helpers of the in-process host tests: hosts configured from a test's own folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudcraver_host.config import LayeredConfig, load_config
from cloudcraver_host.discovery import DiscoveryResult, discover
from cloudcraver_host.host import PluginHost
from cloudcraver_host.state import PluginStateStore


def imported(marker_dir: Path) -> set[str]:
    """The test plugins imported so far (from their import markers)."""
    return {p.name.removesuffix(".imported") for p in marker_dir.glob("*.imported")}


class EventLog:
    """``CC_TEST_LOG``: the test plugins append one JSON line per activate/deactivate."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def pairs(self) -> list[tuple[str, str]]:
        """``(event, plugin)`` in order."""
        return [(e["event"], e["plugin"]) for e in self.events()]


def make_config(
    tmp_path: Path,
    *,
    environ: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
    user: str | None = None,
) -> LayeredConfig:
    """A configuration read from ``tmp_path`` only (user file ``tmp_path/config.toml``)."""
    user_file = tmp_path / "config.toml"
    if user is not None:
        user_file.write_text(user, encoding="utf-8")
    cwd = tmp_path / "work"
    cwd.mkdir(exist_ok=True)
    return load_config(user_file=user_file, cwd=cwd, environ=environ or {}, options=options)


def make_host(
    tmp_path: Path,
    *,
    paths: list[Path] | None = None,
    environ: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
    user: str | None = None,
    state: bool = False,
    **kwargs: Any,
) -> PluginHost:
    """A host configured from ``tmp_path`` alone (user file ``tmp_path/config.toml``).

    :param paths: plugin paths to discover (the environment left out); ``None`` discovers
        nothing, so only plugins given to ``host.register`` exist.
    :param state: persist enabled/disabled state to ``tmp_path/state.toml``.
    """
    config = make_config(tmp_path, environ=environ, options=options, user=user)
    found = discover(paths, environment=False) if paths is not None else DiscoveryResult()
    kwargs.setdefault("discovery", found)
    return PluginHost(
        config=config,
        state=PluginStateStore(tmp_path / "state.toml") if state else None,
        **kwargs,
    )

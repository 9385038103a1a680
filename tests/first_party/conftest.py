"""Fixtures for the first-party plugin tests: sample documents and in-process hosts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import cloudcraver_plugins.aws_s3.plugin as s3_plugin
import cloudcraver_plugins.policy.plugin as policy_plugin
from cloudcraver_host import DiscoveryResult, PluginHost, load_config

from .helpers import DATA


@pytest.fixture(autouse=True)
def _fresh_plugin_state() -> Iterator[None]:
    """Tests calling hooks directly leave no configuration behind for the next test."""
    yield
    s3_plugin.deactivate()
    policy_plugin.deactivate()


@pytest.fixture
def data() -> Path:
    """The folder of sample documents."""
    return DATA


@pytest.fixture
def make_host(tmp_path: Path) -> Iterator[Callable[..., PluginHost]]:
    """Build an in-process host with both plugins, configured by a TOML text."""
    hosts: list[PluginHost] = []

    def make(config_toml: str = "") -> PluginHost:
        folder = tmp_path / f"host{len(hosts)}"
        folder.mkdir()
        user_file = folder / "config.toml"
        user_file.write_text(config_toml, encoding="utf-8")
        config = load_config(user_file=user_file, cwd=folder, environ={})
        host = PluginHost(config=config, discovery=DiscoveryResult(), environment=False)
        host.register(s3_plugin, "aws-s3")
        host.register(policy_plugin, "policy")
        hosts.append(host)
        return host

    yield make
    for host in hosts:
        host.close()


@pytest.fixture
def host(make_host: Callable[..., PluginHost]) -> PluginHost:
    """An unconfigured host with both plugins."""
    return make_host()

"""Contract 1.1.0's migrate_config: per plugin only, never broadcast."""

from __future__ import annotations

from typing import Any

import pytest
from cloudcraver_hookspecs import CONTRACT_VERSION, hook_table, hookimpl

from cloudcraver_host.errors import PluginCallError
from cloudcraver_host.host import PluginHost
from cloudcraver_host.install.verify import _subset_caller


class First:
    @hookimpl
    def migrate_config(self, from_version: str, config: dict[str, Any]) -> dict[str, Any]:
        return {**config, "first": from_version}


class Second:
    @hookimpl
    def migrate_config(self, to_version: str) -> None:
        raise AssertionError("another plugin's migration must not run")


def test_contract_version_and_table() -> None:
    assert CONTRACT_VERSION == "1.1.0"
    info = hook_table()["migrate_config"]
    assert info.arguments == ("from_version", "to_version", "config")
    assert info.firstresult and info.per_plugin and not info.may_be_async


def test_the_host_never_broadcasts_it_and_calls_one_plugin() -> None:
    host = PluginHost(environment=False)
    host.register(First(), "first")
    host.register(Second(), "second")
    with pytest.raises(PluginCallError, match="calls migrate_config on each plugin itself"):
        host.hook.migrate_config(from_version="1", to_version="2", config={})
    caller = _subset_caller(host, "first", "migrate_config")
    assert caller(from_version="1", to_version="2", config={"a": 1}) == {"a": 1, "first": "1"}

"""The Terraform inventory's one-step lookup of an unset setting gives the general answer."""

from __future__ import annotations

from typing import Any

import pytest
from cloudcraver_hookspecs import InfrastructureDocument

from cloudcraver_host.frozen import freeze
from cloudcraver_plugins.policy.formats import TerraformInventory
from cloudcraver_plugins.policy.model import Inventory

ROOTS: list[Any] = [
    {},
    {"bucket": "b"},
    {"versioning": None},
    {"versioning": [{"enabled": True}]},
    {"dynamic": {"versioning": {"content": {"enabled": True}}}},
    {"dynamic": [{"other": {}}]},
    [{"versioning": {"enabled": "${var.on}"}}],
    "${var.body}",
]
PATHS: list[tuple[Any, ...]] = [("versioning", "enabled"), ("versioning",), (0,), ()]


@pytest.mark.parametrize("root", ROOTS + [freeze(root) for root in ROOTS], ids=repr)
@pytest.mark.parametrize("path", PATHS, ids=repr)
def test_lookup_is_the_general_lookup(root: Any, path: tuple[Any, ...]) -> None:
    data = {"variable": {"on": {"default": True}}, "resource": {}}
    document = InfrastructureDocument("main.tf.json", "terraform", data)
    inventory = TerraformInventory.from_document(document)
    assert inventory.lookup(root, path) == Inventory.lookup(inventory, root, path)

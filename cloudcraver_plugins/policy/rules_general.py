"""Rules driven by the organisation's configuration, for every format.

Each does nothing until configured: ``required_tags``, ``name_pattern``,
``allowed_regions``. What counts as a resource's tags, name and region is the format's
business (see :mod:`.formats`); values the document does not determine are skipped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cloudcraver_hookspecs import Severity

from .model import Inventory, Rule, Violation

if TYPE_CHECKING:
    from .config import PolicyConfig

__all__ = ["GENERAL_RULES", "normalize_region"]


def normalize_region(region: str) -> str:
    """Regions compare without case and spaces (Azure writes "West Europe" or "westeurope")."""
    return region.replace(" ", "").lower()


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _required_tags(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    if not config.required_tags:
        return
    for resource in inventory.resources:
        if not inventory.taggable(resource):
            continue
        keys = inventory.tag_keys(resource)
        if keys is None:
            continue  # tags computed at deploy time: cannot tell
        if inventory.tag_key_folds_case(resource):
            keys = {key.lower() for key in keys}
            missing = [tag for tag in config.required_tags if tag.lower() not in keys]
        else:
            missing = [tag for tag in config.required_tags if tag not in keys]
        if missing:
            yield Violation(
                resource,
                f"{resource.address} lacks the required tag(s) {', '.join(missing)}",
            )


def _naming_pattern(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    if config.name_pattern is None:
        return
    pattern = _compiled(config.name_pattern)
    for resource in inventory.resources:
        for name in inventory.cloud_names(resource):
            if not pattern.fullmatch(name):
                yield Violation(
                    resource,
                    f"{resource.address} is named {name!r}, which does not match the naming "
                    f"pattern {config.name_pattern!r}",
                )


def _allowed_regions(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    if not config.allowed_regions:
        return
    allowed = {normalize_region(region) for region in config.allowed_regions}
    for resource in inventory.resources:
        for region in inventory.regions(resource):
            if normalize_region(region) not in allowed:
                yield Violation(
                    resource,
                    f"{resource.address} is deployed to {region!r}, outside the allowed "
                    f"regions ({', '.join(config.allowed_regions)})",
                )


#: The configuration-driven rules.
GENERAL_RULES: tuple[Rule, ...] = (
    Rule(
        id="required-tags",
        severity=Severity.WARNING,
        description="Taggable resources carry the tags listed in required_tags "
        "(labels on GCP, provider default tags included).",
        remediation="Add the missing tags, or set them once as provider default tags.",
        check=_required_tags,
    ),
    Rule(
        id="naming-pattern",
        severity=Severity.WARNING,
        description="Bucket and storage account names match name_pattern (a regular "
        "expression matched against the whole name).",
        remediation="Rename the resource to follow the organisation's naming pattern.",
        check=_naming_pattern,
    ),
    Rule(
        id="allowed-regions",
        severity=Severity.ERROR,
        description="Resources are deployed to the regions listed in allowed_regions only.",
        remediation="Deploy to one of the allowed regions, or ask for the region to be allowed.",
        check=_allowed_regions,
    ),
)

"""Rules about a document as a whole rather than about one resource of it.

A CloudFormation template must declare at least one resource: CloudFormation rejects one
without, so a file recognised as a template (``AWSTemplateFormatVersion`` or
``Resources`` at the top) with none gets one finding. Terraform files without resources
(``variables.tf``, ``outputs.tf``) and ARM templates without resources (outputs only) are
legitimate and get none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from cloudcraver_hookspecs import Severity

from .formats import CloudFormationInventory
from .model import Inventory, Resource, Rule, Violation

if TYPE_CHECKING:
    from .config import PolicyConfig

__all__ = ["TEMPLATE_RULES"]


def _has_resources(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    if not isinstance(inventory, CloudFormationInventory):
        return
    data = inventory.document.data
    declared = data.get("Resources") if isinstance(data, Mapping) else None
    if isinstance(declared, Mapping) and declared:
        return  # resources of an unexpected shape are another matter, not "none"
    pointer = "/Resources" if isinstance(data, Mapping) and "Resources" in data else ""
    # The template itself is what the finding is about: no resource name to show.
    template = Resource("AWS::CloudFormation::Template", "", data, pointer, pointer)
    yield Violation(
        template,
        "the template declares no resources; CloudFormation rejects a template without any",
    )


#: The rules about whole documents.
TEMPLATE_RULES: tuple[Rule, ...] = (
    Rule(
        id="cloudformation-has-resources",
        severity=Severity.ERROR,
        description="CloudFormation templates declare at least one resource.",
        remediation="Declare the stack's resources under Resources, or leave this file out "
        "of validation if it is not a template.",
        check=_has_resources,
    ),
)

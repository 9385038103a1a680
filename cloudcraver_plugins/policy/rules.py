"""The rule registry and the engine applying the rules in force to a document.

Adding a rule: write its check in the ``rules_*`` module of its cloud and add the
:class:`~.model.Rule` to that module's tuple; the registry, the configuration's rule-id
validation and the documentation table all read :data:`BUILTIN_RULES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudcraver_hookspecs import Finding, InfrastructureDocument, Location, Severity

from .model import Rule
from .rules_aws import AWS_RULES
from .rules_azure import AZURE_RULES
from .rules_gcp import GCP_RULES
from .rules_general import GENERAL_RULES
from .rules_templates import TEMPLATE_RULES

if TYPE_CHECKING:
    from .config import PolicyConfig
    from .formats import TerraformModule

__all__ = ["BUILTIN_RULES", "RULES_BY_ID", "Policy", "builtin_rule_ids"]

#: Every built-in rule, in report order.
BUILTIN_RULES: tuple[Rule, ...] = (
    *AWS_RULES,
    *AZURE_RULES,
    *GCP_RULES,
    *GENERAL_RULES,
    *TEMPLATE_RULES,
)
#: The built-in rules by id.
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in BUILTIN_RULES}


def builtin_rule_ids() -> list[str]:
    """The ids of the built-in rules, in registry order."""
    return list(RULES_BY_ID)


class Policy:
    """The rules in force under one configuration, and their severities.

    :param config: the validated ``[plugins.policy]`` configuration.
    """

    def __init__(self, config: PolicyConfig) -> None:
        from .rules_custom import custom_rule

        self.config = config
        disabled = set(config.disabled_rules)
        enabled = set(config.enabled_rules)
        self.rules: list[Rule] = [
            rule
            for rule in BUILTIN_RULES
            if rule.id not in disabled and (rule.default_enabled or rule.id in enabled)
        ]
        self.rules += [custom_rule(spec) for spec in config.custom_rules if spec.id not in disabled]

    def severity(self, rule: Rule) -> Severity:
        """The rule's severity, as the configuration may have changed it."""
        override = self.config.severity.get(rule.id)
        return Severity(override) if override is not None else rule.severity

    def check(
        self, document: InfrastructureDocument, module: TerraformModule | None = None
    ) -> list[Finding] | None:
        """The findings for ``document``; ``None`` for a format the rules do not check.

        :param module: the Terraform module a Terraform file belongs to (its folder).
        """
        from .formats import inventory_for

        inventory = inventory_for(document, module)
        if inventory is None:
            return None
        # A resource is reported by several rules: its location is worked out once, and
        # the findings share it (a file may have hundreds of thousands of findings, so the
        # loop is written out: no call per finding but the Finding's own).
        locations: dict[str, Location] = {}
        findings: list[Finding] = []
        append = findings.append
        path, line_of = document.path, document.line_of
        for rule in self.rules:
            # Worked out once per rule, not once per finding (a file may have thousands).
            rule_id, severity, remediation = rule.id, self.severity(rule), rule.remediation
            for violation in rule.check(inventory, self.config):
                resource = violation.resource
                pointer = violation.pointer or resource.pointer
                location = locations.get(pointer)
                if location is None:
                    location = locations[pointer] = Location(path, line_of(pointer), None, pointer)
                append(
                    Finding(
                        rule_id,
                        severity,
                        violation.message,
                        resource.address or None,  # "": the document itself
                        location,
                        remediation,
                    )
                )
        findings.sort(key=_finding_order)
        return findings


def _finding_order(finding: Finding) -> tuple[int, str]:
    location = finding.location
    return ((location.line or 0) if location else 0, finding.rule_id)

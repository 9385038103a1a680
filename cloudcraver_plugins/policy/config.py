"""The ``[plugins.policy]`` configuration.

Every field has a default, so the plugin works unconfigured. Rule ids are checked against
the registry (and the configuration's own custom rules): a typo in ``disabled_rules`` is an
error naming the id and listing the known ones, not a rule silently left on.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .rules import builtin_rule_ids

__all__ = ["ConditionName", "CustomRule", "PolicyConfig", "SeverityName"]

#: A severity as configured.
SeverityName = Literal["error", "warning", "info"]
#: What a custom rule requires of its property.
ConditionName = Literal["exists", "absent", "equals", "matches", "in"]

_RULE_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def _check_regex(value: str, what: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{what} {value!r} is not a regular expression: {exc}") from None
    return value


class CustomRule(BaseModel):
    """A rule of the organisation's own: ``condition`` must hold of ``property``.

    Example (TOML)::

        [[plugins.policy.custom_rules]]
        id = "s3-retain-on-delete"
        resource_type = "AWS::S3::Bucket"
        property = "DeletionPolicy"
        condition = "equals"
        value = "Retain"
        message = "S3 buckets are retained when their stack is deleted"
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_RULE_ID, description="Kebab-case id, distinct from built-in ids.")
    resource_type: str = Field(
        min_length=1,
        description="Resource type as the document writes it (AWS::S3::Bucket, aws_s3_bucket, "
        "Microsoft.Storage/storageAccounts); * and ? are wildcards.",
    )
    property: str = Field(
        min_length=1,
        pattern=r"^[^.]+(\.[^.]+)*$",
        description="Dotted path inside the resource as written (CloudFormation: "
        "Properties.BucketName; Terraform: versioning.enabled; ARM: "
        "properties.minimumTlsVersion); numbers index lists.",
    )
    condition: ConditionName = Field(
        description="What must hold: the property exists, is absent, equals value, matches "
        "the regular expression value (whole value), or is in the list value."
    )
    value: Any = Field(
        None,
        description="The value for equals, the regular expression for matches, the "
        "list for in; unset for exists and absent.",
    )
    message: str = Field(min_length=1, description="The finding's message when it does not hold.")
    severity: SeverityName = Field("warning", description="The finding's severity.")
    remediation: str | None = Field(None, description="What to change; default: the message.")

    @model_validator(mode="after")
    def _check_value(self) -> CustomRule:
        where = f"custom rule {self.id!r}"
        if self.condition in ("exists", "absent") and self.value is not None:
            raise ValueError(f"{where}: condition {self.condition!r} takes no value")
        if self.condition == "equals" and self.value is None:
            raise ValueError(f"{where}: condition 'equals' needs a value")
        if self.condition == "matches":
            if not isinstance(self.value, str):
                raise ValueError(f"{where}: condition 'matches' needs a regular expression value")
            _check_regex(self.value, f"{where}: value")
        if self.condition == "in" and not isinstance(self.value, list):
            raise ValueError(f"{where}: condition 'in' needs a list value")
        return self


def _known_ids(info: ValidationInfo) -> list[str]:
    custom = info.data.get("custom_rules") or []
    return [*builtin_rule_ids(), *(rule.id for rule in custom)]


def _check_ids(ids: list[str], field: str, info: ValidationInfo) -> None:
    known = _known_ids(info)
    for rule_id in ids:
        if rule_id not in known:
            raise ValueError(
                f"unknown rule id {rule_id!r} in {field}; known rule ids: {', '.join(known)}"
            )


class PolicyConfig(BaseModel):
    """The ``[plugins.policy]`` configuration; every field is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Declared first: the rule-id checks of the fields below see the custom rules' ids.
    custom_rules: list[CustomRule] = Field(
        default_factory=list, description="The organisation's own rules."
    )
    disabled_rules: list[str] = Field(default_factory=list, description="Ids of rules not to run.")
    enabled_rules: list[str] = Field(
        default_factory=list,
        description="Ids of opt-in rules to run (aws-s3-access-logging is opt-in).",
    )
    severity: dict[str, SeverityName] = Field(
        default_factory=dict, description="Severity per rule id: error, warning or info."
    )
    required_tags: list[str] = Field(
        default_factory=list,
        description="Tags every taggable resource carries (the required-tags rule; empty: off).",
    )
    name_pattern: str | None = Field(
        None,
        description="Regular expression bucket and storage account names match as a whole "
        "(the naming-pattern rule; unset: off).",
    )
    allowed_regions: list[str] = Field(
        default_factory=list,
        description="Regions resources may be deployed to (the allowed-regions rule; empty: off).",
    )

    @field_validator("custom_rules")
    @classmethod
    def _check_custom_ids(cls, rules: list[CustomRule]) -> list[CustomRule]:
        builtin = set(builtin_rule_ids())
        seen: set[str] = set()
        for rule in rules:
            if rule.id in builtin:
                raise ValueError(f"custom rule id {rule.id!r} is the id of a built-in rule")
            if rule.id in seen:
                raise ValueError(f"custom rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return rules

    @field_validator("disabled_rules", "enabled_rules")
    @classmethod
    def _check_rule_lists(cls, ids: list[str], info: ValidationInfo) -> list[str]:
        _check_ids(ids, str(info.field_name), info)
        if info.field_name == "enabled_rules":
            both = sorted(set(ids) & set(info.data.get("disabled_rules") or ()))
            if both:
                raise ValueError(
                    f"rule(s) {', '.join(both)} in both disabled_rules and enabled_rules"
                )
        return ids

    @field_validator("severity")
    @classmethod
    def _check_severity_ids(
        cls, severities: dict[str, SeverityName], info: ValidationInfo
    ) -> dict[str, SeverityName]:
        _check_ids(list(severities), "severity", info)
        return severities

    @field_validator("name_pattern")
    @classmethod
    def _check_name_pattern(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value, "name_pattern")

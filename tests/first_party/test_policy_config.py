"""The policy plugin's configuration: turning rules off and on, severities, organisation rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cloudcraver_hookspecs import DocumentSource, Severity
from pydantic import ValidationError

import cloudcraver_plugins.policy.plugin as policy_plugin
from cloudcraver_host import PluginFailedError, PluginHost
from cloudcraver_plugins.policy.config import PolicyConfig
from cloudcraver_plugins.policy.rules import builtin_rule_ids

from .helpers import findings_of, parse_file, summary


def configured(path: Path, **config: Any) -> set[tuple[str, str | None]]:
    policy_plugin.activate(PolicyConfig(**config))
    return summary(findings_of(parse_file(path)))


def test_disabled_rule_does_not_run(data: Path) -> None:
    path = data / "cloudformation/insecure.yaml"
    found = configured(path, disabled_rules=["aws-s3-tls-only", "aws-s3-versioning"])
    assert {rule for rule, _ in found} == {"aws-s3-encryption", "aws-s3-public-access-block"}


def test_severity_override(data: Path) -> None:
    policy_plugin.activate(PolicyConfig(severity={"aws-s3-encryption": "info"}))
    findings = findings_of(parse_file(data / "cloudformation/insecure.yaml"))
    severities = {f.rule_id: f.severity for f in findings}
    assert severities["aws-s3-encryption"] is Severity.INFO
    assert severities["aws-s3-tls-only"] is Severity.ERROR  # others keep their default


def test_opt_in_rule_runs_only_when_enabled(data: Path) -> None:
    path = data / "cloudformation/secure.yaml"
    assert configured(path) == set()
    found = configured(path, enabled_rules=["aws-s3-access-logging"])
    assert found == {("aws-s3-access-logging", "DataBucket")}


def test_required_tags(data: Path) -> None:
    found = configured(data / "cloudformation/secure.yaml", required_tags=["owner", "team"])
    assert found == {("required-tags", "DataBucket")}  # owner is there (a Ref), team is not
    policy_plugin.activate(PolicyConfig(required_tags=["owner", "team"]))
    (finding,) = findings_of(parse_file(data / "cloudformation/secure.yaml"))
    assert finding.message == "DataBucket lacks the required tag(s) team"


def test_required_tags_count_provider_default_tags(data: Path) -> None:
    path = data / "terraform/split_resources.tf.json"
    found = configured(path, required_tags=["owner", "cost-center"])
    # owner comes from the provider's default_tags; only scratch lacks cost-center.
    assert ("required-tags", "aws_s3_bucket.scratch") in found
    assert ("required-tags", "aws_s3_bucket.data") not in found
    # split resources are not taggable
    assert not any(r == "required-tags" and "versioning" in str(a) for r, a in found)


def test_required_tags_read_planned_tags_all_and_gcp_labels(data: Path) -> None:
    plan = configured(data / "terraform/plan.json", required_tags=["owner", "cost-center"])
    assert ("required-tags", "aws_s3_bucket.logs") not in plan
    assert ("required-tags", "aws_s3_bucket.open[0]") in plan
    gcp = configured(data / "gcp/storage.tf.json", required_tags=["Owner", "cost-center"])
    assert ("required-tags", "google_storage_bucket.secure") not in gcp  # labels ignore case
    assert ("required-tags", "google_storage_bucket.open") in gcp


def test_naming_pattern(data: Path) -> None:
    found = configured(data / "cloudformation/secure.yaml", name_pattern=r"acme-[a-z]+-prod")
    assert found == set()  # !Sub acme-data-${Environment} with Environment's default "prod"
    found = configured(data / "cloudformation/secure.yaml", name_pattern=r"corp-.*")
    assert found == {("naming-pattern", "DataBucket")}


def test_allowed_regions(data: Path) -> None:
    regions = ["eu-west-1", "westeurope", "EU"]
    azure = configured(data / "azure/storage.tf.json", allowed_regions=regions)
    assert ("allowed-regions", "azurerm_storage_account.legacy") in azure  # "East US"
    assert ("allowed-regions", "azurerm_storage_account.secure") not in azure
    plan = configured(data / "terraform/plan.json", allowed_regions=["eu-west-1"])
    assert ("allowed-regions", "aws_s3_bucket.open[0]") in plan  # us-east-1
    assert ("allowed-regions", "aws_s3_bucket.logs") not in plan
    tf = configured(data / "terraform/split_resources.tf.json", allowed_regions=["us-east-1"])
    assert ("allowed-regions", "aws_s3_bucket.data") in tf  # from the provider's region


CUSTOM = {
    "id": "s3-retain",
    "resource_type": "AWS::S3::Bucket",
    "property": "DeletionPolicy",
    "condition": "equals",
    "value": "Retain",
    "message": "S3 buckets are retained when their stack is deleted",
    "severity": "error",
}


@pytest.mark.parametrize(
    ("rule", "failing"),
    [
        (CUSTOM, {"PlainBucket", "PartlyBlocked"}),
        ({**CUSTOM, "property": "Properties.BucketName", "condition": "exists", "value": None},
         {"PlainBucket", "PartlyBlocked"}),
        ({**CUSTOM, "property": "Properties.Tags", "condition": "absent", "value": None}, set()),
        ({**CUSTOM, "property": "Properties.VersioningConfiguration.Status",
          "condition": "in", "value": ["Enabled"]}, {"PlainBucket"}),
        ({**CUSTOM, "property": "Properties.BucketEncryption.ServerSideEncryptionConfiguration"
          ".0.ServerSideEncryptionByDefault.SSEAlgorithm", "condition": "matches",
          "value": "aws:kms.*"}, {"PlainBucket", "PartlyBlocked"}),
        ({**CUSTOM, "property": "Properties.PublicAccessBlockConfiguration.BlockPublicAcls",
          "condition": "equals", "value": True}, {"PlainBucket"}),
    ],
)  # fmt: skip
def test_custom_rules(data: Path, rule: dict[str, Any], failing: set[str]) -> None:
    policy_plugin.activate(PolicyConfig(custom_rules=[rule]))
    findings = findings_of(parse_file(data / "cloudformation/insecure.yaml"))
    custom = [f for f in findings if f.rule_id == "s3-retain"]
    assert {f.resource for f in custom} == failing
    for finding in custom:
        assert finding.message == CUSTOM["message"]
        assert finding.severity is Severity.ERROR


def test_custom_rule_types_take_wildcards(data: Path) -> None:
    rule = {**CUSTOM, "resource_type": "AWS::S3::*"}
    found = configured(data / "cloudformation/insecure.yaml", custom_rules=[rule])
    assert {resource for rule_id, resource in found if rule_id == "s3-retain"} == {
        "PlainBucket", "PartlyBlocked", "PartlyBlockedPolicy",
    }  # fmt: skip


def test_custom_rule_on_terraform_blocks(data: Path) -> None:
    rule = {
        "id": "gcs-versioned",
        "resource_type": "google_storage_bucket",
        "property": "versioning.enabled",
        "condition": "equals",
        "value": True,
        "message": "versioned",
    }
    found = configured(data / "gcp/storage.tf.json", custom_rules=[rule])
    assert ("gcs-versioned", "google_storage_bucket.open") in found
    assert ("gcs-versioned", "google_storage_bucket.secure") not in found


def test_custom_rules_can_be_disabled_and_reweighted(data: Path) -> None:
    path = data / "cloudformation/insecure.yaml"
    found = configured(path, custom_rules=[CUSTOM], disabled_rules=["s3-retain"])
    assert not any(rule == "s3-retain" for rule, _ in found)
    policy_plugin.activate(PolicyConfig(custom_rules=[CUSTOM], severity={"s3-retain": "info"}))
    severities = {f.severity for f in findings_of(parse_file(path)) if f.rule_id == "s3-retain"}
    assert severities == {Severity.INFO}


@pytest.mark.parametrize("field", ["disabled_rules", "enabled_rules"])
def test_unknown_rule_ids_name_the_id_and_list_known_ones(field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PolicyConfig(**{field: ["aws-s3-encrypton"]})
    message = str(caught.value)
    assert f"unknown rule id 'aws-s3-encrypton' in {field}" in message
    assert all(rule_id in message for rule_id in builtin_rule_ids())


def test_unknown_severity_rule_and_value_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown rule id 'nope' in severity"):
        PolicyConfig(severity={"nope": "error"})
    with pytest.raises(ValidationError, match=r"severity\.aws-s3-encryption"):
        PolicyConfig(severity={"aws-s3-encryption": "fatal"})


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"custom_rules": [{**CUSTOM, "id": "aws-s3-encryption"}]}, "id of a built-in rule"),
        ({"custom_rules": [CUSTOM, CUSTOM]}, "used twice"),
        ({"custom_rules": [{**CUSTOM, "id": "Not Kebab"}]}, "pattern"),
        ({"custom_rules": [{**CUSTOM, "condition": "exists"}]}, "takes no value"),
        ({"custom_rules": [{**CUSTOM, "condition": "in", "value": "x"}]}, "needs a list"),
        ({"custom_rules": [{**CUSTOM, "condition": "matches", "value": "("}]}, "not a regular"),
        ({"custom_rules": [{**CUSTOM, "condition": "between"}]}, "condition"),
        ({"name_pattern": "[a-"}, r"name_pattern '\[a-' is not a regular expression"),
        ({"disabled_rules": ["naming-pattern"], "enabled_rules": ["naming-pattern"]}, "both"),
        ({"disabledrules": []}, "Extra inputs"),
    ],
)
def test_invalid_configuration_is_refused(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PolicyConfig(**config)


def test_every_configuration_field_has_a_default() -> None:
    assert PolicyConfig().model_dump() == {
        "custom_rules": [],
        "disabled_rules": [],
        "enabled_rules": [],
        "severity": {},
        "required_tags": [],
        "name_pattern": None,
        "allowed_regions": [],
    }


# ---------------------------------------------------------------------- through the host


def test_host_applies_the_configuration(make_host: Callable[..., PluginHost], data: Path) -> None:
    host = make_host(
        "[plugins.policy]\n"
        'disabled_rules = ["aws-s3-tls-only"]\n'
        'severity = { aws-s3-versioning = "error" }\n'
    )
    path = data / "cloudformation/insecure.yaml"
    document = host.hook.parse_document(source=DocumentSource(str(path), path.read_text()))
    assert document is not None and document.format == "cloudformation"
    results = dict(host.call_each("validate_document", document=document))
    findings = results["policy"]
    assert "aws-s3-tls-only" not in {f.rule_id for f in findings}
    assert {f.severity for f in findings if f.rule_id == "aws-s3-versioning"} == {Severity.ERROR}


def test_host_reports_an_unknown_rule_id(make_host: Callable[..., PluginHost]) -> None:
    host = make_host('[plugins.policy]\ndisabled_rules = ["aws-s3-encrypton"]\n')
    document = parse_file(Path(__file__).parent / "data/cloudformation/secure.yaml")
    with pytest.raises(PluginFailedError, match="unknown rule id 'aws-s3-encrypton'") as caught:
        host.call_plugin("policy", "validate_document", document=document)
    assert caught.value.exit_code == 2

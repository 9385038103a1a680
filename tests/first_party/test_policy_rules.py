"""The built-in policy rules on CloudFormation, Terraform, plans, ARM and GCP documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cloudcraver_hookspecs import InfrastructureDocument, Severity

import cloudcraver_plugins.policy.plugin as policy_plugin
from cloudcraver_plugins.policy.rules import BUILTIN_RULES

from .helpers import findings_of, parse_file, parse_text, summary


def terraform(data: dict[str, Any]) -> InfrastructureDocument:
    document = parse_text("main.tf.json", json.dumps(data, indent=2))
    assert document is not None
    return document


def test_rule_registry_is_well_formed() -> None:
    ids = [rule.id for rule in BUILTIN_RULES]
    assert len(ids) == len(set(ids))
    assert set(ids) >= {
        "aws-s3-encryption", "aws-s3-versioning", "aws-s3-public-access-block",
        "aws-s3-tls-only", "aws-s3-access-logging", "azure-storage-https-only",
        "azure-storage-public-access", "azure-storage-min-tls", "gcp-storage-uniform-access",
        "gcp-storage-versioning", "gcp-storage-public-access", "required-tags",
        "naming-pattern", "allowed-regions",
    }  # fmt: skip
    for rule in BUILTIN_RULES:
        assert rule.description and rule.remediation, rule.id
        assert all(check.startswith("CKV") for check in rule.checkov), rule.id
    by_id = {rule.id: rule for rule in BUILTIN_RULES}
    assert by_id["aws-s3-encryption"].checkov == ("CKV_AWS_19",)
    assert by_id["aws-s3-public-access-block"].checkov == (
        "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6",
    )  # fmt: skip


def test_secure_cloudformation_has_no_findings(data: Path) -> None:
    assert findings_of(parse_file(data / "cloudformation/secure.yaml")) == []


def test_insecure_cloudformation_gives_expected_findings_and_lines(data: Path) -> None:
    findings = findings_of(parse_file(data / "cloudformation/insecure.yaml"))
    found = {(f.rule_id, f.resource, f.location.line if f.location else None) for f in findings}
    assert found == {
        ("aws-s3-tls-only", "PlainBucket", 4),
        ("aws-s3-encryption", "PlainBucket", 9),  # an algorithm S3 does not know
        ("aws-s3-public-access-block", "PlainBucket", 6),
        ("aws-s3-versioning", "PlainBucket", 8),
        ("aws-s3-tls-only", "PartlyBlocked", 13),  # its policy allows, does not deny
        ("aws-s3-public-access-block", "PartlyBlocked", 22),
    }
    partly = next(f for f in findings if f.rule_id == "aws-s3-public-access-block" and f.location
                  and f.location.line == 22)  # fmt: skip
    assert "BlockPublicPolicy, RestrictPublicBuckets" in partly.message
    assert partly.severity is Severity.ERROR
    assert partly.remediation
    assert partly.location is not None
    assert partly.location.file.endswith("insecure.yaml")
    assert (
        partly.location.path == "/Resources/PartlyBlocked/Properties/PublicAccessBlockConfiguration"
    )
    assert [f.location.line for f in findings if f.location] == sorted(
        f.location.line for f in findings if f.location and f.location.line
    )


def test_policy_linked_by_literal_bucket_name(data: Path) -> None:
    findings = findings_of(parse_file(data / "cloudformation/insecure.json"))
    assert summary(findings) == {
        ("aws-s3-versioning", "LegacyBucket"),
        ("aws-s3-public-access-block", "LegacyBucket"),
    }  # no aws-s3-tls-only: the policy names the bucket "legacy-bucket"; no
    # aws-s3-encryption: without BucketEncryption, S3 encrypts with SSE-S3


def test_ref_resolves_to_parameter_defaults(data: Path) -> None:
    text = (data / "cloudformation/secure.yaml").read_text()
    suspended = text.replace("Default: Enabled", "Default: Suspended")
    document = parse_text("t.yaml", suspended)
    assert document is not None
    assert summary(findings_of(document)) == {("aws-s3-versioning", "DataBucket")}


def test_every_branch_of_fn_if_is_checked(data: Path) -> None:
    text = (data / "cloudformation/secure.yaml").read_text()
    weak = text.replace("!If [IsProd, aws:kms, AES256]", "!If [IsProd, aws:kms, NONE]")
    document = parse_text("t.yaml", weak)
    assert document is not None
    assert summary(findings_of(document)) == {("aws-s3-encryption", "DataBucket")}


def test_no_value_counts_as_not_set() -> None:
    text = """
Resources:
  B:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: !Ref AWS::NoValue
"""
    document = parse_text("t.yaml", text)
    assert document is not None
    messages = [
        f.message for f in findings_of(document) if f.rule_id == "aws-s3-public-access-block"
    ]
    assert messages == [
        "S3 bucket B does not turn on RestrictPublicBuckets in PublicAccessBlockConfiguration"
    ]


def test_values_decided_at_deploy_time_get_the_benefit_of_the_doubt() -> None:
    text = """
Parameters:
  Status: {Type: String}
Resources:
  B:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration:
        Status: !Ref Status
"""
    document = parse_text("t.yaml", text)
    assert document is not None
    assert "aws-s3-versioning" not in {f.rule_id for f in findings_of(document)}


# ---------------------------------------------------------------------- Terraform


def test_split_resources_are_linked_to_their_bucket(data: Path) -> None:
    findings = findings_of(parse_file(data / "terraform/split_resources.tf.json"))
    assert summary(findings) == {
        ("aws-s3-versioning", "aws_s3_bucket.scratch"),
        ("aws-s3-public-access-block", "aws_s3_bucket.scratch"),
        ("aws-s3-tls-only", "aws_s3_bucket.scratch"),
    }  # aws_s3_bucket.data passes: every setting comes from a linked resource (scratch sets
    # no encryption: S3's default SSE-S3 applies)
    blocks = [f for f in findings if f.rule_id == "aws-s3-public-access-block"]
    assert "block_public_policy = true, ignore_public_acls = true" in blocks[0].message
    assert blocks[0].location is not None and blocks[0].location.line == 37


def test_encryption_of_another_bucket_does_not_count(data: Path) -> None:
    config = json.loads((data / "terraform/split_resources.tf.json").read_text())
    sse = config["resource"]["aws_s3_bucket_server_side_encryption_configuration"]["data"]
    sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] = "AES-256"
    assert ("aws-s3-encryption", "aws_s3_bucket.data") in summary(findings_of(terraform(config)))
    sse["bucket"] = "${aws_s3_bucket.scratch.id}"
    found = summary(findings_of(terraform(config)))
    assert ("aws-s3-encryption", "aws_s3_bucket.data") not in found
    assert ("aws-s3-encryption", "aws_s3_bucket.scratch") in found


def test_split_resource_linked_through_variable_default(data: Path) -> None:
    config = json.loads((data / "terraform/split_resources.tf.json").read_text())
    config["variable"]["data_bucket_name"]["default"] = "acme-other"
    # aws_s3_bucket_versioning.data names "acme-data" literally: no longer this bucket's
    found = summary(findings_of(terraform(config)))
    assert ("aws-s3-versioning", "aws_s3_bucket.data") in found


def test_inline_blocks_of_provider_v3_pass(data: Path) -> None:
    policy_plugin.activate({"enabled_rules": ["aws-s3-access-logging"]})
    assert findings_of(parse_file(data / "terraform_v3/inline_v3.tf.json")) == []


def test_literal_json_policy_without_tls_deny_fails(data: Path) -> None:
    config = json.loads((data / "terraform_v3/inline_v3.tf.json").read_text())
    config["resource"]["aws_s3_bucket"]["legacy"]["policy"] = json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}
    )
    assert summary(findings_of(terraform(config))) == {("aws-s3-tls-only", "aws_s3_bucket.legacy")}


def test_plan_links_split_resources_through_configuration_references(data: Path) -> None:
    findings = findings_of(parse_file(data / "terraform/plan.json"))
    assert {resource for _, resource in summary(findings)} == {"aws_s3_bucket.open[0]"}
    assert {rule for rule, _ in summary(findings)} == {
        "aws-s3-versioning", "aws-s3-public-access-block", "aws-s3-tls-only",
    }  # fmt: skip


# ---------------------------------------------------------------------- Azure and GCP


def test_arm_storage_accounts(data: Path) -> None:
    findings = findings_of(parse_file(data / "azure/storage.json"))
    assert summary(findings) == {
        ("azure-storage-https-only", "acmelegacy"),  # API 2018-07-01 defaults to HTTP allowed
        ("azure-storage-public-access", "acmelegacy"),
        ("azure-storage-min-tls", "acmelegacy"),
        ("azure-storage-public-access", "default/public"),  # the nested public container
    }  # "acmesecure" passes through its parameter default and variable


def test_arm_resource_types_compare_without_case(data: Path) -> None:
    text = (
        (data / "azure/storage.json")
        .read_text()
        .replace("Microsoft.Storage/storageAccounts", "microsoft.storage/STORAGEACCOUNTS")
    )
    document = parse_text("storage.json", text)
    assert document is not None
    assert ("azure-storage-min-tls", "acmelegacy") in summary(findings_of(document))


def test_azurerm_storage_accounts(data: Path) -> None:
    findings = findings_of(parse_file(data / "azure/storage.tf.json"))
    assert summary(findings) == {
        ("azure-storage-https-only", "azurerm_storage_account.legacy"),
        ("azure-storage-public-access", "azurerm_storage_account.legacy"),
        ("azure-storage-min-tls", "azurerm_storage_account.legacy"),
        ("azure-storage-public-access", "azurerm_storage_container.public"),
    }


def test_gcp_storage_buckets(data: Path) -> None:
    findings = findings_of(parse_file(data / "gcp/storage.tf.json"))
    assert summary(findings) == {
        ("gcp-storage-uniform-access", "google_storage_bucket.open"),
        ("gcp-storage-versioning", "google_storage_bucket.open"),
        ("gcp-storage-public-access", "google_storage_bucket.open"),
        ("gcp-storage-public-access", "google_storage_bucket_iam_member.public_read"),
    }
    grant = next(
        f for f in findings if f.resource == "google_storage_bucket_iam_member.public_read"
    )
    assert "allUsers" in grant.message
    assert grant.location is not None and grant.location.line == 21


@pytest.mark.parametrize("document_format", ["kubernetes", "hcl", "bicep"])
def test_other_formats_are_not_checked(document_format: str) -> None:
    document = InfrastructureDocument("x", document_format, {"Resources": {}})
    assert policy_plugin.validate_document(document) is None


#: Documents of a known format whose parts have shapes the format does not allow.
_ODD_SHAPES: dict[str, dict[str, Any]] = {
    "resources-a-list": {"Resources": []},
    "resource-a-string": {"Resources": {"B": "not a resource"}, "Parameters": []},
    "properties-a-string": {"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": "x"}}},
    "bucket-name-a-number": {
        "resource": [{"aws_s3_bucket": [{"b": [{"bucket": 3}]}]}],
        "provider": "x",
    },
    "plan-resources-odd": {"planned_values": {"root_module": {"resources": [{"address": 1}, "x"]}}},
}
_FORMATS = ("cloudformation", "terraform", "terraform-plan", "arm")

_S3_BUCKET_WITHOUT_SETTINGS = {"aws-s3-public-access-block", "aws-s3-tls-only", "aws-s3-versioning"}
_NO_RESOURCES = {("cloudformation-has-resources", None)}

#: The odd shapes that still say something in a format, and what (rule id, resource).
_FINDINGS_OF_ODD_SHAPES: dict[tuple[str, str], set[tuple[str, str | None]]] = {
    # A template whose Resources is not a mapping, or that has none: no resources at all.
    ("resources-a-list", "cloudformation"): _NO_RESOURCES,
    ("bucket-name-a-number", "cloudformation"): _NO_RESOURCES,
    ("plan-resources-odd", "cloudformation"): _NO_RESOURCES,
    # A bucket is still a bucket when its settings are unreadable: the rules that need a
    # setting report it missing.
    ("properties-a-string", "cloudformation"): {(r, "B") for r in _S3_BUCKET_WITHOUT_SETTINGS},
    ("bucket-name-a-number", "terraform"): {
        (r, "aws_s3_bucket.b") for r in _S3_BUCKET_WITHOUT_SETTINGS
    },
}


@pytest.mark.parametrize(
    ("shape", "document_format"),
    [
        (shape, document_format)
        for shape in _ODD_SHAPES
        for document_format in _FORMATS
        if (shape, document_format) not in _FINDINGS_OF_ODD_SHAPES
    ],
)
def test_unexpected_shapes_give_no_findings_rather_than_errors(
    shape: str, document_format: str
) -> None:
    document = InfrastructureDocument("x", document_format, _ODD_SHAPES[shape])
    assert policy_plugin.validate_document(document) == []


@pytest.mark.parametrize(("shape", "document_format"), sorted(_FINDINGS_OF_ODD_SHAPES))
def test_unexpected_shapes_are_read_as_far_as_they_go(shape: str, document_format: str) -> None:
    document = InfrastructureDocument("x", document_format, _ODD_SHAPES[shape])
    findings = policy_plugin.validate_document(document)
    assert findings is not None
    assert summary(findings) == _FINDINGS_OF_ODD_SHAPES[shape, document_format]
    assert len(findings) == len(_FINDINGS_OF_ODD_SHAPES[shape, document_format])

"""``aws-s3-encryption`` follows S3's default: no setting is SSE-S3, a wrong setting is reported.

Since January 2023 S3 encrypts every new object with SSE-S3 when a bucket sets no default
encryption (checkov's CKV_AWS_19 passes such buckets too). What is left to report is a
setting that names no algorithm S3 knows: in every format, a bucket without the setting
passes and one with a bad or empty setting fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cloudcraver_hookspecs import Finding

from .helpers import findings_of, parse_file, parse_text

RULE = "aws-s3-encryption"


def encryption_findings(path: str, text: str) -> list[Finding]:
    document = parse_text(path, text)
    assert document is not None
    return [f for f in findings_of(document) if f.rule_id == RULE]


# ---------------------------------------------------------------------- CloudFormation


def cfn(bucket_encryption: str | None, head: str = "") -> str:
    """A template of one bucket, with ``BucketEncryption:`` followed by the given YAML."""
    properties = "      BucketName: acme-data\n"
    if bucket_encryption is not None:
        properties += "      BucketEncryption:" + bucket_encryption
    return f"{head}Resources:\n  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n{properties}"


def algorithm(value: str) -> str:
    return (
        "\n        ServerSideEncryptionConfiguration:\n"
        "          - ServerSideEncryptionByDefault:\n"
        f"              SSEAlgorithm: {value}\n"
    )


def test_cloudformation_bucket_without_bucket_encryption_passes() -> None:
    assert encryption_findings("t.yaml", cfn(None)) == []
    bare = "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n"  # no Properties at all
    assert encryption_findings("t.yaml", bare) == []


@pytest.mark.parametrize("value", ["AES256", "aws:kms", "aws:kms:dsse"])
def test_cloudformation_valid_algorithms_pass(value: str) -> None:
    assert encryption_findings("t.yaml", cfn(algorithm(value))) == []


@pytest.mark.parametrize(
    "setting",
    [
        pytest.param(algorithm("AES-256"), id="typo"),
        pytest.param(algorithm("aes256"), id="wrong-case"),
        pytest.param(algorithm('""'), id="empty-algorithm"),
        pytest.param(algorithm("null"), id="null-algorithm"),
        pytest.param(" {}\n", id="empty-bucket-encryption"),
        pytest.param("\n        ServerSideEncryptionConfiguration: []\n", id="no-rule"),
        pytest.param(
            "\n        ServerSideEncryptionConfiguration:\n          - BucketKeyEnabled: true\n",
            id="rule-without-default",
        ),
        pytest.param(
            algorithm("AES256") + "          - ServerSideEncryptionByDefault:\n"
            "              SSEAlgorithm: none\n",
            id="second-rule-bad",
        ),
    ],
)
def test_cloudformation_setting_without_a_valid_algorithm_fails(setting: str) -> None:
    (finding,) = encryption_findings("t.yaml", cfn(setting))
    assert finding.resource == "Data"
    assert "without a valid SSEAlgorithm (AES256, aws:kms or aws:kms:dsse)" in finding.message
    assert finding.location is not None
    assert finding.location.path == "/Resources/Data/Properties/BucketEncryption"
    assert finding.location.line == 6  # the BucketEncryption key


def test_cloudformation_no_value_is_no_setting() -> None:
    assert encryption_findings("t.yaml", cfn(" !Ref AWS::NoValue\n")) == []
    as_json = json.dumps(
        {
            "Resources": {
                "Data": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {"BucketEncryption": {"Ref": "AWS::NoValue"}},
                }
            }
        }
    )
    assert encryption_findings("t.json", as_json) == []


def test_cloudformation_fn_if_between_a_setting_and_no_value() -> None:
    head = "Conditions:\n  Encrypt: !Equals [a, a]\n"

    def branch(value: str) -> str:
        return (
            "\n        Fn::If:\n          - Encrypt\n"
            "          - ServerSideEncryptionConfiguration:\n"
            "              - ServerSideEncryptionByDefault:\n"
            f"                  SSEAlgorithm: {value}\n"
            "          - !Ref AWS::NoValue\n"
        )

    assert encryption_findings("t.yaml", cfn(branch("aws:kms"), head)) == []
    (finding,) = encryption_findings("t.yaml", cfn(branch("kms"), head))
    assert finding.resource == "Data"


def test_cloudformation_algorithm_from_parameters() -> None:
    head = "Parameters:\n  Algorithm: {Type: String, Default: %s}\n"
    setting = algorithm("!Ref Algorithm")
    assert encryption_findings("t.yaml", cfn(setting, head % "AES256")) == []
    assert len(encryption_findings("t.yaml", cfn(setting, head % "plaintext"))) == 1
    unset = "Parameters:\n  Algorithm: {Type: String}\n"  # chosen at deploy time
    assert encryption_findings("t.yaml", cfn(setting, unset)) == []


# ---------------------------------------------------------------------- Terraform


BUCKET = 'resource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n%s}\n'
INLINE = """  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "%s"
      }
    }
  }
"""
SPLIT = """
resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.%s.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "%s"
    }
  }
}
"""


def test_terraform_bucket_without_setting_passes() -> None:
    assert encryption_findings("main.tf", BUCKET % "") == []


def test_terraform_inline_block_needs_a_valid_algorithm() -> None:
    assert encryption_findings("main.tf", BUCKET % (INLINE % "AES256")) == []
    (finding,) = encryption_findings("main.tf", BUCKET % (INLINE % "AES-256"))
    assert finding.resource == "aws_s3_bucket.data"
    assert "server_side_encryption_configuration" in finding.message
    assert finding.location is not None and finding.location.line == 3  # the inline block
    text = BUCKET % "  server_side_encryption_configuration {\n    rule {}\n  }\n"
    assert len(encryption_findings("main.tf", text)) == 1  # a rule without an algorithm


def test_terraform_split_resource_needs_a_valid_algorithm() -> None:
    assert encryption_findings("main.tf", BUCKET % "" + SPLIT % ("data", "aws:kms")) == []
    (finding,) = encryption_findings("main.tf", BUCKET % "" + SPLIT % ("data", "kms"))
    assert finding.resource == "aws_s3_bucket.data"
    assert "aws_s3_bucket_server_side_encryption_configuration" in finding.message
    assert finding.location is not None and finding.location.line == 5  # the split resource


def test_terraform_split_resource_of_another_bucket_is_not_this_buckets_setting() -> None:
    text = BUCKET % "" + 'resource "aws_s3_bucket" "other" {}\n' + SPLIT % ("other", "kms")
    assert {f.resource for f in encryption_findings("main.tf", text)} == {"aws_s3_bucket.other"}


def test_terraform_valid_split_resource_passes_despite_a_bad_inline_block() -> None:
    # As for checkov: the inline block or a linked resource naming a valid algorithm.
    text = BUCKET % (INLINE % "AES-256") + SPLIT % ("data", "AES256")
    assert encryption_findings("main.tf", text) == []


def tf_json(bucket: dict[str, Any], **others: Any) -> str:
    return json.dumps({"resource": {"aws_s3_bucket": {"data": bucket}, **others}})


def test_terraform_json_follows_the_same_rule() -> None:
    assert encryption_findings("main.tf.json", tf_json({"bucket": "acme-data"})) == []
    assert encryption_findings("main.tf.json", tf_json({"bucket": "x", "tags": {}})) == []
    none = {"bucket": "x", "server_side_encryption_configuration": []}
    assert encryption_findings("main.tf.json", tf_json(none)) == []

    def inline(value: str) -> dict[str, Any]:
        rule = {"apply_server_side_encryption_by_default": {"sse_algorithm": value}}
        return {"bucket": "acme-data", "server_side_encryption_configuration": {"rule": rule}}

    assert encryption_findings("main.tf.json", tf_json(inline("aws:kms"))) == []
    assert len(encryption_findings("main.tf.json", tf_json(inline("AES-256")))) == 1

    def split(value: str) -> dict[str, Any]:
        rule = [{"apply_server_side_encryption_by_default": [{"sse_algorithm": value}]}]
        return {"data": {"bucket": "${aws_s3_bucket.data.id}", "rule": rule}}

    kind = "aws_s3_bucket_server_side_encryption_configuration"
    good = tf_json({"bucket": "acme-data"}, **{kind: split("AES256")})
    bad = tf_json({"bucket": "acme-data"}, **{kind: split("")})
    assert encryption_findings("main.tf.json", good) == []
    (finding,) = encryption_findings("main.tf.json", bad)
    assert finding.resource == "aws_s3_bucket.data"


# ---------------------------------------------------------------------- plans


def test_plan_bucket_without_setting_passes(data: Path) -> None:
    findings = findings_of(parse_file(data / "terraform/plan.json"))
    # aws_s3_bucket.open[0] sets nothing: only the other rules report it.
    assert RULE not in {f.rule_id for f in findings}


def plan_with_algorithm(data: Path, value: str) -> str:
    plan = json.loads((data / "terraform/plan.json").read_text(encoding="utf-8"))
    for resource in plan["planned_values"]["root_module"]["resources"]:
        if resource["type"] == "aws_s3_bucket_server_side_encryption_configuration":
            default = resource["values"]["rule"][0]["apply_server_side_encryption_by_default"]
            default[0]["sse_algorithm"] = value
    return json.dumps(plan)


def test_plan_split_resource_with_a_bad_algorithm_fails(data: Path) -> None:
    assert encryption_findings("plan.json", plan_with_algorithm(data, "aws:kms")) == []
    (finding,) = encryption_findings("plan.json", plan_with_algorithm(data, "AES-256"))
    assert finding.resource == "aws_s3_bucket.logs"


def test_plan_inline_block_with_a_bad_algorithm_fails(data: Path) -> None:
    plan = json.loads((data / "terraform/plan.json").read_text(encoding="utf-8"))
    (open_bucket,) = [
        r for r in plan["planned_values"]["root_module"]["resources"] if r["name"] == "open"
    ]
    rule = {"apply_server_side_encryption_by_default": [{"sse_algorithm": "none"}]}
    open_bucket["values"]["server_side_encryption_configuration"] = [{"rule": [rule]}]
    (finding,) = encryption_findings("plan.json", json.dumps(plan))
    assert finding.resource == "aws_s3_bucket.open[0]"
    open_bucket["values"]["server_side_encryption_configuration"] = []  # as plans write none
    assert encryption_findings("plan.json", json.dumps(plan)) == []

"""CloudFormation values: parameters, conditions, mappings, Sub/Join/Select; linear time."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from cloudcraver_hookspecs import InfrastructureDocument

import cloudcraver_plugins.policy.plugin as policy_plugin
from cloudcraver_plugins.policy.formats import CloudFormationInventory
from cloudcraver_plugins.policy.model import MISSING, UNKNOWN

from .helpers import findings_of, parse_text, summary


def cfn(text: str) -> InfrastructureDocument:
    document = parse_text("stack.yaml", text)
    assert document is not None
    return document


def values(template: dict[str, Any], value: Any) -> list[Any]:
    document = InfrastructureDocument("t.json", "cloudformation", template)
    return CloudFormationInventory.from_document(document).resolve(value)


TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "prod"},
        "Free": {"Type": "String"},
        "Choice": {"Type": "String", "AllowedValues": ["a", "b"]},
        "Subnets": {"Type": "CommaDelimitedList", "Default": "s-1, s-2"},
    },
    "Mappings": {
        "Status": {"prod": {"Versioning": "Enabled"}, "dev": {"Versioning": "Suspended"}},
    },
    "Resources": {},
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Env"}, ["prod"]),
        ({"Ref": "Free"}, [UNKNOWN]),  # no default: set at deploy time
        ({"Ref": "Choice"}, ["a", "b"]),  # each allowed value
        ({"Ref": "AWS::Region"}, [UNKNOWN]),
        ({"Ref": "AWS::NoValue"}, [MISSING]),
        ({"Ref": "Subnets"}, [["s-1", "s-2"]]),
        ({"Fn::If": ["IsProd", "x", {"Ref": "Env"}]}, ["x", "prod"]),
        ({"Fn::Sub": "acme-${Env}-data"}, ["acme-prod-data"]),
        ({"Fn::Sub": "acme-${AWS::Region}"}, [UNKNOWN]),
        ({"Fn::Sub": "${!Literal}-${Env}"}, ["${Literal}-prod"]),
        ({"Fn::Sub": ["acme-${Env}-${Kind}", {"Kind": "logs"}]}, ["acme-prod-logs"]),
        ({"Fn::Sub": ["${Kind}", {"Kind": {"Fn::GetAtt": ["B", "Arn"]}}]}, [UNKNOWN]),
        ({"Fn::Join": ["-", ["acme", {"Ref": "Env"}, "data"]]}, ["acme-prod-data"]),
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}]]}, [UNKNOWN]),
        ({"Fn::Join": [",", {"Ref": "Subnets"}]}, ["s-1,s-2"]),
        ({"Fn::Select": [1, {"Ref": "Subnets"}]}, ["s-2"]),
        ({"Fn::Select": [5, ["a"]]}, [UNKNOWN]),
        # Indexes int() cannot read, or no list is long enough for: unknown, not a crash.
        ({"Fn::Select": ["\u00b2", ["a"]]}, [UNKNOWN]),
        ({"Fn::Select": ["9" * 5000, ["a"]]}, [UNKNOWN]),
        ({"Fn::FindInMap": ["Status", {"Ref": "Env"}, "Versioning"]}, ["Enabled"]),
        # An unknown key may pick any entry: every entry is a possible value.
        ({"Fn::FindInMap": ["Status", {"Ref": "Free"}, "Versioning"]}, ["Enabled", "Suspended"]),
        ({"Fn::FindInMap": ["Missing", "a", "b"]}, [UNKNOWN]),
        ({"Fn::GetAtt": ["Bucket", "Arn"]}, [UNKNOWN]),
        ({"Fn::ImportValue": "shared"}, [UNKNOWN]),
    ],
)
def test_intrinsic_functions_resolve_as_far_as_the_template_says(
    value: Any, expected: list[Any]
) -> None:
    assert values(TEMPLATE, value) == expected


def test_deeply_nested_functions_are_unknown() -> None:
    nested: Any = "x"
    for _ in range(50):
        nested = {"Fn::Select": [0, [nested]]}
    assert values(TEMPLATE, nested) == [UNKNOWN]  # deeper than the resolver follows


def test_mapping_picked_by_a_pseudo_parameter_checks_every_entry() -> None:
    document = cfn(
        """
Mappings:
  ByRegion:
    eu-west-1: {Status: Enabled}
    us-east-1: {Status: Suspended}
Resources:
  Regional:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration:
        Status: !FindInMap [ByRegion, !Ref "AWS::Region", Status]
"""
    )
    assert ("aws-s3-versioning", "Regional") in summary(findings_of(document))


def test_names_from_sub_and_join_meet_the_naming_pattern() -> None:
    document = cfn(
        """
Parameters:
  Team: {Type: String, Default: Payments}
Resources:
  Joined:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Join ["-", [acme, !Ref Team]]
  Subbed:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub ["acme-${Name}", {Name: exports}]
  Computed:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-${AWS::AccountId}"
"""
    )
    policy_plugin.activate({"name_pattern": "^acme-[a-z0-9-]+$"})
    naming = {r for rule, r in summary(findings_of(document)) if rule == "naming-pattern"}
    assert naming == {"Joined"}  # "acme-Payments"; the account id is unknown: no finding


def test_resources_under_a_condition_are_checked_in_every_case() -> None:
    document = cfn(
        """
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  ProdOnly:
    Type: AWS::S3::Bucket
    Condition: IsProd
    Properties:
      VersioningConfiguration: {Status: Suspended}
"""
    )
    assert ("aws-s3-versioning", "ProdOnly") in summary(findings_of(document))


def test_bucket_policy_naming_the_bucket_through_join_counts() -> None:
    document = cfn(
        """
Parameters:
  Team: {Type: String, Default: payments}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-${Team}"
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Join ["", [acme-, !Ref Team]]
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: "*"
            Condition: {Bool: {aws:SecureTransport: false}}
"""
    )
    assert "aws-s3-tls-only" not in {rule for rule, _ in summary(findings_of(document))}


def test_policy_statements_with_unknown_parts_get_the_benefit_of_the_doubt() -> None:
    document = cfn(
        """
Parameters:
  Effect: {Type: String}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement:
          - Effect: !Ref Effect
            Principal: "*"
            Action: "s3:*"
            Resource: "*"
            Condition: {Bool: {aws:SecureTransport: false}}
"""
    )
    assert "aws-s3-tls-only" not in {rule for rule, _ in summary(findings_of(document))}


def template_of(buckets: int) -> str:
    resources: dict[str, Any] = {}
    for index in range(buckets):
        resources[f"B{index}"] = {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": f"b-{index}",
                "Tags": [{"Key": "a", "Value": "b"}],
                "BucketEncryption": {"ServerSideEncryptionConfiguration": []},  # no rule
            },
        }
        resources[f"P{index}"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": f"B{index}"}, "PolicyDocument": {"Statement": []}},
        }
    return json.dumps({"Resources": resources})


def validation_calls(buckets: int) -> int:
    """How many Python function calls validating a template of ``buckets`` buckets makes.

    Counted, not timed: the count is the same on a busy machine as on a quiet one.
    """
    document = parse_text("big.json", template_of(buckets))
    assert document is not None
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        found = findings_of(document)
    finally:
        sys.setprofile(None)
    assert len(found) == 4 * buckets  # encryption, versioning, block, TLS
    return calls


def test_validation_work_grows_linearly_with_the_number_of_buckets() -> None:
    # Rules once looked up bucket policies and split resources bucket by bucket, which
    # made a template of 4,000 buckets take minutes. Compared by the calls made, not time.
    validation_calls(10)  # imports, caches
    small = validation_calls(250)
    large = validation_calls(1000)
    assert large / small < 6, (small, large)  # 4x the buckets; quadratic would be ~16x

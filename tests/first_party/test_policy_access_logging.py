"""``aws-s3-access-logging``: buckets log their access, except the log buckets themselves.

A bucket that receives another bucket's server access logs in the same template or module
is not asked to log its own access (into itself it would log every delivery again, which
AWS advises against; elsewhere only moves the question to another bucket).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import cloudcraver_plugins.policy.plugin as policy_plugin

from .helpers import findings_of, parse_text, render

RULE = "aws-s3-access-logging"


@pytest.fixture(autouse=True)
def _rule_on() -> None:
    policy_plugin.activate({"enabled_rules": [RULE]})


def unlogged(path: str, text: str) -> set[str | None]:
    """The resources the rule reports."""
    document = parse_text(path, text)
    assert document is not None
    return {f.resource for f in findings_of(document) if f.rule_id == RULE}


# ---------------------------------------------------------------------- CloudFormation


def cfn(destination: str, log_bucket_name: str = "", head: str = "") -> str:
    name = f"      BucketName: {log_bucket_name}\n" if log_bucket_name else ""
    return (
        f"{head}Resources:\n"
        "  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        f"      LoggingConfiguration:\n        DestinationBucketName: {destination}\n"
        "  Logs:\n    Type: AWS::S3::Bucket\n"
        + (f"    Properties:\n{name}" if name else "")
        + "  Other:\n    Type: AWS::S3::Bucket\n"
    )


def test_cloudformation_log_bucket_named_by_ref_is_not_reported() -> None:
    assert unlogged("t.yaml", cfn("!Ref Logs")) == {"Other"}


def test_cloudformation_log_bucket_named_by_its_name_is_not_reported() -> None:
    assert unlogged("t.yaml", cfn("acme-logs", "acme-logs")) == {"Other"}
    head = "Parameters:\n  Env: {Type: String, Default: prod}\n"
    text = cfn('!Sub "acme-logs-${Env}"', "!Join [-, [acme-logs, !Ref Env]]", head)
    assert unlogged("t.yaml", text) == {"Other"}


def test_cloudformation_a_name_of_another_bucket_does_not_count() -> None:
    assert unlogged("t.yaml", cfn("acme-central-logs", "acme-logs")) == {"Logs", "Other"}
    assert unlogged("t.yaml", cfn("!Ref Other")) == {"Logs"}


def test_cloudformation_json_and_fn_if() -> None:
    template: dict[str, Any] = {
        "Conditions": {"Central": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Data": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "LoggingConfiguration": {
                        "DestinationBucketName": {
                            "Fn::If": ["Central", "acme-central-logs", {"Ref": "Logs"}]
                        }
                    }
                },
            },
            "Logs": {"Type": "AWS::S3::Bucket"},
        },
    }
    assert unlogged("t.json", json.dumps(template)) == set()


def test_a_bucket_logging_into_itself_logs() -> None:
    assert unlogged("t.yaml", cfn("!Ref Data").replace("  Logs:", "  Unused:")) == {
        "Unused",
        "Other",
    }


# ---------------------------------------------------------------------- Terraform

BUCKETS = """
resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
%s}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
}

resource "aws_s3_bucket" "other" {
  bucket = "acme-other"
}
"""


@pytest.mark.parametrize(
    "target", ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs.bucket", '"acme-logs"']
)
def test_terraform_aws_s3_bucket_logging_target_is_not_reported(target: str) -> None:
    logging = (
        'resource "aws_s3_bucket_logging" "data" {\n'
        "  bucket        = aws_s3_bucket.data.id\n"
        f"  target_bucket = {target}\n"
        '  target_prefix = "data/"\n}\n'
    )
    assert unlogged("main.tf", BUCKETS % "" + logging) == {"aws_s3_bucket.other"}


@pytest.mark.parametrize("target", ["aws_s3_bucket.logs.id", '"acme-logs"'])
def test_terraform_inline_logging_target_is_not_reported(target: str) -> None:
    inline = f"  logging {{\n    target_bucket = {target}\n  }}\n"
    assert unlogged("main.tf", BUCKETS % inline) == {"aws_s3_bucket.other"}


def test_terraform_target_outside_the_module_changes_nothing() -> None:
    inline = '  logging {\n    target_bucket = "acme-central-logs"\n  }\n'
    assert unlogged("main.tf", BUCKETS % inline) == {"aws_s3_bucket.logs", "aws_s3_bucket.other"}
    assert unlogged("main.tf", BUCKETS % "") == {
        "aws_s3_bucket.data",
        "aws_s3_bucket.logs",
        "aws_s3_bucket.other",
    }


def test_terraform_json_target() -> None:
    config = {
        "resource": {
            "aws_s3_bucket": {
                "data": {"bucket": "acme-data"},
                "logs": {"bucket": "acme-logs"},
                "other": {"bucket": "acme-other"},
            },
            "aws_s3_bucket_logging": {
                "data": {
                    "bucket": "${aws_s3_bucket.data.id}",
                    "target_bucket": "${aws_s3_bucket.logs.id}",
                }
            },
        }
    }
    assert unlogged("main.tf.json", json.dumps(config)) == {"aws_s3_bucket.other"}


def plan(logging_expressions: dict[str, Any], inline: bool) -> str:
    """A plan of three buckets; ``data`` logs through a split resource or an inline block."""
    buckets = [
        {"address": f"aws_s3_bucket.{n}", "type": "aws_s3_bucket", "name": n, "values": {}}
        for n in ("data", "logs", "other")
    ]
    configured: list[dict[str, Any]] = [
        {
            "address": f"aws_s3_bucket.{n}",
            "type": "aws_s3_bucket",
            "name": n,
            "expressions": {"bucket": {"constant_value": f"acme-{n}"}},
        }
        for n in ("data", "logs", "other")
    ]
    changes = [
        {"address": b["address"], "change": {"after_unknown": {"logging": True}}} for b in buckets
    ]
    if inline:
        configured[0]["expressions"]["logging"] = [logging_expressions]
        buckets[0]["values"]["logging"] = [{"target_bucket": None}]
    else:
        buckets.append(
            {
                "address": "aws_s3_bucket_logging.data",
                "type": "aws_s3_bucket_logging",
                "name": "data",
                "values": {"target_prefix": "data/"},
            }
        )
        configured.append(
            {
                "address": "aws_s3_bucket_logging.data",
                "type": "aws_s3_bucket_logging",
                "name": "data",
                "expressions": {
                    "bucket": {"references": ["aws_s3_bucket.data.id", "aws_s3_bucket.data"]},
                    **logging_expressions,
                },
            }
        )
        changes.append(
            {
                "address": "aws_s3_bucket_logging.data",
                "change": {"after_unknown": {"bucket": True, "target_bucket": True}},
            }
        )
    return json.dumps(
        {
            "planned_values": {"root_module": {"resources": buckets}},
            "resource_changes": changes,
            "configuration": {"root_module": {"resources": configured}},
        }
    )


@pytest.mark.parametrize("inline", [False, True], ids=["split", "inline"])
def test_plan_log_bucket_linked_through_configuration_references(inline: bool) -> None:
    target = {"target_bucket": {"references": ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]}}
    found = unlogged("plan.json", plan(target, inline))
    assert found == {"aws_s3_bucket.other"}
    elsewhere = {"target_bucket": {"constant_value": "acme-central-logs"}}
    found = unlogged("plan.json", plan(elsewhere, inline))
    assert found == {"aws_s3_bucket.logs", "aws_s3_bucket.other"}


# ---------------------------------------------------------------------- the S3 template


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"access_logging": {"prefix": "s3/", "retention_days": 30}},
        {"access_logging": {"target_bucket": "acme-logs"}},
    ],
)
def test_the_s3_template_validates_clean_with_the_rule_on(
    fmt: str, parameters: dict[str, Any]
) -> None:
    document = parse_text(f"bucket.{fmt}", render(fmt, **parameters))
    assert document is not None
    assert findings_of(document) == []  # LogBucket receives Bucket's logs


def test_the_s3_template_without_logging_is_reported() -> None:
    document = parse_text("bucket.yaml", render("yaml", access_logging={"enabled": False}))
    assert document is not None
    assert {(f.rule_id, f.resource) for f in findings_of(document)} == {(RULE, "Bucket")}

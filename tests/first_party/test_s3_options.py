"""The aws-s3-bucket options beyond the basics: what each renders, and what is refused.

Access logging (created log bucket or a target), lifecycle filters and noncurrent versions,
CORS, static websites, replication (given or created role, KMS), Object Lock and the
update-replace policy; and every combination of options that cannot work, refused with a
message naming both options.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from cloudcraver_host import InputError, PluginHost
from cloudcraver_host.templates import ParameterSource, render_template
from cloudcraver_plugins.aws_s3.params import (
    S3BucketParameters,
    S3PluginConfig,
    effective_parameters,
)
from cloudcraver_plugins.aws_s3.render import LOG_BUCKET_SKIPPED_CHECKS
from cloudcraver_plugins.policy import cfn_yaml

from .helpers import render
from .s3_cases import (
    ALIAS_ARN,
    KEY_ARN,
    REPLICA_ARN,
    REPLICA_KEY_ARN,
    ROLE_ARN,
    Case,
    all_combinations,
    schema_flips,
)

ALL_CASES = [Case("default", {}), *schema_flips(), *all_combinations()]


def template(**parameters: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render("json", **parameters))
    return data


def resources(**parameters: Any) -> dict[str, Any]:
    result: dict[str, Any] = template(**parameters)["Resources"]
    return result


def bucket(**parameters: Any) -> dict[str, Any]:
    result: dict[str, Any] = resources(**parameters)["Bucket"]["Properties"]
    return result


def statements(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A policy resource's statements by Sid."""
    document = resource["Properties"]["PolicyDocument"]
    return {statement["Sid"]: statement for statement in document["Statement"]}


def load_yaml(text: str) -> Any:
    composed = cfn_yaml.compose(text)
    assert composed is not None
    return cfn_yaml.construct(composed)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_yaml_and_json_describe_the_same_template(case: Case) -> None:
    yaml_text = render("yaml", **case.params)
    assert load_yaml(yaml_text) == json.loads(render("json", **case.params))
    assert render("yaml", **case.params) == yaml_text  # deterministic


# ---------------------------------------------------------------------- access logging


def test_default_logs_into_a_hardened_log_bucket() -> None:
    found = resources()
    assert set(found) == {"Bucket", "BucketPolicy", "LogBucket", "LogBucketPolicy"}
    assert found["Bucket"]["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": "LogBucket"}
    }
    log = found["LogBucket"]
    assert log["DeletionPolicy"] == log["UpdateReplacePolicy"] == "Retain"
    props = log["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "LoggingConfiguration" not in props  # a log bucket does not log into itself
    assert log["Metadata"] == {
        "checkov": {
            "skip": [
                {"id": check, "comment": why} for check, why in LOG_BUCKET_SKIPPED_CHECKS.items()
            ]
        }
    }


def test_log_bucket_policy_grants_log_delivery_for_this_bucket_only() -> None:
    policy = resources(access_logging={"prefix": "s3/"})["LogBucketPolicy"]
    assert policy["Properties"]["Bucket"] == {"Ref": "LogBucket"}
    found = statements(policy)
    assert set(found) == {"DenyInsecureTransport", "AllowServerAccessLogDelivery"}
    delivery = found["AllowServerAccessLogDelivery"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == {"Fn::Sub": "${LogBucket.Arn}/s3/*"}
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": ["Bucket", "Arn"]}},
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    }
    assert found["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_log_bucket_stays_hardened_when_the_bucket_is_not() -> None:
    found = resources(versioning=False, block_public_access=False, enforce_tls=False)
    assert found["LogBucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(found["LogBucket"]["Properties"]["PublicAccessBlockConfiguration"].values()) == {
        True
    }
    assert "DenyInsecureTransport" in statements(found["LogBucketPolicy"])
    assert "BucketPolicy" not in found


def test_log_retention_expires_logs_and_their_noncurrent_versions() -> None:
    rules = resources(access_logging={"retention_days": 90})["LogBucket"]["Properties"][
        "LifecycleConfiguration"
    ]["Rules"]
    assert rules == [
        {
            "Id": "ExpireAccessLogs",
            "Status": "Enabled",
            "ExpirationInDays": 90,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        }
    ]


def test_a_target_bucket_creates_no_log_bucket() -> None:
    data = template(access_logging={"target_bucket": "acme-logs", "prefix": "data/"})
    assert set(data["Resources"]) == {"Bucket", "BucketPolicy"}
    assert data["Resources"]["Bucket"]["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": "acme-logs",
        "LogFilePrefix": "data/",
    }
    assert "LogBucketName" not in data["Outputs"]


def test_logging_can_be_turned_off() -> None:
    data = template(access_logging={"enabled": False})
    assert set(data["Resources"]) == {"Bucket", "BucketPolicy"}
    assert "LoggingConfiguration" not in data["Resources"]["Bucket"]["Properties"]


# ---------------------------------------------------------------------- lifecycle and CORS


def test_lifecycle_filters_and_noncurrent_actions() -> None:
    rules = bucket(
        lifecycle=[
            {
                "id": "reports",
                "prefix": "reports/",
                "tags": {"keep": "short", "class": "report"},
                "object_size_greater_than": 1024,
                "object_size_less_than": 10**12,
                "expiration_days": 90,
                "noncurrent_expiration_days": 120,
                "noncurrent_newer_versions": 2,
                "noncurrent_transitions": [
                    {"days": 30, "storage_class": "STANDARD_IA"},
                    {"days": 60, "storage_class": "GLACIER"},
                ],
            },
            {"id": "markers", "expired_object_delete_marker": True, "enabled": False},
        ]
    )["LifecycleConfiguration"]["Rules"]
    assert rules == [
        {
            "Id": "reports",
            "Status": "Enabled",
            "Prefix": "reports/",
            "TagFilters": [{"Key": "class", "Value": "report"}, {"Key": "keep", "Value": "short"}],
            "ObjectSizeGreaterThan": "1024",
            "ObjectSizeLessThan": "1000000000000",
            "ExpirationInDays": 90,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 120, "NewerNoncurrentVersions": 2},
            "NoncurrentVersionTransitions": [
                {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                {"StorageClass": "GLACIER", "TransitionInDays": 60},
            ],
        },
        {"Id": "markers", "Status": "Disabled", "ExpiredObjectDeleteMarker": True},
    ]


def test_cors_rules() -> None:
    rules = bucket(
        cors=[
            {
                "id": "app",
                "allowed_methods": ["GET", "PUT"],
                "allowed_origins": ["https://*.example.com"],
                "allowed_headers": ["*"],
                "exposed_headers": ["ETag"],
                "max_age_seconds": 600,
            },
            {"allowed_methods": ["HEAD"], "allowed_origins": ["*"]},
        ]
    )["CorsConfiguration"]["CorsRules"]
    assert rules == [
        {
            "Id": "app",
            "AllowedMethods": ["GET", "PUT"],
            "AllowedOrigins": ["https://*.example.com"],
            "AllowedHeaders": ["*"],
            "ExposedHeaders": ["ETag"],
            "MaxAge": 600,
        },
        {"AllowedMethods": ["HEAD"], "AllowedOrigins": ["*"]},
    ]


# ---------------------------------------------------------------------- website


def test_public_website() -> None:
    data = template(
        website={
            "index_document": "index.html",
            "error_document": "404.html",
            "public": True,
            "routing_rules": [
                {
                    "key_prefix_equals": "docs/",
                    "replace_key_prefix_with": "documentation/",
                    "http_redirect_code": 301,
                },
                {"http_error_code_returned_equals": 404, "host_name": "example.com"},
            ],
        },
        block_public_access=False,
        enforce_tls=False,
    )
    props = data["Resources"]["Bucket"]["Properties"]
    assert props["WebsiteConfiguration"] == {
        "IndexDocument": "index.html",
        "ErrorDocument": "404.html",
        "RoutingRules": [
            {
                "RedirectRule": {
                    "ReplaceKeyPrefixWith": "documentation/",
                    "HttpRedirectCode": "301",
                },
                "RoutingRuleCondition": {"KeyPrefixEquals": "docs/"},
            },
            {
                "RedirectRule": {"HostName": "example.com"},
                "RoutingRuleCondition": {"HttpErrorCodeReturnedEquals": "404"},
            },
        ],
    }
    assert set(props["PublicAccessBlockConfiguration"].values()) == {False}
    assert statements(data["Resources"]["BucketPolicy"]) == {
        "AllowPublicRead": {
            "Sid": "AllowPublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${Bucket.Arn}/*"},
        }
    }
    assert data["Outputs"]["WebsiteURL"]["Value"] == {"Fn::GetAtt": ["Bucket", "WebsiteURL"]}


def test_private_website_has_no_public_read() -> None:
    data = template(website={"index_document": "index.html"}, enforce_tls=False)
    assert "BucketPolicy" not in data["Resources"]
    assert set(
        data["Resources"]["Bucket"]["Properties"]["PublicAccessBlockConfiguration"].values()
    ) == {True}


def test_redirect_website_keeps_tls_and_the_access_block() -> None:
    data = template(
        website={"redirect_all_requests_to": {"host_name": "example.com", "protocol": "https"}}
    )
    props = data["Resources"]["Bucket"]["Properties"]
    assert props["WebsiteConfiguration"] == {
        "RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}
    }
    assert set(statements(data["Resources"]["BucketPolicy"])) == {"DenyInsecureTransport"}


# ---------------------------------------------------------------------- replication


def test_replication_with_a_given_role_creates_no_role() -> None:
    data = template(
        replication={
            "destination_bucket_arn": REPLICA_ARN,
            "role_arn": ROLE_ARN,
            "storage_class": "GLACIER_IR",
        }
    )
    assert "ReplicationRole" not in data["Resources"]
    assert "ReplicationRoleArn" not in data["Outputs"]
    assert data["Resources"]["Bucket"]["Properties"]["ReplicationConfiguration"] == {
        "Role": ROLE_ARN,
        "Rules": [
            {
                "Id": "Replication",
                "Status": "Enabled",
                "Priority": 0,
                "Filter": {"Prefix": ""},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": {"Bucket": REPLICA_ARN, "StorageClass": "GLACIER_IR"},
            }
        ],
    }


def test_created_replication_role_has_least_privilege() -> None:
    data = template(
        bucket_name="acme-source",
        tags={"team": "data"},
        replication={"destination_bucket_arn": REPLICA_ARN, "prefix": "shared/"},
    )
    found = data["Resources"]
    role = found["ReplicationRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:s3:::acme-source"}},
    }
    assert role["Tags"] == [{"Key": "team", "Value": "data"}]
    policy = found["ReplicationRolePolicy"]
    assert policy["Type"] == "AWS::IAM::RolePolicy"
    assert policy["Properties"]["RoleName"] == {"Ref": "ReplicationRole"}
    granted = {
        sid: (statement["Action"], statement["Resource"])
        for sid, statement in statements(policy).items()
    }
    assert granted == {
        "ReadReplicationConfiguration": (
            ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            {"Fn::GetAtt": ["Bucket", "Arn"]},
        ),
        "ReadSourceVersions": (
            [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ],
            {"Fn::Sub": "${Bucket.Arn}/shared/*"},
        ),
        "WriteReplicas": (
            ["s3:ReplicateObject", "s3:ReplicateTags"],  # no ReplicateDelete: markers stay
            f"{REPLICA_ARN}/shared/*",
        ),
    }
    assert found["Bucket"]["Properties"]["ReplicationConfiguration"]["Role"] == {
        "Fn::GetAtt": ["ReplicationRole", "Arn"]
    }
    assert data["Outputs"]["ReplicationRoleArn"]["Value"] == {
        "Fn::GetAtt": ["ReplicationRole", "Arn"]
    }


def test_created_role_grants_what_delete_markers_and_object_lock_need() -> None:
    policy = resources(
        replication={"destination_bucket_arn": REPLICA_ARN, "replicate_delete_markers": True},
        object_lock={},
    )["ReplicationRolePolicy"]
    found = statements(policy)
    assert "s3:ReplicateDelete" in found["WriteReplicas"]["Action"]
    assert {"s3:GetObjectRetention", "s3:GetObjectLegalHold"} <= set(
        found["ReadSourceVersions"]["Action"]
    )
    # No bucket name: the trust policy cannot name the bucket's ARN without a cycle.
    trust = resources(replication={"destination_bucket_arn": REPLICA_ARN})["ReplicationRole"]
    (statement,) = trust["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert set(statement["Condition"]) == {"StringEquals"}


@pytest.mark.parametrize(
    ("encryption", "source_key", "encrypt_actions"),
    [
        ("sse-kms", None, ["kms:Encrypt"]),
        ("dsse-kms", KEY_ARN, ["kms:Encrypt", "kms:GenerateDataKey"]),
    ],
)
def test_replication_of_kms_encrypted_objects(
    encryption: str, source_key: str | None, encrypt_actions: list[str]
) -> None:
    parameters: dict[str, Any] = {
        "encryption": encryption,
        "replication": {
            "destination_bucket_arn": REPLICA_ARN,
            "replica_kms_key_arn": REPLICA_KEY_ARN,
        },
    }
    if source_key:
        parameters["kms_key_arn"] = source_key
    found = resources(**parameters)
    (rule,) = found["Bucket"]["Properties"]["ReplicationConfiguration"]["Rules"]
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert rule["Destination"]["EncryptionConfiguration"] == {"ReplicaKmsKeyID": REPLICA_KEY_ARN}
    granted = statements(found["ReplicationRolePolicy"])
    decrypt = granted["DecryptSourceObjects"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == (source_key or {"Fn::GetAtt": ["BucketKey", "Arn"]})
    assert decrypt["Condition"]["StringEquals"] == {
        "kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    }
    encrypt = granted["EncryptReplicas"]
    assert encrypt["Action"] == encrypt_actions
    assert encrypt["Resource"] == REPLICA_KEY_ARN
    # The replica key's Region is the destination's.
    assert encrypt["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.eu-central-1.amazonaws.com"
    }
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:s3:arn": [REPLICA_ARN, f"{REPLICA_ARN}/*"]
    }


# ---------------------------------------------------------------------- object lock, policies


@pytest.mark.parametrize(
    ("lock", "expected"),
    [
        ({}, None),
        ({"mode": "GOVERNANCE", "days": 30}, {"Mode": "GOVERNANCE", "Days": 30}),
        ({"mode": "COMPLIANCE", "years": 7}, {"Mode": "COMPLIANCE", "Years": 7}),
    ],
)
def test_object_lock(lock: dict[str, Any], expected: dict[str, Any] | None) -> None:
    props = bucket(object_lock=lock)
    assert props["ObjectLockEnabled"] is True
    if expected is None:
        assert "ObjectLockConfiguration" not in props
    else:
        assert props["ObjectLockConfiguration"] == {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": expected},
        }


def test_update_replace_policy_applies_to_everything_kept() -> None:
    found = resources(
        encryption="sse-kms", deletion_policy="Delete", update_replace_policy="Retain"
    )
    for name in ("Bucket", "LogBucket", "BucketKey"):
        assert (found[name]["DeletionPolicy"], found[name]["UpdateReplacePolicy"]) == (
            "Delete",
            "Retain",
        ), name
    defaulted = resources(deletion_policy="Delete")["Bucket"]
    assert defaulted["UpdateReplacePolicy"] == "Delete"  # unset: as deletion_policy


def test_tags_reach_everything_created() -> None:
    found = resources(
        encryption="sse-kms",
        tags={"team": "data"},
        replication={"destination_bucket_arn": REPLICA_ARN, "replica_kms_key_arn": REPLICA_KEY_ARN},
    )
    for name in ("Bucket", "LogBucket", "BucketKey", "ReplicationRole"):
        assert found[name]["Properties"]["Tags"] == [{"Key": "team", "Value": "data"}], name


# ---------------------------------------------------------------------- refusals


def refusal(**parameters: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        S3BucketParameters(**parameters)
    return str(caught.value)


_WEBSITE = {"index_document": "index.html"}
_REPLICATION = {"destination_bucket_arn": REPLICA_ARN}


@pytest.mark.parametrize(
    ("parameters", "names"),
    [
        ({"versioning": False, "replication": _REPLICATION}, ["replication", "versioning"]),
        ({"versioning": False, "object_lock": {}}, ["object_lock", "versioning"]),
        (
            {
                "versioning": False,
                "lifecycle": [
                    {
                        "id": "old",
                        "noncurrent_transitions": [{"days": 30, "storage_class": "GLACIER"}],
                    }
                ],
            },
            ["lifecycle[0].noncurrent_transitions", "versioning"],
        ),
        (
            {"website": {**_WEBSITE, "public": True}, "enforce_tls": False},
            ["website.public = true", "block_public_access = false", "CKV_AWS_53"],
        ),
        ({"website": _WEBSITE}, ["website.index_document", "enforce_tls = false", "plain HTTP"]),
        (
            {
                "website": {**_WEBSITE, "public": True},
                "block_public_access": False,
                "enforce_tls": False,
                "encryption": "sse-kms",
            },
            ["website.public = true", "encryption 'sse-s3'", "'sse-kms'"],
        ),
        (
            {"encryption": "sse-kms", "replication": _REPLICATION},
            ["replication.replica_kms_key_arn", "encryption is 'sse-kms'"],
        ),
        (
            {
                "encryption": "sse-s3",
                "replication": {**_REPLICATION, "replica_kms_key_arn": REPLICA_KEY_ARN},
            },
            ["replication.replica_kms_key_arn", "encryption is 'sse-s3'"],
        ),
        (
            {
                "encryption": "sse-kms",
                "kms_key_arn": ALIAS_ARN,
                "replication": {**_REPLICATION, "replica_kms_key_arn": REPLICA_KEY_ARN},
            },
            ["replication.role_arn", "kms_key_arn", "alias ARN"],
        ),
        (
            {"bucket_name": "acme-replica", "replication": _REPLICATION},
            ["replication.destination_bucket_arn", "bucket_name"],
        ),
        (
            {"access_logging": {"target_bucket": "acme-logs", "retention_days": 30}},
            ["access_logging.retention_days", "access_logging.target_bucket"],
        ),
        (
            {"access_logging": {"enabled": False, "target_bucket": "acme-logs"}},
            ["access_logging.target_bucket", "access_logging.enabled"],
        ),
        (
            {"website": {**_WEBSITE, "redirect_all_requests_to": {"host_name": "example.com"}}},
            ["website.redirect_all_requests_to", "website.index_document"],
        ),
        (
            {"website": {"redirect_all_requests_to": {"host_name": "example.com"}, "public": True}},
            ["website.public", "website.redirect_all_requests_to"],
        ),
    ],
)
def test_options_that_need_each_other_are_refused_naming_both(
    parameters: dict[str, Any], names: list[str]
) -> None:
    text = refusal(**parameters)
    for name in names:
        assert name in text


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"website": {}}, "website needs website.index_document"),
        ({"website": {"index_document": "a/index.html"}}, "without '/'"),
        (
            {"website": {**_WEBSITE, "routing_rules": [{"key_prefix_equals": "a/"}]}},
            "redirects nowhere",
        ),
        (
            {
                "website": {
                    **_WEBSITE,
                    "routing_rules": [{"replace_key_prefix_with": "b/", "replace_key_with": "c"}],
                }
            },
            "exclude each other",
        ),
        (
            {"website": {"redirect_all_requests_to": {"host_name": "https://example.com"}}},
            "expected a host name",
        ),
        ({"object_lock": {"mode": "GOVERNANCE"}}, "needs object_lock.days or object_lock.years"),
        ({"object_lock": {"mode": "GOVERNANCE", "days": 1, "years": 1}}, "exclude each other"),
        ({"object_lock": {"days": 1}}, "need object_lock.mode"),
        ({"object_lock": {"mode": "COMPLIANCE", "years": 101}}, "less than or equal to 100"),
        (
            {"replication": {"destination_bucket_arn": "acme-replica"}},
            "expected a bucket ARN such as arn:aws:s3:::acme-replica",
        ),
        (
            {"replication": {"destination_bucket_arn": "arn:aws:s3:::Acme"}},
            "lowercase letters",
        ),
        (
            {"replication": {**_REPLICATION, "role_arn": "arn:aws:iam::1:role/x"}},
            "expected an IAM role ARN",
        ),
        (
            {
                "encryption": "sse-kms",
                "replication": {**_REPLICATION, "replica_kms_key_arn": ALIAS_ARN},
            },
            "expected a KMS key ARN (not an alias)",
        ),
        ({"access_logging": {"prefix": "logs/${x}"}}, "access_logging.prefix"),
        ({"replication": {**_REPLICATION, "prefix": "data/*"}}, "replication.prefix"),
        (
            {"cors": [{"allowed_methods": ["GET", "GET"], "allowed_origins": ["*"]}]},
            "allowed_methods lists GET twice",
        ),
        (
            {
                "cors": [
                    {"allowed_methods": ["GET"], "allowed_origins": ["https://*.*.example.com"]}
                ]
            },
            "more than one '*'",
        ),
        ({"cors": [{"allowed_methods": [], "allowed_origins": ["*"]}]}, "at least 1 item"),
    ],
)
def test_invalid_option_values_name_the_rule(parameters: dict[str, Any], message: str) -> None:
    assert message in refusal(**parameters)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"id": "a", "abort_incomplete_multipart_days": 7, "tags": {"k": "v"}},
            "abort_incomplete_multipart_days cannot be combined with tags",
        ),
        (
            {"id": "a", "abort_incomplete_multipart_days": 7, "object_size_less_than": 10},
            "abort_incomplete_multipart_days cannot be combined with object_size",
        ),
        (
            {"id": "a", "expired_object_delete_marker": True, "expiration_days": 30},
            "expired_object_delete_marker cannot be combined with expiration_days",
        ),
        (
            {"id": "a", "expired_object_delete_marker": True, "tags": {"k": "v"}},
            "expired_object_delete_marker cannot be combined with tags",
        ),
        (
            {
                "id": "a",
                "expiration_days": 1,
                "object_size_greater_than": 100,
                "object_size_less_than": 100,
            },
            "object_size_less_than (100) must be greater than object_size_greater_than (100)",
        ),
        (
            {
                "id": "a",
                "transitions": [
                    {"days": 30, "storage_class": "ONEZONE_IA"},
                    {"days": 90, "storage_class": "GLACIER_IR"},
                ],
            },
            "S3 does not move objects from ONEZONE_IA to GLACIER_IR",
        ),
        (
            {
                "id": "a",
                "transitions": [
                    {"days": 30, "storage_class": "STANDARD_IA"},
                    {"days": 45, "storage_class": "GLACIER"},
                ],
            },
            "must be at least 30 more than transitions[0].days (30)",
        ),
        (
            {"id": "a", "noncurrent_transitions": [{"days": 10, "storage_class": "STANDARD_IA"}]},
            "30 days or more",
        ),
        (
            {"id": "a", "expiration_days": 10, "noncurrent_newer_versions": 2},
            "noncurrent_newer_versions needs noncurrent_expiration_days",
        ),
        (
            {
                "id": "a",
                "noncurrent_expiration_days": 30,
                "noncurrent_transitions": [{"days": 30, "storage_class": "GLACIER"}],
            },
            "noncurrent_expiration_days (30) must be greater than noncurrent_transitions[0].days",
        ),
        (
            {"id": "a", "expiration_days": 10, "tags": {f"k{i}": "v" for i in range(11)}},
            "an object carries at most 10 tags",
        ),
    ],
)
def test_lifecycle_rules_follow_s3s_rules(rule: dict[str, Any], message: str) -> None:
    assert message in refusal(lifecycle=[rule])


def test_checks_on_the_encryption_wait_for_the_configured_default() -> None:
    public_site = {
        "website": {**_WEBSITE, "public": True},
        "block_public_access": False,
        "enforce_tls": False,
    }
    params = S3BucketParameters(**public_site)  # encryption unset: maybe configured
    assert effective_parameters(params, None).website is not None
    with pytest.raises(ValidationError, match=r"website\.public = true needs encryption 'sse-s3'"):
        effective_parameters(params, S3PluginConfig(default_encryption="sse-kms"))


def test_nested_options_set_through_the_host(host: PluginHost) -> None:
    source = ParameterSource(
        {"access_logging": {"enabled": False}, "object_lock": {"mode": "GOVERNANCE", "days": 3}},
        {"access_logging": "--set access_logging.enabled=false"},
    )
    rendered = render_template(host, "aws-s3-bucket", "data", source, output="json")
    data = json.loads(rendered.content)
    assert set(data["Resources"]) == {"Bucket", "BucketPolicy"}
    assert data["Resources"]["Bucket"]["Properties"]["ObjectLockEnabled"] is True


def test_host_reports_a_conflict_naming_both_options(host: PluginHost) -> None:
    source = ParameterSource({"website": {"index_document": "index.html", "public": True}}, {})
    with pytest.raises(InputError) as caught:
        render_template(host, "aws-s3-bucket", "data", source)
    assert "website.public" in str(caught.value)
    assert "block_public_access" in str(caught.value)

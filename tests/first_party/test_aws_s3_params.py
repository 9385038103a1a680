"""The aws-s3-bucket parameters: AWS's rules on values, and conflicting options."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cloudcraver_plugins.aws_s3.params import (
    S3BucketParameters,
    S3PluginConfig,
    bucket_name_problem,
    effective_parameters,
)


def error_text(**parameters: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        S3BucketParameters(**parameters)
    return str(caught.value)


def test_every_parameter_has_a_default_and_a_description() -> None:
    S3BucketParameters()  # no required parameter
    schema = S3BucketParameters.model_json_schema()
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name


def test_defaults_are_the_secure_choices() -> None:
    params = S3BucketParameters()
    assert params.versioning and params.block_public_access and params.enforce_tls
    assert params.encryption.value == "sse-s3"
    assert params.object_ownership.value == "BucketOwnerEnforced"
    assert params.deletion_policy.value == "Retain"


@pytest.mark.parametrize(
    "name",
    ["abc", "my-bucket", "my.bucket.example", "a" * 63, "123bucket", "logs-2024"],
)
def test_valid_bucket_names(name: str) -> None:
    assert bucket_name_problem(name) is None
    assert S3BucketParameters(bucket_name=name).bucket_name == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3 to 63 characters"),
        ("a" * 64, "3 to 63 characters"),
        ("My_Bucket", "lowercase letters, digits, hyphens and dots (found 'B', 'M', '_')"),
        ("-bucket", "start and end with a lowercase letter or a digit"),
        ("bucket.", "start and end with a lowercase letter or a digit"),
        ("my..bucket", "two adjacent dots"),
        ("192.168.5.4", "formatted as an IP address"),
        ("xn--bucket", "reserved prefix 'xn--'"),
        ("sthree-bucket", "reserved prefix 'sthree-'"),
        ("amzn-s3-demo-bucket", "reserved prefix 'amzn-s3-demo-'"),
        ("bucket-s3alias", "reserved suffix '-s3alias'"),
        ("bucket--ol-s3", "reserved suffix '--ol-s3'"),
        ("bucket.mrap", "reserved suffix '.mrap'"),
        ("bucket--x-s3", "reserved suffix '--x-s3'"),
    ],
)
def test_bad_bucket_names_name_the_rule_broken(name: str, rule: str) -> None:
    text = error_text(bucket_name=name)
    assert f"bucket_name {name!r}" in text
    assert rule in text


def test_access_log_target_is_held_to_the_naming_rules() -> None:
    text = error_text(access_logging={"target_bucket": "Logs"})
    assert "access_logging.target_bucket 'Logs'" in text and "lowercase" in text


@pytest.mark.parametrize(
    ("parameters", "first", "second"),
    [
        (
            {"encryption": "sse-s3", "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/k"},
            "kms_key_arn",
            "encryption",
        ),
        (
            {"encryption": "dsse-kms", "bucket_key_enabled": True},
            "bucket_key_enabled",
            "encryption",
        ),
        ({"encryption": "sse-s3", "bucket_key_enabled": True}, "bucket_key_enabled", "encryption"),
        (
            {"versioning": False, "lifecycle": [{"id": "old", "noncurrent_expiration_days": 30}]},
            "lifecycle[0].noncurrent_expiration_days",
            "versioning",
        ),
        (
            {"bucket_name": "acme-data", "access_logging": {"target_bucket": "acme-data"}},
            "access_logging.target_bucket",
            "bucket_name",
        ),
        (
            {
                "lifecycle": [
                    {
                        "id": "a",
                        "expiration_days": 30,
                        "transitions": [{"days": 60, "storage_class": "GLACIER"}],
                    }
                ]
            },
            "expiration_days",
            "transitions[0].days",
        ),
    ],
)
def test_conflicting_options_are_refused_naming_both(
    parameters: dict[str, Any], first: str, second: str
) -> None:
    text = error_text(**parameters)
    assert first in text and second in text


def test_defaults_that_do_not_apply_are_not_conflicts() -> None:
    # bucket_key_enabled defaults to true; left unset it is simply not used by dsse-kms.
    assert S3BucketParameters(encryption="dsse-kms").bucket_key_enabled
    S3BucketParameters(
        encryption="sse-kms", kms_key_arn="arn:aws:kms:eu-west-1:111122223333:alias/data"
    )


def test_kms_key_arn_must_be_an_arn() -> None:
    text = error_text(encryption="sse-kms", kms_key_arn="alias/data")
    assert "kms_key_arn 'alias/data': expected a KMS key or alias ARN" in text


@pytest.mark.parametrize(
    ("tags", "rule"),
    [
        ({"aws:team": "x"}, "reserved for AWS"),
        ({"": "x"}, "1 to 128 characters"),
        ({"team": "x" * 257}, "at most 256 characters"),
        ({"team": "a;b"}, "+ - = . _ : / @"),
        ({f"k{i}": "v" for i in range(51)}, "at most 50 tags"),
    ],
)
def test_tags_follow_the_aws_tagging_rules(tags: dict[str, str], rule: str) -> None:
    assert rule in error_text(tags=tags)
    with pytest.raises(ValidationError, match="default_tags"):
        S3PluginConfig(default_tags=tags)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"id": "noop"}, "does nothing"),
        ({"id": "ia", "transitions": [{"days": 10, "storage_class": "STANDARD_IA"}]}, "30 days"),
        (
            {
                "id": "order",
                "transitions": [
                    {"days": 90, "storage_class": "GLACIER"},
                    {"days": 30, "storage_class": "STANDARD_IA"},
                ],
            },
            "transitions[1].days (30) must be greater than transitions[0].days (90)",
        ),
        (
            {
                "id": "twice",
                "transitions": [
                    {"days": 30, "storage_class": "GLACIER"},
                    {"days": 60, "storage_class": "GLACIER"},
                ],
            },
            "S3 does not move objects from GLACIER to GLACIER",
        ),
    ],
)
def test_lifecycle_rules_are_checked(rule: dict[str, Any], message: str) -> None:
    assert message in error_text(lifecycle=[rule])


def test_lifecycle_rule_ids_are_unique() -> None:
    rule = {"id": "same", "expiration_days": 10}
    assert "unique: same" in error_text(lifecycle=[rule, rule])


def test_unknown_parameters_are_refused() -> None:
    assert "extra" in error_text(bucket_nmae="x").lower()


def test_effective_parameters_merge_default_tags_under_the_users() -> None:
    config = S3PluginConfig(default_tags={"owner": "platform", "team": "default"})
    params = effective_parameters(S3BucketParameters(tags={"team": "data"}), config)
    assert params.tags == {"owner": "platform", "team": "data"}


def test_configured_default_encryption_applies_only_when_unset() -> None:
    config = S3PluginConfig(default_encryption="sse-kms")
    assert effective_parameters(S3BucketParameters(), config).encryption.value == "sse-kms"
    chosen = S3BucketParameters(encryption="sse-s3")
    assert effective_parameters(chosen, config).encryption.value == "sse-s3"


def test_options_depending_on_the_encryption_wait_for_the_configured_default() -> None:
    arn = "arn:aws:kms:eu-west-1:111122223333:key/k"
    params = S3BucketParameters(kms_key_arn=arn, bucket_key_enabled=True)  # encryption unset
    with_kms = effective_parameters(params, S3PluginConfig(default_encryption="sse-kms"))
    assert with_kms.encryption.value == "sse-kms" and with_kms.kms_key_arn == arn
    with pytest.raises(ValidationError, match="kms_key_arn is set but encryption is 'sse-s3'"):
        effective_parameters(params, S3PluginConfig())
    with pytest.raises(ValidationError, match="kms_key_arn is set but encryption is 'sse-s3'"):
        effective_parameters(params, None)


def test_configured_default_is_held_to_the_combination_rules() -> None:
    params = S3BucketParameters(bucket_key_enabled=True)
    with pytest.raises(ValidationError, match="bucket_key_enabled = true needs encryption"):
        effective_parameters(params, S3PluginConfig(default_encryption="dsse-kms"))

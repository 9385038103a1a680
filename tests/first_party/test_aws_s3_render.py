"""Rendering aws-s3-bucket: what the template contains, in YAML and JSON, deterministically."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cloudcraver_hookspecs import PluginInputError, RenderedTemplate, RenderRequest

import cloudcraver_plugins.aws_s3.plugin as s3_plugin
from cloudcraver_host import InputError, PluginFailedError, PluginHost
from cloudcraver_host.templates import ParameterSource, render_template
from cloudcraver_plugins.aws_s3.params import S3BucketParameters, S3PluginConfig
from cloudcraver_plugins.policy import cfn_yaml

from .helpers import render


def load_yaml(text: str) -> Any:
    composed = cfn_yaml.compose(text)
    assert composed is not None
    return cfn_yaml.construct(composed)


def template(**parameters: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render("json", **parameters))
    return data


def test_default_template_is_secure() -> None:
    data = template()
    bucket = data["Resources"]["Bucket"]
    assert bucket["Type"] == "AWS::S3::Bucket"
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    props = bucket["Properties"]
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse == [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "BucketName" not in props  # CloudFormation generates one


def test_default_template_denies_insecure_transport() -> None:
    policy = template()["Resources"]["BucketPolicy"]
    assert policy["Type"] == "AWS::S3::BucketPolicy"
    assert policy["Properties"]["Bucket"] == {"Ref": "Bucket"}
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [
        {"Fn::GetAtt": ["Bucket", "Arn"]},
        {"Fn::Sub": "${Bucket.Arn}/*"},
    ]


def test_template_header_and_outputs() -> None:
    data = template()
    assert data["AWSTemplateFormatVersion"] == "2010-09-09"
    assert "demo" in data["Description"]
    assert list(data["Outputs"]) == [
        "BucketName",
        "BucketArn",
        "BucketDomainName",
        "BucketRegionalDomainName",
        "LogBucketName",
    ]
    assert data["Outputs"]["BucketName"]["Value"] == {"Ref": "Bucket"}
    assert data["Outputs"]["BucketArn"]["Value"] == {"Fn::GetAtt": ["Bucket", "Arn"]}


def generic_cfn_load(text: str) -> Any:
    """A loader written the common way (cfn-lint style), independent of the policy plugin's."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            return {name: value.split(".", 1) if suffix == "GetAtt" else value}
        if isinstance(node, yaml.SequenceNode):
            return {name: loader.construct_sequence(node, deep=True)}
        return {name: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]

    Loader.add_multi_constructor("!", intrinsic)
    return yaml.load(text, Loader=Loader)  # a SafeLoader subclass


def test_yaml_reads_back_with_a_generic_cloudformation_loader() -> None:
    parameters: dict[str, Any] = {"encryption": "sse-kms", "tags": {"team": "data"}}
    assert generic_cfn_load(render("yaml", **parameters)) == json.loads(
        render("json", **parameters)
    )


def test_yaml_uses_short_intrinsic_tags() -> None:
    text = render("yaml")
    assert "Bucket: !Ref Bucket" in text
    assert "- !GetAtt Bucket.Arn" in text
    assert "- !Sub ${Bucket.Arn}/*" in text
    assert "aws:SecureTransport: 'false'" in text  # a string, as IAM expects
    assert "AWSTemplateFormatVersion: '2010-09-09'" in text  # never read as a date


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"encryption": "sse-kms", "tags": {"team": "data"}},
        {"encryption": "dsse-kms", "deletion_policy": "Delete", "enforce_tls": False},
        {
            "bucket_name": "acme-archive",
            "lifecycle": [
                {
                    "id": "archive",
                    "prefix": "logs/",
                    "expiration_days": 400,
                    "abort_incomplete_multipart_days": 7,
                    "transitions": [
                        {"days": 30, "storage_class": "STANDARD_IA"},
                        {"days": 90, "storage_class": "GLACIER"},
                    ],
                }
            ],
            "access_logging": {"target_bucket": "acme-logs", "prefix": "archive/"},
        },
    ],
)
def test_yaml_and_json_describe_the_same_template(parameters: dict[str, Any]) -> None:
    assert load_yaml(render("yaml", **parameters)) == json.loads(render("json", **parameters))


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_rendering_is_deterministic(fmt: str) -> None:
    parameters: dict[str, Any] = {"tags": {"b": "2", "a": "1"}, "encryption": "sse-kms"}
    first = render(fmt, **parameters)
    assert render(fmt, **parameters) == first
    reordered = render(fmt, tags={"a": "1", "b": "2"}, encryption="sse-kms")
    assert reordered == first  # tag order as typed does not matter
    assert first.endswith("\n")


def test_sse_kms_without_key_creates_a_rotating_key() -> None:
    resources = template(encryption="sse-kms")["Resources"]
    key = resources["BucketKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"  # objects of a retained bucket stay readable
    rule = resources["Bucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ][0]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": ["BucketKey", "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True


def test_given_kms_key_is_used_and_no_key_created() -> None:
    arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    resources = template(encryption="dsse-kms", kms_key_arn=arn)["Resources"]
    assert "BucketKey" not in resources
    rule = resources["Bucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ][0]
    assert rule == {
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": arn}
    }


def test_turning_protections_off_is_explicit() -> None:
    props = template(versioning=False, block_public_access=False, enforce_tls=False)
    bucket = props["Resources"]["Bucket"]["Properties"]
    # Explicit values: omitting them would leave S3's defaults (or the previous state) on.
    assert bucket["VersioningConfiguration"] == {"Status": "Suspended"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {False}
    assert "BucketPolicy" not in props["Resources"]


def test_lifecycle_logging_tags_and_name_are_rendered() -> None:
    bucket = template(
        bucket_name="acme-archive",
        tags={"team": "data"},
        lifecycle=[
            {
                "id": "archive",
                "prefix": "logs/",
                "expiration_days": 400,
                "noncurrent_expiration_days": 30,
                "abort_incomplete_multipart_days": 7,
                "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}],
            }
        ],
        access_logging={"target_bucket": "acme-logs", "prefix": "archive/"},
    )["Resources"]["Bucket"]["Properties"]
    assert bucket["BucketName"] == "acme-archive"
    assert bucket["Tags"] == [{"Key": "team", "Value": "data"}]
    assert bucket["LoggingConfiguration"] == {
        "DestinationBucketName": "acme-logs",
        "LogFilePrefix": "archive/",
    }
    assert bucket["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "archive",
            "Status": "Enabled",
            "Prefix": "logs/",
            "ExpirationInDays": 400,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}],
        }
    ]


def test_rendered_template_names_its_file_and_format() -> None:
    request = RenderRequest("aws-s3-bucket", "logs", S3BucketParameters(), "json")
    rendered = s3_plugin.render_template(request)
    assert rendered is not None
    assert rendered == RenderedTemplate(rendered.content, "json", "logs.json")


def test_unknown_template_is_left_to_other_plugins() -> None:
    request = RenderRequest("azure-storage", "x", {}, "yaml")
    assert s3_plugin.render_template(request) is None


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("demo", "toml", "renders yaml or json, not 'toml'"),
        ("../etc/demo", "yaml", "cannot be empty"),
        ("", "yaml", "cannot be empty"),
        ("a\nb", "yaml", "control characters"),
        ("x" * 129, "yaml", "at most 128 characters"),
    ],
)
def test_unusable_requests_are_user_errors(name: str, fmt: str, message: str) -> None:
    with pytest.raises(PluginInputError, match=message.replace("(", r"\(")):
        s3_plugin.render_template(RenderRequest("aws-s3-bucket", name, S3BucketParameters(), fmt))


def test_parameters_given_as_a_mapping_are_validated() -> None:
    request = RenderRequest("aws-s3-bucket", "demo", {"bucket_name": "Bad_Name"}, "yaml")
    with pytest.raises(PluginInputError, match="bucket_name 'Bad_Name'"):
        s3_plugin.render_template(request)


def test_config_default_tags_appear_under_the_users_tags() -> None:
    s3_plugin.activate(S3PluginConfig(default_tags={"owner": "platform", "team": "x"}))
    tags = template(tags={"team": "data"})["Resources"]["Bucket"]["Properties"]["Tags"]
    assert tags == [{"Key": "owner", "Value": "platform"}, {"Key": "team", "Value": "data"}]
    s3_plugin.deactivate()
    assert "Tags" not in template()["Resources"]["Bucket"]["Properties"]


def test_config_default_encryption_conflict_is_a_user_error() -> None:
    s3_plugin.activate(S3PluginConfig(default_encryption="dsse-kms"))
    request = RenderRequest(
        "aws-s3-bucket", "demo", S3BucketParameters(bucket_key_enabled=True), "yaml"
    )
    with pytest.raises(PluginInputError, match=r"bucket_key_enabled.*dsse-kms"):
        s3_plugin.render_template(request)


# ---------------------------------------------------------------------- through the host


def test_host_renders_with_the_configured_default_tags(
    make_host: Callable[..., PluginHost],
) -> None:
    host = make_host('[plugins.aws-s3]\ndefault_tags = { owner = "platform" }\n')
    rendered = render_template(
        host, "aws-s3-bucket", "data", ParameterSource({"versioning": True}, {}), output="json"
    )
    assert rendered.filename == "data.json"
    tags = json.loads(rendered.content)["Resources"]["Bucket"]["Properties"]["Tags"]
    assert tags == [{"Key": "owner", "Value": "platform"}]


def test_host_reports_conflicting_parameters_naming_both(host: PluginHost) -> None:
    source = ParameterSource(
        {"encryption": "sse-s3", "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/k"},
        {"kms_key_arn": "--set kms_key_arn=..."},
    )
    with pytest.raises(InputError) as caught:
        render_template(host, "aws-s3-bucket", "data", source)
    assert "kms_key_arn" in str(caught.value) and "encryption" in str(caught.value)


def test_host_refuses_invalid_plugin_configuration(make_host: Callable[..., PluginHost]) -> None:
    host = make_host('[plugins.aws-s3]\ndefault_tags = { "aws:owner" = "x" }\n')
    request = RenderRequest("aws-s3-bucket", "x", S3BucketParameters(), "yaml")
    with pytest.raises(PluginFailedError, match="reserved for AWS") as caught:
        host.call_plugin("aws-s3", "render_template", request=request)
    assert caught.value.exit_code == 2  # the user's configuration, not the plugin, is wrong

"""The ``aws-s3-bucket`` template as plain data, and its rendering to text.

:func:`build_template` gives the CloudFormation template as dicts and lists (plus
:class:`~.intrinsics.Intrinsic` values), in a fixed key order, so that the same parameters
always give the same bytes whatever the writer.
"""

from __future__ import annotations

from typing import Any

from cloudcraver_hookspecs import PluginInputError, RenderedTemplate, RenderRequest

from .intrinsics import get_att, ref, sub
from .params import Encryption, LifecycleRule, S3BucketParameters, S3PluginConfig

__all__ = [
    "BUCKET",
    "BUCKET_KEY",
    "BUCKET_POLICY",
    "FORMATS",
    "TEMPLATE_NAME",
    "build_template",
    "render",
]

#: The template this module renders.
TEMPLATE_NAME = "aws-s3-bucket"
#: The serialisations it renders to.
FORMATS = ("yaml", "json")

#: Logical id of the bucket.
BUCKET = "Bucket"
#: Logical id of the bucket policy (present when TLS is enforced).
BUCKET_POLICY = "BucketPolicy"
#: Logical id of the KMS key the template creates for sse-kms/dsse-kms without a key ARN.
BUCKET_KEY = "BucketKey"

_SSE_ALGORITHMS = {
    Encryption.SSE_S3: "AES256",
    Encryption.SSE_KMS: "aws:kms",
    Encryption.DSSE_KMS: "aws:kms:dsse",
}
# CloudFormation stack names are at most 128 characters; instance names follow suit so the
# Description (at most 1024 bytes) always fits.
_MAX_NAME = 128


def render(request: RenderRequest, config: S3PluginConfig | None) -> RenderedTemplate:
    """Render ``request`` with the plugin configuration's defaults applied.

    :raises PluginInputError: for an unknown format, an unusable instance name or
        parameters that conflict once the configured defaults are applied.
    """
    from pydantic import ValidationError

    from .params import describe_validation_error, effective_parameters

    if request.format not in FORMATS:
        raise PluginInputError(
            f"template {TEMPLATE_NAME} renders {' or '.join(FORMATS)}, not {request.format!r}"
        )
    _check_instance_name(request.name)
    try:
        params = effective_parameters(request.parameters, config)
    except ValidationError as exc:
        raise PluginInputError(
            f"template {TEMPLATE_NAME}: {describe_validation_error(exc)}"
        ) from None
    template = build_template(request.name, params)
    if request.format == "yaml":
        from .cfn_yaml import dump_yaml

        content = dump_yaml(template)
    else:
        from .cfn_yaml import dump_json

        content = dump_json(template)
    return RenderedTemplate(
        content=content, format=request.format, filename=f"{request.name}.{request.format}"
    )


def _check_instance_name(name: str) -> None:
    # The name becomes a file name and part of the stack description.
    if not name or name in (".", "..") or any(char in name for char in "/\\"):
        raise PluginInputError(
            f"instance name {name!r}: it names the output file, so it cannot be empty, "
            "'.' or '..', nor contain '/' or '\\'"
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise PluginInputError(f"instance name {name!r}: control characters are not allowed")
    if len(name) > _MAX_NAME:
        raise PluginInputError(
            f"instance name {name[:20]!r}...: at most {_MAX_NAME} characters ({len(name)} given)"
        )


def build_template(name: str, params: S3BucketParameters) -> dict[str, Any]:
    """The CloudFormation template of one bucket instance named ``name``."""
    resources: dict[str, Any] = {}
    creates_key = params.encryption.uses_kms and params.kms_key_arn is None
    if creates_key:
        resources[BUCKET_KEY] = _kms_key(name, params)
    resources[BUCKET] = _bucket(params, creates_key)
    if params.enforce_tls:
        resources[BUCKET_POLICY] = _tls_policy()
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Amazon S3 bucket {name} (Cloud Craver template {TEMPLATE_NAME})",
        "Resources": resources,
        "Outputs": _outputs(),
    }


def _kms_key(name: str, params: S3BucketParameters) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "Description": f"Encrypts the objects of the S3 bucket {name}",
        "EnableKeyRotation": True,
        "KeyPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    # The account root principal: access is then granted through IAM.
                    "Sid": "EnableIamPolicies",
                    "Effect": "Allow",
                    "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
    }
    if params.tags:
        properties["Tags"] = _tags(params.tags)
    return {
        "Type": "AWS::KMS::Key",
        # Objects of a retained bucket stay readable only while their key exists.
        "DeletionPolicy": params.deletion_policy.value,
        "UpdateReplacePolicy": params.deletion_policy.value,
        "Properties": properties,
    }


def _bucket(params: S3BucketParameters, creates_key: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if params.bucket_name is not None:
        properties["BucketName"] = params.bucket_name
    properties["BucketEncryption"] = _encryption(params, creates_key)
    # "Suspended" rather than nothing, so that turning versioning off updates the bucket.
    properties["VersioningConfiguration"] = {
        "Status": "Enabled" if params.versioning else "Suspended"
    }
    # Explicit flags either way: S3 blocks public access on new buckets unless told not to.
    flag = params.block_public_access
    properties["PublicAccessBlockConfiguration"] = {
        "BlockPublicAcls": flag,
        "BlockPublicPolicy": flag,
        "IgnorePublicAcls": flag,
        "RestrictPublicBuckets": flag,
    }
    properties["OwnershipControls"] = {
        "Rules": [{"ObjectOwnership": params.object_ownership.value}]
    }
    if params.lifecycle:
        properties["LifecycleConfiguration"] = {
            "Rules": [_lifecycle_rule(rule) for rule in params.lifecycle]
        }
    if params.access_logging is not None:
        logging: dict[str, Any] = {"DestinationBucketName": params.access_logging.target_bucket}
        if params.access_logging.prefix:
            logging["LogFilePrefix"] = params.access_logging.prefix
        properties["LoggingConfiguration"] = logging
    if params.tags:
        properties["Tags"] = _tags(params.tags)
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": params.deletion_policy.value,
        "UpdateReplacePolicy": params.deletion_policy.value,
        "Properties": properties,
    }


def _encryption(params: S3BucketParameters, creates_key: bool) -> dict[str, Any]:
    default: dict[str, Any] = {"SSEAlgorithm": _SSE_ALGORITHMS[params.encryption]}
    if params.encryption.uses_kms:
        default["KMSMasterKeyID"] = (
            get_att(BUCKET_KEY, "Arn") if creates_key else params.kms_key_arn
        )
    rule: dict[str, Any] = {"ServerSideEncryptionByDefault": default}
    if params.encryption is Encryption.SSE_KMS:
        rule["BucketKeyEnabled"] = params.bucket_key_enabled
    return {"ServerSideEncryptionConfiguration": [rule]}


def _lifecycle_rule(rule: LifecycleRule) -> dict[str, Any]:
    result: dict[str, Any] = {"Id": rule.id, "Status": "Enabled"}
    if rule.prefix:
        result["Prefix"] = rule.prefix
    if rule.expiration_days is not None:
        result["ExpirationInDays"] = rule.expiration_days
    if rule.noncurrent_expiration_days is not None:
        result["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule.noncurrent_expiration_days}
    if rule.abort_incomplete_multipart_days is not None:
        result["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule.abort_incomplete_multipart_days
        }
    if rule.transitions:
        result["Transitions"] = [
            {"StorageClass": t.storage_class.value, "TransitionInDays": t.days}
            for t in rule.transitions
        ]
    return result


def _tls_policy() -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref(BUCKET),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [get_att(BUCKET, "Arn"), sub(f"${{{BUCKET}.Arn}}/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            },
        },
    }


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    # Sorted so that the order the user wrote them in does not change the output.
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def _outputs() -> dict[str, Any]:
    return {
        "BucketName": {"Description": "Name of the bucket", "Value": ref(BUCKET)},
        "BucketArn": {"Description": "ARN of the bucket", "Value": get_att(BUCKET, "Arn")},
        "BucketDomainName": {
            "Description": "IPv4 DNS name of the bucket",
            "Value": get_att(BUCKET, "DomainName"),
        },
        "BucketRegionalDomainName": {
            "Description": "Regional domain name of the bucket",
            "Value": get_att(BUCKET, "RegionalDomainName"),
        },
    }

"""The ``aws-s3-bucket`` template as plain data, and its rendering to text.

:func:`build_template` gives the CloudFormation template as dicts and lists (plus
:class:`~.intrinsics.Intrinsic` values), in a fixed key order, so that the same parameters
always give the same bytes whatever the writer.

Besides the bucket, the template may create: its KMS key (KMS encryption without a key ARN),
its bucket policy (TLS only, public website), a log bucket with its policy (access logging
without a target bucket: the default) and the replication role with its policy
(replication without a role ARN).
"""

from __future__ import annotations

from typing import Any

from cloudcraver_hookspecs import PluginInputError, RenderedTemplate, RenderRequest

from .intrinsics import Intrinsic, get_att, ref, sub
from .params import (
    CorsRule,
    Encryption,
    LifecycleRule,
    Replication,
    RoutingRule,
    S3BucketParameters,
    S3PluginConfig,
    Transition,
    Website,
    kms_key_region,
)

__all__ = [
    "BUCKET",
    "BUCKET_KEY",
    "BUCKET_POLICY",
    "FORMATS",
    "LOG_BUCKET",
    "LOG_BUCKET_POLICY",
    "LOG_BUCKET_SKIPPED_CHECKS",
    "REPLICATION_POLICY",
    "REPLICATION_ROLE",
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
#: Logical id of the bucket policy (TLS only and/or public website read).
BUCKET_POLICY = "BucketPolicy"
#: Logical id of the KMS key the template creates for sse-kms/dsse-kms without a key ARN.
BUCKET_KEY = "BucketKey"
#: Logical id of the log bucket created for access logging without a target bucket.
LOG_BUCKET = "LogBucket"
#: Logical id of the log bucket's policy (log delivery and TLS only).
LOG_BUCKET_POLICY = "LogBucketPolicy"
#: Logical id of the IAM role created for replication without a role ARN.
REPLICATION_ROLE = "ReplicationRole"
#: Logical id of that role's policy.
REPLICATION_POLICY = "ReplicationRolePolicy"

#: checkov checks the created log bucket is marked to skip (in its ``Metadata``), and why.
LOG_BUCKET_SKIPPED_CHECKS = {
    "CKV_AWS_18": (
        f"This bucket receives the server access logs of {BUCKET}; logging its own access "
        "into itself would log every log delivery again, which AWS advises against"
    ),
}

_SSE_ALGORITHMS = {
    Encryption.SSE_S3: "AES256",
    Encryption.SSE_KMS: "aws:kms",
    Encryption.DSSE_KMS: "aws:kms:dsse",
}
# CloudFormation stack names are at most 128 characters; instance names follow suit so the
# Description (at most 1024 bytes) always fits.
_MAX_NAME = 128
_POLICY_VERSION = "2012-10-17"


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
    if params.creates_kms_key:
        resources[BUCKET_KEY] = _kms_key(name, params)
    resources[BUCKET] = _bucket(params)
    statements = _bucket_policy_statements(params)
    if statements:
        resources[BUCKET_POLICY] = _bucket_policy(BUCKET, statements)
    if params.access_logging.creates_bucket:
        resources[LOG_BUCKET] = _log_bucket(params)
        resources[LOG_BUCKET_POLICY] = _bucket_policy(
            LOG_BUCKET, [_deny_insecure_transport(LOG_BUCKET), _allow_log_delivery(params)]
        )
    if params.replication is not None and params.creates_replication_role:
        resources[REPLICATION_ROLE] = _replication_role(name, params)
        resources[REPLICATION_POLICY] = _replication_policy(params, params.replication)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Amazon S3 bucket {name} (Cloud Craver template {TEMPLATE_NAME})",
        "Resources": resources,
        "Outputs": _outputs(params),
    }


def _policies(params: S3BucketParameters) -> dict[str, str]:
    # Both attributes always, so cfn-lint (W3011) sees the resource protected either way.
    return {
        "DeletionPolicy": params.deletion_policy.value,
        "UpdateReplacePolicy": params.effective_update_replace_policy.value,
    }


def _kms_key(name: str, params: S3BucketParameters) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "Description": f"Encrypts the objects of the S3 bucket {name}",
        "EnableKeyRotation": True,
        "KeyPolicy": {
            "Version": _POLICY_VERSION,
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
    # Objects of a retained bucket stay readable only while their key exists.
    return {"Type": "AWS::KMS::Key", **_policies(params), "Properties": properties}


def _bucket(params: S3BucketParameters) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if params.bucket_name is not None:
        properties["BucketName"] = params.bucket_name
    properties["BucketEncryption"] = _encryption(params)
    # "Suspended" rather than nothing, so that turning versioning off updates the bucket.
    properties["VersioningConfiguration"] = {
        "Status": "Enabled" if params.versioning else "Suspended"
    }
    if params.object_lock is not None:
        properties["ObjectLockEnabled"] = True
        lock = params.object_lock
        if lock.mode is not None:
            retention: dict[str, Any] = {"Mode": lock.mode.value}
            if lock.days is not None:
                retention["Days"] = lock.days
            else:
                retention["Years"] = lock.years
            properties["ObjectLockConfiguration"] = {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": retention},
            }
    properties["PublicAccessBlockConfiguration"] = _public_access_block(params.block_public_access)
    properties["OwnershipControls"] = {
        "Rules": [{"ObjectOwnership": params.object_ownership.value}]
    }
    if params.lifecycle:
        properties["LifecycleConfiguration"] = {
            "Rules": [_lifecycle_rule(rule) for rule in params.lifecycle]
        }
    logging = params.access_logging
    if logging.enabled:
        target: Any = ref(LOG_BUCKET) if logging.target_bucket is None else logging.target_bucket
        properties["LoggingConfiguration"] = {"DestinationBucketName": target}
        if logging.prefix:
            properties["LoggingConfiguration"]["LogFilePrefix"] = logging.prefix
    if params.cors:
        properties["CorsConfiguration"] = {"CorsRules": [_cors_rule(rule) for rule in params.cors]}
    if params.website is not None:
        properties["WebsiteConfiguration"] = _website(params.website)
    if params.replication is not None:
        properties["ReplicationConfiguration"] = _replication(params, params.replication)
    if params.tags:
        properties["Tags"] = _tags(params.tags)
    return {"Type": "AWS::S3::Bucket", **_policies(params), "Properties": properties}


def _public_access_block(flag: bool) -> dict[str, bool]:
    # Explicit flags either way: S3 blocks public access on new buckets unless told not to.
    return {
        "BlockPublicAcls": flag,
        "BlockPublicPolicy": flag,
        "IgnorePublicAcls": flag,
        "RestrictPublicBuckets": flag,
    }


def _encryption(params: S3BucketParameters) -> dict[str, Any]:
    default: dict[str, Any] = {"SSEAlgorithm": _SSE_ALGORITHMS[params.encryption]}
    if params.encryption.uses_kms:
        default["KMSMasterKeyID"] = _source_key_arn(params)
    rule: dict[str, Any] = {"ServerSideEncryptionByDefault": default}
    if params.encryption is Encryption.SSE_KMS:
        rule["BucketKeyEnabled"] = params.bucket_key_enabled
    return {"ServerSideEncryptionConfiguration": [rule]}


def _source_key_arn(params: S3BucketParameters) -> Any:
    return get_att(BUCKET_KEY, "Arn") if params.creates_kms_key else params.kms_key_arn


def _lifecycle_rule(rule: LifecycleRule) -> dict[str, Any]:
    # CloudFormation combines Prefix, TagFilters and the object sizes into one And filter.
    result: dict[str, Any] = {"Id": rule.id, "Status": "Enabled" if rule.enabled else "Disabled"}
    if rule.prefix:
        result["Prefix"] = rule.prefix
    if rule.tags:
        result["TagFilters"] = _tags(rule.tags)
    # Strings in CloudFormation's schema (they may exceed a 32-bit integer).
    if rule.object_size_greater_than is not None:
        result["ObjectSizeGreaterThan"] = str(rule.object_size_greater_than)
    if rule.object_size_less_than is not None:
        result["ObjectSizeLessThan"] = str(rule.object_size_less_than)
    if rule.expiration_days is not None:
        result["ExpirationInDays"] = rule.expiration_days
    if rule.expired_object_delete_marker:
        result["ExpiredObjectDeleteMarker"] = True
    if rule.transitions:
        result["Transitions"] = _transitions(rule.transitions)
    if rule.noncurrent_expiration_days is not None:
        expiration: dict[str, Any] = {"NoncurrentDays": rule.noncurrent_expiration_days}
        if rule.noncurrent_newer_versions is not None:
            expiration["NewerNoncurrentVersions"] = rule.noncurrent_newer_versions
        result["NoncurrentVersionExpiration"] = expiration
    if rule.noncurrent_transitions:
        result["NoncurrentVersionTransitions"] = _transitions(rule.noncurrent_transitions)
    if rule.abort_incomplete_multipart_days is not None:
        result["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule.abort_incomplete_multipart_days
        }
    return result


def _transitions(transitions: list[Transition]) -> list[dict[str, Any]]:
    return [
        {"StorageClass": item.storage_class.value, "TransitionInDays": item.days}
        for item in transitions
    ]


def _cors_rule(rule: CorsRule) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if rule.id is not None:
        result["Id"] = rule.id
    result["AllowedMethods"] = [method.value for method in rule.allowed_methods]
    result["AllowedOrigins"] = list(rule.allowed_origins)
    if rule.allowed_headers:
        result["AllowedHeaders"] = list(rule.allowed_headers)
    if rule.exposed_headers:
        result["ExposedHeaders"] = list(rule.exposed_headers)
    if rule.max_age_seconds is not None:
        result["MaxAge"] = rule.max_age_seconds
    return result


def _website(website: Website) -> dict[str, Any]:
    redirect = website.redirect_all_requests_to
    if redirect is not None:
        target: dict[str, Any] = {"HostName": redirect.host_name}
        if redirect.protocol is not None:
            target["Protocol"] = redirect.protocol.value
        return {"RedirectAllRequestsTo": target}
    result: dict[str, Any] = {"IndexDocument": website.index_document}
    if website.error_document is not None:
        result["ErrorDocument"] = website.error_document
    if website.routing_rules:
        result["RoutingRules"] = [_routing_rule(rule) for rule in website.routing_rules]
    return result


def _routing_rule(rule: RoutingRule) -> dict[str, Any]:
    redirect: dict[str, Any] = {}
    if rule.host_name is not None:
        redirect["HostName"] = rule.host_name
    if rule.protocol is not None:
        redirect["Protocol"] = rule.protocol.value
    if rule.replace_key_prefix_with is not None:
        redirect["ReplaceKeyPrefixWith"] = rule.replace_key_prefix_with
    if rule.replace_key_with is not None:
        redirect["ReplaceKeyWith"] = rule.replace_key_with
    # Status codes are strings in the website configuration.
    if rule.http_redirect_code is not None:
        redirect["HttpRedirectCode"] = str(rule.http_redirect_code)
    result: dict[str, Any] = {"RedirectRule": redirect}
    condition: dict[str, Any] = {}
    if rule.http_error_code_returned_equals is not None:
        condition["HttpErrorCodeReturnedEquals"] = str(rule.http_error_code_returned_equals)
    if rule.key_prefix_equals is not None:
        condition["KeyPrefixEquals"] = rule.key_prefix_equals
    if condition:
        result["RoutingRuleCondition"] = condition
    return result


def _replication(params: S3BucketParameters, replication: Replication) -> dict[str, Any]:
    destination: dict[str, Any] = {"Bucket": replication.destination_bucket_arn}
    if replication.storage_class is not None:
        destination["StorageClass"] = replication.storage_class.value
    rule: dict[str, Any] = {
        "Id": "Replication",
        "Status": "Enabled",
        # Filter, Priority and DeleteMarkerReplication make this a V2 rule, the current one.
        "Priority": 0,
        "Filter": {"Prefix": replication.prefix},
        "DeleteMarkerReplication": {
            "Status": "Enabled" if replication.replicate_delete_markers else "Disabled"
        },
        "Destination": destination,
    }
    if params.encryption.uses_kms:
        # Without this S3 skips KMS-encrypted objects; the replicas need their own key.
        destination["EncryptionConfiguration"] = {
            "ReplicaKmsKeyID": replication.replica_kms_key_arn
        }
        rule["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    role: Any = (
        get_att(REPLICATION_ROLE, "Arn") if replication.role_arn is None else replication.role_arn
    )
    return {"Role": role, "Rules": [rule]}


# ---------------------------------------------------------------------- bucket policies


def _bucket_policy(bucket: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref(bucket),
            "PolicyDocument": {"Version": _POLICY_VERSION, "Statement": statements},
        },
    }


def _bucket_policy_statements(params: S3BucketParameters) -> list[dict[str, Any]]:
    statements = []
    if params.enforce_tls:
        statements.append(_deny_insecure_transport(BUCKET))
    if params.website is not None and params.website.public:
        statements.append(
            {
                "Sid": "AllowPublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": _objects(BUCKET),
            }
        )
    return statements


def _objects(bucket: str, prefix: str = "") -> Intrinsic:
    """The ARN pattern of the objects of a bucket of this template (under ``prefix``)."""
    return sub(f"${{{bucket}.Arn}}/{prefix}*")


def _deny_insecure_transport(bucket: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [get_att(bucket, "Arn"), _objects(bucket)],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _allow_log_delivery(params: S3BucketParameters) -> dict[str, Any]:
    # The bucket-policy grant AWS documents for log buckets that disable ACLs
    # (BucketOwnerEnforced), limited to this bucket's logs from this account.
    return {
        "Sid": "AllowServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": _objects(LOG_BUCKET, params.access_logging.prefix),
        "Condition": {
            "ArnLike": {"aws:SourceArn": get_att(BUCKET, "Arn")},
            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
        },
    }


def _log_bucket(params: S3BucketParameters) -> dict[str, Any]:
    # Hardened like the default bucket whatever the bucket's own options: S3-managed keys
    # (the only default encryption S3 supports for server access log delivery), versioned,
    # private, ACLs disabled, TLS only (its policy).
    properties: dict[str, Any] = {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": _public_access_block(True),
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    }
    retention = params.access_logging.retention_days
    if retention is not None:
        # Expiring a versioned object leaves it noncurrent: remove that version a day later.
        properties["LifecycleConfiguration"] = {
            "Rules": [
                {
                    "Id": "ExpireAccessLogs",
                    "Status": "Enabled",
                    "ExpirationInDays": retention,
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                }
            ]
        }
    if params.tags:
        properties["Tags"] = _tags(params.tags)
    skipped = [
        {"id": check, "comment": reason} for check, reason in LOG_BUCKET_SKIPPED_CHECKS.items()
    ]
    return {
        "Type": "AWS::S3::Bucket",
        **_policies(params),
        "Metadata": {"checkov": {"skip": skipped}},
        "Properties": properties,
    }


# ---------------------------------------------------------------------- replication role


def _replication_role(name: str, params: S3BucketParameters) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    if params.bucket_name is not None:
        # Only a known name can be written here: the bucket's ARN attribute would make the
        # role depend on the bucket, which depends on the role.
        condition["ArnLike"] = {
            "aws:SourceArn": sub(f"arn:${{AWS::Partition}}:s3:::{params.bucket_name}")
        }
    properties: dict[str, Any] = {
        "Description": f"Replicates the objects of the S3 bucket {name}",
        "AssumeRolePolicyDocument": {
            "Version": _POLICY_VERSION,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": condition,
                }
            ],
        },
    }
    if params.tags:
        properties["Tags"] = _tags(params.tags)
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def _replication_policy(params: S3BucketParameters, replication: Replication) -> dict[str, Any]:
    """The least privilege the S3 User Guide lists for live replication.

    A resource of its own (not a property of the role) because it names the bucket's ARN,
    and the bucket names the role's.
    """
    prefix = replication.prefix
    read = [
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
    ]
    if params.object_lock is not None:
        read += ["s3:GetObjectRetention", "s3:GetObjectLegalHold"]
    write = ["s3:ReplicateObject", "s3:ReplicateTags"]
    if replication.replicate_delete_markers:
        write.insert(1, "s3:ReplicateDelete")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadReplicationConfiguration",
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Resource": get_att(BUCKET, "Arn"),
        },
        {
            "Sid": "ReadSourceVersions",
            "Effect": "Allow",
            "Action": read,
            "Resource": _objects(BUCKET, prefix),
        },
        {
            "Sid": "WriteReplicas",
            "Effect": "Allow",
            "Action": write,
            "Resource": f"{replication.destination_bucket_arn}/{prefix}*",
        },
    ]
    if params.encryption.uses_kms:
        statements += _replication_key_statements(params, replication)
    return {
        "Type": "AWS::IAM::RolePolicy",
        "Properties": {
            "RoleName": ref(REPLICATION_ROLE),
            "PolicyName": "s3-replication",
            "PolicyDocument": {"Version": _POLICY_VERSION, "Statement": statements},
        },
    }


def _replication_key_statements(
    params: S3BucketParameters, replication: Replication
) -> list[dict[str, Any]]:
    # Each key only through S3, only for these buckets' objects (with S3 Bucket Keys the
    # encryption context is the bucket's ARN, otherwise the object's).
    replica_key = replication.replica_kms_key_arn
    assert replica_key is not None  # required with KMS encryption (params)
    destination = replication.destination_bucket_arn
    encrypt = ["kms:Encrypt"]
    if params.encryption is Encryption.DSSE_KMS:
        encrypt.append("kms:GenerateDataKey")
    return [
        {
            "Sid": "DecryptSourceObjects",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": _source_key_arn(params),
            "Condition": {
                "StringEquals": {"kms:ViaService": sub("s3.${AWS::Region}.amazonaws.com")},
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": [
                        get_att(BUCKET, "Arn"),
                        _objects(BUCKET, replication.prefix),
                    ]
                },
            },
        },
        {
            "Sid": "EncryptReplicas",
            "Effect": "Allow",
            "Action": encrypt,
            "Resource": replica_key,
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": f"s3.{kms_key_region(replica_key)}.amazonaws.com"
                },
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": [
                        destination,
                        f"{destination}/{replication.prefix}*",
                    ]
                },
            },
        },
    ]


# ---------------------------------------------------------------------- tags and outputs


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    # Sorted so that the order the user wrote them in does not change the output.
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def _outputs(params: S3BucketParameters) -> dict[str, Any]:
    outputs: dict[str, Any] = {
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
    if params.website is not None:
        outputs["WebsiteURL"] = {
            "Description": "URL of the website endpoint (plain HTTP)",
            "Value": get_att(BUCKET, "WebsiteURL"),
        }
    if params.access_logging.creates_bucket:
        outputs["LogBucketName"] = {
            "Description": "Name of the bucket receiving the access logs",
            "Value": ref(LOG_BUCKET),
        }
    if params.creates_kms_key:
        outputs["KmsKeyArn"] = {
            "Description": "ARN of the KMS key encrypting the bucket",
            "Value": get_att(BUCKET_KEY, "Arn"),
        }
    if params.creates_replication_role:
        outputs["ReplicationRoleArn"] = {
            "Description": "ARN of the IAM role S3 replicates with",
            "Value": get_att(REPLICATION_ROLE, "Arn"),
        }
    return outputs

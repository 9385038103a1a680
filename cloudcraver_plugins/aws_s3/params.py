"""The parameters of the ``aws-s3-bucket`` template and the plugin's configuration.

Every rule AWS enforces on a value (bucket names, tags, lifecycle days) is checked here, so
that a template that renders is a template CloudFormation accepts; every combination of
options that cannot work together is refused with a message naming both options.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "AccessLogging",
    "DeletionPolicy",
    "Encryption",
    "LifecycleRule",
    "ObjectOwnership",
    "S3BucketParameters",
    "S3PluginConfig",
    "StorageClass",
    "Transition",
    "bucket_name_problem",
    "describe_validation_error",
    "effective_parameters",
    "tags_problem",
]

#: Prefixes AWS reserves: a bucket name must not start with one.
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
#: Suffixes AWS reserves for access points, aliases and other bucket types.
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
#: The most tags an S3 bucket (and a KMS key) may carry.
MAX_TAGS = 50

_IP_ADDRESS = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_TAG_CHARACTERS = re.compile(r"[\w\s+\-=.:/@]*")
_KMS_ARN = re.compile(r"arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+")
# Storage classes that keep an object at least 30 days before S3 accepts the transition.
_THIRTY_DAY_CLASSES = frozenset({"STANDARD_IA", "ONEZONE_IA"})


class Encryption(str, enum.Enum):
    """Server-side encryption of new objects."""

    SSE_S3 = "sse-s3"
    SSE_KMS = "sse-kms"
    DSSE_KMS = "dsse-kms"

    @property
    def uses_kms(self) -> bool:
        """Whether the encryption uses a KMS key."""
        return self is not Encryption.SSE_S3


class ObjectOwnership(str, enum.Enum):
    """Who owns uploaded objects, and whether ACLs are honoured."""

    BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"
    BUCKET_OWNER_PREFERRED = "BucketOwnerPreferred"
    OBJECT_WRITER = "ObjectWriter"


class DeletionPolicy(str, enum.Enum):
    """What CloudFormation does with the bucket when the stack deletes or replaces it."""

    RETAIN = "Retain"
    DELETE = "Delete"


class StorageClass(str, enum.Enum):
    """Storage classes a lifecycle transition may move objects to."""

    STANDARD_IA = "STANDARD_IA"
    ONEZONE_IA = "ONEZONE_IA"
    INTELLIGENT_TIERING = "INTELLIGENT_TIERING"
    GLACIER_IR = "GLACIER_IR"
    GLACIER = "GLACIER"
    DEEP_ARCHIVE = "DEEP_ARCHIVE"


def bucket_name_problem(name: str) -> str | None:
    """The S3 bucket naming rule ``name`` breaks, or ``None`` when it follows them all."""
    if not 3 <= len(name) <= 63:
        return f"S3 bucket names are 3 to 63 characters long (this one has {len(name)})"
    invalid = sorted(set(re.sub(r"[a-z0-9.-]", "", name)))
    if invalid:
        shown = ", ".join(repr(char) for char in invalid)
        return (
            f"S3 bucket names use only lowercase letters, digits, hyphens and dots (found {shown})"
        )
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "S3 bucket names start and end with a lowercase letter or a digit"
    if ".." in name:
        return "S3 bucket names must not contain two adjacent dots"
    if _IP_ADDRESS.fullmatch(name):
        return "S3 bucket names must not be formatted as an IP address"
    for prefix in RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"S3 bucket names must not start with the reserved prefix {prefix!r}"
    for suffix in RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"S3 bucket names must not end with the reserved suffix {suffix!r}"
    return None


def tags_problem(tags: Mapping[str, str]) -> str | None:
    """The AWS tagging rule ``tags`` breaks, or ``None``."""
    if len(tags) > MAX_TAGS:
        return f"a bucket carries at most {MAX_TAGS} tags ({len(tags)} given)"
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            return f"tag key {key!r}: tag keys are 1 to 128 characters long"
        if len(value) > 256:
            return f"tag {key!r}: tag values are at most 256 characters long"
        if key.lower().startswith("aws:"):
            return f"tag key {key!r}: the prefix 'aws:' is reserved for AWS"
        for text in (key, value):
            if not _TAG_CHARACTERS.fullmatch(text):
                return (
                    f"tag {key!r}: tags use letters, digits, spaces and + - = . _ : / @ only "
                    f"(in {text!r})"
                )
    return None


def _checked_tags(value: dict[str, str]) -> dict[str, str]:
    problem = tags_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Transition(_Model):
    """Moves objects to a cheaper storage class some days after creation."""

    days: int = Field(ge=0, description="Days after object creation.")
    storage_class: StorageClass = Field(description="The storage class to move objects to.")

    @model_validator(mode="after")
    def _check_minimum_days(self) -> Transition:
        if self.storage_class.value in _THIRTY_DAY_CLASSES and self.days < 30:
            raise ValueError(
                f"transitions to {self.storage_class.value} happen 30 days or more after "
                f"creation (days = {self.days})"
            )
        return self


class LifecycleRule(_Model):
    """One lifecycle rule: what happens to objects (under a prefix) as they age."""

    id: str = Field(min_length=1, max_length=255, description="Unique identifier of the rule.")
    prefix: str = Field(
        "", max_length=1024, description="Apply to object keys starting with this (all if empty)."
    )
    expiration_days: int | None = Field(
        None, ge=1, description="Delete current objects this many days after creation."
    )
    noncurrent_expiration_days: int | None = Field(
        None, ge=1, description="Delete noncurrent versions this many days after they became so."
    )
    abort_incomplete_multipart_days: int | None = Field(
        None, ge=1, description="Abort multipart uploads still incomplete after this many days."
    )
    transitions: list[Transition] = Field(
        default_factory=list, description="Storage class transitions, in increasing days."
    )

    @model_validator(mode="after")
    def _check_rule(self) -> LifecycleRule:
        actions = (
            self.expiration_days,
            self.noncurrent_expiration_days,
            self.abort_incomplete_multipart_days,
        )
        if all(action is None for action in actions) and not self.transitions:
            raise ValueError(
                f"lifecycle rule {self.id!r} does nothing: set expiration_days, "
                "noncurrent_expiration_days, abort_incomplete_multipart_days or transitions"
            )
        self._check_transitions()
        return self

    def _check_transitions(self) -> None:
        seen: set[StorageClass] = set()
        previous: Transition | None = None
        for index, transition in enumerate(self.transitions):
            if transition.storage_class in seen:
                raise ValueError(
                    f"lifecycle rule {self.id!r}: transitions[{index}] moves to "
                    f"{transition.storage_class.value} a second time"
                )
            seen.add(transition.storage_class)
            if previous is not None and transition.days <= previous.days:
                raise ValueError(
                    f"lifecycle rule {self.id!r}: transitions[{index}].days ({transition.days}) "
                    f"must be greater than transitions[{index - 1}].days ({previous.days})"
                )
            previous = transition
        expiration = self.expiration_days
        if previous is not None and expiration is not None and expiration <= previous.days:
            raise ValueError(
                f"lifecycle rule {self.id!r}: expiration_days ({expiration}) must be greater "
                f"than transitions[{len(self.transitions) - 1}].days ({previous.days}): "
                "objects expire after their last transition"
            )


class AccessLogging(_Model):
    """Server access logging into another bucket."""

    target_bucket: str = Field(description="Name of the bucket that receives the access logs.")
    prefix: str = Field("", max_length=1024, description="Key prefix of the log objects.")

    @field_validator("target_bucket")
    @classmethod
    def _check_target(cls, value: str) -> str:
        problem = bucket_name_problem(value)
        if problem:
            raise ValueError(f"access_logging.target_bucket {value!r}: {problem}")
        return value


class S3BucketParameters(_Model):
    """Parameters of the ``aws-s3-bucket`` template; every one has a secure default."""

    bucket_name: str | None = Field(
        None,
        description="The bucket name; when unset, CloudFormation generates a unique one.",
    )
    versioning: bool = Field(True, description="Keep every version of every object.")
    encryption: Encryption = Field(
        Encryption.SSE_S3,
        description="Default server-side encryption: S3-managed keys (sse-s3), a KMS key "
        "(sse-kms) or dual-layer KMS encryption (dsse-kms).",
    )
    kms_key_arn: str | None = Field(
        None,
        description="ARN of an existing KMS key or alias for sse-kms/dsse-kms; when unset, "
        "the template creates a key with automatic rotation.",
    )
    bucket_key_enabled: bool = Field(
        True, description="Use an S3 Bucket Key to cut KMS requests (sse-kms only)."
    )
    block_public_access: bool = Field(
        True, description="Turn on all four S3 Block Public Access settings."
    )
    object_ownership: ObjectOwnership = Field(
        ObjectOwnership.BUCKET_OWNER_ENFORCED,
        description="Object ownership; BucketOwnerEnforced disables ACLs.",
    )
    enforce_tls: bool = Field(
        True, description="Add a bucket policy denying requests not made over TLS."
    )
    tags: dict[str, str] = Field(
        default_factory=dict, description="Tags of the bucket (and of the KMS key it creates)."
    )
    lifecycle: list[LifecycleRule] | None = Field(None, description="Lifecycle rules.")
    access_logging: AccessLogging | None = Field(
        None, description="Server access logging into another bucket."
    )
    deletion_policy: DeletionPolicy = Field(
        DeletionPolicy.RETAIN,
        description="Keep (Retain) or delete (Delete) the bucket when the stack deletes it.",
    )

    @field_validator("bucket_name")
    @classmethod
    def _check_bucket_name(cls, value: str | None) -> str | None:
        if value is not None:
            problem = bucket_name_problem(value)
            if problem:
                raise ValueError(f"bucket_name {value!r}: {problem}")
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _check_kms_key_arn(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_ARN.fullmatch(value):
            raise ValueError(
                f"kms_key_arn {value!r}: expected a KMS key or alias ARN such as "
                "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _check_tags(cls, value: dict[str, str]) -> dict[str, str]:
        return _checked_tags(value)

    @model_validator(mode="after")
    def _check_combinations(self) -> S3BucketParameters:
        self._check_encryption_options()
        logging = self.access_logging
        if logging is not None and logging.target_bucket == self.bucket_name:
            raise ValueError(
                "access_logging.target_bucket names the bucket itself (bucket_name "
                f"{self.bucket_name!r}); S3 logs into a different bucket"
            )
        for index, rule in enumerate(self.lifecycle or ()):
            if rule.noncurrent_expiration_days is not None and not self.versioning:
                raise ValueError(
                    f"lifecycle[{index}].noncurrent_expiration_days needs versioning: "
                    "without versioning = true there are no noncurrent versions to expire"
                )
        ids = [rule.id for rule in self.lifecycle or ()]
        duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicates:
            raise ValueError(f"lifecycle rule ids must be unique: {', '.join(duplicates)}")
        return self

    def _check_encryption_options(self) -> None:
        # Left unset, the encryption may still come from the plugin configuration's
        # default_encryption: the renderer sets it and validates again (effective_parameters).
        if "encryption" not in self.model_fields_set:
            return
        encryption = self.encryption.value
        if self.kms_key_arn is not None and not self.encryption.uses_kms:
            raise ValueError(
                f"kms_key_arn is set but encryption is {encryption!r}; a KMS key is used with "
                "encryption 'sse-kms' or 'dsse-kms' only"
            )
        # The default (True) applies only where bucket keys exist; an explicit True elsewhere
        # is a request S3 cannot honour (DSSE-KMS has no bucket keys).
        if (
            "bucket_key_enabled" in self.model_fields_set
            and self.bucket_key_enabled
            and self.encryption is not Encryption.SSE_KMS
        ):
            raise ValueError(
                f"bucket_key_enabled = true needs encryption 'sse-kms'; encryption is "
                f"{encryption!r}, which has no S3 Bucket Keys"
            )


class S3PluginConfig(_Model):
    """The ``[plugins.aws-s3]`` configuration."""

    default_tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags added to every bucket; a template's own tags win on the same key.",
    )
    default_encryption: Encryption | None = Field(
        None, description="Encryption used when a template does not choose one."
    )

    @field_validator("default_tags")
    @classmethod
    def _check_tags(cls, value: dict[str, str]) -> dict[str, str]:
        return _checked_tags(value)


def describe_validation_error(error: ValidationError) -> str:
    """A one-line description of every problem in ``error``, each with its parameter."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def effective_parameters(parameters: Any, config: S3PluginConfig | None) -> S3BucketParameters:
    """The parameters with the plugin configuration's defaults applied, validated again.

    The encryption is always set explicitly here (from the parameters, the configuration or
    the model's default), so validating again holds it to the combination rules as if the
    user had typed it: ``kms_key_arn`` without a KMS encryption is refused only now.

    :raises ValidationError: if the combination is invalid.
    """
    if isinstance(parameters, S3BucketParameters):
        data = parameters.model_dump(exclude_unset=True)
    else:
        data = dict(parameters or {})
    if config is not None and config.default_tags:
        data["tags"] = {**config.default_tags, **(data.get("tags") or {})}
    if "encryption" not in data:
        configured = config.default_encryption if config is not None else None
        data["encryption"] = configured or Encryption.SSE_S3
    return S3BucketParameters.model_validate(data)

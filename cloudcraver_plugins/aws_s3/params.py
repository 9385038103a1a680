"""The parameters of the ``aws-s3-bucket`` template and the plugin's configuration.

Every rule AWS enforces on a value (bucket names, tags, lifecycle days, ARNs) is checked
here, so that a template that renders is a template CloudFormation accepts; every
combination of options that cannot work together is refused with a message naming both
options and the rule. Messages of nested models name the option from the template's
parameters down (``website.public``), since the host prefixes only the first key.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "AccessLogging",
    "CorsMethod",
    "CorsRule",
    "DeletionPolicy",
    "Encryption",
    "LifecycleRule",
    "ObjectLock",
    "ObjectLockMode",
    "ObjectOwnership",
    "RedirectAllRequests",
    "RedirectProtocol",
    "ReplicaStorageClass",
    "Replication",
    "RoutingRule",
    "S3BucketParameters",
    "S3PluginConfig",
    "StorageClass",
    "Transition",
    "Website",
    "bucket_name_problem",
    "describe_validation_error",
    "effective_parameters",
    "kms_key_region",
    "tags_problem",
]

#: Prefixes AWS reserves: a bucket name must not start with one.
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
#: Suffixes AWS reserves for access points, aliases and other bucket types.
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
#: The most tags an S3 bucket (and a KMS key) may carry.
MAX_TAGS = 50
#: The most tags an object carries: a lifecycle filter asking for more matches nothing.
MAX_OBJECT_TAGS = 10
#: The most rules of one lifecycle configuration, CORS configuration and website.
MAX_LIFECYCLE_RULES = 1000
MAX_CORS_RULES = 100
MAX_ROUTING_RULES = 50
#: The longest default Object Lock retention S3 accepts (100 years).
MAX_RETENTION_DAYS = 36500
MAX_RETENTION_YEARS = 100

_IP_ADDRESS = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_TAG_CHARACTERS = re.compile(r"[\w\s+\-=.:/@]*")
_PARTITION = r"aws(?:-[a-z]+)*"
_KMS_ARN = re.compile(rf"arn:{_PARTITION}:kms:[a-z0-9-]+:\d{{12}}:(key|alias)/[A-Za-z0-9/_-]+")
_KMS_KEY_ARN = re.compile(
    rf"arn:{_PARTITION}:kms:(?P<region>[a-z0-9-]+):\d{{12}}:key/[A-Za-z0-9-]+"
)
_IAM_ROLE_ARN = re.compile(rf"arn:{_PARTITION}:iam::\d{{12}}:role/[\w+=,.@/-]{{1,512}}")
_S3_BUCKET_ARN = re.compile(rf"arn:{_PARTITION}:s3:::(?P<name>[^/]+)")
# S3's "safe" key characters without '*': these prefixes are also written into IAM policy
# resources (where '*' would widen the grant) and Fn::Sub strings (where '$' is special).
_SAFE_PREFIX = re.compile(r"[A-Za-z0-9!_.'()/-]*")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*")


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
    """What CloudFormation does with a resource when the stack deletes or replaces it."""

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


class ReplicaStorageClass(str, enum.Enum):
    """Storage classes replicas may be stored in."""

    STANDARD = "STANDARD"
    STANDARD_IA = "STANDARD_IA"
    ONEZONE_IA = "ONEZONE_IA"
    INTELLIGENT_TIERING = "INTELLIGENT_TIERING"
    GLACIER_IR = "GLACIER_IR"
    GLACIER = "GLACIER"
    DEEP_ARCHIVE = "DEEP_ARCHIVE"


class ObjectLockMode(str, enum.Enum):
    """Object Lock retention modes: GOVERNANCE can be lifted with a permission, COMPLIANCE not."""

    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


class CorsMethod(str, enum.Enum):
    """HTTP methods a CORS rule may allow."""

    GET = "GET"
    PUT = "PUT"
    HEAD = "HEAD"
    POST = "POST"
    DELETE = "DELETE"


class RedirectProtocol(str, enum.Enum):
    """Protocols a website redirect may use."""

    HTTP = "http"
    HTTPS = "https"


# The lifecycle "waterfall": the classes S3 moves objects on to from each class (S3 User
# Guide, "Supported lifecycle transitions"). One Zone-IA cannot go to Glacier IR.
_NEXT_CLASSES: dict[StorageClass, frozenset[StorageClass]] = {
    StorageClass.STANDARD_IA: frozenset(
        {
            StorageClass.INTELLIGENT_TIERING,
            StorageClass.ONEZONE_IA,
            StorageClass.GLACIER_IR,
            StorageClass.GLACIER,
            StorageClass.DEEP_ARCHIVE,
        }
    ),
    StorageClass.INTELLIGENT_TIERING: frozenset(
        {
            StorageClass.ONEZONE_IA,
            StorageClass.GLACIER_IR,
            StorageClass.GLACIER,
            StorageClass.DEEP_ARCHIVE,
        }
    ),
    StorageClass.ONEZONE_IA: frozenset({StorageClass.GLACIER, StorageClass.DEEP_ARCHIVE}),
    StorageClass.GLACIER_IR: frozenset({StorageClass.GLACIER, StorageClass.DEEP_ARCHIVE}),
    StorageClass.GLACIER: frozenset({StorageClass.DEEP_ARCHIVE}),
    StorageClass.DEEP_ARCHIVE: frozenset(),
}
# Classes S3 accepts a transition to only 30 days or more after creation (or noncurrency).
_THIRTY_DAY_CLASSES = frozenset({StorageClass.STANDARD_IA, StorageClass.ONEZONE_IA})
# Classes objects stay in at least 30 days before a later transition of the same rule.
_THIRTY_DAY_STAY = frozenset(
    {
        StorageClass.STANDARD_IA,
        StorageClass.ONEZONE_IA,
        StorageClass.INTELLIGENT_TIERING,
        StorageClass.GLACIER_IR,
    }
)


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


def tags_problem(
    tags: Mapping[str, str], limit: int = MAX_TAGS, what: str = "a bucket"
) -> str | None:
    """The AWS tagging rule ``tags`` breaks, or ``None``.

    :param limit: the most tags allowed.
    :param what: what carries the tags, for the message.
    """
    if len(tags) > limit:
        return f"{what} carries at most {limit} tags ({len(tags)} given)"
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


def kms_key_region(arn: str) -> str | None:
    """The Region of a KMS key ARN (``None`` for an alias ARN or anything else)."""
    match = _KMS_KEY_ARN.fullmatch(arn)
    return match["region"] if match else None


def _checked_tags(value: dict[str, str]) -> dict[str, str]:
    problem = tags_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _checked_prefix(option: str, value: str) -> str:
    if not _SAFE_PREFIX.fullmatch(value):
        raise ValueError(
            f"{option} {value!r}: use letters, digits and ! _ . ' ( ) / - only (the prefix "
            "is written into IAM policies, where other characters change the meaning)"
        )
    return value


def _duplicates(values: Sequence[Any]) -> list[str]:
    seen: set[Any] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen:
            repeated.append(str(getattr(value, "value", value)))
        seen.add(value)
    return repeated


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------- lifecycle


class Transition(_Model):
    """Moves objects (or noncurrent versions) to a cheaper storage class after some days."""

    days: int = Field(
        ge=0,
        description="Days after object creation (in noncurrent_transitions: after the "
        "version became noncurrent).",
    )
    storage_class: StorageClass = Field(description="The storage class to move objects to.")

    @model_validator(mode="after")
    def _check_minimum_days(self) -> Transition:
        if self.storage_class in _THIRTY_DAY_CLASSES and self.days < 30:
            raise ValueError(
                f"transitions to {self.storage_class.value} happen 30 days or more after "
                f"creation or noncurrency (days = {self.days})"
            )
        return self


def _check_transitions(rule: str, option: str, transitions: Sequence[Transition]) -> None:
    """Refuse transitions S3 refuses: out of order, up the waterfall, or too soon."""
    for index in range(1, len(transitions)):
        previous, transition = transitions[index - 1], transitions[index]
        here = f"lifecycle rule {rule!r}: {option}[{index}]"
        if transition.days <= previous.days:
            raise ValueError(
                f"{here}.days ({transition.days}) must be greater than "
                f"{option}[{index - 1}].days ({previous.days})"
            )
        if transition.storage_class not in _NEXT_CLASSES[previous.storage_class]:
            allowed = sorted(c.value for c in _NEXT_CLASSES[previous.storage_class])
            raise ValueError(
                f"{here}: S3 does not move objects from {previous.storage_class.value} to "
                f"{transition.storage_class.value} (from {previous.storage_class.value}: "
                f"{', '.join(allowed) or 'nowhere'})"
            )
        if previous.storage_class in _THIRTY_DAY_STAY and transition.days - previous.days < 30:
            raise ValueError(
                f"{here}.days ({transition.days}) must be at least 30 more than "
                f"{option}[{index - 1}].days ({previous.days}): objects stay 30 days in "
                f"{previous.storage_class.value} before S3 moves them on"
            )


class LifecycleRule(_Model):
    """One lifecycle rule: what happens to the objects it selects as they age.

    The filters (``prefix``, ``tags``, object size) all apply together.
    """

    id: str = Field(min_length=1, max_length=255, description="Unique identifier of the rule.")
    enabled: bool = Field(True, description="Whether S3 applies the rule.")
    prefix: str = Field(
        "", max_length=1024, description="Apply to object keys starting with this (all if empty)."
    )
    tags: dict[str, str] = Field(
        default_factory=dict, description="Apply only to objects carrying all these tags."
    )
    object_size_greater_than: int | None = Field(
        None, ge=0, lt=10**20, description="Apply only to objects larger than this (bytes)."
    )
    object_size_less_than: int | None = Field(
        None, ge=1, lt=10**20, description="Apply only to objects smaller than this (bytes)."
    )
    expiration_days: int | None = Field(
        None, ge=1, description="Delete current objects this many days after creation."
    )
    expired_object_delete_marker: bool = Field(
        False, description="Remove delete markers left with no noncurrent version."
    )
    transitions: list[Transition] = Field(
        default_factory=list, description="Storage class transitions, in increasing days."
    )
    noncurrent_expiration_days: int | None = Field(
        None, ge=1, description="Delete noncurrent versions this many days after they became so."
    )
    noncurrent_newer_versions: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Keep this many newer noncurrent versions from noncurrent expiration.",
    )
    noncurrent_transitions: list[Transition] = Field(
        default_factory=list,
        description="Storage class transitions of noncurrent versions, in increasing days.",
    )
    abort_incomplete_multipart_days: int | None = Field(
        None, ge=1, description="Abort multipart uploads still incomplete after this many days."
    )

    @field_validator("tags")
    @classmethod
    def _check_tags(cls, value: dict[str, str]) -> dict[str, str]:
        problem = tags_problem(value, MAX_OBJECT_TAGS, "an object")
        if problem:
            raise ValueError(f"tags: {problem}")
        return value

    @model_validator(mode="after")
    def _check_rule(self) -> LifecycleRule:
        actions = (
            self.expiration_days,
            self.noncurrent_expiration_days,
            self.abort_incomplete_multipart_days,
        )
        if (
            all(action is None for action in actions)
            and not (self.transitions or self.noncurrent_transitions)
            and not self.expired_object_delete_marker
        ):
            raise ValueError(
                f"lifecycle rule {self.id!r} does nothing: set expiration_days, "
                "expired_object_delete_marker, transitions, noncurrent_expiration_days, "
                "noncurrent_transitions or abort_incomplete_multipart_days"
            )
        self._check_filters()
        self._check_delete_markers()
        _check_transitions(self.id, "transitions", self.transitions)
        _check_transitions(self.id, "noncurrent_transitions", self.noncurrent_transitions)
        self._check_expiration_after_transitions()
        return self

    def _check_filters(self) -> None:
        smallest, largest = self.object_size_greater_than, self.object_size_less_than
        if smallest is not None and largest is not None and largest <= smallest:
            raise ValueError(
                f"lifecycle rule {self.id!r}: object_size_less_than ({largest}) must be "
                f"greater than object_size_greater_than ({smallest})"
            )
        # Incomplete uploads are not objects yet: they have neither tags nor a size.
        if self.abort_incomplete_multipart_days is not None:
            if self.tags:
                raise ValueError(
                    f"lifecycle rule {self.id!r}: abort_incomplete_multipart_days cannot be "
                    "combined with tags: S3 refuses tag filters on multipart upload rules"
                )
            if smallest is not None or largest is not None:
                raise ValueError(
                    f"lifecycle rule {self.id!r}: abort_incomplete_multipart_days cannot be "
                    "combined with object_size_greater_than or object_size_less_than: S3 "
                    "refuses size filters on multipart upload rules"
                )

    def _check_delete_markers(self) -> None:
        if not self.expired_object_delete_marker:
            return
        if self.expiration_days is not None:
            raise ValueError(
                f"lifecycle rule {self.id!r}: expired_object_delete_marker cannot be combined "
                "with expiration_days (S3 removes expired delete markers itself then)"
            )
        if self.tags:
            raise ValueError(
                f"lifecycle rule {self.id!r}: expired_object_delete_marker cannot be combined "
                "with tags: delete markers carry no tags"
            )

    def _check_expiration_after_transitions(self) -> None:
        pairs = (
            ("expiration_days", self.expiration_days, "transitions", self.transitions),
            (
                "noncurrent_expiration_days",
                self.noncurrent_expiration_days,
                "noncurrent_transitions",
                self.noncurrent_transitions,
            ),
        )
        for name, expiration, option, transitions in pairs:
            if transitions and expiration is not None and expiration <= transitions[-1].days:
                raise ValueError(
                    f"lifecycle rule {self.id!r}: {name} ({expiration}) must be greater than "
                    f"{option}[{len(transitions) - 1}].days ({transitions[-1].days}): objects "
                    "expire after their last transition"
                )
        if self.noncurrent_newer_versions is not None and self.noncurrent_expiration_days is None:
            raise ValueError(
                f"lifecycle rule {self.id!r}: noncurrent_newer_versions needs "
                "noncurrent_expiration_days (it limits which noncurrent versions expire)"
            )

    @property
    def uses_noncurrent_versions(self) -> bool:
        """Whether the rule acts on noncurrent versions (which need versioning)."""
        return self.noncurrent_expiration_days is not None or bool(self.noncurrent_transitions)


# ---------------------------------------------------------------------- access logging


class AccessLogging(_Model):
    """Server access logging: into a bucket the template creates, or into an existing one."""

    enabled: bool = Field(True, description="Log every request made to the bucket.")
    target_bucket: str | None = Field(
        None,
        description="Name of an existing bucket receiving the logs (same account and Region, "
        "SSE-S3 encrypted); when unset, the template creates a log bucket.",
    )
    prefix: str = Field("", max_length=1024, description="Key prefix of the log objects.")
    retention_days: int | None = Field(
        None,
        ge=1,
        description="Delete logs this many days after delivery (created log bucket only); "
        "when unset, logs are kept.",
    )

    @field_validator("target_bucket")
    @classmethod
    def _check_target(cls, value: str | None) -> str | None:
        problem = None if value is None else bucket_name_problem(value)
        if problem:
            raise ValueError(f"access_logging.target_bucket {value!r}: {problem}")
        return value

    @field_validator("prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        return _checked_prefix("access_logging.prefix", value)

    @model_validator(mode="after")
    def _check_options(self) -> AccessLogging:
        if not self.enabled:
            for option in ("target_bucket", "prefix", "retention_days"):
                if getattr(self, option):
                    raise ValueError(
                        f"access_logging.{option} is set but access_logging.enabled is false; "
                        "logging options apply to enabled logging only"
                    )
        if self.target_bucket is not None and self.retention_days is not None:
            raise ValueError(
                "access_logging.retention_days applies to the log bucket the template creates, "
                f"but access_logging.target_bucket names an existing one ({self.target_bucket!r})"
            )
        return self

    @property
    def creates_bucket(self) -> bool:
        """Whether the template creates the log bucket."""
        return self.enabled and self.target_bucket is None


# ---------------------------------------------------------------------- CORS


class CorsRule(_Model):
    """One cross-origin resource sharing rule."""

    id: str | None = Field(
        None, min_length=1, max_length=255, description="Identifier of the rule."
    )
    allowed_methods: list[CorsMethod] = Field(
        min_length=1, description="HTTP methods the origins may use."
    )
    allowed_origins: list[str] = Field(
        min_length=1, description="Origins allowed (each may hold one '*' wildcard)."
    )
    allowed_headers: list[str] = Field(
        default_factory=list,
        description="Headers allowed in preflight requests (each may hold one '*').",
    )
    exposed_headers: list[str] = Field(
        default_factory=list, description="Response headers browsers may expose to scripts."
    )
    max_age_seconds: int | None = Field(
        None, ge=0, description="How long browsers may cache the preflight response."
    )

    @model_validator(mode="after")
    def _check_rule(self) -> CorsRule:
        lists: tuple[tuple[str, Sequence[Any]], ...] = (
            ("allowed_methods", self.allowed_methods),
            ("allowed_origins", self.allowed_origins),
            ("allowed_headers", self.allowed_headers),
            ("exposed_headers", self.exposed_headers),
        )
        for option, values in lists:
            repeated = _duplicates(values)
            if repeated:
                raise ValueError(f"cors {option} lists {', '.join(repeated)} twice")
        for option, texts in lists[1:]:
            for text in texts:
                if not text or text != text.strip():
                    raise ValueError(f"cors {option}: {text!r} is empty or has spaces around it")
        for option, texts in lists[1:3]:
            for text in texts:
                if text.count("*") > 1:
                    raise ValueError(
                        f"cors {option}: {text!r} has more than one '*' (S3 allows one)"
                    )
        return self


# ---------------------------------------------------------------------- website


def _checked_host(option: str, value: str | None) -> str | None:
    if value is not None and not (len(value) <= 253 and _HOST_NAME.fullmatch(value)):
        raise ValueError(f"{option} {value!r}: expected a host name such as www.example.com")
    return value


class RedirectAllRequests(_Model):
    """Redirect every request of the website endpoint to another host."""

    host_name: str = Field(description="Host to redirect to.")
    protocol: RedirectProtocol | None = Field(
        None, description="Protocol of the redirect; when unset, that of the request."
    )

    @field_validator("host_name")
    @classmethod
    def _check_host(cls, value: str) -> str:
        _checked_host("website.redirect_all_requests_to.host_name", value)
        return value


class RoutingRule(_Model):
    """A conditional redirect of the website: when the conditions hold, redirect."""

    key_prefix_equals: str | None = Field(
        None, min_length=1, description="Condition: the requested key starts with this."
    )
    http_error_code_returned_equals: int | None = Field(
        None, ge=400, le=599, description="Condition: the request would fail with this code."
    )
    host_name: str | None = Field(None, description="Redirect to this host.")
    protocol: RedirectProtocol | None = Field(None, description="Redirect with this protocol.")
    replace_key_prefix_with: str | None = Field(
        None, description="Replace the matched key_prefix_equals with this."
    )
    replace_key_with: str | None = Field(None, description="Redirect to this key.")
    http_redirect_code: int | None = Field(
        None, ge=300, le=399, description="HTTP status code of the redirect."
    )

    @field_validator("host_name")
    @classmethod
    def _check_host(cls, value: str | None) -> str | None:
        return _checked_host("website.routing_rules host_name", value)

    @model_validator(mode="after")
    def _check_rule(self) -> RoutingRule:
        redirect = (
            self.host_name,
            self.protocol,
            self.replace_key_prefix_with,
            self.replace_key_with,
            self.http_redirect_code,
        )
        if all(part is None for part in redirect):
            raise ValueError(
                "website routing rule redirects nowhere: set host_name, protocol, "
                "replace_key_prefix_with, replace_key_with or http_redirect_code"
            )
        if self.replace_key_prefix_with is not None and self.replace_key_with is not None:
            raise ValueError(
                "website routing rule: replace_key_prefix_with and replace_key_with exclude "
                "each other"
            )
        if self.replace_key_prefix_with is not None and self.key_prefix_equals is None:
            raise ValueError(
                "website routing rule: replace_key_prefix_with needs key_prefix_equals "
                "(the prefix it replaces)"
            )
        return self


class Website(_Model):
    """Static website hosting on the S3 website endpoint (plain HTTP only)."""

    index_document: str | None = Field(
        None,
        description="Object served for requests to a folder, such as index.html (required "
        "unless redirect_all_requests_to is set).",
    )
    error_document: str | None = Field(
        None, min_length=1, description="Object served on 4XX errors, such as error.html."
    )
    redirect_all_requests_to: RedirectAllRequests | None = Field(
        None, description="Redirect every request to another host instead of serving objects."
    )
    routing_rules: list[RoutingRule] = Field(
        default_factory=list,
        max_length=MAX_ROUTING_RULES,
        description="Conditional redirects, applied in order.",
    )
    public: bool = Field(
        False,
        description="Let anyone read every object (a public-read bucket policy); needs "
        "block_public_access = false.",
    )

    @field_validator("index_document")
    @classmethod
    def _check_index(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value):
            raise ValueError(
                f"website.index_document {value!r}: S3 wants a file name such as index.html, "
                "not empty and without '/'"
            )
        return value

    @model_validator(mode="after")
    def _check_website(self) -> Website:
        if self.redirect_all_requests_to is not None:
            for option in ("index_document", "error_document", "routing_rules"):
                if getattr(self, option):
                    raise ValueError(
                        f"website.redirect_all_requests_to excludes website.{option}: a "
                        "website redirecting every request serves no document"
                    )
            if self.public:
                raise ValueError(
                    "website.public = true makes the objects readable by anyone, but "
                    "website.redirect_all_requests_to serves none of them: drop one"
                )
        elif self.index_document is None:
            raise ValueError(
                "website needs website.index_document (or website.redirect_all_requests_to)"
            )
        return self

    @property
    def serves_objects(self) -> bool:
        """Whether the website endpoint serves the bucket's objects (not only redirects)."""
        return self.redirect_all_requests_to is None


# ---------------------------------------------------------------------- replication


class Replication(_Model):
    """Live replication of new objects into another bucket."""

    destination_bucket_arn: str = Field(
        description="ARN of the destination bucket (versioned), such as arn:aws:s3:::acme-replica."
    )
    storage_class: ReplicaStorageClass | None = Field(
        None, description="Storage class of the replicas; when unset, that of the source."
    )
    role_arn: str | None = Field(
        None,
        description="ARN of the IAM role S3 assumes to replicate; when unset, the template "
        "creates one with the least privilege replication needs.",
    )
    replica_kms_key_arn: str | None = Field(
        None,
        description="ARN of the KMS key (in the destination's Region) encrypting replicas of "
        "KMS-encrypted objects; required when encryption uses KMS.",
    )
    prefix: str = Field(
        "", max_length=1024, description="Replicate only keys starting with this (all if empty)."
    )
    replicate_delete_markers: bool = Field(
        False, description="Replicate delete markers too (deletions then reach the replica)."
    )

    @field_validator("destination_bucket_arn")
    @classmethod
    def _check_destination(cls, value: str) -> str:
        match = _S3_BUCKET_ARN.fullmatch(value)
        if match is None:
            raise ValueError(
                f"replication.destination_bucket_arn {value!r}: expected a bucket ARN such "
                "as arn:aws:s3:::acme-replica"
            )
        problem = bucket_name_problem(match["name"])
        if problem:
            raise ValueError(f"replication.destination_bucket_arn {value!r}: {problem}")
        return value

    @field_validator("role_arn")
    @classmethod
    def _check_role(cls, value: str | None) -> str | None:
        if value is not None and not _IAM_ROLE_ARN.fullmatch(value):
            raise ValueError(
                f"replication.role_arn {value!r}: expected an IAM role ARN such as "
                "arn:aws:iam::111122223333:role/s3-replication"
            )
        return value

    @field_validator("replica_kms_key_arn")
    @classmethod
    def _check_replica_key(cls, value: str | None) -> str | None:
        # A key ARN, not an alias: S3 would resolve an alias in the requester's account,
        # and the created role's policy can only grant a key by its ARN.
        if value is not None and not _KMS_KEY_ARN.fullmatch(value):
            raise ValueError(
                f"replication.replica_kms_key_arn {value!r}: expected a KMS key ARN (not an "
                "alias) such as arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd"
            )
        return value

    @field_validator("prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        return _checked_prefix("replication.prefix", value)

    @property
    def destination_name(self) -> str:
        """The destination bucket's name."""
        match = _S3_BUCKET_ARN.fullmatch(self.destination_bucket_arn)
        assert match is not None  # checked by the validator
        return match["name"]


# ---------------------------------------------------------------------- object lock


class ObjectLock(_Model):
    """S3 Object Lock (write once, read many), with an optional default retention."""

    mode: ObjectLockMode | None = Field(
        None, description="Default retention mode of new objects; when unset, none."
    )
    days: int | None = Field(
        None, ge=1, le=MAX_RETENTION_DAYS, description="Default retention in days."
    )
    years: int | None = Field(
        None, ge=1, le=MAX_RETENTION_YEARS, description="Default retention in years."
    )

    @model_validator(mode="after")
    def _check_retention(self) -> ObjectLock:
        if self.days is not None and self.years is not None:
            raise ValueError("object_lock.days and object_lock.years exclude each other")
        period = self.days is not None or self.years is not None
        if self.mode is not None and not period:
            raise ValueError(
                f"object_lock.mode {self.mode.value!r} needs object_lock.days or object_lock.years"
            )
        if period and self.mode is None:
            raise ValueError("object_lock.days and object_lock.years need object_lock.mode")
        return self


# ---------------------------------------------------------------------- the template


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
        default_factory=dict,
        description="Tags of the bucket and of everything the template creates with it.",
    )
    lifecycle: list[LifecycleRule] = Field(
        default_factory=list, max_length=MAX_LIFECYCLE_RULES, description="Lifecycle rules."
    )
    access_logging: AccessLogging = Field(
        AccessLogging(),
        description="Server access logging; by default into a log bucket the template creates.",
    )
    cors: list[CorsRule] = Field(
        default_factory=list,
        max_length=MAX_CORS_RULES,
        description="Cross-origin resource sharing rules.",
    )
    website: Website | None = Field(None, description="Static website hosting; when unset, none.")
    replication: Replication | None = Field(
        None, description="Replication into another bucket; when unset, none."
    )
    object_lock: ObjectLock | None = Field(
        None, description="S3 Object Lock (needs versioning); when unset, off."
    )
    deletion_policy: DeletionPolicy = Field(
        DeletionPolicy.RETAIN,
        description="Keep (Retain) or delete (Delete) the bucket, its log bucket and its KMS "
        "key when the stack deletes them.",
    )
    update_replace_policy: DeletionPolicy | None = Field(
        None,
        description="Keep (Retain) or delete (Delete) them when an update replaces them; "
        "when unset, as deletion_policy.",
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
        if logging.target_bucket is not None and logging.target_bucket == self.bucket_name:
            raise ValueError(
                "access_logging.target_bucket names the bucket itself (bucket_name "
                f"{self.bucket_name!r}); S3 logs into a different bucket"
            )
        self._check_lifecycle()
        self._check_versioning_needs()
        self._check_website()
        return self

    def _check_lifecycle(self) -> None:
        for index, rule in enumerate(self.lifecycle):
            if rule.uses_noncurrent_versions and not self.versioning:
                option = (
                    "noncurrent_expiration_days"
                    if rule.noncurrent_expiration_days is not None
                    else "noncurrent_transitions"
                )
                raise ValueError(
                    f"lifecycle[{index}].{option} needs versioning: without versioning = true "
                    "there are no noncurrent versions to act on"
                )
        duplicates = sorted(set(_duplicates([rule.id for rule in self.lifecycle])))
        if duplicates:
            raise ValueError(f"lifecycle rule ids must be unique: {', '.join(duplicates)}")

    def _check_versioning_needs(self) -> None:
        # Refused rather than turned on behind the user's back: versioning changes what
        # deletes do and what the bucket costs, so it is the user's call.
        if self.replication is not None and not self.versioning:
            raise ValueError(
                "replication needs versioning = true: S3 replicates object versions, so the "
                "source bucket must keep them (versioning is false)"
            )
        if self.object_lock is not None and not self.versioning:
            raise ValueError(
                "object_lock needs versioning = true: S3 locks object versions "
                "(versioning is false)"
            )
        replication = self.replication
        if (
            replication is not None
            and self.bucket_name is not None
            and replication.destination_name == self.bucket_name
        ):
            raise ValueError(
                "replication.destination_bucket_arn names the bucket itself (bucket_name "
                f"{self.bucket_name!r}); S3 replicates into a different bucket"
            )

    def _check_website(self) -> None:
        website = self.website
        if website is None:
            return
        if website.public and self.block_public_access:
            raise ValueError(
                "website.public = true needs block_public_access = false: the public access "
                "block refuses the public-read bucket policy a public website needs; turn it "
                "off explicitly (checkov's CKV_AWS_53 to CKV_AWS_56 then fail)"
            )
        if website.serves_objects and self.enforce_tls:
            raise ValueError(
                "website.index_document needs enforce_tls = false: the S3 website endpoint "
                "serves plain HTTP only, and enforce_tls denies every request made without "
                "TLS (serve the site through CloudFront for HTTPS)"
            )

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
        if self.website is not None and self.website.public and self.encryption.uses_kms:
            raise ValueError(
                f"website.public = true needs encryption 'sse-s3': anonymous visitors cannot "
                f"read objects encrypted with a KMS key (encryption is {encryption!r})"
            )
        self._check_replication_keys()

    def _check_replication_keys(self) -> None:
        replication = self.replication
        if replication is None:
            return
        encryption = self.encryption.value
        if self.encryption.uses_kms and replication.replica_kms_key_arn is None:
            raise ValueError(
                f"replication.replica_kms_key_arn is needed when encryption is {encryption!r}: "
                "S3 replicates KMS-encrypted objects only with a KMS key for the replicas, in "
                "the destination's Region"
            )
        if not self.encryption.uses_kms and replication.replica_kms_key_arn is not None:
            raise ValueError(
                f"replication.replica_kms_key_arn is set but encryption is {encryption!r}; "
                "replicas get a KMS key only when the source objects are KMS-encrypted"
            )
        if (
            replication.role_arn is None
            and self.kms_key_arn is not None
            and kms_key_region(self.kms_key_arn) is None
        ):
            raise ValueError(
                "replication.role_arn is unset, so the template creates the replication role, "
                "whose policy grants kms_key_arn by its key ARN: IAM does not match KMS keys by "
                "alias ARN; give the key's ARN as kms_key_arn or a role as replication.role_arn"
            )

    @property
    def effective_update_replace_policy(self) -> DeletionPolicy:
        """The update-replace policy: as set, or the deletion policy."""
        return self.update_replace_policy or self.deletion_policy

    @property
    def creates_kms_key(self) -> bool:
        """Whether the template creates the KMS key encrypting the bucket."""
        return self.encryption.uses_kms and self.kms_key_arn is None

    @property
    def creates_replication_role(self) -> bool:
        """Whether the template creates the IAM role replication uses."""
        return self.replication is not None and self.replication.role_arn is None


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

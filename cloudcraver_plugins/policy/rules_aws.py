"""Rules for Amazon S3 buckets.

CloudFormation: ``AWS::S3::Bucket`` properties, and ``AWS::S3::BucketPolicy`` resources
naming the bucket (``Ref`` or its literal name). Terraform: ``aws_s3_bucket`` with the
AWS provider's v3 inline blocks *or* the v4+ split resources
(``aws_s3_bucket_versioning``, ``aws_s3_bucket_server_side_encryption_configuration``,
``aws_s3_bucket_public_access_block``, ``aws_s3_bucket_logging``, ``aws_s3_bucket_policy``)
linked to their bucket by reference or by bucket name, in any file of the bucket's module
(:meth:`~.model.Inventory.related`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cloudcraver_hookspecs import Severity

from .formats import (
    CloudFormationInventory,
    TerraformBase,
    TerraformInventory,
    base_address,
)
from .model import (
    MISSING,
    UNKNOWN,
    CheckFunction,
    Inventory,
    Resource,
    Rule,
    Violation,
    is_false,
    is_true,
)

if TYPE_CHECKING:
    from .config import PolicyConfig

__all__ = ["AWS_RULES", "companions"]

_CFN_BUCKET = "AWS::S3::Bucket"
_TF_BUCKET = "aws_s3_bucket"
_SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
_CFN_PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
_TF_PUBLIC_ACCESS_FLAGS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)
_POLICY_DOCUMENT_DATA = re.compile(r"\$\{\s*data\.aws_iam_policy_document\.([\w-]+)\.json\s*\}")

# Checks one bucket of one format (the inventory is that format's).
_BucketCheck = Callable[[Any, Resource], Violation | None]


def _for_each_bucket(cloudformation: _BucketCheck, terraform: _BucketCheck) -> CheckFunction:
    """A check applying ``cloudformation`` or ``terraform`` to every bucket of a document."""

    def check(inventory: Inventory, config: PolicyConfig) -> list[Violation]:
        if isinstance(inventory, CloudFormationInventory):
            buckets, rule = inventory.of_type(_CFN_BUCKET), cloudformation
        elif isinstance(inventory, TerraformBase):
            buckets, rule = inventory.of_type(_TF_BUCKET), terraform
        else:
            return []
        return [found for bucket in buckets if (found := rule(inventory, bucket)) is not None]

    return check


def _is_algorithm(value: Any) -> bool:
    return isinstance(value, str) and value in _SSE_ALGORITHMS


def _bucket_references(inventory: TerraformBase, companion: Resource) -> set[str]:
    """The addresses a companion's ``bucket`` argument refers to.

    ``bucket = each.value.id`` names the instance ``for_each`` iterates over: the
    addresses ``for_each`` refers to (``for_each = aws_s3_bucket.logs``) count.
    """
    found = inventory.references(companion, "bucket")
    if found and all(address.startswith("each.") for address in found):
        found = inventory.references(companion, "for_each")
    return found


def companions(inventory: TerraformBase, bucket: Resource, kind: str) -> list[Resource]:
    """The ``kind`` resources configuring ``bucket`` (through their ``bucket`` argument).

    A companion with a known bucket name is linked by name; otherwise by the reference in
    its expression (``aws_s3_bucket.logs.id``). Companions may be in any file of the
    bucket's module. The companions of a kind are indexed once per document (once per
    module for the files of one), so that many buckets cost no more than one pass over them.
    """
    key = ("companions", kind)
    index: tuple[dict[str, list[Resource]], dict[str, list[Resource]]] | None
    index = inventory.shared_memo.get(key)
    if index is None:
        by_name: dict[str, list[Resource]] = {}
        by_reference: dict[str, list[Resource]] = {}
        for other in inventory.related(kind):
            other_names = inventory.texts(other.body, ("bucket",))
            if other_names:
                for name in set(other_names):
                    by_name.setdefault(name, []).append(other)
            else:
                for address in _bucket_references(inventory, other):
                    by_reference.setdefault(base_address(address), []).append(other)
        index = inventory.shared_memo[key] = (by_name, by_reference)
    by_name, by_reference = index
    if not by_name and not by_reference:  # none of this kind in the module
        return []
    address, names = _bucket_keys(inventory, bucket)
    found = [*by_reference.get(address, ())]
    for name in names:
        found += by_name.get(name, ())
    return list({id(other): other for other in found}.values())  # once each, in order found


def _bucket_keys(inventory: TerraformBase, bucket: Resource) -> tuple[str, list[str]]:
    """The address and known names companions find ``bucket`` by, worked out once.

    Each rule asks for the companions of each bucket: resolving its name every time cost
    a third of checking a configuration of many buckets.
    """
    key = ("bucket-keys", id(bucket))  # the inventory keeps its resources alive
    found: tuple[str, list[str]] | None = inventory.memo.get(key)
    if found is None:
        names = list(dict.fromkeys(inventory.texts(bucket.body, ("bucket",))))
        found = inventory.memo[key] = (base_address(bucket.address), names)
    return found


def _pointer_of(inventory: Inventory, other: Resource) -> str | None:
    """Where ``other`` is in this document; ``None`` when another file declares it."""
    return other.pointer if inventory.is_local(other) else None


def _in_file(inventory: Inventory, other: Resource) -> str:
    """`` (in FILE)`` for a resource of another file of the module, else nothing."""
    return "" if inventory.is_local(other) else f" (in {os.path.basename(other.origin)})"


# ---------------------------------------------------------------------- encryption
#
# Since January 2023 S3 encrypts every new object with SSE-S3 when a bucket sets no default
# encryption, so a bucket without the setting is encrypted at rest (checkov passes it too).
# What is left to catch is an explicit setting that names no valid algorithm: a typo, an
# empty rule, a parameter defaulting to something S3 does not know. Such a template says it
# chooses an encryption without saying which one S3 knows: a mistake, reported.

_ALGORITHMS_TEXT = "AES256, aws:kms or aws:kms:dsse"


def _cfn_encryption(inventory: CloudFormationInventory, bucket: Resource) -> Violation | None:
    algorithm = ("ServerSideEncryptionByDefault", "SSEAlgorithm")

    def configured(rules: Any) -> bool:
        return (
            isinstance(rules, list)
            and bool(rules)
            and all(inventory.holds(rule, algorithm, _is_algorithm) for rule in rules)
        )

    def valid(setting: Any) -> bool:
        # No BucketEncryption (or Ref AWS::NoValue): S3's default SSE-S3 applies.
        if setting is MISSING:
            return True
        return inventory.holds(setting, ("ServerSideEncryptionConfiguration",), configured)

    if inventory.holds(bucket.body, ("Properties", "BucketEncryption"), valid):
        return None
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} sets a default encryption without a valid SSEAlgorithm "
        f"({_ALGORITHMS_TEXT}) in each rule of BucketEncryption",
        bucket.at("Properties", "BucketEncryption"),
    )


def _tf_blocks_set(value: Any) -> bool:
    """Whether a Terraform block value holds a block (a list of none is the block left out).

    Plans write blocks a configuration leaves out as ``[]``; Terraform JSON may write a
    single block as an object.
    """
    return value is not MISSING and value != []


def _tf_encryption(inventory: TerraformBase, bucket: Resource) -> Violation | None:
    path = ("rule", "apply_server_side_encryption_by_default", "sse_algorithm")
    inline = ("server_side_encryption_configuration",)
    # Without the inline block (missing, or a list of none) nothing under it is a valid
    # algorithm: the full path is looked up only when it is there.
    inline_set = any(_tf_blocks_set(value) for value in inventory.lookup(bucket.body, inline))
    if inline_set and inventory.holds(bucket.body, (*inline, *path), _is_algorithm):
        return None
    kind = "aws_s3_bucket_server_side_encryption_configuration"
    linked = companions(inventory, bucket, kind)
    for other in linked:
        if inventory.holds(other.body, path, _is_algorithm):
            return None
    if linked:
        return Violation(
            bucket,
            f"S3 bucket {bucket.address} sets a default encryption without a valid "
            f"sse_algorithm ({_ALGORITHMS_TEXT}) in each rule of its {kind}"
            + _in_file(inventory, linked[0]),
            _pointer_of(inventory, linked[0]),
        )
    if not inline_set:
        return None  # no setting at all: S3's default SSE-S3 applies
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} sets a default encryption without a valid "
        f"sse_algorithm ({_ALGORITHMS_TEXT}) in each rule of its "
        "server_side_encryption_configuration",
        bucket.at(*inline),
    )


# ---------------------------------------------------------------------- versioning


def _cfn_versioning(inventory: CloudFormationInventory, bucket: Resource) -> Violation | None:
    path = ("Properties", "VersioningConfiguration", "Status")
    if inventory.holds(bucket.body, path, lambda status: status == "Enabled"):
        return None
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} does not enable versioning "
        "(VersioningConfiguration.Status: Enabled)",
        bucket.at(*path),
    )


def _tf_versioning(inventory: TerraformBase, bucket: Resource) -> Violation | None:
    if inventory.holds(bucket.body, ("versioning", "enabled"), is_true):
        return None
    for other in companions(inventory, bucket, "aws_s3_bucket_versioning"):
        path = ("versioning_configuration", "status")
        if inventory.holds(other.body, path, lambda status: status == "Enabled"):
            return None
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} does not enable versioning "
        "(no aws_s3_bucket_versioning with status Enabled for it)",
    )


# ---------------------------------------------------------------------- public access block


def _cfn_public_access(inventory: CloudFormationInventory, bucket: Resource) -> Violation | None:
    block = ("Properties", "PublicAccessBlockConfiguration")
    missing = [
        flag
        for flag in _CFN_PUBLIC_ACCESS_FLAGS
        if not inventory.holds(bucket.body, (*block, flag), is_true)
    ]
    if not missing:
        return None
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} does not turn on {', '.join(missing)} "
        "in PublicAccessBlockConfiguration",
        bucket.at(*block),
    )


def _tf_public_access(inventory: TerraformBase, bucket: Resource) -> Violation | None:
    blocks = [
        *companions(inventory, bucket, "aws_s3_bucket_public_access_block"),
        *inventory.related("aws_s3_account_public_access_block"),
    ]
    if not blocks:
        return Violation(
            bucket, f"S3 bucket {bucket.address} has no aws_s3_bucket_public_access_block"
        )
    missing = [
        flag
        for flag in _TF_PUBLIC_ACCESS_FLAGS
        if not any(inventory.holds(block.body, (flag,), is_true) for block in blocks)
    ]
    if not missing:
        return None
    return Violation(
        bucket,
        f"S3 bucket {bucket.address}: its public access block{_in_file(inventory, blocks[0])} "
        f"does not set {', '.join(name + ' = true' for name in missing)}",
        _pointer_of(inventory, blocks[0]),
    )


# ---------------------------------------------------------------------- TLS only


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _single(inventory: Inventory, value: Any) -> Any:
    values = inventory.resolve(value)
    return values[0] if len(values) == 1 else UNKNOWN


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))


def _denies_insecure_transport(inventory: Inventory, statement: Any) -> bool:
    """Whether ``statement`` denies everyone every S3 action without TLS.

    A part the document does not determine (a reference, a function) gets the benefit of
    the doubt: the statement counts as denying.
    """
    if not isinstance(statement, Mapping):
        return False
    effect = _single(inventory, statement.get("Effect"))
    principal = _single(inventory, statement.get("Principal"))
    actions = [_single(inventory, a) for a in _as_list(_single(inventory, statement.get("Action")))]
    condition = _single(inventory, statement.get("Condition"))
    if effect is not UNKNOWN and effect != "Deny":
        return False
    if principal is not UNKNOWN and not _is_everyone(principal):
        return False
    if not any(action is UNKNOWN or action in ("*", "s3:*") for action in actions):
        return False
    if condition is UNKNOWN:
        return True
    if not isinstance(condition, Mapping):
        return False
    for operator, given in condition.items():
        block = _single(inventory, given)
        if operator not in ("Bool", "BoolIfExists") or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            if str(key).lower() != "aws:securetransport":  # condition keys ignore case
                continue
            items = [_single(inventory, item) for item in _as_list(_single(inventory, value))]
            if any(item is UNKNOWN or is_false(item) for item in items):
                return True
    return False


def _enforces_tls(inventory: Inventory, documents: list[Any]) -> bool:
    """Whether one of the policy documents denies insecure transport (or cannot be read)."""
    for given in documents:
        document = _json_policy(given) if isinstance(given, str) else given
        if document is UNKNOWN:
            return True  # computed at apply time: cannot tell, no finding
        if not isinstance(document, Mapping):
            continue
        statements = _as_list(_single(inventory, document.get("Statement")))
        if any(_denies_insecure_transport(inventory, statement) for statement in statements):
            return True
    return False


def _json_policy(text: str) -> Any:
    """A policy given as JSON text: its document, or unknown when it is not JSON yet.

    Terraform templates may interpolate inside JSON strings (``"Resource":
    "${aws_s3_bucket.b.arn}/*"``); the text is still JSON and its statements can be read,
    the interpolated strings staying unknown values.
    """
    try:
        document = json.loads(text)
    except ValueError:
        return UNKNOWN
    return document if isinstance(document, Mapping) else UNKNOWN


def _cfn_policies_by_bucket(inventory: CloudFormationInventory) -> dict[str, list[Any]]:
    """Bucket policy documents by the logical id or literal name of the bucket they name."""
    key = ("cfn-bucket-policies",)
    found: dict[str, list[Any]] | None = inventory.memo.get(key)
    if found is None:
        found = {}
        for policy in inventory.of_type("AWS::S3::BucketPolicy"):
            documents = inventory.lookup(policy.body, ("Properties", "PolicyDocument"))
            targets = inventory.references(policy, "Bucket")
            targets |= {
                "name:" + name for name in inventory.texts(policy.body, ("Properties", "Bucket"))
            }
            for target in targets:
                found.setdefault(target, []).extend(documents)
        inventory.memo[key] = found
    return found


def _cfn_tls(inventory: CloudFormationInventory, bucket: Resource) -> Violation | None:
    policies = _cfn_policies_by_bucket(inventory)
    documents = list(policies.get(bucket.address, ()))
    for name in set(inventory.texts(bucket.body, ("Properties", "BucketName"))):
        documents += policies.get("name:" + name, ())
    if _enforces_tls(inventory, documents):
        return None
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} accepts requests without TLS: no AWS::S3::BucketPolicy "
        "denies them (aws:SecureTransport = false)",
    )


def _tf_tls(inventory: TerraformBase, bucket: Resource) -> Violation | None:
    documents = _tf_policy_documents(inventory, bucket.body)
    for policy in companions(inventory, bucket, "aws_s3_bucket_policy"):
        documents += _tf_policy_documents(inventory, policy.body)
    if _enforces_tls(inventory, documents):
        return None
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} accepts requests without TLS: no aws_s3_bucket_policy "
        "denies them (aws:SecureTransport = false)",
    )


def _tf_policy_documents(inventory: TerraformBase, body: Mapping[str, Any]) -> list[Any]:
    raw = body.get("policy")
    if raw is None:
        return []
    if isinstance(inventory, TerraformInventory) and isinstance(raw, str):
        match = _POLICY_DOCUMENT_DATA.fullmatch(raw.strip())
        if match:
            source = inventory.data_sources.get(f"data.aws_iam_policy_document.{match.group(1)}")
            return [UNKNOWN if source is None else _from_policy_document_data(source.body)]
        document = _json_policy(raw)
        if document is not UNKNOWN:  # JSON text, perhaps with interpolations in strings
            return [document]
    return inventory.resolve(raw)


def _from_policy_document_data(body: Mapping[str, Any]) -> dict[str, Any]:
    """An ``aws_iam_policy_document`` data source as the IAM JSON it produces."""
    statements = []
    for block in _as_list(body.get("statement")):
        if not isinstance(block, Mapping):
            continue
        principal: Any = {}
        for entry in _as_list(block.get("principals")):
            if isinstance(entry, Mapping):
                kind, identifiers = entry.get("type"), _as_list(entry.get("identifiers"))
                principal = "*" if kind == "*" else {**principal, str(kind): identifiers}
        condition: dict[str, dict[str, Any]] = {}
        for entry in _as_list(block.get("condition")):
            if isinstance(entry, Mapping):
                test, variable = str(entry.get("test")), str(entry.get("variable"))
                condition.setdefault(test, {})[variable] = entry.get("values")
        statements.append(
            {
                "Effect": block.get("effect", "Allow"),
                "Principal": principal,
                "Action": block.get("actions"),
                "Condition": condition,
            }
        )
    return {"Statement": statements}


# ---------------------------------------------------------------------- access logging
#
# A bucket receiving other buckets' access logs is not asked to log its own access: logging
# into itself would log every log delivery again (AWS advises against it), and logging
# elsewhere only moves the question to yet another bucket.


def _cfn_log_destinations(inventory: CloudFormationInventory) -> set[str]:
    """Logical ids (``Ref``) and ``name:`` + names of the buckets other buckets log into."""
    key = ("cfn-log-destinations",)
    found: set[str] | None = inventory.memo.get(key)
    if found is None:
        found = set()
        path = ("Properties", "LoggingConfiguration", "DestinationBucketName")
        for other in inventory.of_type(_CFN_BUCKET):
            found |= inventory.references(other, "LoggingConfiguration") - {other.address}
            found |= {"name:" + name for name in inventory.texts(other.body, path)}
        inventory.memo[key] = found
    return found


def _cfn_logging(inventory: CloudFormationInventory, bucket: Resource) -> Violation | None:
    path = ("Properties", "LoggingConfiguration")
    if inventory.holds(bucket.body, path, lambda value: isinstance(value, Mapping)):
        return None
    destinations = _cfn_log_destinations(inventory)
    names = inventory.texts(bucket.body, ("Properties", "BucketName"))
    if bucket.address in destinations or any("name:" + name in destinations for name in names):
        return None  # a log bucket
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} has no server access logging (LoggingConfiguration)",
    )


def _tf_log_destinations(inventory: TerraformBase) -> tuple[set[str], set[str]]:
    """The addresses and the names of the buckets the document's buckets log into.

    Through ``aws_s3_bucket_logging.target_bucket`` and inline ``logging { target_bucket }``,
    by reference (``aws_s3_bucket.logs.id``) or by the bucket's name.
    """
    key = ("tf-log-destinations",)
    found: tuple[set[str], set[str]] | None = inventory.shared_memo.get(key)
    if found is None:
        addresses: set[str] = set()
        names: set[str] = set()
        for logging in inventory.related("aws_s3_bucket_logging"):
            addresses |= {base_address(a) for a in inventory.references(logging, "target_bucket")}
            names.update(inventory.texts(logging.body, ("target_bucket",)))
        for other in inventory.related(_TF_BUCKET):
            own = base_address(other.address)
            addresses |= {base_address(a) for a in inventory.references(other, "logging")} - {own}
            names.update(inventory.texts(other.body, ("logging", "target_bucket")))
        found = inventory.shared_memo[key] = (addresses, names)
    return found


def _tf_logging(inventory: TerraformBase, bucket: Resource) -> Violation | None:
    if inventory.holds(bucket.body, ("logging", "target_bucket"), lambda v: isinstance(v, str)):
        return None
    if companions(inventory, bucket, "aws_s3_bucket_logging"):
        return None
    addresses, names = _tf_log_destinations(inventory)
    if base_address(bucket.address) in addresses:
        return None  # a log bucket
    if any(name in names for name in inventory.texts(bucket.body, ("bucket",))):
        return None
    return Violation(
        bucket,
        f"S3 bucket {bucket.address} has no server access logging (no aws_s3_bucket_logging)",
    )


#: The S3 rules.
AWS_RULES: tuple[Rule, ...] = (
    Rule(
        id="aws-s3-encryption",
        severity=Severity.ERROR,
        description="S3 buckets that set a default encryption name a valid algorithm "
        "(without the setting, S3 encrypts with SSE-S3).",
        remediation="Give every rule of BucketEncryption (CloudFormation), "
        "server_side_encryption_configuration or "
        "aws_s3_bucket_server_side_encryption_configuration (Terraform) the algorithm "
        "AES256, aws:kms or aws:kms:dsse, or remove the setting to keep S3's default SSE-S3.",
        check=_for_each_bucket(_cfn_encryption, _tf_encryption),
        checkov=("CKV_AWS_19",),
    ),
    Rule(
        id="aws-s3-versioning",
        severity=Severity.WARNING,
        description="S3 buckets keep object versions.",
        remediation="Set VersioningConfiguration.Status to Enabled (CloudFormation) or add an "
        'aws_s3_bucket_versioning with status = "Enabled" (Terraform).',
        check=_for_each_bucket(_cfn_versioning, _tf_versioning),
        checkov=("CKV_AWS_21",),
    ),
    Rule(
        id="aws-s3-public-access-block",
        severity=Severity.ERROR,
        description="S3 buckets turn on all four Block Public Access settings.",
        remediation="Set BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls and "
        "RestrictPublicBuckets to true in PublicAccessBlockConfiguration (CloudFormation) or "
        "in an aws_s3_bucket_public_access_block (Terraform).",
        check=_for_each_bucket(_cfn_public_access, _tf_public_access),
        checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"),
    ),
    Rule(
        id="aws-s3-tls-only",
        severity=Severity.ERROR,
        description="S3 buckets refuse requests not made over TLS.",
        remediation="Add a bucket policy statement denying s3:* to everyone when "
        "aws:SecureTransport is false.",
        check=_for_each_bucket(_cfn_tls, _tf_tls),
    ),
    Rule(
        id="aws-s3-access-logging",
        severity=Severity.WARNING,
        description="S3 buckets log server access, except buckets receiving other buckets' "
        "access logs (opt-in: list it in enabled_rules).",
        remediation="Set LoggingConfiguration (CloudFormation) or add an aws_s3_bucket_logging "
        "(Terraform) with a target bucket.",
        check=_for_each_bucket(_cfn_logging, _tf_logging),
        checkov=("CKV_AWS_18",),
        default_enabled=False,
    ),
)

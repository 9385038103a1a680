"""Rules for Google Cloud Storage buckets (Terraform configurations and plans).

``google_storage_bucket`` settings, plus the IAM and ACL resources that could open a bucket
to ``allUsers`` or ``allAuthenticatedUsers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cloudcraver_hookspecs import Severity

from .formats import TerraformBase
from .model import Inventory, Resource, Rule, Violation, is_true

if TYPE_CHECKING:
    from .config import PolicyConfig

__all__ = ["GCP_RULES"]

_BUCKET = "google_storage_bucket"
_PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
# Resources granting access, and the attribute naming who gets it.
_GRANTS = {
    "google_storage_bucket_iam_member": "member",
    "google_storage_bucket_iam_binding": "members",
    "google_storage_bucket_acl": "role_entity",
    "google_storage_default_object_acl": "role_entity",
    "google_storage_bucket_access_control": "entity",
    "google_storage_default_object_access_control": "entity",
}


def _buckets(inventory: Inventory) -> list[Resource]:
    return inventory.of_type(_BUCKET) if isinstance(inventory, TerraformBase) else []


def _uniform_access(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    for bucket in _buckets(inventory):
        # bucket_policy_only is the attribute's name before provider v3.
        if any(
            inventory.holds(bucket.body, (name,), is_true)
            for name in ("uniform_bucket_level_access", "bucket_policy_only")
        ):
            continue
        yield Violation(
            bucket,
            f"storage bucket {bucket.address} does not enable uniform bucket-level access",
            bucket.at("uniform_bucket_level_access"),
        )


def _versioning(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    for bucket in _buckets(inventory):
        if not inventory.holds(bucket.body, ("versioning", "enabled"), is_true):
            yield Violation(
                bucket,
                f"storage bucket {bucket.address} does not enable versioning",
                bucket.at("versioning"),
            )


def _is_public(member: Any) -> bool:
    # ACL entries read "READER:allUsers"; IAM members read "allUsers".
    return isinstance(member, str) and member.rsplit(":", 1)[-1] in _PUBLIC_MEMBERS


def _members(inventory: Inventory, grant: Resource, attribute: str) -> list[Any]:
    """Every member a grant names: ``members`` and ``role_entity`` are lists."""
    found: list[Any] = []
    for value in inventory.lookup(grant.body, (attribute,)):
        for item in value if isinstance(value, list) else [value]:
            found.extend(inventory.resolve(item))
    return found


def _public_access(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    for bucket in _buckets(inventory):
        path = ("public_access_prevention",)
        if not inventory.holds(bucket.body, path, lambda value: value == "enforced"):
            yield Violation(
                bucket,
                f"storage bucket {bucket.address} does not enforce public access prevention",
                bucket.at(*path),
            )
    if not isinstance(inventory, TerraformBase):
        return
    for kind, attribute in _GRANTS.items():
        for grant in inventory.of_type(kind):
            members = [m for m in _members(inventory, grant, attribute) if _is_public(m)]
            if members:
                yield Violation(
                    grant,
                    f"{grant.address} grants access to {', '.join(sorted(set(members)))}",
                    grant.at(attribute),
                )


#: The Google Cloud Storage rules.
GCP_RULES: tuple[Rule, ...] = (
    Rule(
        id="gcp-storage-uniform-access",
        severity=Severity.ERROR,
        description="Cloud Storage buckets use uniform bucket-level access (no object ACLs).",
        remediation="Set uniform_bucket_level_access = true.",
        check=_uniform_access,
        checkov=("CKV_GCP_29",),
    ),
    Rule(
        id="gcp-storage-versioning",
        severity=Severity.WARNING,
        description="Cloud Storage buckets keep object versions.",
        remediation="Add versioning { enabled = true }.",
        check=_versioning,
        checkov=("CKV_GCP_78",),
    ),
    Rule(
        id="gcp-storage-public-access",
        severity=Severity.ERROR,
        description="Cloud Storage buckets enforce public access prevention and grant nothing "
        "to allUsers or allAuthenticatedUsers.",
        remediation='Set public_access_prevention = "enforced" and remove IAM members and ACL '
        "entries for allUsers and allAuthenticatedUsers.",
        check=_public_access,
        checkov=("CKV_GCP_114", "CKV_GCP_28"),
    ),
)

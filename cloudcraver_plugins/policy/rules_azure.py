"""Rules for Azure storage accounts and blob containers.

ARM templates (``Microsoft.Storage/storageAccounts``, ``.../blobServices/containers``,
types compared without case) and Terraform (``azurerm_storage_account``,
``azurerm_storage_container``). Where Azure's default depends on the API or provider
version, the rule follows what the document's version gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cloudcraver_hookspecs import Severity

from .formats import ArmInventory, TerraformBase
from .model import MISSING, UNKNOWN, Inventory, Resource, Rule, Violation, is_false, is_true

if TYPE_CHECKING:
    from .config import PolicyConfig

__all__ = ["AZURE_RULES"]

_ARM_ACCOUNT = "Microsoft.Storage/storageAccounts"
_ARM_CONTAINER = "Microsoft.Storage/storageAccounts/blobServices/containers"
_TF_ACCOUNT = "azurerm_storage_account"
_TF_CONTAINER = "azurerm_storage_container"
# supportsHttpsTrafficOnly defaults to true from this API version on.
_HTTPS_DEFAULT_API = "2019-04-01"
_MODERN_TLS = frozenset({"TLS1_2", "TLS1_3"})
_PUBLIC_CONTAINER_ACCESS = frozenset({"blob", "container"})


def _is_modern_tls(value: Any) -> bool:
    return isinstance(value, str) and value in _MODERN_TLS


def _https_only(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    if isinstance(inventory, ArmInventory):
        for account in inventory.of_type(_ARM_ACCOUNT):
            path = ("properties", "supportsHttpsTrafficOnly")
            values = inventory.lookup(account.body, path)
            api = account.body.get("apiVersion")
            old_api = isinstance(api, str) and api < _HTTPS_DEFAULT_API
            if any(is_false(v) for v in values) or (MISSING in values and old_api):
                yield Violation(
                    account,
                    f"storage account {account.address} accepts HTTP: set "
                    "supportsHttpsTrafficOnly to true",
                    account.at(*path),
                )
    elif isinstance(inventory, TerraformBase):
        for account in inventory.of_type(_TF_ACCOUNT):
            # v3 and v4 of the azurerm provider name it differently; both default to true.
            for name in ("enable_https_traffic_only", "https_traffic_only_enabled"):
                if any(is_false(v) for v in inventory.lookup(account.body, (name,))):
                    yield Violation(
                        account,
                        f"storage account {account.address} accepts HTTP ({name} = false)",
                        account.at(name),
                    )


def _public_access(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    if isinstance(inventory, ArmInventory):
        yield from _arm_public_access(inventory)
    elif isinstance(inventory, TerraformBase):
        yield from _tf_public_access(inventory)


def _arm_public_access(inventory: ArmInventory) -> Iterator[Violation]:
    for account in inventory.of_type(_ARM_ACCOUNT):
        path = ("properties", "allowBlobPublicAccess")
        if not inventory.holds(account.body, path, is_false):
            yield Violation(
                account,
                f"storage account {account.address} does not set allowBlobPublicAccess to false",
                account.at(*path),
            )
    for container in inventory.of_type(_ARM_CONTAINER):
        yield from _public_container(inventory, container, ("properties", "publicAccess"))


def _tf_public_access(inventory: TerraformBase) -> Iterator[Violation]:
    for account in inventory.of_type(_TF_ACCOUNT):
        # allow_blob_public_access (provider v2) became allow_nested_items_to_be_public (v3+);
        # both default to true, so one of them must say false.
        values = [
            value
            for name in ("allow_nested_items_to_be_public", "allow_blob_public_access")
            for value in inventory.lookup(account.body, (name,))
        ]
        if UNKNOWN in values:
            continue
        if any(is_true(v) for v in values) or not any(is_false(v) for v in values):
            yield Violation(
                account,
                f"storage account {account.address} allows public blob access: set "
                "allow_nested_items_to_be_public = false",
                account.at("allow_nested_items_to_be_public"),
            )
    for container in inventory.of_type(_TF_CONTAINER):
        yield from _public_container(inventory, container, ("container_access_type",))


def _public_container(
    inventory: Inventory, container: Resource, path: tuple[str, ...]
) -> Iterator[Violation]:
    def private(value: Any) -> bool:
        return not (isinstance(value, str) and value.lower() in _PUBLIC_CONTAINER_ACCESS)

    if not inventory.holds(container.body, path, private):
        yield Violation(
            container,
            f"blob container {container.address} is readable anonymously "
            f"({path[-1]} allows public access)",
            container.at(*path),
        )


def _minimum_tls(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
    path: tuple[str, ...]
    if isinstance(inventory, ArmInventory):
        # The ARM default is TLS 1.0: the template must say.
        accounts, path = inventory.of_type(_ARM_ACCOUNT), ("properties", "minimumTlsVersion")
        accept = _is_modern_tls
    elif isinstance(inventory, TerraformBase):
        # azurerm v3+ defaults to TLS1_2: only an explicit older version fails.
        accounts, path = inventory.of_type(_TF_ACCOUNT), ("min_tls_version",)
        accept = _modern_or_default
    else:
        return
    for account in accounts:
        if not inventory.holds(account.body, path, accept):
            yield Violation(
                account,
                f"storage account {account.address} accepts TLS versions older than 1.2 "
                f"({path[-1]})",
                account.at(*path),
            )


def _modern_or_default(value: Any) -> bool:
    return value is MISSING or _is_modern_tls(value)


def _rule(
    rule_id: str,
    description: str,
    remediation: str,
    check: Callable[[Inventory, PolicyConfig], Iterator[Violation]],
    checkov: tuple[str, ...],
) -> Rule:
    return Rule(rule_id, Severity.ERROR, description, remediation, check, checkov)


#: The Azure storage rules.
AZURE_RULES: tuple[Rule, ...] = (
    _rule(
        "azure-storage-https-only",
        "Azure storage accounts accept HTTPS only.",
        "Set supportsHttpsTrafficOnly to true (ARM) or leave https_traffic_only_enabled / "
        "enable_https_traffic_only at true (Terraform).",
        _https_only,
        ("CKV_AZURE_3",),
    ),
    _rule(
        "azure-storage-public-access",
        "Azure storage accounts and blob containers allow no anonymous access.",
        "Set allowBlobPublicAccess to false (ARM) or allow_nested_items_to_be_public = false "
        "(Terraform), and keep containers private.",
        _public_access,
        ("CKV_AZURE_190", "CKV_AZURE_34"),
    ),
    _rule(
        "azure-storage-min-tls",
        "Azure storage accounts require TLS 1.2 or later.",
        "Set minimumTlsVersion (ARM) or min_tls_version (Terraform) to TLS1_2.",
        _minimum_tls,
        ("CKV_AZURE_44",),
    ),
)

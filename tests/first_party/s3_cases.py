"""Parameter sets of aws-s3-bucket that the tests hold to cfn-lint, checkov and moto.

- :func:`schema_flips`: every boolean and enum option of the template's JSON schema (nested
  ones included) set, one at a time, to each of its other values. Derived from the schema,
  so a new option is covered as soon as it exists; an option inside an optional object or a
  list starts from a minimal example of that object (:data:`BASES`), and a value that needs
  another option to be valid gets the least it needs (:data:`COMPANIONS`, most specific
  path wins). A new option needing an example or a companion fails the tests, by name.
- :data:`FIXED_COMBINATIONS`: reviewed configurations teams use.
- :func:`generated_combinations`: a seeded generator of further configurations, made valid
  by the documented resolutions (a public website turns the access block off, and so on).
- :data:`TRADES`: the options that trade checkov checks away, as the docs table lists them.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cloudcraver_plugins.aws_s3.params import Encryption, S3BucketParameters, effective_parameters

KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALIAS_ARN = "arn:aws:kms:eu-west-1:111122223333:alias/acme-data"
REPLICA_KEY_ARN = "arn:aws:kms:eu-central-1:111122223333:key/5678efgh-12ab-34cd-56ef-1234567890ab"
ROLE_ARN = "arn:aws:iam::111122223333:role/acme-s3-replication"
REPLICA_ARN = "arn:aws:s3:::acme-replica"

#: The nine checkov checks of S3 buckets in CloudFormation the template is held to.
CHECKOV_S3_CHECKS = (
    "CKV_AWS_18",
    "CKV_AWS_19",
    "CKV_AWS_20",
    "CKV_AWS_21",
    "CKV_AWS_53",
    "CKV_AWS_54",
    "CKV_AWS_55",
    "CKV_AWS_56",
    "CKV_AWS_57",
)
PUBLIC_ACCESS_CHECKS = frozenset({"CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"})

REMOVE = object()
"""In :data:`COMPANIONS`: drop this key from the example."""

#: Minimal valid examples of optional objects and list items, by schema path.
BASES: dict[str, dict[str, Any]] = {
    "lifecycle[]": {"id": "tidy", "abort_incomplete_multipart_days": 7},
    "lifecycle[].transitions[]": {"days": 30},
    "lifecycle[].noncurrent_transitions[]": {"days": 30},
    "cors[]": {"allowed_origins": ["https://app.example.com"]},
    "website": {"index_document": "index.html"},
    "website.redirect_all_requests_to": {"host_name": "www.example.com"},
    "website.routing_rules[]": {"key_prefix_equals": "docs/", "host_name": "docs.example.com"},
    "replication": {"destination_bucket_arn": REPLICA_ARN},
    "object_lock": {},
}

#: What a value needs besides itself to be valid (or to show in the template), by path.
COMPANIONS: dict[str, dict[str, Any]] = {
    # Bucket keys exist with sse-kms only: flip it where it changes the template.
    "bucket_key_enabled": {"encryption": "sse-kms"},
    # The website endpoint is plain HTTP: serving objects needs enforce_tls = false.
    "website": {"enforce_tls": False},
    # A redirect-only website serves nothing, so it needs neither.
    "website.redirect_all_requests_to": {"website": {"index_document": REMOVE}},
    "website.public": {"block_public_access": False, "enforce_tls": False},
    "object_lock.mode": {"object_lock": {"days": 30}},
}


@dataclass(frozen=True)
class Case:
    """A named parameter set."""

    id: str
    params: dict[str, Any]

    def model(self) -> S3BucketParameters:
        """The parameters as the renderer sees them (no plugin configuration)."""
        return effective_parameters(self.params, None)


# ---------------------------------------------------------------------- schema flips


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """``node`` with ``$ref`` and a nullable ``anyOf`` replaced by what they point to."""
    if "anyOf" in node:
        (node,) = [branch for branch in node["anyOf"] if branch.get("type") != "null"]
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        return schema["$defs"][name]  # type: ignore[no-any-return]
    return node


def _leaves(
    schema: Mapping[str, Any], node: Mapping[str, Any], path: str
) -> Iterator[tuple[str, list[Any]]]:
    """(path, values to try) of every boolean and enum below ``node``."""
    target = _resolve(schema, node)
    default = node.get("default", target.get("default"))
    if "enum" in target:
        yield path, [value for value in target["enum"] if value != default]
    elif target.get("type") == "boolean":
        yield path, [True, False] if default is None else [not default]
    elif "properties" in target:
        for name, child in target["properties"].items():
            yield from _leaves(schema, child, f"{path}.{name}" if path else name)
    elif target.get("type") == "array":
        items = _resolve(schema, target["items"])
        if "enum" in items:
            yield path, [[value] for value in items["enum"]]
        else:
            yield from _leaves(schema, target["items"], f"{path}[]")


def _assign(params: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` to ``value``, filling the objects on the way from :data:`BASES`."""
    node: Any = params
    parts = path.replace("[]", ".[]").split(".")
    walked = ""
    for index, part in enumerate(parts):
        walked = f"{walked}{part}" if part == "[]" or not walked else f"{walked}.{part}"
        last = index == len(parts) - 1
        if part == "[]":
            continue
        if last:
            node[part] = value
        elif parts[index + 1] == "[]":
            item = copy.deepcopy(BASES.get(f"{walked}[]", {}))
            node[part] = [item]
            node = item
        else:
            node = node.setdefault(part, copy.deepcopy(BASES.get(walked, {})))


def _merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if value is REMOVE:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _companion(path: str) -> Mapping[str, Any]:
    plain = path.replace("[]", "")
    matches = [key for key in COMPANIONS if plain == key or plain.startswith(key + ".")]
    return COMPANIONS[max(matches, key=len)] if matches else {}


def schema_flips() -> list[Case]:
    """Every boolean and enum option of the schema at each of its other values."""
    schema = S3BucketParameters.model_json_schema()
    cases = []
    for path, values in _leaves(schema, schema, ""):
        for value in values:
            params: dict[str, Any] = {}
            _assign(params, path, value)
            _merge(params, _companion(path))
            shown = value[0] if isinstance(value, list) else value
            cases.append(Case(f"{path}={json.dumps(shown)}", params))
    return cases


# ---------------------------------------------------------------------- combinations

_ARCHIVE_RULE = {
    "id": "archive",
    "prefix": "data/",
    "expiration_days": 730,
    "transitions": [
        {"days": 30, "storage_class": "STANDARD_IA"},
        {"days": 90, "storage_class": "GLACIER_IR"},
        {"days": 180, "storage_class": "DEEP_ARCHIVE"},
    ],
}
_NONCURRENT_RULE = {
    "id": "old-versions",
    "noncurrent_expiration_days": 365,
    "noncurrent_newer_versions": 3,
    "noncurrent_transitions": [
        {"days": 30, "storage_class": "STANDARD_IA"},
        {"days": 60, "storage_class": "GLACIER"},
    ],
}
_FILTERED_RULE = {
    "id": "large-reports",
    "prefix": "reports/",
    "tags": {"class": "report", "keep": "short"},
    "object_size_greater_than": 1048576,
    "object_size_less_than": 5368709120,
    "expiration_days": 90,
}
_TIDY_RULE = {
    "id": "tidy",
    "abort_incomplete_multipart_days": 7,
    "expired_object_delete_marker": True,
}
_CORS_APP = {
    "id": "app",
    "allowed_methods": ["GET", "PUT", "POST"],
    "allowed_origins": ["https://app.example.com", "https://*.example.org"],
    "allowed_headers": ["*"],
    "exposed_headers": ["ETag"],
    "max_age_seconds": 3000,
}
_CORS_READ = {"allowed_methods": ["GET", "HEAD"], "allowed_origins": ["*"]}
_PUBLIC_SITE = {
    "index_document": "index.html",
    "error_document": "404.html",
    "public": True,
    "routing_rules": [
        {
            "key_prefix_equals": "docs/",
            "replace_key_prefix_with": "documentation/",
            "http_redirect_code": 301,
        },
        {
            "http_error_code_returned_equals": 404,
            "host_name": "www.example.com",
            "protocol": "https",
        },
    ],
}
_TAGS = {"team": "data", "cost-center": "4711", "env": "prod"}

#: Reviewed configurations (all valid).
FIXED_COMBINATIONS: list[Case] = [
    Case("named-and-tagged", {"bucket_name": "acme-data-prod", "tags": _TAGS}),
    Case(
        "sse-kms-given-key",
        {"encryption": "sse-kms", "kms_key_arn": KEY_ARN, "bucket_key_enabled": False},
    ),
    Case(
        "sse-kms-created-key-lifecycle",
        {"encryption": "sse-kms", "lifecycle": [_ARCHIVE_RULE, _NONCURRENT_RULE, _TIDY_RULE]},
    ),
    Case("dsse-kms-alias", {"encryption": "dsse-kms", "kms_key_arn": ALIAS_ARN}),
    Case("log-to-target", {"access_logging": {"target_bucket": "acme-logs", "prefix": "data/"}}),
    Case("log-bucket-retention", {"access_logging": {"prefix": "s3/", "retention_days": 90}}),
    Case(
        "everything-off",
        {
            "versioning": False,
            "block_public_access": False,
            "enforce_tls": False,
            "access_logging": {"enabled": False},
            "object_ownership": "ObjectWriter",
        },
    ),
    Case("cors", {"cors": [_CORS_APP, _CORS_READ]}),
    Case(
        "public-website",
        {
            "website": _PUBLIC_SITE,
            "block_public_access": False,
            "enforce_tls": False,
            "cors": [_CORS_READ],
            "access_logging": {"target_bucket": "acme-logs", "prefix": "site/"},
        },
    ),
    Case(
        "private-website",
        {"website": {"index_document": "index.html"}, "enforce_tls": False},
    ),
    Case(
        "redirect-website",
        {
            "website": {
                "redirect_all_requests_to": {"host_name": "example.com", "protocol": "https"}
            }
        },
    ),
    Case(
        "replication-given-role",
        {
            "replication": {
                "destination_bucket_arn": REPLICA_ARN,
                "role_arn": ROLE_ARN,
                "storage_class": "GLACIER_IR",
            }
        },
    ),
    Case(
        "replication-created-role",
        {
            "replication": {
                "destination_bucket_arn": REPLICA_ARN,
                "prefix": "shared/",
                "replicate_delete_markers": True,
            }
        },
    ),
    Case(
        "replication-kms-created-key",
        {
            "bucket_name": "acme-source",
            "encryption": "sse-kms",
            "replication": {
                "destination_bucket_arn": REPLICA_ARN,
                "replica_kms_key_arn": REPLICA_KEY_ARN,
                "storage_class": "STANDARD_IA",
            },
        },
    ),
    Case(
        "replication-dsse-given-key",
        {
            "encryption": "dsse-kms",
            "kms_key_arn": KEY_ARN,
            "replication": {
                "destination_bucket_arn": REPLICA_ARN,
                "replica_kms_key_arn": REPLICA_KEY_ARN,
            },
        },
    ),
    Case("object-lock-governance", {"object_lock": {"mode": "GOVERNANCE", "days": 30}}),
    Case(
        "object-lock-compliance-replicated",
        {
            "object_lock": {"mode": "COMPLIANCE", "years": 7},
            "replication": {"destination_bucket_arn": REPLICA_ARN},
        },
    ),
    Case("object-lock-no-default", {"object_lock": {}}),
    Case(
        "delete-keep-on-replace", {"deletion_policy": "Delete", "update_replace_policy": "Retain"}
    ),
    Case("retain-delete-on-replace", {"update_replace_policy": "Delete"}),
    Case("object-writer", {"object_ownership": "ObjectWriter"}),
    Case("filtered-lifecycle", {"lifecycle": [_FILTERED_RULE, {**_TIDY_RULE, "enabled": False}]}),
    Case(
        "kitchen-sink",
        {
            "bucket_name": "acme-everything",
            "encryption": "sse-kms",
            "tags": _TAGS,
            "lifecycle": [_ARCHIVE_RULE, _NONCURRENT_RULE, _FILTERED_RULE, _TIDY_RULE],
            "access_logging": {"prefix": "s3/", "retention_days": 365},
            "cors": [_CORS_APP],
            "website": {"redirect_all_requests_to": {"host_name": "www.example.com"}},
            "replication": {
                "destination_bucket_arn": REPLICA_ARN,
                "replica_kms_key_arn": REPLICA_KEY_ARN,
                "replicate_delete_markers": True,
                "storage_class": "INTELLIGENT_TIERING",
            },
            "object_lock": {"mode": "GOVERNANCE", "days": 1},
            "deletion_policy": "Delete",
        },
    ),
    Case(
        "public-kitchen-sink",
        {
            "bucket_name": "www.example.com",
            "tags": _TAGS,
            "block_public_access": False,
            "enforce_tls": False,
            "website": _PUBLIC_SITE,
            "cors": [_CORS_READ],
            "lifecycle": [_TIDY_RULE],
            "access_logging": {"retention_days": 30},
            "replication": {"destination_bucket_arn": REPLICA_ARN, "role_arn": ROLE_ARN},
        },
    ),
]


def _generated(rng: random.Random, index: int) -> dict[str, Any]:
    """One random configuration, resolved into a valid one as the docs say to."""
    params: dict[str, Any] = {}
    if rng.random() < 0.3:
        params["bucket_name"] = f"acme-generated-{index}"
    params["versioning"] = rng.random() < 0.8
    encryption = rng.choice(["sse-s3", "sse-kms", "dsse-kms"])
    params["encryption"] = encryption
    if encryption != "sse-s3":
        key = rng.choice([None, KEY_ARN, ALIAS_ARN])
        if key:
            params["kms_key_arn"] = key
    if encryption == "sse-kms":
        params["bucket_key_enabled"] = rng.random() < 0.7
    params["block_public_access"] = rng.random() < 0.8
    params["object_ownership"] = rng.choice(
        ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]
    )
    params["enforce_tls"] = rng.random() < 0.8
    if rng.random() < 0.5:
        params["tags"] = dict(rng.sample(sorted(_TAGS.items()), rng.randint(1, 3)))
    rules = [_ARCHIVE_RULE, _NONCURRENT_RULE, _FILTERED_RULE, _TIDY_RULE]
    params["lifecycle"] = rng.sample(rules, rng.randint(0, 3))
    params["access_logging"] = rng.choice(
        [
            {},
            {"enabled": False},
            {"target_bucket": "acme-logs"},
            {"prefix": "logs/", "retention_days": 30},
        ]
    )
    params["cors"] = rng.sample([_CORS_APP, _CORS_READ], rng.randint(0, 2))
    params["website"] = rng.choice(
        [
            None,
            None,
            {"redirect_all_requests_to": {"host_name": "example.com"}},
            {"index_document": "index.html"},
            _PUBLIC_SITE,
        ]
    )
    params["replication"] = rng.choice(
        [
            None,
            None,
            {"destination_bucket_arn": REPLICA_ARN},
            {"destination_bucket_arn": REPLICA_ARN, "role_arn": ROLE_ARN},
        ]
    )
    params["object_lock"] = rng.choice(
        [None, None, {}, {"mode": "GOVERNANCE", "days": 10}, {"mode": "COMPLIANCE", "years": 1}]
    )
    params["deletion_policy"] = rng.choice(["Retain", "Delete"])
    params["update_replace_policy"] = rng.choice([None, "Retain", "Delete"])
    _resolve_conflicts(params)
    return {key: value for key, value in params.items() if value is not None}


def _resolve_conflicts(params: dict[str, Any]) -> None:
    """Apply the resolutions the docs give for options that need each other."""
    website = params.get("website")
    if website is not None and "redirect_all_requests_to" not in website:
        params["enforce_tls"] = False  # the website endpoint is plain HTTP
    if website is not None and website.get("public"):
        params["block_public_access"] = False
        params["encryption"] = "sse-s3"  # anonymous visitors cannot use KMS keys
        params.pop("kms_key_arn", None)
        params.pop("bucket_key_enabled", None)
    replication = params.get("replication")
    if replication is not None or params.get("object_lock") is not None:
        params["versioning"] = True
    if not params["versioning"]:
        params["lifecycle"] = [rule for rule in params["lifecycle"] if rule is not _NONCURRENT_RULE]
    if replication is not None and params["encryption"] != "sse-s3":
        params["replication"] = {**replication, "replica_kms_key_arn": REPLICA_KEY_ARN}
        if "role_arn" not in replication and params.get("kms_key_arn") == ALIAS_ARN:
            params["kms_key_arn"] = KEY_ARN  # the created role grants keys by key ARN


def generated_combinations(count: int = 40, seed: int = 3) -> list[Case]:
    """``count`` distinct random configurations (the same ones for the same seed)."""
    rng = random.Random(seed)
    cases: dict[str, Case] = {}
    index = 0
    while len(cases) < count:
        params = _generated(rng, index)
        key = json.dumps(params, sort_keys=True)
        cases.setdefault(key, Case(f"generated-{index}", params))
        index += 1
    return list(cases.values())


def all_combinations() -> list[Case]:
    """The reviewed configurations and the generated ones."""
    return FIXED_COMBINATIONS + generated_combinations()


# ---------------------------------------------------------------------- checkov trades

#: Each option trading checkov checks away (as the docs table words it): an example
#: configuration and exactly the checks its bucket then fails.
TRADES: dict[str, tuple[dict[str, Any], frozenset[str]]] = {
    "`versioning = false`": ({"versioning": False}, frozenset({"CKV_AWS_21"})),
    "`encryption = dsse-kms`": ({"encryption": "dsse-kms"}, frozenset({"CKV_AWS_19"})),
    "`block_public_access = false`": ({"block_public_access": False}, PUBLIC_ACCESS_CHECKS),
    "`website.public = true`": (
        {
            "website": {"index_document": "index.html", "public": True},
            "block_public_access": False,
            "enforce_tls": False,
        },
        PUBLIC_ACCESS_CHECKS,
    ),
    "`access_logging.enabled = false`": (
        {"access_logging": {"enabled": False}},
        frozenset({"CKV_AWS_18"}),
    ),
}


def traded_checks(params: S3BucketParameters) -> frozenset[str]:
    """The checks the bucket of ``params`` fails, by the options in :data:`TRADES`."""
    failed: set[str] = set()
    if not params.versioning:
        failed.add("CKV_AWS_21")
    if params.encryption is Encryption.DSSE_KMS:
        failed.add("CKV_AWS_19")
    if not params.block_public_access:  # website.public needs it off
        failed |= PUBLIC_ACCESS_CHECKS
    if not params.access_logging.enabled:
        failed.add("CKV_AWS_18")
    return frozenset(failed)

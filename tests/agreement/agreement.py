"""Agreement between the policy plugin and checkov on the corpus in ``corpus/``.

Run::

    python tests/agreement/agreement.py [--checkov PATH] [--json] [--corpus DIR]

Both tools read the same files: the policy plugin in-process through the host library
(with the opt-in ``aws-s3-access-logging`` rule on), checkov as a subprocess
(``-d corpus -o json --compact --skip-download`` on the CloudFormation, Terraform,
Terraform JSON, Terraform plan and ARM frameworks, offline). checkov's results are
mapped to our rules through each rule's ``checkov`` ids and matched by (file, resource):

- resource names are normalised to ours: ``AWS::S3::Bucket.Data`` -> ``Data``,
  ``aws_s3_bucket.b[0]`` -> ``aws_s3_bucket.b``, ``Microsoft.Storage/storageAccounts.x``
  -> ``x``, and checkov's Terraform JSON ``resource.NAME`` -> the resource of that name
  of the type the check reads;
- checkov checks CKV_AWS_53 to 56 on an ``aws_s3_bucket_public_access_block``; their
  result counts for the bucket that block configures, as our rule reports on the bucket;
- a rule "fails" a resource for checkov when any of the rule's checks fails on it, and
  checkov "evaluated" the resource when any of them passed or failed on it.

Per rule with a checkov counterpart it prints TP (both fail), FP (we fail, checkov
passes), FN (checkov fails, we pass), TN, precision and recall, over the resources
checkov evaluated. Set apart, not counted: the deliberate disagreements listed in
:data:`KNOWN_DISAGREEMENTS` (each with its reason; one that no longer disagrees is
reported as stale), and our findings on resources checkov does not evaluate for that
rule (no checkov check for that format or resource type, explained in
:data:`NOT_EVALUATED`).

Exit status: 0 when every rule the corpus exercises reaches precision and recall of
:data:`TARGET`, with no stale disagreement and no unexplained gap; 1 otherwise; 2 when
checkov cannot be run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"
#: checkov frameworks reading the formats of the corpus.
FRAMEWORKS = ("cloudformation", "terraform", "terraform_json", "terraform_plan", "arm")
#: Precision and recall every exercised rule reaches.
TARGET = 0.95
#: How long checkov may run on the corpus (it hangs when a worker process dies).
CHECKOV_TIMEOUT = 600
# Nothing may leave the machine: a proxy nobody listens on (port 9, "discard").
_DEAD_PROXY = "http://127.0.0.1:9"

#: The resource types each checkov check reads. checkov's Terraform JSON runner names
#: resources ``resource.NAME`` for resource checks; the type comes from here.
CHECK_RESOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "CKV_AWS_19": ("aws_s3_bucket", "AWS::S3::Bucket"),
    "CKV_AWS_21": ("aws_s3_bucket", "AWS::S3::Bucket"),
    "CKV_AWS_18": ("aws_s3_bucket", "AWS::S3::Bucket"),
    "CKV2_AWS_6": ("aws_s3_bucket",),
    **{
        check: ("aws_s3_bucket_public_access_block", "AWS::S3::Bucket")
        for check in ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56")
    },
    "CKV_AZURE_3": ("azurerm_storage_account", "Microsoft.Storage/storageAccounts"),
    "CKV_AZURE_44": ("azurerm_storage_account", "Microsoft.Storage/storageAccounts"),
    "CKV_AZURE_190": ("azurerm_storage_account",),
    "CKV_AZURE_34": (
        "azurerm_storage_container",
        "Microsoft.Storage/storageAccounts/blobServices/containers",
    ),
    "CKV_GCP_29": ("google_storage_bucket",),
    "CKV_GCP_78": ("google_storage_bucket",),
    "CKV_GCP_114": ("google_storage_bucket",),
    "CKV_GCP_28": ("google_storage_bucket_iam_member", "google_storage_bucket_iam_binding"),
}
#: Resources whose checkov results count for the S3 bucket they configure.
CONFIGURES_BUCKET = frozenset({"aws_s3_bucket_public_access_block"})

_DSSE = (
    "DSSE-KMS (aws:kms:dsse) is server-side encryption with two layers of KMS keys; "
    "checkov's CKV_AWS_19 accepts only AES256 and aws:kms (checkov false positive)"
)
_FN_IF = (
    "every branch of the Fn::If is secure; checkov does not evaluate Fn::If in "
    "CloudFormation and fails the property (checkov false positive)"
)
_FIND_IN_MAP = (
    "the Fn::FindInMap entry the parameter's default picks is secure; checkov does not "
    "evaluate Fn::FindInMap and fails the property (checkov false positive)"
)
_LOG_BUCKET = (
    "the bucket receives another bucket's access logs: the policy does not ask a log bucket "
    "to log its own access (into itself it would log every delivery again, which AWS advises "
    "against); checkov's CKV_AWS_18 fails it unless the template skips the check (checkov "
    "passes Terraform log buckets only when linked through an aws_s3_bucket_logging)"
)
_FOR_EACH = (
    "every instance of the for_each has its setting (each.value.id); checkov links only "
    "the first instance to the setting and fails the others (checkov false positive)"
)
_BY_NAME = (
    "the split resources name the bucket by its literal name, which Terraform applies "
    "to that bucket; checkov's graph links them only through references (checkov false "
    "positive)"
)
_AZURERM_V4 = (
    "https_traffic_only_enabled = false is the azurerm provider v4 name of the setting; "
    "checkov 3.3's CKV_AZURE_3 reads only the v3 name enable_https_traffic_only (checkov "
    "false negative)"
)
_AZURERM_TLS = (
    "min_tls_version not set: the azurerm provider defaults it to TLS1_2 since 3.0; "
    "checkov fails the missing attribute (checkov false positive on current providers)"
)

#: Deliberate disagreements, by (rule, file under corpus/, resource): the reason.
KNOWN_DISAGREEMENTS: dict[tuple[str, str, str], str] = {
    ("aws-s3-encryption", "cloudformation/s3_dsse_kms.yaml", "RegulatedBucket"): _DSSE,
    ("aws-s3-encryption", "terraform/s3_split_dsse_kms/main.tf", "aws_s3_bucket.regulated"): (
        _DSSE
    ),
    (
        "aws-s3-encryption",
        "terraform_json/s3_split_mixed/main.tf.json",
        "aws_s3_bucket.exports",
    ): _DSSE,
    ("aws-s3-encryption", "cloudformation/s3_mappings_per_environment.yaml", "MappedBucket"): (
        _FIND_IN_MAP
    ),
    ("aws-s3-versioning", "cloudformation/s3_mappings_per_environment.yaml", "MappedBucket"): (
        _FIND_IN_MAP
    ),
    ("aws-s3-versioning", "cloudformation/s3_mappings_per_environment.yaml", "RegionalBucket"): (
        _FIND_IN_MAP
    ),
    ("aws-s3-access-logging", "cloudformation/s3_access_logging_mixed.yaml", "AccessLogBucket"): (
        _LOG_BUCKET
    ),
    ("aws-s3-access-logging", "cloudformation/s3_many_buckets_mixed.json", "AuditLogs"): (
        _LOG_BUCKET
    ),
    (
        "aws-s3-access-logging",
        "terraform/s3_logging_inline_v3/main.tf",
        "aws_s3_bucket.web_logs",
    ): _LOG_BUCKET,
    (
        "aws-s3-access-logging",
        "terraform/s3_logging_inline_v3/main.tf",
        "aws_s3_bucket.api_logs",
    ): _LOG_BUCKET,
    ("aws-s3-versioning", "terraform/s3_split_for_each/main.tf", "aws_s3_bucket.team"): _FOR_EACH,
    (
        "azure-storage-min-tls",
        "terraform/azure_storage_provider_defaults/main.tf",
        "azurerm_storage_account.defaults",
    ): _AZURERM_TLS,
    (
        "azure-storage-https-only",
        "terraform/azure_storage_provider_v4/main.tf",
        "azurerm_storage_account.v4_http",
    ): _AZURERM_V4,
    (
        "aws-s3-public-access-block",
        "terraform/s3_split_for_each/main.tf",
        "aws_s3_bucket.team",
    ): _FOR_EACH,
    (
        "aws-s3-encryption",
        "cloudformation/s3_conditions_both_branches_secure.yaml",
        "ChoiceBucket",
    ): _FN_IF,
    ("aws-s3-versioning", "terraform/s3_split_linked_by_name/main.tf", "aws_s3_bucket.named"): (
        _BY_NAME
    ),
    (
        "aws-s3-public-access-block",
        "terraform/s3_split_linked_by_name/main.tf",
        "aws_s3_bucket.named",
    ): _BY_NAME,
}

#: Why checkov has no result for some of our findings: by (rule, resource type).
NOT_EVALUATED: dict[tuple[str, str], str] = {
    ("azure-storage-public-access", "microsoft.storage/storageaccounts"): (
        "checkov 3.3 has no ARM check of allowBlobPublicAccess (CKV_AZURE_190 reads Terraform only)"
    ),
}


# ---------------------------------------------------------------------- data


@dataclass(frozen=True)
class Unit:
    """One resource of one file, as both tools name it after normalisation."""

    file: str
    resource: str


@dataclass
class RuleAgreement:
    """How one rule's findings compare with checkov's failed checks."""

    rule: str
    checks: tuple[str, ...]
    tp: list[Unit] = field(default_factory=list)
    fp: list[Unit] = field(default_factory=list)
    fn: list[Unit] = field(default_factory=list)
    tn: list[Unit] = field(default_factory=list)
    #: Deliberate disagreements: (unit, who fails it, reason).
    disagreements: list[tuple[Unit, str, str]] = field(default_factory=list)
    #: Listed disagreements where both tools now agree.
    stale: list[Unit] = field(default_factory=list)
    #: Our findings on resources checkov has no result for: (unit, reason or "").
    not_evaluated: list[tuple[Unit, str]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        """TP / (TP + FP); ``None`` when we report nothing checkov evaluated."""
        flagged = len(self.tp) + len(self.fp)
        return len(self.tp) / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        """TP / (TP + FN); ``None`` when checkov fails nothing."""
        failing = len(self.tp) + len(self.fn)
        return len(self.tp) / failing if failing else None

    @property
    def exercised(self) -> bool:
        """Whether the corpus has resources checkov evaluates for this rule."""
        return bool(self.tp or self.fp or self.fn or self.tn)

    def meets(self, target: float) -> bool:
        """Whether precision and recall reach ``target`` (a rule not exercised does)."""
        return all(value is None or value >= target for value in (self.precision, self.recall))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""

        def units(items: Iterable[Unit]) -> list[dict[str, str]]:
            return [{"file": u.file, "resource": u.resource} for u in items]

        return {
            "rule": self.rule,
            "checkov": list(self.checks),
            "tp": len(self.tp),
            "fp": len(self.fp),
            "fn": len(self.fn),
            "tn": len(self.tn),
            "precision": self.precision,
            "recall": self.recall,
            "exercised": self.exercised,
            "false_positives": units(self.fp),
            "false_negatives": units(self.fn),
            "disagreements": [
                {"file": u.file, "resource": u.resource, "fails": who, "reason": why}
                for u, who, why in self.disagreements
            ],
            "stale_disagreements": units(self.stale),
            "not_evaluated": [
                {"file": u.file, "resource": u.resource, "reason": why}
                for u, why in self.not_evaluated
            ],
        }


@dataclass
class Report:
    """The agreement of every rule with a checkov counterpart."""

    rules: list[RuleAgreement]
    files: list[str]
    checkov_version: str
    checkov_seconds: float
    #: checkov results that name no resource of ours: (file, checkov's resource, check).
    unmatched: list[tuple[str, str, str]]
    #: Files checkov could not parse.
    parsing_errors: list[str]

    def ok(self, target: float = TARGET) -> bool:
        """Whether every rule meets the target, with nothing stale, unmatched or unexplained."""
        return (
            all(rule.meets(target) and not rule.stale for rule in self.rules)
            and not self.unmatched
            and not self.parsing_errors
            and all(why for rule in self.rules for _, why in rule.not_evaluated)
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "target": TARGET,
            "files": self.files,
            "checkov_version": self.checkov_version,
            "checkov_seconds": round(self.checkov_seconds, 2),
            "rules": [rule.to_dict() for rule in self.rules],
            "unmatched": [
                {"file": f, "checkov_resource": r, "check": c} for f, r, c in self.unmatched
            ],
            "parsing_errors": self.parsing_errors,
            "ok": self.ok(),
        }


# ---------------------------------------------------------------------- checkov


def checkov_environment(home: Path) -> dict[str, str]:
    """An environment for checkov built from nothing: offline, no credentials, no config.

    ``BC_SKIP_MAPPING`` and ``--skip-download`` skip the platform calls,
    ``CKV_SKIP_PACKAGE_UPDATE_CHECK`` the PyPI version check, and every proxy variable
    points at a closed loopback port so that anything else trying to go out fails fast.
    """
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "BC_SKIP_MAPPING": "TRUE",
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "LOG_LEVEL": "WARNING",
        "NO_PROXY": "",
        "no_proxy": "",
    }
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        environment[variable] = _DEAD_PROXY
    return environment


def default_checkov() -> Path | None:
    """checkov in the environment ``nox -s checkov`` made, or ``CLOUDCRAVER_CHECKOV``."""
    configured = os.environ.get("CLOUDCRAVER_CHECKOV")
    scripts = "Scripts" if sys.platform == "win32" else "bin"
    for candidate in ([Path(configured)] if configured else []) + [
        ROOT / ".nox" / "checkov" / scripts / "checkov"
    ]:
        if candidate.is_file():
            return candidate
    return None


def run_checkov(
    checkov: Path, corpus: Path, checks: Sequence[str], timeout: float = CHECKOV_TIMEOUT
) -> tuple[list[dict[str, Any]], float]:
    """checkov's JSON reports (one per framework) on ``corpus``, and the seconds it took.

    :raises RuntimeError: when checkov fails, hangs past ``timeout`` or prints no JSON.
    """
    with tempfile.TemporaryDirectory(prefix="checkov-home-") as home:
        argv = [
            str(checkov),
            "--directory",
            str(corpus),
            "--framework",
            *FRAMEWORKS,
            "--check",
            ",".join(checks),
            "--output",
            "json",
            "--compact",
            "--skip-download",
        ]
        started = time.perf_counter()
        # A session of its own: on a timeout the whole group (checkov forks workers) ends.
        process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=home,
            env=checkov_environment(Path(home)),
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise RuntimeError(f"checkov did not finish within {timeout:g} s") from None
        seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):  # 1: some checks failed
        raise RuntimeError(f"checkov exited {process.returncode}: {stderr[-2000:]}")
    try:
        data = json.loads(stdout)
    except ValueError:
        raise RuntimeError(f"checkov printed no JSON report: {stderr[-2000:]}") from None
    return (data if isinstance(data, list) else [data]), seconds


# ---------------------------------------------------------------------- ours


@dataclass
class Ours:
    """Our findings and inventories for every file of the corpus."""

    #: (rule id, unit) of every finding.
    findings: set[tuple[str, Unit]]
    #: The inventory of each file (``formats.Inventory``), by path under the corpus.
    inventories: dict[str, Any]
    #: Files we could not read or parse: path -> error.
    errors: dict[str, str]


def run_ours(corpus: Path) -> Ours:
    """Validate the corpus with the policy plugin through the host library."""
    from cloudcraver_hookspecs import DocumentSource

    import cloudcraver_plugins.policy.plugin as policy_plugin
    from cloudcraver_host import DiscoveryResult, PluginHost, load_config
    from cloudcraver_host.documents import expand_paths, validate_files
    from cloudcraver_plugins.policy.formats import base_address, inventory_for
    from cloudcraver_plugins.policy.modules import TerraformFiles

    with tempfile.TemporaryDirectory(prefix="cloudcraver-agreement-") as folder:
        user_file = Path(folder, "config.toml")
        user_file.write_text(
            '[plugins.policy]\nenabled_rules = ["aws-s3-access-logging"]\n', encoding="utf-8"
        )
        config = load_config(user_file=user_file, cwd=Path(folder), environ={})
        host = PluginHost(config=config, discovery=DiscoveryResult(), environment=False)
        try:
            host.register(policy_plugin, "policy")
            report = validate_files(host, list(expand_paths([corpus])))
        finally:
            host.close()
    findings: set[tuple[str, Unit]] = set()
    inventories: dict[str, Any] = {}
    errors: dict[str, str] = {}
    modules = TerraformFiles()
    for result in report.results:
        path = Path(result.path)
        name = path.relative_to(corpus).as_posix()
        if result.error is not None:
            errors[name] = result.error
            continue
        for finding in result.findings:
            if finding.resource is not None:
                findings.add((finding.rule_id, Unit(name, base_address(finding.resource))))
        document = policy_plugin.parse_document(
            DocumentSource(str(path), path.read_text(encoding="utf-8"))
        )
        if document is not None:
            # A Terraform file within its module (the files of its folder), as validated.
            inventories[name] = inventory_for(document, modules.module_for(document))
    return Ours(findings, inventories, errors)


# ---------------------------------------------------------------------- matching

_TYPE_PREFIX = re.compile(r"^(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)\.(.+)$")


class Names:
    """Maps checkov's resource names in one file to our resources."""

    def __init__(self, inventory: Any) -> None:
        from cloudcraver_plugins.policy.formats import base_address

        self.inventory = inventory
        self.by_alias: dict[str, Any] = {}
        for resource in inventory.resources:
            for alias in self._aliases(resource):
                self.by_alias.setdefault(alias, resource)
        self.base_address = base_address

    def _aliases(self, resource: Any) -> Iterable[str]:
        from cloudcraver_plugins.policy.formats import base_address

        kind, address = resource.type, resource.address
        yield base_address(address)
        yield f"{kind}.{address}".lower()
        written = resource.body.get("name") if isinstance(resource.body, Mapping) else None
        if isinstance(written, str):  # ARM: checkov names resources by the name as written
            yield f"{kind}.{written}".lower()
            short = resource.body.get("type")
            if isinstance(short, str):
                yield f"{short}.{written}".lower()

    def find(self, checkov_resource: str, check: str) -> Any | None:
        """Our resource checkov calls ``checkov_resource`` (for ``check``), if any."""
        name = self.base_address(checkov_resource)
        for candidate in (name, name.lower()):
            if candidate in self.by_alias:
                return self.by_alias[candidate]
        match = _TYPE_PREFIX.match(name)
        if match and match.group(2) in self.by_alias:
            return self.by_alias[match.group(2)]
        if name.startswith("resource."):  # checkov's Terraform JSON resource checks
            types = CHECK_RESOURCE_TYPES.get(check, ())
            for kind in types:
                found = self.by_alias.get(f"{kind}.{name.removeprefix('resource.')}")
                if found is not None:
                    return found
        return None


def _configured_buckets(inventory: Any, resource: Any, file: str, corpus: Path) -> list[Unit]:
    """The buckets a public access block configures (through our own linking).

    The bucket may be declared in another file of the block's Terraform module: the unit
    is then that file's.
    """
    from cloudcraver_plugins.policy.formats import TerraformBase, base_address
    from cloudcraver_plugins.policy.rules_aws import companions

    if not isinstance(inventory, TerraformBase):
        return []
    found = []
    for bucket in inventory.related("aws_s3_bucket"):
        linked = companions(inventory, bucket, resource.type)
        if any(o.address == resource.address and inventory.is_local(o) for o in linked):
            where = file
            if not inventory.is_local(bucket):
                where = Path(bucket.origin).resolve().relative_to(corpus).as_posix()
            found.append(Unit(where, base_address(bucket.address)))
    return found


def compare(
    reports: Sequence[Mapping[str, Any]],
    ours: Ours,
    corpus: Path,
    rules: Sequence[Any],
) -> tuple[list[RuleAgreement], list[tuple[str, str, str]], list[str]]:
    """Per-rule agreement, checkov results naming none of our resources, checkov parse errors."""
    from cloudcraver_plugins.policy.formats import base_address

    rule_of_check = {check: rule.id for rule in rules for check in rule.checkov}
    evaluated: dict[str, set[Unit]] = {rule.id: set() for rule in rules}
    failed: dict[str, set[Unit]] = {rule.id: set() for rule in rules}
    unmatched: list[tuple[str, str, str]] = []
    parsing_errors: list[str] = []
    names = {file: Names(inventory) for file, inventory in ours.inventories.items()}
    for report in reports:
        results = report.get("results", {})
        for path in results.get("parsing_errors", []):
            parsing_errors.append(Path(path).resolve().relative_to(corpus).as_posix())
        for outcome in ("passed_checks", "failed_checks"):
            for item in results.get(outcome, []):
                rule = rule_of_check.get(item["check_id"])
                if rule is None:
                    continue
                file = Path(item["file_abs_path"]).resolve().relative_to(corpus).as_posix()
                inventory = ours.inventories.get(file)
                resource = (
                    None
                    if file not in names
                    else names[file].find(item["resource"], item["check_id"])
                )
                if inventory is None or resource is None:
                    unmatched.append((file, item["resource"], item["check_id"]))
                    continue
                units = (
                    _configured_buckets(inventory, resource, file, corpus)
                    if resource.type in CONFIGURES_BUCKET
                    else [Unit(file, base_address(resource.address))]
                )
                for unit in units:
                    evaluated[rule].add(unit)
                    if outcome == "failed_checks":
                        failed[rule].add(unit)
    agreements = []
    for rule in rules:
        if not rule.checkov:
            continue
        agreement = RuleAgreement(rule.id, tuple(rule.checkov))
        flagged = {unit for rule_id, unit in ours.findings if rule_id == rule.id}
        for unit in sorted(evaluated[rule.id] | flagged, key=lambda u: (u.file, u.resource)):
            we_fail, they_fail = unit in flagged, unit in failed[rule.id]
            reason = KNOWN_DISAGREEMENTS.get((rule.id, unit.file, unit.resource))
            if unit not in evaluated[rule.id]:
                agreement.not_evaluated.append((unit, _not_evaluated_reason(ours, rule.id, unit)))
            elif reason is not None:
                if we_fail == they_fail:
                    agreement.stale.append(unit)
                else:
                    who = "policy plugin" if we_fail else "checkov"
                    agreement.disagreements.append((unit, who, reason))
            elif we_fail and they_fail:
                agreement.tp.append(unit)
            elif we_fail:
                agreement.fp.append(unit)
            elif they_fail:
                agreement.fn.append(unit)
            else:
                agreement.tn.append(unit)
        agreements.append(agreement)
    listed = {(rule, file, resource) for rule, file, resource in KNOWN_DISAGREEMENTS}
    seen = {(a.rule, u.file, u.resource) for a in agreements for u, _, _ in a.disagreements} | {
        (a.rule, u.file, u.resource) for a in agreements for u in a.stale
    }
    for rule, file, resource in sorted(listed - seen):  # listed but not in the corpus any more
        for agreement in agreements:
            if agreement.rule == rule:
                agreement.stale.append(Unit(file, resource))
    return agreements, unmatched, parsing_errors


def _not_evaluated_reason(ours: Ours, rule: str, unit: Unit) -> str:
    inventory = ours.inventories.get(unit.file)
    if inventory is None:
        return ""
    from cloudcraver_plugins.policy.formats import base_address

    for resource in inventory.resources:
        if base_address(resource.address) == unit.resource:
            reason = NOT_EVALUATED.get((rule, resource.type.lower()))
            if reason is not None:
                return reason
            condition = (
                resource.body.get("Condition") if inventory.format == "cloudformation" else None
            )
            if isinstance(condition, str):
                return (
                    f"created only under the condition {condition}, false with the "
                    "parameters' defaults: checkov leaves the resource out, the policy "
                    "checks it (a deployment may set the parameters)"
                )
    return ""


# ---------------------------------------------------------------------- report


def measure(checkov: Path, corpus: Path = CORPUS) -> Report:
    """Run both tools on ``corpus`` and compare them."""
    from cloudcraver_plugins.policy.rules import BUILTIN_RULES

    rules = [rule for rule in BUILTIN_RULES if rule.checkov]
    checks = sorted({check for rule in rules for check in rule.checkov})
    reports, seconds = run_checkov(checkov, corpus, checks)
    ours = run_ours(corpus)
    if ours.errors:
        raise RuntimeError(f"the policy plugin could not read: {ours.errors}")
    agreements, unmatched, parsing_errors = compare(reports, ours, corpus, rules)
    versions = {r.get("summary", {}).get("checkov_version") for r in reports} - {None}
    files = sorted(ours.inventories)
    return Report(
        agreements, files, ", ".join(sorted(versions)), seconds, unmatched, parsing_errors
    )


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def render(report: Report) -> str:
    """The report as text."""
    width = max([len(", ".join(rule.checks)) for rule in report.rules] + [7])
    lines = [
        f"policy plugin vs checkov {report.checkov_version}: {len(report.files)} files "
        f"(checkov took {report.checkov_seconds:.1f} s); target {TARGET:.2f}",
        "",
        f"{'rule':<28} {'checkov':<{width}} {'TP':>3} {'FP':>3} {'FN':>3} {'TN':>3} "
        f"{'precision':>9} {'recall':>6}",
    ]
    for rule in report.rules:
        checks = ", ".join(rule.checks)
        lines.append(
            f"{rule.rule:<28} {checks:<{width}} {len(rule.tp):>3} {len(rule.fp):>3} "
            f"{len(rule.fn):>3} {len(rule.tn):>3} {_ratio(rule.precision):>9} "
            f"{_ratio(rule.recall):>6}"
        )
    for title, attribute in (("false positives", "fp"), ("false negatives", "fn")):
        items = [(r.rule, u) for r in report.rules for u in getattr(r, attribute)]
        if items:
            lines += ["", f"{title.capitalize()}:"]
            lines += [f"  {rule}  {u.file}  {u.resource}" for rule, u in items]
    disagreements = [(r.rule, d) for r in report.rules for d in r.disagreements]
    lines += ["", "Deliberate disagreements (not counted):"]
    lines += [
        f"  {rule}  {unit.file}  {unit.resource}: fails in {who} only; {why}"
        for rule, (unit, who, why) in disagreements
    ] or ["  none"]
    gaps = [(r.rule, u, why) for r in report.rules for u, why in r.not_evaluated]
    lines += ["", "Our findings checkov does not evaluate (not counted):"]
    lines += [
        f"  {rule}  {unit.file}  {unit.resource}: {why or 'NO REASON RECORDED'}"
        for rule, unit, why in gaps
    ] or ["  none"]
    stale = [(r.rule, u) for r in report.rules for u in r.stale]
    if stale:
        lines += ["", "Stale disagreements (listed, but the tools agree or the file is gone):"]
        lines += [f"  {rule}  {u.file}  {u.resource}" for rule, u in stale]
    if report.unmatched:
        lines += ["", "checkov results naming none of our resources:"]
        lines += [f"  {f}  {r}  {c}" for f, r, c in report.unmatched]
    if report.parsing_errors:
        lines += ["", "Files checkov could not parse:"] + [f"  {f}" for f in report.parsing_errors]
    lines += ["", "OK" if report.ok() else "BELOW TARGET (see above)"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the agreement table (or JSON); exit 0 when the target is met."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkov", type=Path, help="the checkov executable")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the folder of templates")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    checkov = args.checkov or default_checkov()
    if checkov is None or not checkov.is_file():
        print(
            "error: checkov not found: run `nox -s checkov`, or pass --checkov PATH",
            file=sys.stderr,
        )
        return 2
    try:
        report = measure(checkov, args.corpus.resolve())
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=2) if args.json else render(report), end="")
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())

"""``cloudcraver validate`` against checkov on the same folder of 100 templates, side by side.

Run: python benchmarks/bench_validate_vs_checkov.py [--checkov PATH] [--repeat N] [--keep DIR]
(or nox -s bench). Target: cloudcraver at least 10 times faster.

The folder holds 100 templates: the agreement corpus (CloudFormation YAML and JSON,
Terraform HCL, Terraform JSON, plans, ARM) and larger generated ones (CloudFormation
stacks of 15 to 40 buckets with policies, Terraform configurations of 10 to 25 buckets
with their split resources, ARM templates of 10 to 30 storage accounts), each Terraform
configuration in a folder of its own as Terraform expects. Both tools run as whole
processes, as a user runs them, alternately so that machine noise hits both alike:

- ``cloudcraver validate FOLDER --format json``, the ``cloudcraver`` next to this
  interpreter, with an empty home (no user configuration);
- ``checkov -d FOLDER --skip-download -o json --quiet --framework ...``, offline (no
  platform calls, no version check, proxies pointing at a closed port). The framework
  list names the five formats of the folder: checkov does less than by default (no
  secrets, no package scan), which can only favour it.

Prints each run, the medians and the ratio checkov / cloudcraver.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "agreement" / "corpus"
FRAMEWORKS = ("cloudformation", "terraform", "terraform_json", "terraform_plan", "arm")
TEMPLATES = 100
TARGET = 10.0
_DEAD_PROXY = "http://127.0.0.1:9"


# ---------------------------------------------------------------------- the folder


def cfn_stack(index: int, buckets: int) -> str:
    """A CloudFormation YAML stack of ``buckets`` buckets, each with a bucket policy."""
    lines = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        f"Description: Generated stack {index} for the benchmark.",
        "Parameters:",
        "  Environment: {Type: String, Default: prod, AllowedValues: [dev, prod]}",
        "Conditions:",
        "  IsProd: !Equals [!Ref Environment, prod]",
        "Resources:",
    ]
    for b in range(buckets):
        name = f"Bucket{b}"
        secure = (b + index) % 3 != 0
        lines += [
            f"  {name}:",
            "    Type: AWS::S3::Bucket",
            "    Properties:",
            f'      BucketName: !Sub "acme-{index}-{b}-${{Environment}}"',
            "      BucketEncryption:",
            "        ServerSideEncryptionConfiguration:",
            "          - ServerSideEncryptionByDefault:",
            "              SSEAlgorithm: "
            + ("!If [IsProd, aws:kms, AES256]" if secure else "AES256"),
            "      VersioningConfiguration:",
            f"        Status: {'Enabled' if secure else 'Suspended'}",
            "      PublicAccessBlockConfiguration:",
            "        BlockPublicAcls: true",
            f"        BlockPublicPolicy: {'true' if secure else 'false'}",
            "        IgnorePublicAcls: true",
            "        RestrictPublicBuckets: true",
            "      Tags:",
            "        - {Key: owner, Value: platform}",
            f"        - {{Key: stack, Value: stack-{index}}}",
            f"  {name}Policy:",
            "    Type: AWS::S3::BucketPolicy",
            "    Properties:",
            f"      Bucket: !Ref {name}",
            "      PolicyDocument:",
            "        Statement:",
            "          - Effect: Deny",
            '            Principal: "*"',
            '            Action: "s3:*"',
            f'            Resource: [!GetAtt {name}.Arn, !Sub "${{{name}.Arn}}/*"]',
            "            Condition:",
            '              Bool: {"aws:SecureTransport": "false"}',
        ]
    return "\n".join(lines) + "\n"


def cfn_json_stack(index: int, buckets: int) -> str:
    """A CloudFormation JSON stack of ``buckets`` buckets."""
    resources = {}
    for b in range(buckets):
        resources[f"Store{b}"] = {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": f"acme-json-{index}-{b}",
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                    ]
                },
                "VersioningConfiguration": {"Status": "Enabled" if b % 4 else "Suspended"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": b % 5 != 0,
                    "RestrictPublicBuckets": True,
                },
                "LoggingConfiguration": {"DestinationBucketName": f"acme-logs-{index}"},
            },
        }
    document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    return json.dumps(document, indent=2) + "\n"


def terraform_config(index: int, buckets: int) -> str:
    """A Terraform configuration of ``buckets`` buckets with their split resources."""
    blocks = [
        'provider "aws" {\n  region = "eu-west-1"\n}\n',
        f'variable "prefix" {{\n  default = "acme-tf-{index}"\n}}\n',
    ]
    for b in range(buckets):
        secure = (b + index) % 3 != 0
        blocks += [
            f'resource "aws_s3_bucket" "b{b}" {{\n  bucket = "${{var.prefix}}-{b}"\n'
            f'  tags = {{\n    owner = "platform"\n    index = "{b}"\n  }}\n}}\n',
            f'resource "aws_s3_bucket_versioning" "b{b}" {{\n  bucket = aws_s3_bucket.b{b}.id\n'
            "  versioning_configuration {\n"
            f'    status = "{"Enabled" if secure else "Suspended"}"\n  }}\n}}\n',
            f'resource "aws_s3_bucket_server_side_encryption_configuration" "b{b}" {{\n'
            f"  bucket = aws_s3_bucket.b{b}.id\n  rule {{\n"
            '    apply_server_side_encryption_by_default {\n      sse_algorithm = "aws:kms"\n'
            "    }\n  }\n}\n",
            f'resource "aws_s3_bucket_public_access_block" "b{b}" {{\n'
            f"  bucket                  = aws_s3_bucket.b{b}.id\n"
            "  block_public_acls       = true\n"
            f"  block_public_policy     = {'true' if secure else 'false'}\n"
            "  ignore_public_acls      = true\n  restrict_public_buckets = true\n}\n",
            f'resource "aws_s3_bucket_policy" "b{b}" {{\n  bucket = aws_s3_bucket.b{b}.id\n'
            "  policy = jsonencode({\n    Statement = [{\n"
            '      Effect = "Deny", Principal = "*", Action = "s3:*"\n'
            f'      Resource = ["${{aws_s3_bucket.b{b}.arn}}/*"]\n'
            '      Condition = { Bool = { "aws:SecureTransport" = "false" } }\n'
            "    }]\n  })\n}\n",
        ]
    return "\n".join(blocks)


def arm_template(index: int, accounts: int) -> str:
    """An ARM template of ``accounts`` storage accounts with a container each."""
    resources = []
    for a in range(accounts):
        name = f"acme{index}st{a}"
        resources += [
            {
                "type": "Microsoft.Storage/storageAccounts",
                "apiVersion": "2023-01-01",
                "name": name,
                "location": "westeurope",
                "sku": {"name": "Standard_LRS"},
                "kind": "StorageV2",
                "properties": {
                    "supportsHttpsTrafficOnly": True,
                    "minimumTlsVersion": "TLS1_2" if a % 3 else "TLS1_0",
                    "allowBlobPublicAccess": False,
                },
            },
            {
                "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
                "apiVersion": "2023-01-01",
                "name": f"{name}/default/data",
                "properties": {"publicAccess": "None" if a % 4 else "Blob"},
            },
        ]
    document = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
        "deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }
    return json.dumps(document, indent=2) + "\n"


def build_folder(folder: Path) -> dict[str, int]:
    """Write the 100 templates into ``folder``; return how many of each kind."""
    corpus = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    for path in corpus:
        target = folder / "corpus" / path.relative_to(CORPUS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    generated = TEMPLATES - len(corpus)
    kinds = {"corpus": len(corpus), "cfn-yaml": 0, "cfn-json": 0, "terraform": 0, "arm": 0}
    for index in range(generated):
        size = 10 + (index * 7) % 21  # 10 to 30: resources per generated template
        kind = ("cfn-yaml", "terraform", "cfn-json", "arm")[index % 4]
        if kind == "cfn-yaml":
            path, text = folder / "stacks" / f"stack_{index}.yaml", cfn_stack(index, size + 5)
        elif kind == "cfn-json":
            path, text = folder / "stacks" / f"stack_{index}.json", cfn_json_stack(index, size)
        elif kind == "terraform":
            path = folder / "terraform" / f"config_{index}" / "main.tf"
            text = terraform_config(index, max(10, size - 5))
        else:
            path, text = folder / "arm" / f"storage_{index}.json", arm_template(index, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        kinds[kind] += 1
    return kinds


# ---------------------------------------------------------------------- the runs


def checkov_environment(home: Path) -> dict[str, str]:
    """Offline, with no credentials or configuration of the developer's environment."""
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


def cloudcraver_environment(home: Path) -> dict[str, str]:
    """An empty home: no user configuration, state or plugin path of the developer's."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CLOUDCRAVER_HOME": str(home),
        "LANG": "C.UTF-8",
    }


def timed(argv: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[float, str]:
    """Seconds the command took, and its standard output; exit 0 or 1 (findings) only."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        start_new_session=True,  # on a timeout, end the whole group (checkov forks)
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise SystemExit(f"error: {argv[0]} did not finish within {timeout:g} s") from None
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"error: {' '.join(argv)} exited {process.returncode}:\n{stderr[-2000:]}")
    return seconds, stdout


def default_checkov() -> Path | None:
    """The checkov ``nox -s checkov`` installed, or ``CLOUDCRAVER_CHECKOV``."""
    configured = os.environ.get("CLOUDCRAVER_CHECKOV")
    if configured:
        return Path(configured)
    scripts = "Scripts" if sys.platform == "win32" else "bin"
    return ROOT / ".nox" / "checkov" / scripts / "checkov"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkov", type=Path, default=None, help="the checkov executable")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each tool (default 5)")
    parser.add_argument("--keep", type=Path, default=None, help="write the folder here")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    checkov = args.checkov or default_checkov()
    if checkov is None or not checkov.is_file():
        raise SystemExit(
            f"error: checkov not found at {checkov}: run `nox -s checkov`, or pass "
            "--checkov PATH (or set CLOUDCRAVER_CHECKOV)"
        )
    scripts = Path(sys.executable).parent
    cloudcraver = scripts / ("cloudcraver.exe" if sys.platform == "win32" else "cloudcraver")
    if not cloudcraver.is_file():
        raise SystemExit(f"error: no cloudcraver next to {sys.executable}: install the project")

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as scratch:
        root = Path(scratch)
        folder = args.keep.resolve() if args.keep else root / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        kinds = build_folder(folder)
        files = [p for p in folder.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        print(
            f"{len(files)} templates, {size / 1024:.0f} KiB: "
            + ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        )
        ours_home, checkov_home = root / "cc-home", root / "checkov-home"
        ours_home.mkdir()
        checkov_home.mkdir()
        ours_argv = [str(cloudcraver), "validate", str(folder), "--format", "json"]
        checkov_argv = [
            str(checkov), "-d", str(folder), "--skip-download", "-o", "json", "--quiet",
            "--framework", *FRAMEWORKS,
        ]  # fmt: skip

        # One untimed run each: warms the file cache and checks both read every file.
        _, report = timed(ours_argv, cloudcraver_environment(ours_home), ours_home, 120)
        summary = json.loads(report)["summary"]
        if summary["files"] != len(files) or summary["unreadable"]:
            raise SystemExit(f"error: cloudcraver did not read every file: {summary}")
        timed(checkov_argv, checkov_environment(checkov_home), checkov_home, 900)

        ours_times, checkov_times = [], []
        for run in range(1, args.repeat + 1):
            seconds, _ = timed(ours_argv, cloudcraver_environment(ours_home), ours_home, 120)
            ours_times.append(seconds)
            seconds, _ = timed(checkov_argv, checkov_environment(checkov_home), checkov_home, 900)
            checkov_times.append(seconds)
            print(
                f"run {run}: cloudcraver {ours_times[-1]:.2f} s, checkov {checkov_times[-1]:.2f} s"
            )
    ours, theirs = statistics.median(ours_times), statistics.median(checkov_times)
    ratio = theirs / ours
    print(f"median: cloudcraver {ours:.2f} s, checkov {theirs:.2f} s")
    print(
        f"checkov / cloudcraver: {ratio:.1f}x "
        f"({'meets' if ratio >= TARGET else 'BELOW'} the {TARGET:g}x target)"
    )


if __name__ == "__main__":
    main()

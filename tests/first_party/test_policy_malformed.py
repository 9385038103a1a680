"""Malformed and hostile input through the real ``cloudcraver validate``: one clear line, fast.

Every case runs the executable of the session virtualenv (``cli_env``) on one file and
holds it to: exit code 2 with exactly one ``error: <file>...`` line on stderr and no
traceback (or, for a template with no resources, exit 1 with exactly one finding), within
:data:`MAX_SECONDS` of wall time and :data:`MAX_RSS_MB` of peak memory. Memory is the
peak resident set of that one process, from ``os.wait4``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.harness import CliEnv

from cloudcraver_plugins.policy import hcl

from .helpers import large_yaml

pytestmark = pytest.mark.venv

if not hasattr(os, "wait4"):  # pragma: no cover - depends on the OS
    pytest.skip("os.wait4 (the peak memory of one process) is POSIX only", allow_module_level=True)

MAX_SECONDS = 5.0
MAX_RSS_MB = 500
MiB = 1024 * 1024


@dataclass
class Run:
    """One ``cloudcraver`` process: how it ended and what it cost."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_measured(cli_env: CliEnv, home: Path, *args: str, timeout: float = 60) -> Run:
    """Run ``cloudcraver`` with the harness's clean environment, timing it and its memory."""
    env = cli_env.environ(home=home, env={"CLOUDCRAVER_PLUGINS": "aws-s3,policy"})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(cli_env.cloudcraver), *args], stdout=out, stderr=err, env=env, cwd=home
        )
        while True:  # os.wait4 gives this one child's resource usage, peak RSS included
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
        peak = usage.ru_maxrss / (MiB if sys.platform == "darwin" else 1024)
        return Run(
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            peak,
        )


def billion_laughs(levels: int = 9, fan_out: int = 9) -> str:
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Resources: {}"]
    lines.append(f"l0: &l0 [{', '.join(['lol'] * fan_out)}]")
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * fan_out)}]")
    return "\n".join(lines) + "\n"


BUCKET = '"B": {"Type": "AWS::S3::Bucket"}'
#: name -> (file name, content, what the one error line says).
ERRORS: dict[str, tuple[str, bytes, str]] = {
    "broken-yaml": (
        "broken.yaml",
        b"Resources:\n  B:\n    Type: [AWS::S3::Bucket\n    Properties: {}\n",
        "broken.yaml:4: invalid YAML",
    ),
    "broken-json": (
        "broken.json",
        b'{"Resources": {\n  "B": {"Type": "AWS::S3::Bucket",}\n}}\n',
        "broken.json:2: invalid JSON",
    ),
    "broken-hcl": (
        "broken.tf",
        b'resource "aws_s3_bucket" "b" {\n  bucket = \n}\n',
        "broken.tf:2: invalid HCL: unexpected end of line (column 12)",
    ),
    "unclosed-hcl": (
        "unclosed.tf",
        b'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n',
        "unclosed.tf:3: invalid HCL: unexpected end of file",
    ),
    "include-tag": (
        "include.yaml",
        b"Resources:\n  Shared: !Include shared.yaml\n",
        "include.yaml:2: unknown tag !Include",
    ),
    "alias-bomb": ("bomb.yaml", billion_laughs().encode(), "refused as a possible alias bomb"),
    "doubling-bomb": (
        "doubling.yaml",
        billion_laughs(levels=40, fan_out=2).encode(),
        "expands to more than 1000000 nodes",
    ),
    "over-size-limit": (
        "huge.json",
        b'{"Resources": {' + BUCKET.encode() + b"}, " + b'"x": "' + b"a" * (6 * MiB) + b'"}',
        "is over the 5242880-byte limit",
    ),
    "binary": ("image.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    "not-utf8": (
        "latin1.yaml",
        "Description: caf\u00e9 cr\u00e8me\nResources: {}\n".encode("latin-1"),
        "not UTF-8 text",
    ),
    "deep-json": (
        "deep.json",
        b'{"Resources": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "deep.json: invalid JSON: nested too deeply",
    ),
    "deep-yaml": (
        "deep.yaml",
        b"Resources: " + b"[" * 5_000 + b"]" * 5_000 + b"\n",
        "deep.yaml:1:",
    ),
    "deep-hcl": (
        "deep.tf",
        b"a = " + b"[" * 5_000 + b"]" * 5_000 + b"\n",
        "deep.tf:1: nested deeper than 100 levels",
    ),
    "heredoc-blank-lines": (
        "heredoc.tf",
        b"a = <<EOT\n" + b"\n" * 200_000,
        "heredoc.tf:1: a heredoc followed by this many blank lines",
    ),
    "too-many-tokens": (
        "tokens.tf",
        b"a = [" + b"1," * hcl.MAX_TOKENS + b"]\n",
        f"more than {hcl.MAX_TOKENS} tokens",
    ),
    "hcl-over-1mib": (
        "big.tf",
        b'resource "aws_s3_bucket" "b" {\n  bucket = "' + b"s" * (2 * MiB) + b'"\n}\n',
        "characters is over the 1,048,576 an HCL file may have",
    ),
    "cloudformation-over-1mb": (
        "stack.json",
        b'{"Resources": {' + BUCKET.encode() + b'}, "Description": "' + b"d" * (2 * MiB) + b'"}',
        "over the 1,000,000 bytes CloudFormation accepts for a template",
    ),
    "empty-file": ("empty.yaml", b"", "no plugin recognises this file's format"),
    # 4.8 MB of YAML without aliases, well over a million nodes: was refused as a possible
    # alias bomb after seconds and hundreds of megabytes of parsing.
    "large-yaml-template": (
        "large.yaml",
        large_yaml("cloudformation-json").encode(),
        "over the 1,000,000 bytes CloudFormation accepts for a template",
    ),
    "large-yaml-not-a-template": (
        "list.yaml",
        large_yaml("list").encode(),
        "no plugin recognises this file's format",
    ),
    "yaml-too-many-nodes": (
        "nodes.yaml",
        b"Resources: {}\nMetadata: [" + b"a," * 300_000 + b"a]\n",
        "nodes.yaml:2: more than 200,000 YAML nodes",
    ),
    # Over Python's 4,300-digit int conversion limit (it raised inside the parsers).
    "huge-integer-hcl": ("big.tf", b"n = " + b"9" * 5000 + b"\n", "big.tf:1: an integer of 5,000"),
    "huge-integer-yaml": (
        "big.yaml",
        b"Resources:\n  B:\n    Type: AWS::S3::Bucket\n    N: " + b"9" * 5000 + b"\n",
        "big.yaml:4: an integer of 5,000",
    ),
    "huge-integer-json": (
        "big.json",
        b'{"Resources": {' + BUCKET.encode() + b'},\n "N": ' + b"9" * 5000 + b"}",
        "big.json:2: invalid JSON: an integer of 5,000",
    ),
}

#: name -> (file name, content): valid documents at the edges, read within the limits.
READ: dict[str, tuple[str, bytes]] = {
    "huge-single-line": (
        "line.tf.json",
        b'{"resource": {"aws_s3_bucket": {"b": {"bucket": "acme", "tags": {"note": "'
        + b"n" * (4 * MiB)
        + b'"}}}}}',
    ),
    "huge-single-line-yaml": (
        "line.yaml",
        b"Resources: {B: {Type: AWS::S3::Bucket, Properties: {BucketName: "
        + b"b" * 900_000
        + b"}}}\n",
    ),
    # JSON saved as .yaml, just under CloudFormation's 1 MB, 490,000 nodes: accepted
    # (was 7 s of YAML parsing).
    "yaml-template-as-json": ("stack.yaml", large_yaml("cloudformation-json", 990_000).encode()),
    "huge-hcl-string": (
        "line.tf",
        b'resource "aws_s3_bucket" "b" {\n  bucket = "' + b"s" * 1_000_000 + b'"\n}\n',
    ),
}


@pytest.fixture(scope="module")
def warm(cli_env: CliEnv, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Run]:
    """A runner, after one untimed run: the first .tf a user validates builds the HCL
    parser's tables (about two seconds, once, cached in the home's cache folder), which is
    not what these tests measure; each test's home starts with that cache folder."""
    warmed = tmp_path_factory.mktemp("warm")
    (warmed / "ok.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    run_measured(cli_env, warmed, "validate", "ok.tf")
    assert list((warmed / "cache").glob("policy-hcl-parser-*")), "no HCL parser cache"

    def run(home: Path, *args: str) -> Run:
        shutil.copytree(warmed / "cache", home / "cache", dirs_exist_ok=True)
        return run_measured(cli_env, home, *args)

    return run


def assert_within_limits(run: Run) -> None:
    assert run.seconds < MAX_SECONDS, f"{run.seconds:.2f} s"
    assert run.peak_mb < MAX_RSS_MB, f"{run.peak_mb:.0f} MB"
    assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_malformed_input_is_one_clear_error(
    warm: Callable[..., Run], tmp_path: Path, case: str
) -> None:
    name, content, expected = ERRORS[case]
    (tmp_path / name).write_bytes(content)
    run = warm(tmp_path, "validate", name)
    print(f"{case}: {run.seconds:.2f} s, {run.peak_mb:.0f} MB")  # shown with -s or -rP
    assert run.returncode == 2, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: {name}"), lines[0]
    assert expected in lines[0], lines[0]
    assert_within_limits(run)


@pytest.mark.parametrize("case", sorted(READ))
def test_edge_documents_are_read_within_limits(
    warm: Callable[..., Run], tmp_path: Path, case: str
) -> None:
    name, content = READ[case]
    (tmp_path / name).write_bytes(content)
    run = warm(tmp_path, "validate", name, "--format", "json")
    print(f"{case}: {run.seconds:.2f} s, {run.peak_mb:.0f} MB")
    assert run.returncode == 1, run.stderr  # the bare bucket's findings
    report = json.loads(run.stdout)
    assert report["summary"]["unreadable"] == 0
    assert report["summary"]["errors"] > 0
    assert_within_limits(run)


@pytest.mark.parametrize(
    "text",
    [
        'AWSTemplateFormatVersion: "2010-09-09"\nDescription: nothing yet\n',
        "Resources: {}\n",
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}',
    ],
)
def test_template_with_no_resources_is_one_finding(
    warm: Callable[..., Run], tmp_path: Path, text: str
) -> None:
    name = "stack.json" if text.startswith("{") else "stack.yaml"
    (tmp_path / name).write_text(text)
    run = warm(tmp_path, "validate", name, "--format", "json")
    assert run.returncode == 1, run.stderr
    (entry,) = json.loads(run.stdout)["files"]
    (finding,) = entry["findings"]
    assert finding["rule_id"] == "cloudformation-has-resources"
    assert finding["severity"] == "error"
    assert "declares no resources" in finding["message"]
    assert "resource" not in finding  # about the template, not one of its resources
    assert run.stderr == ""
    assert_within_limits(run)


def test_terraform_file_without_resources_passes(warm: Callable[..., Run], tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text('variable "region" {\n  default = "eu-west-1"\n}\n')
    run = warm(tmp_path, "validate", "variables.tf")
    assert run.returncode == 0, run.stderr
    assert "0 finding(s) in 1 file(s)" in run.stdout


def test_bad_files_do_not_stop_the_others(warm: Callable[..., Run], tmp_path: Path) -> None:
    documents = tmp_path / "documents"  # apart from the home folder and its cache
    documents.mkdir()
    for name, content, _ in (ERRORS["broken-hcl"], ERRORS["alias-bomb"], ERRORS["binary"]):
        (documents / name).write_bytes(content)
    (documents / "ok.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    run = warm(tmp_path, "validate", "documents", "--format", "json")
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 3
    report = json.loads(run.stdout)
    assert report["summary"]["unreadable"] == 3
    (ok,) = [f for f in report["files"] if f["path"].endswith("ok.tf")]
    assert {f["rule_id"] for f in ok["findings"]} >= {"aws-s3-versioning"}
    assert_within_limits(run)


#: A bucket each format reports (no versioning, no public access block...).
FAILING_TF = 'resource "aws_s3_bucket" "b" {\n  bucket = "acme-data"\n}\n'
FAILING_YAML = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"


def test_a_huge_integer_is_that_files_error_not_another_files_pass(
    warm: Callable[..., Run], tmp_path: Path
) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "main.tf").write_text(FAILING_TF)
    (documents / "stack.yaml").write_text(FAILING_YAML)
    for case in ("huge-integer-hcl", "huge-integer-yaml", "huge-integer-json"):
        name, content, _ = ERRORS[case]
        (documents / name).write_bytes(content)
    (documents / "zz_big.tf").write_bytes(ERRORS["huge-integer-hcl"][1])  # read after main.tf
    run = warm(tmp_path, "validate", "documents", "--format", "json")
    assert run.returncode == 2, run.stderr  # bad input wins over findings; both are shown
    errors = sorted(run.stderr.splitlines())
    assert [line.split(":", 2)[1].strip() for line in errors] == [
        "documents/big.json",
        "documents/big.tf",
        "documents/big.yaml",
        "documents/zz_big.tf",
    ], run.stderr
    assert all("digits is over the 4,300 digits accepted" in line for line in errors)
    report = json.loads(run.stdout)
    found = {Path(f["path"]).name: f for f in report["files"]}
    for name in ("main.tf", "stack.yaml"):
        assert {"aws-s3-versioning", "aws-s3-public-access-block"} <= {
            finding["rule_id"] for finding in found[name]["findings"]
        }, name
    assert "Traceback" not in run.stderr


def test_a_sibling_with_a_huge_integer_keeps_the_files_findings(
    warm: Callable[..., Run], tmp_path: Path
) -> None:
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(FAILING_TF)
    (module / "zz_big.tf").write_bytes(ERRORS["huge-integer-hcl"][1])
    run = warm(tmp_path, "validate", "module/main.tf")
    assert run.returncode == 1, run.stderr + run.stdout  # was 0: the findings disappeared
    assert run.stderr == ""
    assert "error aws-s3-public-access-block" in run.stdout

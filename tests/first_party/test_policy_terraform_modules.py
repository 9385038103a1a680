"""A Terraform module is a folder: its files are checked together, each reporting its own.

Terraform reads every ``.tf`` and ``.tf.json`` file of a folder as one configuration. The
policy plugin checks a Terraform file with what the other files of its folder declare
(split resources, variables, locals, providers), reports findings only for the resources
the file itself declares, and parses each file at most once per process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cloudcraver_hookspecs import DocumentSource

import cloudcraver_plugins.policy.parsers as parsers
import cloudcraver_plugins.policy.plugin as policy_plugin
from cloudcraver_host import PluginHost
from cloudcraver_host.documents import ValidationReport, expand_paths, validate_files

from .helpers import findings_of, parse_text

MAIN = """
resource "aws_s3_bucket" "data" {
  bucket = var.name
  tags   = { team = "data" }
}
"""

STORAGE = """
variable "name" {
  default = "acme-data"
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = "acme-data"
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["${aws_s3_bucket.data.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_s3_bucket_logging" "data" {
  bucket        = aws_s3_bucket.data.id
  target_bucket = "acme-central-logs"
}
"""

ALL_S3_RULES = {
    "aws-s3-versioning",
    "aws-s3-public-access-block",
    "aws-s3-tls-only",
    "aws-s3-access-logging",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def validate(
    make_host: Callable[..., PluginHost],
) -> Callable[..., dict[str, set[tuple[str, str]]]]:
    """Validate files or folders through a host, as ``cloudcraver validate`` does.

    Returns the (rule, resource) pairs of each file, by file name.
    """

    def run(*paths: Path) -> dict[str, set[tuple[str, str]]]:
        host = make_host('[plugins.policy]\nenabled_rules = ["aws-s3-access-logging"]\n')
        report = validate_files(host, list(expand_paths(list(paths))))
        return by_file(report)

    return run


def by_file(report: ValidationReport) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for result in report.results:
        assert result.error is None, result.error
        found[Path(result.path).name] = {(f.rule_id, f.resource or "") for f in result.findings}
    return found


def test_a_module_split_over_two_files_passes(
    validate: Callable[..., dict], tmp_path: Path
) -> None:
    folder = write(tmp_path / "module", {"main.tf": MAIN, "storage.tf": STORAGE})
    assert validate(folder) == {"main.tf": set(), "storage.tf": set()}
    # Validating one file of the folder reads the others too.
    assert validate(folder / "main.tf") == {"main.tf": set()}


def test_removing_the_companion_file_makes_the_findings_appear(
    validate: Callable[..., dict], tmp_path: Path
) -> None:
    folder = write(tmp_path / "module", {"main.tf": MAIN, "storage.tf": STORAGE})
    assert validate(folder / "main.tf") == {"main.tf": set()}
    (folder / "storage.tf").unlink()
    found = validate(folder / "main.tf")["main.tf"]
    assert found == {(rule, "aws_s3_bucket.data") for rule in ALL_S3_RULES}


def test_findings_are_reported_once_by_the_file_declaring_the_resource(
    validate: Callable[..., dict], tmp_path: Path
) -> None:
    weak = STORAGE.replace('status = "Enabled"', 'status = "Suspended"')
    weak = weak.replace("block_public_policy     = true", "block_public_policy     = false")
    other = MAIN.replace('"data"', '"other"', 1).replace("var.name", '"acme-other"')
    folder = write(tmp_path / "module", {"main.tf": MAIN, "storage.tf": weak, "b.tf": other})
    report = validate(folder)
    assert report["storage.tf"] == set()  # the settings are the bucket's, reported there
    assert report["main.tf"] == {
        ("aws-s3-versioning", "aws_s3_bucket.data"),
        ("aws-s3-public-access-block", "aws_s3_bucket.data"),
    }
    assert report["b.tf"] == {(rule, "aws_s3_bucket.other") for rule in ALL_S3_RULES}


def test_a_finding_through_another_file_points_at_the_bucket(
    make_host: Callable[..., PluginHost], tmp_path: Path
) -> None:
    weak = STORAGE.replace("ignore_public_acls      = true", "ignore_public_acls      = false")
    folder = write(tmp_path / "module", {"main.tf": MAIN, "storage.tf": weak})
    report = validate_files(make_host(), [folder / "main.tf"])
    (finding,) = report.results[0].findings
    assert finding.rule_id == "aws-s3-public-access-block"
    assert "(in storage.tf)" in finding.message
    assert "ignore_public_acls = true" in finding.message
    assert finding.location is not None
    assert finding.location.file == str(folder / "main.tf")
    assert finding.location.line == 2  # the bucket, not a line of storage.tf
    assert finding.location.path == "/resource/aws_s3_bucket/data/0"


def test_variables_locals_and_provider_default_tags_come_from_other_files(
    make_host: Callable[..., PluginHost], tmp_path: Path
) -> None:
    files = {
        "main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = local.name\n}\n',
        "locals.tf": 'locals {\n  name = "${var.env}-data"\n}\n',
        "variables.tf": 'variable "env" {\n  default = "dev"\n}\n',
        "providers.tf": 'provider "aws" {\n  region = "us-east-1"\n'
        '  default_tags {\n    tags = { owner = "platform" }\n  }\n}\n',
    }
    folder = write(tmp_path / "module", files)
    host = make_host(
        "[plugins.policy]\n"
        'disabled_rules = ["aws-s3-versioning", "aws-s3-public-access-block", '
        '"aws-s3-tls-only"]\n'
        'name_pattern = "^prod-[a-z]+$"\nrequired_tags = ["owner"]\n'
        'allowed_regions = ["eu-west-1"]\n'
    )
    found = by_file(validate_files(host, [folder / "main.tf"]))["main.tf"]
    # "dev-data" from the local and the variable; us-east-1 from the provider; owner from
    # the provider's default tags (no required-tags finding).
    assert found == {("naming-pattern", "aws_s3_bucket.b"), ("allowed-regions", "aws_s3_bucket.b")}


def test_terraform_json_and_hcl_files_make_one_module(
    validate: Callable[..., dict], tmp_path: Path
) -> None:
    versioning = {
        "resource": {
            "aws_s3_bucket_versioning": {
                "data": {
                    "bucket": "${aws_s3_bucket.data.id}",
                    "versioning_configuration": {"status": "Suspended"},
                }
            }
        }
    }
    storage = STORAGE.replace('resource "aws_s3_bucket_versioning"', 'resource "x_unused"')
    folder = write(
        tmp_path / "module",
        {"main.tf": MAIN, "storage.tf": storage, "versioning.tf.json": json.dumps(versioning)},
    )
    found = validate(folder)
    assert found["main.tf"] == {("aws-s3-versioning", "aws_s3_bucket.data")}
    assert found["versioning.tf.json"] == set()


def test_files_terraform_leaves_out_are_left_out(
    validate: Callable[..., dict], tmp_path: Path
) -> None:
    folder = write(
        tmp_path / "module",
        {"main.tf": MAIN, ".#storage.tf": STORAGE, "storage.tf~": STORAGE, "storage.json": "{}"},
    )
    found = validate(folder / "main.tf")["main.tf"]
    assert found == {(rule, "aws_s3_bucket.data") for rule in ALL_S3_RULES}
    (folder / "sub").mkdir()
    (folder / "sub" / "storage.tf").write_text(STORAGE, encoding="utf-8")  # another module
    assert validate(folder / "main.tf")["main.tf"] == found


def test_a_sibling_that_fails_to_parse_is_skipped_silently(
    make_host: Callable[..., PluginHost], tmp_path: Path
) -> None:
    folder = write(
        tmp_path / "module",
        {"main.tf": MAIN, "storage.tf": STORAGE, "broken.tf": 'resource "x" {\n  a = \n'},
    )
    (folder / "latin1.tf").write_bytes(b'# caf\xe9\nresource "a" "b" {}\n')
    report = validate_files(make_host(), [folder / "main.tf", folder / "broken.tf"])
    main, broken = report.results
    assert main.error is None and main.findings == []
    assert broken.error is not None and "broken.tf:2: invalid HCL" in broken.error


def test_each_file_is_parsed_once(
    make_host: Callable[..., PluginHost], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    parse = parsers.parse_document

    def counting(source: DocumentSource) -> object:
        parsed.append(Path(source.path).name)
        return parse(source)

    monkeypatch.setattr(parsers, "parse_document", counting)
    files = {f"bucket_{i:02}.tf": MAIN.replace('"data"', f'"b{i}"', 1) for i in range(20)}
    folder = write(tmp_path / "module", {**files, "storage.tf": STORAGE})
    host = make_host()
    report = validate_files(host, list(expand_paths([folder])))
    assert len(report.results) == 21
    assert sorted(parsed) == sorted([*files, "storage.tf"])  # each once, host's or sibling's
    # Validated again, unchanged: nothing is parsed; a changed file is parsed again.
    parsed.clear()
    validate_files(host, list(expand_paths([folder])))
    assert parsed == []
    (folder / "storage.tf").write_text(STORAGE + "\n# changed\n", encoding="utf-8")
    validate_files(host, list(expand_paths([folder])))
    assert parsed == ["storage.tf"]


def test_a_changed_sibling_is_read_again(validate: Callable[..., dict], tmp_path: Path) -> None:
    folder = write(tmp_path / "module", {"main.tf": MAIN, "storage.tf": STORAGE})
    assert validate(folder / "main.tf") == {"main.tf": set()}
    weak = STORAGE.replace('status = "Enabled"', 'status = "Suspended"')
    (folder / "storage.tf").write_text(weak, encoding="utf-8")
    stamp = (folder / "storage.tf").stat()
    os.utime(folder / "storage.tf", ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    found = validate(folder / "main.tf")["main.tf"]
    assert found == {("aws-s3-versioning", "aws_s3_bucket.data")}


def test_documents_not_read_from_a_folder_are_checked_alone(tmp_path: Path) -> None:
    write(tmp_path, {"storage.tf": STORAGE})
    document = parse_text(str(tmp_path / "main.tf"), MAIN)  # no such file on disk
    assert document is not None
    rules = {f.rule_id for f in findings_of(document)}
    assert rules == {"aws-s3-versioning", "aws-s3-public-access-block", "aws-s3-tls-only"}


def test_a_document_parsed_elsewhere_is_checked_within_its_folder(tmp_path: Path) -> None:
    folder = write(tmp_path / "module", {"main.tf": MAIN, "storage.tf": STORAGE})
    document = parsers.parse_document(DocumentSource(str(folder / "main.tf"), MAIN))
    assert document is not None
    assert findings_of(document) == []
    assert policy_plugin.validate_document(document) == []


def test_a_sibling_with_an_integer_python_cannot_read_is_that_files_error(
    make_host: Callable[..., PluginHost], tmp_path: Path
) -> None:
    # Named to sort after main.tf: main.tf is validated first and reads it as a sibling.
    folder = write(tmp_path / "module", {"main.tf": MAIN, "zz_big.tf": "n = " + "9" * 5000})
    host = make_host()
    alone = validate_files(host, [folder / "main.tf"]).results[0]
    assert alone.error is None
    assert {f.rule_id for f in alone.findings} == ALL_S3_RULES - {"aws-s3-access-logging"}
    main, big = validate_files(host, [folder / "main.tf", folder / "zz_big.tf"]).results
    assert main.findings == alone.findings
    assert big.error is not None
    assert "zz_big.tf:1: an integer of 5,000 digits is over the 4,300 digits" in big.error
    assert host.failures == []

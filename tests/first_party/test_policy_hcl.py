"""Terraform's native syntax (``.tf``): parsing, line numbers, references, limits."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from cloudcraver_hookspecs import InfrastructureDocument, PluginInputError

import cloudcraver_plugins.policy.plugin as policy_plugin
from cloudcraver_plugins.policy import hcl

from .helpers import findings_of, parse_file, parse_text, summary

CORPUS = Path(__file__).resolve().parents[1] / "agreement" / "corpus"


def tf(text: str, path: str = "main.tf") -> InfrastructureDocument:
    document = parse_text(path, text)
    assert document is not None
    return document


SECURE_SPLIT = """
resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
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
"""


# ---------------------------------------------------------------------- shape and lines


def test_tf_files_are_terraform_documents_in_the_json_shape() -> None:
    document = tf('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  tags = { a = "1" }\n}\n')
    assert document.format == "terraform"
    assert document.data == {
        "resource": {"aws_s3_bucket": {"b": [{"bucket": "x", "tags": {"a": "1"}}]}}
    }
    json.dumps(document.data)  # plain JSON-ready data


def test_values_literals_and_expressions() -> None:
    data, _ = hcl.parse(
        """
a = 1
b = 2.5
c = true
d = null
e = "text \\"quoted\\" \\u00e9 $${literal}"
f = "acme-${var.env}"
g = var.name
h = [1, "x", false]
i = 1 + 2
j = var.on ? "a" : "b"
k = upper("x")
l = <<EOT
  line one
  line ${two}
EOT
m = <<-EOT
    indented
      more
    EOT
n = jsonencode({ Effect = "Deny", Action = ["s3:*"], Resource = "${aws_s3_bucket.b.arn}/*" })
o = jsonencode(local.policy)
"""
    )
    assert data["a"] == 1 and data["b"] == 2.5 and data["c"] is True and data["d"] is None
    assert data["e"] == 'text "quoted" \u00e9 $${literal}'  # $${ stays escaped, as in JSON
    assert data["f"] == "acme-${var.env}"
    assert data["g"] == "${var.name}"
    assert data["h"] == [1, "x", False]
    assert data["i"] == "${1 + 2}"
    assert data["j"] == '${var.on ? "a" : "b"}'
    assert data["k"] == '${upper("x")}'
    assert data["l"] == "  line one\n  line ${two}\n"
    assert data["m"] == "indented\n  more\n"
    assert json.loads(data["n"]) == {
        "Effect": "Deny",
        "Action": ["s3:*"],
        "Resource": "${aws_s3_bucket.b.arn}/*",
    }
    assert data["o"] == "${jsonencode(local.policy)}"


def test_blocks_nest_by_label_and_repeat_as_lists() -> None:
    data, lines = hcl.parse(
        'provider "aws" {\n  region = "eu-west-1"\n}\n'
        'provider "aws" {\n  alias = "us"\n  region = "us-east-1"\n}\n'
        'resource "x" "y" {\n  rule {\n    a = 1\n  }\n  rule {\n    a = 2\n  }\n}\n'
        "locals {\n  n = 1\n}\n"
    )
    assert data["provider"]["aws"] == [
        {"region": "eu-west-1"},
        {"alias": "us", "region": "us-east-1"},
    ]
    assert data["resource"]["x"]["y"] == [{"rule": [{"a": 1}, {"a": 2}]}]
    assert data["locals"] == [{"n": 1}]
    assert lines["/provider/aws/1"] == 4
    assert lines["/provider/aws/1/region"] == 6
    assert lines["/resource/x/y/0/rule/1"] == 12
    assert lines["/resource/x/y/0/rule/1/a"] == 13


def test_findings_point_at_the_blocks_and_attributes() -> None:
    text = SECURE_SPLIT.replace('status = "Enabled"', 'status = "Suspended"')
    text = text.replace("ignore_public_acls      = true", "ignore_public_acls      = false")
    findings = findings_of(tf(text))
    found = {(f.rule_id, f.resource, f.location.line if f.location else None) for f in findings}
    assert found == {
        ("aws-s3-versioning", "aws_s3_bucket.data", 2),
        ("aws-s3-public-access-block", "aws_s3_bucket.data", 22),  # the public access block
    }
    (finding,) = [f for f in findings if f.rule_id == "aws-s3-versioning"]
    assert finding.location is not None
    assert finding.location.path == "/resource/aws_s3_bucket/data/0"


# ---------------------------------------------------------------------- resolution


def test_split_resources_link_through_references() -> None:
    assert findings_of(tf(SECURE_SPLIT)) == []


def test_split_resources_of_another_bucket_do_not_count() -> None:
    text = SECURE_SPLIT + '\nresource "aws_s3_bucket" "other" {\n  bucket = "acme-other"\n}\n'
    assert {rule for rule, _ in summary(findings_of(tf(text)))} == {
        "aws-s3-versioning", "aws-s3-public-access-block", "aws-s3-tls-only",
    }  # fmt: skip
    assert {resource for _, resource in summary(findings_of(tf(text)))} == {"aws_s3_bucket.other"}


def test_count_and_for_each_instances_link_to_their_buckets() -> None:
    parsed = parse_file(CORPUS / "terraform" / "s3_split_for_each" / "main.tf")
    assert summary(findings_of(parsed)) == {("aws-s3-tls-only", "aws_s3_bucket.team")}
    parsed = parse_file(CORPUS / "terraform" / "s3_split_count" / "main.tf")
    assert ("aws-s3-versioning", "aws_s3_bucket.replica") not in summary(findings_of(parsed))
    assert ("aws-s3-public-access-block", "aws_s3_bucket.replica") in summary(findings_of(parsed))


def test_variables_locals_and_templates_resolve() -> None:
    document = tf(
        """
variable "env" { default = "prod" }
variable "status" { default = "Suspended" }
locals {
  name = "acme-${var.env}-data"
}
resource "aws_s3_bucket" "b" {
  bucket = local.name
}
resource "aws_s3_bucket_versioning" "b" {
  bucket = "acme-prod-data"
  versioning_configuration {
    status = var.status
  }
}
"""
    )
    policy_plugin.activate({"name_pattern": "^acme-(dev|test)-[a-z]+$"})
    found = summary(findings_of(document))
    # The versioning resource names the bucket literally: linked through the name the
    # bucket's local resolves to; its status resolves to the variable's default.
    assert ("aws-s3-versioning", "aws_s3_bucket.b") in found
    assert ("naming-pattern", "aws_s3_bucket.b") in found


def test_values_known_only_at_plan_time_get_the_benefit_of_the_doubt() -> None:
    text = SECURE_SPLIT.replace('status = "Enabled"', "status = var.versioning_status")
    text = text.replace(
        "block_public_policy     = true", "block_public_policy     = var.x ? true : false"
    )
    text = text.replace('sse_algorithm = "aws:kms"', "sse_algorithm = data.x.algorithm")
    assert findings_of(tf(text)) == []


def test_dynamic_blocks_are_unknown_not_missing() -> None:
    document = tf(
        """
resource "aws_s3_bucket" "b" {
  bucket = "acme"
  dynamic "server_side_encryption_configuration" {
    for_each = var.encryption
    content {
      rule {
        apply_server_side_encryption_by_default { sse_algorithm = "AES256" }
      }
    }
  }
}
"""
    )
    assert "aws-s3-encryption" not in {rule for rule, _ in summary(findings_of(document))}


def test_policies_in_heredocs_and_jsonencode_are_read() -> None:
    allow_only = SECURE_SPLIT.replace('Effect    = "Deny"', 'Effect    = "Allow"')
    assert summary(findings_of(tf(allow_only))) == {("aws-s3-tls-only", "aws_s3_bucket.data")}
    heredoc = SECURE_SPLIT.split('resource "aws_s3_bucket_policy"', maxsplit=1)[0] + (
        'resource "aws_s3_bucket_policy" "data" {\n'
        "  bucket = aws_s3_bucket.data.id\n"
        "  policy = <<POLICY\n"
        '{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",\n'
        '  "Resource": "${aws_s3_bucket.data.arn}/*",\n'
        '  "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}\n'
        "POLICY\n}\n"
    )
    assert findings_of(tf(heredoc)) == []


def test_provider_alias_and_default_tags_apply() -> None:
    document = tf(
        """
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { owner = "platform" }
  }
}
provider "aws" {
  alias  = "us"
  region = "us-east-1"
}
resource "aws_s3_bucket" "eu" {
  bucket = "acme-eu"
  tags   = { cost-center = "42" }
}
resource "aws_s3_bucket" "us" {
  provider = aws.us
  bucket   = "acme-us"
}
"""
    )
    policy_plugin.activate(
        {"required_tags": ["owner", "cost-center"], "allowed_regions": ["eu-west-1"]}
    )
    found = {(rule, resource) for rule, resource in summary(findings_of(document))}
    assert ("allowed-regions", "aws_s3_bucket.us") in found
    assert ("allowed-regions", "aws_s3_bucket.eu") not in found
    assert ("required-tags", "aws_s3_bucket.eu") not in found  # owner from default_tags
    assert ("required-tags", "aws_s3_bucket.us") in found


def test_same_findings_as_the_equivalent_terraform_json() -> None:
    hcl_document = parse_file(CORPUS / "terraform" / "s3_split_insecure" / "main.tf")
    as_json = json.dumps(
        {
            "resource": {
                "aws_s3_bucket": {"uploads": {"bucket": "acme-uploads"}},
                "aws_s3_bucket_versioning": {
                    "uploads": {
                        "bucket": "${aws_s3_bucket.uploads.id}",
                        "versioning_configuration": {"status": "Suspended"},
                    }
                },
                "aws_s3_bucket_public_access_block": {
                    "uploads": {
                        "bucket": "${aws_s3_bucket.uploads.id}",
                        "block_public_acls": True,
                        "block_public_policy": False,
                        "ignore_public_acls": True,
                        "restrict_public_buckets": False,
                    }
                },
                "aws_s3_bucket_server_side_encryption_configuration": {
                    "uploads": {
                        "bucket": "${aws_s3_bucket.uploads.id}",
                        "rule": {
                            "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}
                        },
                    }
                },
            }
        }
    )
    json_document = parse_text("main.tf.json", as_json)
    assert json_document is not None
    found = summary(findings_of(hcl_document))
    assert found == summary(findings_of(json_document))
    assert found == {
        ("aws-s3-versioning", "aws_s3_bucket.uploads"),
        ("aws-s3-public-access-block", "aws_s3_bucket.uploads"),
        ("aws-s3-tls-only", "aws_s3_bucket.uploads"),
    }


# ---------------------------------------------------------------------- errors and limits


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('resource "a" "b" {\n  x = 1\n', None, "unexpected end of file"),
        ('resource "a" "b" {\n  x = = 1\n}\n', 2, "invalid HCL: unexpected"),
        ("a = 1\nb = @\n", 2, "invalid HCL: unexpected '@' (column 5)"),
        (
            'resource "a" "b" {\n  x = 1\n  x = 2\n}\n',
            3,
            "attribute 'x' is set twice (first at line 2)",
        ),
        (
            'resource "a" "b" {\n}\nresource "a" "b" {\n}\n',
            3,
            'duplicate resource "a" "b" (first at line 1)',
        ),
        ('resource "a" "b" {\n  rule = 1\n  rule {\n  }\n}\n', 3, "'rule' is both an attribute"),
    ],
)
def test_malformed_hcl_gives_file_and_line(text: str, line: int | None, message: str) -> None:
    with pytest.raises(PluginInputError) as caught:
        parse_text("bad.tf", text)
    error = str(caught.value)
    prefix = "bad.tf:" if line is None else f"bad.tf:{line}: "
    assert error.startswith(prefix), error
    assert message in error
    assert "\n" not in error


def timed(text: str) -> tuple[float, str]:
    started = time.perf_counter()
    with pytest.raises(PluginInputError) as caught:
        parse_text("hostile.tf", text)
    return time.perf_counter() - started, str(caught.value)


def test_too_many_tokens_are_refused_quickly() -> None:
    text = "a = [" + "1," * (hcl.MAX_TOKENS // 2 + 1000) + "]\n"
    seconds, error = timed(text)
    assert f"more than {hcl.MAX_TOKENS} tokens" in error
    assert seconds < 5


def test_blank_lines_after_a_heredoc_are_refused_before_parsing() -> None:
    # The grammar's heredoc pattern backtracks quadratically here: 30,000 blank lines
    # after an unclosed heredoc take lark over five seconds, 100,000 over a minute.
    seconds, error = timed("a = <<EOT\n" + "\n" * 100_000)
    assert "hostile.tf:" in error and "heredoc" in error
    assert seconds < 1


def test_a_few_blank_lines_in_heredocs_are_fine() -> None:
    data, _ = hcl.parse("a = <<EOT\n" + "x\n\n\n" * 2000 + "EOT\n")
    assert data["a"].count("x") == 2000


def test_deep_nesting_is_refused() -> None:
    seconds, error = timed("a = " + "[" * 150 + "]" * 150 + "\n")
    assert "hostile.tf:1: nested deeper than 100 levels" in error
    assert seconds < 5
    seconds, error = timed("a = " + "{ b = " * 150 + "1" + " }" * 150 + "\n")
    assert "nested deeper than 100 levels" in error
    assert seconds < 5


def test_deeply_nested_expressions_stay_unknown_values() -> None:
    # The LALR parser needs no recursion, and an expression's text is taken whole.
    started = time.perf_counter()
    data, _ = hcl.parse("a = " + "(" * 20_000 + "1" + ")" * 20_000 + "\n")
    assert data["a"].startswith("${((") and data["a"].endswith("))}")
    assert time.perf_counter() - started < 5


def test_huge_single_line_string_is_parsed() -> None:
    data, _ = hcl.parse('a = "' + "x" * 1_000_000 + '"\n')
    assert len(data["a"]) == 1_000_000


def test_files_over_the_character_limit_are_refused_unread() -> None:
    seconds, error = timed('a = "' + "x" * hcl.MAX_CHARACTERS + '"\n')
    assert f"over the {hcl.MAX_CHARACTERS:,} an HCL file may have" in error
    assert seconds < 0.5


def test_unclosed_block_comment_is_an_error_not_a_hang() -> None:
    seconds, error = timed("a = 1\n/*" + " never closed\n" * 50_000)
    assert "hostile.tf:" in error and "invalid HCL" in error
    assert seconds < 5


def test_empty_and_comment_only_files_have_no_resources() -> None:
    for text in ("", "# only a comment\n", 'variable "x" {\n  default = 1\n}\n'):
        document = tf(text, "variables.tf")
        assert findings_of(document) == []


def test_unexpected_shapes_from_hcl_give_no_errors() -> None:
    shapes: tuple[dict[str, Any], ...] = (
        {"resource": {"aws_s3_bucket": {"b": [{"dynamic": "x", "versioning": [1]}]}}},
        {"resource": [{"aws_s3_bucket": {"b": [[]]}}], "locals": "x", "variable": [1]},
    )
    for data in shapes:
        document = InfrastructureDocument("x.tf", "terraform", data)
        assert isinstance(policy_plugin.validate_document(document), list)


def test_windows_line_endings_read_the_same() -> None:
    text = SECURE_SPLIT.replace('status = "Enabled"', 'status = "Suspended"')
    unix, unix_lines = hcl.parse(text)
    windows, windows_lines = hcl.parse(text.replace("\n", "\r\n"))
    assert windows == unix
    assert windows_lines == unix_lines

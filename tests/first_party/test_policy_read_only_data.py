"""The policy plugin finds the same on the read-only data the host hands validators.

The host gives ``validate_document`` a read-only copy (``dict``/``list`` subclasses, see
``cloudcraver_host/frozen.py``). A check written as ``type(value) is list`` instead of
``isinstance`` treats such a list as something else: a finding appears or disappears only
when run through the host.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cloudcraver_hookspecs import InfrastructureDocument, PluginInputError

from cloudcraver_host.frozen import freeze

from .helpers import DATA, findings_of, parse_text, summary
from .test_policy_hcl import tf

CORPUS = Path(__file__).resolve().parents[1] / "agreement" / "corpus"
SUFFIXES = {".yaml", ".yml", ".json", ".tf", ".template"}


def _readable(path: Path) -> bool:
    """Whether the policy plugin reads ``path`` (the corpus holds malformed files too)."""
    try:
        return parse_text(str(path), path.read_text(encoding="utf-8")) is not None
    except PluginInputError:
        return False


FILES = sorted(
    path
    for root in (DATA, CORPUS)
    for path in root.rglob("*")
    if path.is_file() and path.suffix in SUFFIXES and _readable(path)
)


def read_only(document: InfrastructureDocument) -> InfrastructureDocument:
    """``document`` as validators see it through the host."""
    return dataclasses.replace(document, data=freeze(document.data))


@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_findings_on_read_only_data_are_the_same(path: Path) -> None:
    document = parse_text(str(path), path.read_text(encoding="utf-8"))
    assert document is not None
    expected = [f.to_dict() for f in findings_of(document)]
    assert [f.to_dict() for f in findings_of(read_only(document))] == expected


def test_a_dynamic_block_inside_a_block_is_unknown_in_read_only_data() -> None:
    document = tf(
        """
resource "aws_s3_bucket" "b" {
  bucket = "acme"
  server_side_encryption_configuration {
    dynamic "rule" {
      for_each = var.rules
      content {
        apply_server_side_encryption_by_default { sse_algorithm = "AES256" }
      }
    }
  }
}
"""
    )
    assert "aws-s3-encryption" not in {rule for rule, _ in summary(findings_of(document))}
    frozen = findings_of(read_only(document))
    assert "aws-s3-encryption" not in {rule for rule, _ in summary(frozen)}

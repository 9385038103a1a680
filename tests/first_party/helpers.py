"""Helpers shared by the first-party plugin tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import DocumentSource, Finding, InfrastructureDocument, RenderRequest

import cloudcraver_plugins.aws_s3.plugin as s3_plugin
import cloudcraver_plugins.policy.plugin as policy_plugin
from cloudcraver_plugins.aws_s3.params import S3BucketParameters

DATA = Path(__file__).resolve().parent / "data"


def parse_text(path: str, text: str) -> InfrastructureDocument | None:
    """Parse a document with the policy plugin's parser."""
    return policy_plugin.parse_document(DocumentSource(path, text))


def parse_file(path: Path) -> InfrastructureDocument:
    """Parse a sample document that the policy plugin must recognise."""
    document = parse_text(str(path), path.read_text(encoding="utf-8"))
    assert document is not None, f"{path} was not recognised"
    return document


def findings_of(document: InfrastructureDocument) -> list[Finding]:
    """The policy plugin's findings under its current (default: unconfigured) configuration."""
    findings = policy_plugin.validate_document(document)
    assert findings is not None
    return list(findings)


def summary(findings: Iterable[Finding]) -> set[tuple[str, str | None]]:
    """(rule id, resource) of each finding."""
    return {(f.rule_id, f.resource) for f in findings}


def render(fmt: str = "yaml", name: str = "demo", **parameters: Any) -> str:
    """Render aws-s3-bucket with the plugin's current configuration."""
    request = RenderRequest("aws-s3-bucket", name, S3BucketParameters(**parameters), fmt)
    rendered = s3_plugin.render_template(request)
    assert rendered is not None
    return rendered.content


def large_yaml(kind: str, size: int = 4_800_000) -> str:
    """Alias-free YAML of about ``size`` characters and well over a million nodes.

    ``cloudformation-json``: a template written as JSON (valid YAML); ``list``: a long
    list of short flow sequences, no template.
    """
    if kind == "cloudformation-json":
        head = '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": {"Type": '
        head += '"AWS::S3::Bucket"}}, "Metadata": {"Numbers": ['
        count = (size - len(head)) // 2
        return head + ",".join(["1"] * count) + "]}}"
    row = "- [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t]\n"
    return row * (size // len(row))

"""What aws-s3 renders, the policy plugin reads back and accepts."""

from __future__ import annotations

from typing import Any

import pytest
from cloudcraver_hookspecs import DocumentSource

from cloudcraver_host import PluginHost
from cloudcraver_host.templates import ParameterSource, render_template

from .helpers import findings_of, parse_text, render, summary
from .s3_cases import REPLICA_KEY_ARN


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"encryption": "sse-kms"},
        {"encryption": "dsse-kms", "deletion_policy": "Delete"},
        {"bucket_name": "acme-archive", "tags": {"owner": "platform"}},
        {"lifecycle": [{"id": "tidy", "abort_incomplete_multipart_days": 7}]},
        {"access_logging": {"prefix": "s3/", "retention_days": 30}, "object_lock": {}},
        {
            "encryption": "sse-kms",
            "cors": [{"allowed_methods": ["GET"], "allowed_origins": ["*"]}],
            "replication": {
                "destination_bucket_arn": "arn:aws:s3:::acme-replica",
                "replica_kms_key_arn": REPLICA_KEY_ARN,
            },
        },
        {"website": {"redirect_all_requests_to": {"host_name": "example.com"}}},
    ],
)
def test_rendered_templates_pass_the_policy(fmt: str, parameters: dict[str, Any]) -> None:
    document = parse_text(f"bucket.{fmt}", render(fmt, **parameters))
    assert document is not None and document.format == "cloudformation"
    assert findings_of(document) == []


def test_weakened_template_fails_the_matching_rules() -> None:
    text = render("yaml", versioning=False, block_public_access=False, enforce_tls=False)
    document = parse_text("bucket.yaml", text)
    assert document is not None
    assert summary(findings_of(document)) == {
        ("aws-s3-versioning", "Bucket"),
        ("aws-s3-public-access-block", "Bucket"),
        ("aws-s3-tls-only", "Bucket"),
    }


def test_round_trip_through_the_host(host: PluginHost) -> None:
    source = ParameterSource({"access_logging": {"target_bucket": "acme-logs"}}, {})
    rendered = render_template(host, "aws-s3-bucket", "data", source, output="yaml")
    assert rendered.filename is not None
    document = host.hook.parse_document(source=DocumentSource(rendered.filename, rendered.content))
    assert document is not None
    assert dict(host.call_each("validate_document", document=document)) == {"policy": []}

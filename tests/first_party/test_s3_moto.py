"""aws-s3-bucket templates create stacks in moto's CloudFormation emulation.

moto runs in process (``mock_aws``) with fake credentials, and every socket connection to
anything but loopback is refused during these tests, so no call can reach AWS. Through
CloudFormation moto applies a bucket's name, encryption (algorithm and key, not the bucket
key flag) and tags and nothing else, and it skips ``AWS::S3::BucketPolicy`` with a warning:
those are what these tests can read back.
"""

from __future__ import annotations

import ipaddress
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import render
from .s3_cases import KEY_ARN

REGION = "eu-west-1"


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple):
        host = str(address[0])
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"
    return True  # AF_UNIX and other local sockets


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """boto3 clients factory inside ``mock_aws``, offline, with fake credentials."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    original = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise AssertionError(f"a test tried to reach {address!r} over the network")
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    import boto3
    from moto import mock_aws

    with mock_aws(), warnings.catch_warnings():
        # The one resource type of the template moto does not emulate (it skips it).
        warnings.filterwarnings(
            "ignore", message="Tried to parse AWS::S3::BucketPolicy ", category=UserWarning
        )
        yield lambda service: boto3.client(service, region_name=REGION)


def create_stack(aws: Any, body: str) -> dict[str, str]:
    """Create a stack from ``body``; its outputs once complete."""
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(StackName="demo", TemplateBody=body)
    (stack,) = cloudformation.describe_stacks(StackName="demo")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


def encryption_of(aws: Any, bucket: str) -> dict[str, Any]:
    rules = aws("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    (rule,) = rules["Rules"]
    result: dict[str, Any] = rule["ApplyServerSideEncryptionByDefault"]
    return result


def tags_of(aws: Any, bucket: str) -> dict[str, str]:
    tag_set = aws("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in tag_set}


def test_the_network_guard_refuses_outside_addresses(aws: Any) -> None:
    with pytest.raises(AssertionError, match="over the network"), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_default_template_creates_encrypted_buckets(aws: Any, fmt: str) -> None:
    outputs = create_stack(aws, render(fmt))

    buckets = {bucket["Name"] for bucket in aws("s3").list_buckets()["Buckets"]}
    assert buckets == {outputs["BucketName"], outputs["LogBucketName"]}
    assert outputs["BucketArn"] == f"arn:aws:s3:::{outputs['BucketName']}"
    assert encryption_of(aws, outputs["BucketName"]) == {"SSEAlgorithm": "AES256"}
    assert encryption_of(aws, outputs["LogBucketName"]) == {"SSEAlgorithm": "AES256"}
    s3 = aws("s3")
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchTagSet"):
        s3.get_bucket_tagging(Bucket=outputs["BucketName"])  # none were asked for


def test_tags_read_back_on_both_buckets(aws: Any) -> None:
    tags = {"team": "data", "cost-center": "4711"}
    outputs = create_stack(aws, render("yaml", bucket_name="acme-tagged", tags=tags))

    assert outputs["BucketName"] == "acme-tagged"
    assert tags_of(aws, "acme-tagged") == tags
    assert tags_of(aws, outputs["LogBucketName"]) == tags
    assert encryption_of(aws, "acme-tagged") == {"SSEAlgorithm": "AES256"}


def test_sse_kms_with_a_given_key_reads_back(aws: Any) -> None:
    outputs = create_stack(aws, render("yaml", encryption="sse-kms", kms_key_arn=KEY_ARN))

    assert encryption_of(aws, outputs["BucketName"]) == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": KEY_ARN,
    }
    # The log bucket keeps S3-managed keys: log delivery supports no other default.
    assert encryption_of(aws, outputs["LogBucketName"]) == {"SSEAlgorithm": "AES256"}


def test_sse_kms_with_a_created_key_uses_that_key(aws: Any) -> None:
    outputs = create_stack(aws, render("yaml", encryption="sse-kms"))

    assert encryption_of(aws, outputs["BucketName"]) == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": outputs["KmsKeyArn"],
    }
    # (moto keeps the key policy of a key made through CloudFormation as an object, and then
    # fails to describe the key: the ARN is what can be checked.)
    assert outputs["KmsKeyArn"].startswith(f"arn:aws:kms:{REGION}:123456789012:key/")

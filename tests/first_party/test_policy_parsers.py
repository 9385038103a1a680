"""Parsing documents for the policy rules: formats, line numbers, and hostile input."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from cloudcraver_hookspecs import PluginInputError

from .helpers import findings_of, large_yaml, parse_file, parse_text


@pytest.mark.parametrize(
    ("path", "document_format"),
    [
        ("cloudformation/secure.yaml", "cloudformation"),
        ("cloudformation/insecure.json", "cloudformation"),
        ("terraform/split_resources.tf.json", "terraform"),
        ("terraform/plan.json", "terraform-plan"),
        ("azure/storage.json", "arm"),
        ("gcp/storage.tf.json", "terraform"),
    ],
)
def test_formats_are_recognised(data: Path, path: str, document_format: str) -> None:
    assert parse_file(data / path).format == document_format


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\n"),
        ("package.json", '{"name": "x", "version": "1.0.0"}'),
        ("values.json", "[1, 2, 3]"),
        ("notes.txt", "Resources: {}"),
        ("empty.yaml", ""),
    ],
)
def test_other_documents_are_left_to_other_plugins(path: str, text: str) -> None:
    assert parse_text(path, text) is None


def test_template_suffix_reads_either_syntax() -> None:
    as_json = parse_text("stack.template", '{"Resources": {}}')
    as_yaml = parse_text("stack.template", "Resources: {}\n")
    assert as_json is not None and as_yaml is not None
    assert as_json.data == as_yaml.data == {"Resources": {}}


def test_json_terraform_is_recognised_by_content_too() -> None:
    document = parse_text("main.json", '{"resource": {"aws_s3_bucket": {"b": {}}}}')
    assert document is not None and document.format == "terraform"


def test_short_tags_become_the_long_form(data: Path) -> None:
    document = parse_file(data / "cloudformation/secure.yaml")
    bucket = document.data["Resources"]["DataBucket"]["Properties"]
    assert bucket["BucketName"] == {"Fn::Sub": "acme-data-${Environment}"}
    assert bucket["VersioningConfiguration"]["Status"] == {"Ref": "VersioningStatus"}
    algorithm = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ]["SSEAlgorithm"]
    assert algorithm == {"Fn::If": ["IsProd", "aws:kms", "AES256"]}
    policy = document.data["Resources"]["DataBucketPolicy"]["Properties"]
    resources = policy["PolicyDocument"]["Statement"][0]["Resource"]
    assert resources == [
        {"Fn::GetAtt": ["DataBucket", "Arn"]},
        {"Fn::Sub": "${DataBucket.Arn}/*"},
    ]
    assert document.data["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}


def test_yaml_dates_stay_text(data: Path) -> None:
    document = parse_file(data / "cloudformation/secure.yaml")  # unquoted 2010-09-09
    assert document.data["AWSTemplateFormatVersion"] == "2010-09-09"
    json.dumps(document.data)  # plain JSON-ready data


def test_yaml_lines_point_at_keys(data: Path) -> None:
    document = parse_file(data / "cloudformation/insecure.yaml")
    assert document.lines["/Resources/PlainBucket"] == 4
    assert document.lines["/Resources/PartlyBlocked"] == 13
    assert (
        document.lines["/Resources/PartlyBlocked/Properties/PublicAccessBlockConfiguration"] == 22
    )
    assert document.lines["/Resources/PlainBucket/Properties/BucketEncryption"] == 9
    assert document.line_of("/Resources/PlainBucket/Properties/PublicAccessBlockConfiguration") == 6


@pytest.mark.parametrize(
    ("path", "pointer", "line"),
    [
        ("cloudformation/insecure.json", "/Resources/LegacyBucket", 4),
        ("cloudformation/insecure.json", "/Resources/LegacyBucketPolicy/Properties/Bucket", 13),
        ("terraform/split_resources.tf.json", "/resource/aws_s3_bucket/scratch", 14),
        ("azure/storage.json", "/resources/1", 24),
        ("azure/storage.json", "/resources/1/resources/0/properties/publicAccess", 38),
    ],
)
def test_json_lines_point_at_members(data: Path, path: str, pointer: str, line: int) -> None:
    assert parse_file(data / path).lines[pointer] == line


def test_malformed_yaml_gives_file_and_line(data: Path) -> None:
    with pytest.raises(PluginInputError) as caught:
        parse_file(data / "cloudformation/malformed.yaml")
    message = str(caught.value)
    assert message.startswith(f"{data / 'cloudformation/malformed.yaml'}:7: invalid YAML")
    assert "line 6" in message  # where the unclosed flow sequence started


def test_malformed_json_gives_file_and_line(data: Path) -> None:
    with pytest.raises(PluginInputError) as caught:
        parse_file(data / "cloudformation/malformed.json")
    # The trailing comma ends line 5; Python 3.13's parser points at it, older ones at line 6.
    path = data / "cloudformation/malformed.json"
    assert re.match(rf"^{re.escape(str(path))}:[56]: invalid JSON", str(caught.value))


def test_malformed_file_with_yaml_suffix_is_an_error_even_if_not_cloudformation() -> None:
    with pytest.raises(PluginInputError, match=r"^config\.yml:2: invalid YAML"):
        parse_text("config.yml", "a: [1, 2\nb: 3\n")


def test_unknown_tag_is_named_with_its_line(data: Path) -> None:
    with pytest.raises(PluginInputError) as caught:
        parse_file(data / "cloudformation/include.yaml")
    message = str(caught.value)
    assert message.startswith(f"{data / 'cloudformation/include.yaml'}:5: unknown tag !Include")
    assert "!Ref" in message  # says what is allowed


def test_python_tags_are_refused() -> None:
    text = "Resources:\n  X: !!python/object/apply:os.system ['echo hi']\n"
    with pytest.raises(PluginInputError, match=r"t\.yaml:2: unknown tag !!python/object/apply"):
        parse_text("t.yaml", text)


def test_unknown_tags_in_non_cloudformation_yaml_are_not_ours() -> None:
    assert parse_text("site.yaml", "include: !Include other.yaml\n") is None


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    text = (
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Bucket:\n    Type: AWS::SNS::Topic\n"
    )
    with pytest.raises(PluginInputError, match=r"t\.yaml:4: duplicate key 'Bucket' \(first .* 2\)"):
        parse_text("t.yaml", text)
    text_json = '{"Resources": {\n"B": {"Type": "x"},\n"B": {"Type": "y"}}}'
    with pytest.raises(PluginInputError, match=r"t\.json:3: invalid JSON: duplicate key 'B'"):
        parse_text("t.json", text_json)


def test_merge_keys_still_work() -> None:
    text = (
        "Mappings: {Base: &base {Type: AWS::S3::Bucket, Properties: {BucketName: a}}}\n"
        "Resources:\n  B:\n    <<: *base\n    Properties: {BucketName: b}\n"
    )
    document = parse_text("t.yaml", text)
    assert document is not None
    assert document.data["Resources"]["B"] == {
        "Type": "AWS::S3::Bucket",
        "Properties": {"BucketName": "b"},
    }


def billion_laughs(levels: int, fan_out: int) -> str:
    lines = ["Resources: {}", f"l0: &l0 [{', '.join(['lol'] * fan_out)}]"]
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * fan_out)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly() -> None:
    text = billion_laughs(levels=9, fan_out=9)  # 72 aliases, 9**9 nodes once expanded
    started = time.perf_counter()
    with pytest.raises(PluginInputError, match="alias bomb"):
        parse_text("bomb.yaml", text)
    assert time.perf_counter() - started < 2


def test_deep_doubling_bomb_is_refused_quickly() -> None:
    text = billion_laughs(levels=40, fan_out=2)  # few aliases, 2**40 nodes once expanded
    started = time.perf_counter()
    with pytest.raises(PluginInputError, match="expands to more than"):
        parse_text("bomb.yaml", text)
    assert time.perf_counter() - started < 2


def test_too_many_aliases_are_refused() -> None:
    text = "Resources: {}\nbase: &b x\nmany: [" + ", ".join(["*b"] * 101) + "]\n"
    with pytest.raises(PluginInputError, match=r"bomb\.yaml:3: more than 100 YAML aliases"):
        parse_text("bomb.yaml", text)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(PluginInputError, match="recursive alias"):
        parse_text("loop.yaml", "Resources: &r\n  Loop: *r\n")


def test_deep_nesting_is_refused() -> None:
    text = "Resources: " + "[" * 150 + "]" * 150 + "\n"
    with pytest.raises(PluginInputError, match="nested deeper than 100 levels"):
        parse_text("deep.yaml", text)


def test_deep_json_is_a_user_error_not_a_crash() -> None:
    text = '{"Resources": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(PluginInputError, match="nested too deeply"):
        parse_text("deep.json", text)


#: (file name, text, line): an integer literal over Python's 4,300-digit conversion limit.
HUGE_INTEGERS = {
    "yaml": ("big.yaml", "Resources:\n  B:\n    N: " + "9" * 5000 + "\n", 3),
    "yaml-negative-key": ("big.yaml", "Resources:\n  B:\n    ? -" + "9" * 5000 + "\n    : x\n", 3),
    "yaml-hex": ("big.yaml", "Resources:\n  B:\n    N: 0x" + "f" * 4000 + "\n", 3),
    "yaml-sexagesimal": ("big.yaml", "Resources: {}\nN: 1" + ":59" * 3000 + "\n", 2),
    "hcl": ("big.tf", "locals {\n  n = " + "9" * 5000 + "\n}\n", 2),
    "hcl-negative": ("big.tf", "n = -" + "9" * 5000 + "\n", 1),
    "json": ("big.json", '{"Resources": {},\n "N": ' + "9" * 5000 + "}", 2),
    "tf-json": ("big.tf.json", '{"resource": {},\n\n "n": -' + "9" * 5000 + "}", 3),
}


@pytest.mark.parametrize("case", sorted(HUGE_INTEGERS))
def test_integer_over_the_digit_limit_is_the_files_error(case: str) -> None:
    name, text, line = HUGE_INTEGERS[case]
    with pytest.raises(PluginInputError) as caught:
        parse_text(name, text)
    message = str(caught.value)
    assert message.startswith(f"{name}:{line}: "), message
    assert "is over the 4,300 digits accepted; quote it if it is meant as text" in message


@pytest.mark.parametrize("name", ["ok.yaml", "ok.tf", "ok.json"])
def test_integer_at_the_digit_limit_is_read(name: str) -> None:
    number = "9" * 4300
    text = {
        "ok.yaml": f"Resources: {{}}\nN: {number}\n",
        "ok.tf": f"n = {number}\n",
        "ok.json": f'{{"Resources": {{}}, "N": {number}}}',
    }[name]
    document = parse_text(name, text)
    assert document is not None
    assert document.data.get("N", document.data.get("n")) == int(number)


def test_alias_bombs_are_measured_by_what_aliases_add_not_by_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cloudcraver_plugins.policy import cfn_yaml

    monkeypatch.setattr(cfn_yaml, "MAX_NODES", 1000)
    # 3,000 nodes of its own and no alias: read (it was refused as a possible alias bomb).
    plain = "Resources: {}\nMetadata: [" + ", ".join(["x"] * 3000) + "]\n"
    assert parse_text("plain.yaml", plain) is not None
    # 2 aliases adding 2 x 600 nodes: refused, though the text is far smaller.
    bomb = "Resources: {}\nbase: &b [" + ", ".join(["x"] * 599) + "]\ntwice: [*b, *b]\n"
    with pytest.raises(PluginInputError, match=r"bomb\.yaml:3: the document expands"):
        parse_text("bomb.yaml", bomb)
    once = "Resources: {}\nbase: &b [" + ", ".join(["x"] * 599) + "]\nonce: [*b]\n"
    assert parse_text("once.yaml", once) is not None  # 600 added: within the limit


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("cloudformation-json", "over the 1,000,000 bytes CloudFormation accepts"),
        ("list", None),  # not a template: another plugin's, perhaps
    ],
)
def test_large_alias_free_yaml_is_not_an_alias_bomb(kind: str, expected: str | None) -> None:
    text = large_yaml(kind)
    if expected is None:
        assert parse_text("large.yaml", text) is None
        return
    with pytest.raises(PluginInputError) as caught:
        parse_text("large.yaml", text)
    assert expected in str(caught.value)
    assert "alias" not in str(caught.value)


def test_yaml_with_too_many_nodes_of_its_own_is_refused_for_its_cost() -> None:
    text = "Resources: {}\nMetadata: [" + "a," * 200_000 + "a]\n"  # 400 kB
    with pytest.raises(PluginInputError, match=r"big\.yaml:2: more than 200,000 YAML nodes"):
        parse_text("big.yaml", text)
    # Not a template: never constructed, so no limit applies (another plugin's, perhaps).
    assert parse_text("list.yaml", "- [" + "a," * 200_000 + "a]\n") is None


def test_yaml_holding_json_is_read_as_json_with_its_lines() -> None:
    text = large_yaml("cloudformation-json", 900_000)  # 450,000 nodes: too many as YAML
    document = parse_text("stack.yaml", text.replace('"Resources": {', '\n"Resources": {\n', 1))
    assert document is not None
    assert document.format == "cloudformation"
    assert document.data["Resources"]["B"] == {"Type": "AWS::S3::Bucket"}
    assert document.lines["/Resources/B"] == 3
    findings = findings_of(document)
    assert {f.rule_id for f in findings} >= {"aws-s3-versioning"}
    assert {f.location.line for f in findings if f.location} == {3}

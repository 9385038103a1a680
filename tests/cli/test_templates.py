"""``cloudcraver template list|info|create``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import DATA, Cli
from .helpers import (
    FIRST_PARTY,
    assert_no_traceback,
    assert_one_error,
    parse_json,
    shown,
    table_row,
)

pytestmark = pytest.mark.venv

S3 = ("template", "create", "aws-s3-bucket", "demo")


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (``!Ref``, ``!GetAtt``...) read as plain values."""


CfnLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
    ),
)


def cfn(text: str) -> dict:
    data = yaml.load(text, Loader=CfnLoader)
    assert isinstance(data, dict), text
    return data


def bucket(document: dict) -> dict:
    return document["Resources"]["Bucket"]["Properties"]


@pytest.fixture
def s3(cc: Cli) -> Cli:
    """Only the first-party plugins: no test plugin adds noise."""
    return cc.only(*FIRST_PARTY)


# ---------------------------------------------------------------------------- list / info


def test_template_list_reads_manifests_without_importing(cc: Cli) -> None:
    result = cc("template", "list", check=True)

    assert "aws-s3" in table_row(result.stdout, "aws-s3-bucket")
    assert "manifest-demo" in table_row(result.stdout, "demo-bucket")
    assert "plain-note" not in result.stdout  # plain-demo has no manifest: not asked...
    assert "plain-demo" in result.stderr and "--load" in result.stderr  # ...and it says so
    assert cc.imported() == set()
    assert_no_traceback(result)


def test_template_list_load_asks_plugins_without_a_manifest_once(cc: Cli) -> None:
    loaded = cc("template", "list", "--load", check=True)
    assert "plain-demo" in table_row(loaded.stdout, "plain-note")  # asked through its hook
    assert cc.imported() == {"plain-demo", "broken-import"}
    cc.forget_imports()

    later = cc("template", "list", check=True)

    assert "plain-demo" in table_row(later.stdout, "plain-note")  # remembered
    assert cc.imported() == set()


def test_template_list_json(cc: Cli) -> None:
    listed = cc.json("template", "list", "--load", "--json")
    offers = {(o["name"], o["plugin"]): o for o in listed}

    assert set(offers) == {
        ("aws-s3-bucket", "aws-s3"),
        ("demo-bucket", "manifest-demo"),
        ("plain-note", "plain-demo"),
    }
    demo = offers[("demo-bucket", "manifest-demo")]
    assert demo["provider"] == "aws" and demo["output_format"] == "cloudformation"
    assert demo["formats"] == ["yaml", "json"]
    assert demo["parameters"]["properties"]["size"]["type"] == "integer"
    assert offers[("plain-note", "plain-demo")]["formats"] == ["json"]
    assert "manifest-demo" not in cc.imported()


def test_template_info_json_has_the_parameter_schema(s3: Cli) -> None:
    info = s3.json("template", "info", "aws-s3-bucket", "--json")

    assert info["name"] == "aws-s3-bucket" and info["plugin"] == "aws-s3"
    schema = info["parameters"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    for key in ("bucket_name", "versioning", "encryption", "tags", "deletion_policy"):
        assert key in schema["properties"], key
    assert schema["properties"]["versioning"]["type"] == "boolean"
    assert schema["properties"]["versioning"]["default"] is True


def test_template_info_text(s3: Cli) -> None:
    result = s3("template", "info", "aws-s3-bucket", check=True)
    assert "Plugin    aws-s3" in result.stdout
    assert "versioning: boolean default true" in result.stdout
    assert '"properties"' in result.stdout  # the JSON schema follows


def test_template_info_unknown_template(s3: Cli) -> None:
    result = s3("template", "info", "aws-s3-buckit")
    assert_one_error(result, 2, "unknown template 'aws-s3-buckit'", "did you mean 'aws-s3-bucket'")


# ---------------------------------------------------------------------------- create


def test_create_prints_yaml(s3: Cli) -> None:
    result = s3(*S3, check=True)

    document = cfn(result.stdout)
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"
    assert document["Resources"]["Bucket"]["Type"] == "AWS::S3::Bucket"
    assert bucket(document)["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "demo" in document["Description"]
    assert result.stderr == ""


def test_create_is_deterministic(s3: Cli) -> None:
    assert s3(*S3, check=True).stdout == s3(*S3, check=True).stdout


def test_create_json_parses(s3: Cli) -> None:
    result = s3(*S3, "--format", "json", check=True)

    document = parse_json(result)
    assert document["Resources"]["Bucket"]["Type"] == "AWS::S3::Bucket"
    assert bucket(document)["VersioningConfiguration"] == {"Status": "Enabled"}


def test_create_writes_the_output_file(s3: Cli) -> None:
    target = s3.home / "out" / "demo.yaml"
    (s3.home / "out").mkdir()

    result = s3(*S3, "-o", target, check=True)

    assert result.stdout == ""
    assert str(target) in result.stderr
    assert target.read_text(encoding="utf-8") == s3(*S3, check=True).stdout
    json_target = s3.home / "out" / "demo.json"
    s3(*S3, "--format", "json", "--output", json_target, check=True)
    assert json.loads(json_target.read_text(encoding="utf-8"))["Resources"]


def test_set_changes_the_output(s3: Cli) -> None:
    default = cfn(s3(*S3, check=True).stdout)
    changed = cfn(s3(*S3, "--set", "versioning=false", check=True).stdout)
    named = cfn(s3(*S3, "-s", 'bucket_name="my-logs"', "-s", 'tags={team="infra"}').stdout)

    assert bucket(default)["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket(changed)["VersioningConfiguration"] == {"Status": "Suspended"}
    assert bucket(named)["BucketName"] == "my-logs"
    assert {"Key": "team", "Value": "infra"} in bucket(named)["Tags"]


@pytest.mark.parametrize("name", ["params.json", "params.toml", "params.yaml"])
def test_params_file(s3: Cli, name: str) -> None:
    params = s3.home / name
    shutil.copyfile(DATA / name, params)
    expected_name = f"from-{Path(name).suffix.lstrip('.')}-file"

    document = cfn(s3(*S3, "--params", params, check=True).stdout)
    assert bucket(document)["BucketName"] == expected_name
    assert bucket(document)["VersioningConfiguration"] == {"Status": "Suspended"}

    overridden = cfn(s3(*S3, "--params", params, "--set", "versioning=true", check=True).stdout)
    assert bucket(overridden)["BucketName"] == expected_name  # from the file
    assert bucket(overridden)["VersioningConfiguration"] == {"Status": "Enabled"}  # --set wins


def test_bad_parameter_names_the_parameter_and_its_source(s3: Cli) -> None:
    bad_value = s3(*S3, "--set", "versioning=maybe")
    assert_one_error(bad_value, 2, "parameter versioning", "--set versioning=maybe")
    assert bad_value.stdout == ""

    unknown = s3(*S3, "--set", "versionning=false")
    assert_one_error(unknown, 2, "versionning", "--set versionning=false", "unknown parameter")

    choice = s3(*S3, "--set", "encryption=rot13")
    assert_one_error(choice, 2, "parameter encryption", "sse-s3")


def test_bad_parameter_from_a_params_file_names_the_file(s3: Cli) -> None:
    params = s3.home / "bad.json"
    params.write_text('{"versioning": "maybe"}', encoding="utf-8")

    result = s3(*S3, "--params", params)

    assert_one_error(result, 2, "parameter versioning", f"--params {params}")


def test_missing_params_file(s3: Cli) -> None:
    result = s3(*S3, "--params", "nowhere.json")
    assert_one_error(result, 2, "--params nowhere.json", "cannot read")


def test_malformed_params_file_is_one_line(s3: Cli) -> None:
    params = s3.home / "broken.yaml"
    params.write_text("versioning: [\n", encoding="utf-8")

    result = s3(*S3, "--params", params)

    assert_one_error(result, 2, f"--params {params}", "not valid yaml")


def test_bad_set_syntax(s3: Cli) -> None:
    assert_one_error(s3(*S3, "--set", "versioning"), 2, "--set", "KEY=VALUE")


def test_unsupported_format(s3: Cli) -> None:
    assert_one_error(s3(*S3, "--format", "xml"), 2, "'xml'", "--format")


def test_unknown_template(s3: Cli) -> None:
    result = s3("template", "create", "aws-s3-buckit", "demo")
    assert_one_error(result, 2, "unknown template 'aws-s3-buckit'", "aws-s3-bucket")
    assert result.stdout == ""


def test_template_of_a_plugin_without_manifest(cc: Cli) -> None:
    result = cc.only("plain-demo")(
        "template", "create", "plain-note", "memo", "--format", "json", "--set", 'text="hi"'
    )
    assert result.returncode == 0, shown(result)
    assert parse_json(result) == {"name": "memo", "parameters": {"text": "hi"}}


# ---------------------------------------------------------------------------- --plugin


@pytest.fixture
def twins(cc: Cli, clone_plugin) -> Cli:
    """manifest-demo and demo-twin (a checkout copy of it): both offer ``demo-bucket``."""
    folder = clone_plugin("cc-test-manifest", "manifest-demo", "demo-twin")
    return cc.only("manifest-demo", "demo-twin").with_env(
        CLOUDCRAVER_PLUGIN_PATH=str(folder.parent)
    )


def test_same_template_from_two_plugins_needs_plugin_option(twins: Cli) -> None:
    offers = twins.json("template", "list", "--json")
    assert sorted(o["plugin"] for o in offers if o["name"] == "demo-bucket") == [
        "demo-twin",
        "manifest-demo",
    ]

    ambiguous = twins("template", "create", "demo-bucket", "b1")

    assert_one_error(ambiguous, 2, "demo-bucket", "demo-twin", "manifest-demo", "--plugin")
    assert twins.imported() == set()


def test_plugin_option_picks_the_plugin(twins: Cli) -> None:
    result = twins(
        "template", "create", "demo-bucket", "b1", "--plugin", "demo-twin", "--set", "size=5"
    )

    assert result.returncode == 0, shown(result)
    assert "BucketName: b1" in result.stdout and "size: 5" in result.stdout
    assert twins.imported() == {"demo-twin"}, "only the chosen plugin runs"

    info = twins.json("template", "info", "demo-bucket", "-p", "manifest-demo", "--json")
    assert info["plugin"] == "manifest-demo"


def test_plugin_option_naming_a_plugin_without_the_template(twins: Cli) -> None:
    result = twins.with_env(CLOUDCRAVER_PLUGINS="manifest-demo,demo-twin,aws-s3")(
        "template", "create", "demo-bucket", "b1", "--plugin", "aws-s3"
    )
    assert_one_error(result, 2, "aws-s3", "demo-bucket")

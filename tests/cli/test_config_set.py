"""``config set`` checks before writing, ``config unset``, a malformed state file (issue 9)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Cli
from .helpers import assert_exit, assert_one_error, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.venv

BEFORE = '# mine\n[host]\nstrict = true\n\n[plugins.policy]\nrequired_tags = ["owner"]\n'


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("host.unknown", "1", "unknown key host.unknown"),
        ("host.strict", "maybe", "expected true or false"),
        ("host.update_policy", "yolo", "expected one of pinned"),
        ("host.plugin_paths", "5", "expected a list of paths"),
        ("host.strict.deeper", "1", "expected true or false"),
        ("host.update_policies.cc-x", '"yolo"', "cc-x: expected one of"),
        ("env.ci.host.max_document_bytes", "0", "greater than 0"),
        ("plugins.policy.nope", "1", "unknown key"),
        ("plugins.policy.severity", '{aws-s3-versioning = "low"}', "one of 'error'"),
        ("plugins.policy.required_tags", "[1]", "expected string"),
    ],
)
def test_a_bad_value_is_refused_and_the_file_is_unchanged(
    cc: Cli, key: str, value: str, needle: str
) -> None:
    cc.config_file.write_text(BEFORE, encoding="utf-8")

    result = cc("config", "set", key, value)

    assert_one_error(result, 2, key, needle, str(cc.config_file), "unchanged")
    assert cc.config_file.read_text(encoding="utf-8") == BEFORE
    assert_exit(cc("config", "show"), 0)  # the configuration still works


def test_a_number_where_text_is_expected_says_to_quote_it(cc: Cli) -> None:
    result = cc("config", "set", "plugins.aws-s3.default_tags.cost-center", "4200")

    line = assert_one_error(result, 2, "default_tags.cost-center")
    assert "quote it" in line and "'\"4200\"'" in line, shown(result)
    assert not cc.config_file.exists()

    assert_exit(cc("config", "set", "plugins.aws-s3.default_tags.cost-center", '"4200"'), 0)
    written = tomllib.loads(cc.config_file.read_text(encoding="utf-8"))
    assert written["plugins"]["aws-s3"]["default_tags"] == {"cost-center": "4200"}


def test_good_values_are_written(cc: Cli) -> None:
    for key, value in (
        ("host.update_policy", '"minor"'),
        ("host.plugin_paths", '["../x"]'),
        ("plugins.policy.severity", '{aws-s3-versioning = "error"}'),
        ("env.ci.host.strict", "true"),
        ("host.update_policies.cc-x", '"patch"'),
    ):
        assert_exit(cc("config", "set", key, value), 0)
    written = tomllib.loads(cc.config_file.read_text(encoding="utf-8"))
    assert written["host"] == {
        "update_policy": "minor",
        "plugin_paths": ["../x"],
        "update_policies": {"cc-x": "patch"},
    }
    assert written["env"]["ci"]["host"]["strict"] is True


def test_setting_under_a_value_or_over_a_table_is_refused(cc: Cli) -> None:
    cc.config_file.write_text(BEFORE, encoding="utf-8")

    under = cc("config", "set", "plugins.policy.required_tags.x", '"y"')
    assert_one_error(under, 2, "plugins.policy.required_tags", "not a table", "config unset")
    over = cc("config", "set", "plugins.policy", "5")
    assert_one_error(over, 2, "plugins.policy")
    assert cc.config_file.read_text(encoding="utf-8") == BEFORE


def test_unset_removes_a_key_keeping_comments(cc: Cli) -> None:
    cc.config_file.write_text(BEFORE, encoding="utf-8")

    result = cc("config", "unset", "host.strict")

    assert_exit(result, 0)
    text = cc.config_file.read_text(encoding="utf-8")
    assert text.startswith("# mine\n")
    assert tomllib.loads(text) == {"host": {}, "plugins": {"policy": {"required_tags": ["owner"]}}}
    assert_exit(cc("config", "unset", "plugins.policy"), 0)
    assert "policy" not in tomllib.loads(cc.config_file.read_text(encoding="utf-8")).get(
        "plugins", {}
    )
    before = cc.config_file.read_text(encoding="utf-8")
    assert_one_error(cc("config", "unset", "host.strict"), 2, "host.strict", "not set")
    assert cc.config_file.read_text(encoding="utf-8") == before


def test_unset_repairs_a_configuration_a_bad_key_broke(cc: Cli) -> None:
    cc.config_file.write_text("[host]\nunknown = 1\n", encoding="utf-8")
    assert_one_error(cc("plugin", "list"), 2, "host.unknown")

    assert_exit(cc("config", "unset", "host.unknown"), 0)

    assert_exit(cc("plugin", "list"), 0)


def test_a_malformed_state_file_is_an_input_error(cc: Cli) -> None:
    cc.state_file.write_text("plugins = 5\n", encoding="utf-8")

    for args in (("plugin", "disable", "policy"), ("plugin", "list")):
        result = cc(*args)
        assert_one_error(result, 2, str(cc.state_file), "delete it to reset")
    assert cc.state_file.read_text(encoding="utf-8") == "plugins = 5\n"


def test_a_plugin_without_a_manifest_schema_is_checked_by_its_model(
    cc: Cli, clone_plugin: Callable[[str, str, str], Path]
) -> None:
    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "model-only")
    manifest = next(checkout.rglob("cloudcraver_plugin.toml"))
    text = manifest.read_text(encoding="utf-8")
    start, end = text.index("[config_schema]"), text.index("[[templates]]")
    manifest.write_text(text[:start] + text[end:], encoding="utf-8")
    run = cc.with_env(CLOUDCRAVER_PLUGIN_PATH=str(checkout.parent))

    bad = run("config", "set", "plugins.model-only.limit", '"lots"')
    assert_one_error(bad, 2, "plugins.model-only.limit", "valid integer", "unchanged")
    number = run("config", "set", "plugins.model-only.greeting", "42")
    line = assert_one_error(number, 2, "plugins.model-only.greeting", "valid string")
    assert "quote it: '\"42\"'" in line, shown(number)
    assert not cc.config_file.exists()

    assert_exit(run("config", "set", "plugins.model-only.limit", "7"), 0)
    assert tomllib.loads(cc.config_file.read_text(encoding="utf-8")) == {
        "plugins": {"model-only": {"limit": 7}}
    }

"""``cloudcraver config show|get|set|validate``, layers, environments, secrets, bad values."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import Cli
from .helpers import (
    FIRST_PARTY,
    assert_exit,
    assert_no_traceback,
    assert_one_error,
    error_lines,
    parse_json,
    shown,
    table_row,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.venv

USER_CONFIG = """\
# my settings
[host]
max_document_bytes = 50000

[plugins.manifest-demo]
greeting = "hi"
api_token = "s3cr3t-value"

[env.prod.plugins.manifest-demo]
greeting = "prod-hi"
"""

PROJECT_CONFIG = """\
# project settings: keep this comment
[plugins.policy]
# the tags we need
required_tags = ["owner"]
"""


@pytest.fixture
def configured(cc: Cli, tmp_path: Path) -> tuple[Cli, Path]:
    """A user file and a project folder with ``cloudcraver.toml``; runs see two plugins."""
    cc.config_file.write_text(USER_CONFIG, encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "cloudcraver.toml").write_text(PROJECT_CONFIG, encoding="utf-8")
    return cc.only("manifest-demo", "policy"), project


# ---------------------------------------------------------------------------- show / get


def test_show_without_configuration(cc: Cli) -> None:
    result = cc("config", "show", check=True)
    assert "no configuration set" in result.stdout


def test_show_prints_the_merged_configuration_as_toml(configured: tuple[Cli, Path]) -> None:
    run, project = configured

    result = run("config", "show", cwd=project, check=True)
    shown_config = tomllib.loads(result.stdout)

    assert shown_config["host"]["max_document_bytes"] == 50000
    assert shown_config["plugins"]["manifest-demo"]["greeting"] == "hi"
    assert shown_config["plugins"]["policy"]["required_tags"] == ["owner"]
    assert "env" not in shown_config  # environment sections apply only with --env


def test_show_json(configured: tuple[Cli, Path]) -> None:
    run, project = configured

    shown_config = run.json("config", "show", "--json", cwd=project)

    assert set(shown_config) == {"config", "env", "files"}
    assert shown_config["env"] is None
    assert str(run.config_file) in shown_config["files"]
    assert str(project / "cloudcraver.toml") in shown_config["files"]
    assert shown_config["config"]["plugins"]["policy"]["required_tags"] == ["owner"]


def test_show_origins_names_each_values_source(configured: tuple[Cli, Path]) -> None:
    run, project = configured
    sub = project / "deep" / "inside"
    sub.mkdir(parents=True)

    result = run(
        "-c",
        "plugins.manifest-demo.limit=5",
        "config",
        "show",
        "--origins",
        cwd=sub,  # the project file is found walking up
        env={"CLOUDCRAVER_PLUGINS__POLICY__NAME_PATTERN": "^acme-.*$"},
        check=True,
    )

    project_file = str(project / "cloudcraver.toml")
    assert project_file in table_row(result.stdout, "plugins.policy.required_tags")
    assert str(run.config_file) in table_row(result.stdout, "plugins.manifest-demo.greeting")
    assert "CLOUDCRAVER_PLUGINS__POLICY__NAME_PATTERN" in table_row(
        result.stdout, "plugins.policy.name_pattern"
    )
    assert "--config plugins.manifest-demo.limit=5" in table_row(
        result.stdout, "plugins.manifest-demo.limit"
    )
    assert "CLOUDCRAVER_PLUGINS" in table_row(result.stdout, "host.only")


def test_get(configured: tuple[Cli, Path]) -> None:
    run, project = configured

    text = run("config", "get", "plugins.manifest-demo.greeting", cwd=project, check=True)
    listed = run("config", "get", "plugins.policy.required_tags", cwd=project, check=True)
    as_json = run.json("config", "get", "plugins.policy.required_tags", "--json", cwd=project)

    assert text.stdout == "hi\n"
    assert listed.stdout == '["owner"]\n'
    assert as_json == {
        "key": "plugins.policy.required_tags",
        "value": ["owner"],
        "from": str(project / "cloudcraver.toml"),
    }


def test_get_unset_key(configured: tuple[Cli, Path]) -> None:
    run, _ = configured
    assert_one_error(run("config", "get", "host.nothing_here"), 2, "host.nothing_here")


# ---------------------------------------------------------------------------- set


def test_set_then_get(cc: Cli) -> None:
    result = cc("config", "set", "host.strict", "true", check=True)

    assert str(cc.config_file) in result.stdout
    assert tomllib.loads(cc.config_file.read_text(encoding="utf-8")) == {"host": {"strict": True}}
    assert cc("config", "get", "host.strict", check=True).stdout == "true\n"
    assert cc.json("config", "get", "host.strict", "--json") == {
        "key": "host.strict",
        "value": True,
        "from": str(cc.config_file),
    }


def test_set_keeps_comments_of_the_user_file(cc: Cli) -> None:
    cc.config_file.write_text(USER_CONFIG, encoding="utf-8")

    cc("config", "set", "plugins.manifest-demo.greeting", '"hey"', check=True)

    text = cc.config_file.read_text(encoding="utf-8")
    assert text.startswith("# my settings\n")
    assert tomllib.loads(text)["plugins"]["manifest-demo"]["greeting"] == "hey"
    assert tomllib.loads(text)["env"]["prod"]["plugins"]["manifest-demo"]["greeting"] == "prod-hi"


def test_set_project_writes_cloudcraver_toml_keeping_comments(
    configured: tuple[Cli, Path],
) -> None:
    run, project = configured
    user_before = run.config_file.read_text(encoding="utf-8")

    result = run(
        "config", "set", "plugins.policy.name_pattern", '"^acme-.*$"', "--project", cwd=project
    )

    assert_exit(result, 0)
    text = (project / "cloudcraver.toml").read_text(encoding="utf-8")
    assert "# project settings: keep this comment" in text
    assert "# the tags we need" in text
    assert tomllib.loads(text)["plugins"]["policy"] == {
        "required_tags": ["owner"],
        "name_pattern": "^acme-.*$",
    }
    assert run.config_file.read_text(encoding="utf-8") == user_before
    got = run.json("config", "get", "plugins.policy.name_pattern", "--json", cwd=project)
    assert got["value"] == "^acme-.*$" and got["from"] == str(project / "cloudcraver.toml")


def test_set_project_creates_the_file_in_the_working_directory(cc: Cli, tmp_path: Path) -> None:
    project = tmp_path / "fresh"
    project.mkdir()

    cc("config", "set", "plugins.policy.required_tags", '["team"]', "--project", cwd=project)

    written = tomllib.loads((project / "cloudcraver.toml").read_text(encoding="utf-8"))
    assert written == {"plugins": {"policy": {"required_tags": ["team"]}}}
    assert not cc.config_file.exists()


def test_set_rejects_keys_outside_the_known_tables(cc: Cli) -> None:
    assert_one_error(cc("config", "set", "strict", "true"), 2, "strict", "host.NAME")
    assert_one_error(cc("config", "set", "hosts.strict", "true"), 2, "hosts.strict")
    assert not cc.config_file.exists()


# ---------------------------------------------------------------------------- environments


def test_env_section_applies(configured: tuple[Cli, Path]) -> None:
    run, project = configured

    plain = run("demo-hello", cwd=project, check=True)
    prod = run("--env", "prod", "demo-hello", cwd=project, check=True)
    from_variable = run("demo-hello", cwd=project, env={"CLOUDCRAVER_ENV": "prod"}, check=True)
    got = run.json(
        "--env", "prod", "config", "get", "plugins.manifest-demo.greeting", "--json", cwd=project
    )

    assert plain.stdout == "hi, world!\n"
    assert prod.stdout == "prod-hi, world!\n"
    assert from_variable.stdout == "prod-hi, world!\n"
    assert got == {
        "key": "plugins.manifest-demo.greeting",
        "value": "prod-hi",
        "from": f"{run.config_file} [env.prod]",
    }


def test_env_origin_is_shown_in_the_origins_table(configured: tuple[Cli, Path]) -> None:
    run, project = configured

    result = run("--env", "prod", "config", "show", "--origins", cwd=project, check=True)

    row = table_row(result.stdout, "plugins.manifest-demo.greeting")
    assert "prod-hi" in row
    assert f"{run.config_file} [env.prod]" in row, shown(result)


def test_unknown_env_lists_the_defined_ones(configured: tuple[Cli, Path]) -> None:
    run, project = configured

    result = run("--env", "staging", "config", "show", cwd=project)

    assert_one_error(result, 2, "'staging'", "defined: prod", str(run.config_file))
    assert result.stdout == ""


# ---------------------------------------------------------------------------- secrets and ${VAR}


def test_secrets_are_redacted_everywhere(configured: tuple[Cli, Path]) -> None:
    run, project = configured
    key = "plugins.manifest-demo.api_token"

    results = [
        run("config", "show", cwd=project, check=True),
        run("config", "show", "--json", cwd=project, check=True),
        run("config", "show", "--origins", cwd=project, check=True),
        run("config", "get", key, cwd=project, check=True),
        run("config", "get", key, "--json", cwd=project, check=True),
    ]

    for result in results:
        assert "s3cr3t-value" not in result.stdout + result.stderr, shown(result)
        assert "***" in result.stdout, shown(result)
    assert parse_json(results[1])["config"]["plugins"]["manifest-demo"]["api_token"] == "***"
    assert results[3].stdout == "***\n"


def test_variables_are_resolved_at_use_and_shown_as_written(cc: Cli) -> None:
    cc.config_file.write_text(
        '[plugins.manifest-demo]\ngreeting = "${DEMO_GREETING}"\n', encoding="utf-8"
    )
    run = cc.only("manifest-demo").with_env(DEMO_GREETING="bonjour")

    hello = run("demo-hello", check=True)
    shown_config = run("config", "show", check=True)
    got = run("config", "get", "plugins.manifest-demo.greeting", check=True)

    assert hello.stdout == "bonjour, world!\n"
    assert "${DEMO_GREETING}" in shown_config.stdout and "bonjour" not in shown_config.stdout
    assert got.stdout == "${DEMO_GREETING}\n"


def test_missing_variable_names_the_key_and_the_file(cc: Cli) -> None:
    cc.config_file.write_text(
        '[plugins.manifest-demo]\ngreeting = "${DEMO_GREETING}"\n', encoding="utf-8"
    )

    result = cc.only("manifest-demo")("demo-hello")

    assert_exit(result, 2)
    assert_no_traceback(result)
    errors = error_lines(result)
    assert errors, shown(result)
    assert "plugins.manifest-demo.greeting" in errors[0]
    assert str(cc.config_file) in errors[0] and "DEMO_GREETING" in errors[0]


# ---------------------------------------------------------------------------- invalid values


@pytest.fixture
def bad_limit(cc: Cli) -> Cli:
    cc.config_file.write_text('[plugins.manifest-demo]\nlimit = "lots"\n', encoding="utf-8")
    return cc.only("manifest-demo", *FIRST_PARTY)


def test_config_validate_names_key_file_and_expectation(bad_limit: Cli) -> None:
    result = bad_limit("config", "validate")

    assert_exit(result, 2)
    assert_no_traceback(result)
    (line,) = [e for e in error_lines(result) if "plugins.manifest-demo.limit" in e]
    assert str(bad_limit.config_file) in line
    assert "'lots'" in line and "integer" in line
    assert "configuration is valid" not in result.stdout


def test_config_validate_passes_a_good_configuration(cc: Cli) -> None:
    cc.config_file.write_text("[plugins.manifest-demo]\nlimit = 10\n", encoding="utf-8")
    result = cc.only("manifest-demo", *FIRST_PARTY)("config", "validate", check=True)
    assert "configuration is valid" in result.stdout


def test_command_needing_a_misconfigured_plugin_exits_2(bad_limit: Cli) -> None:
    result = bad_limit("template", "create", "demo-bucket", "x")

    assert_exit(result, 2)
    assert_no_traceback(result)
    assert result.stdout == ""
    errors = error_lines(result)
    assert errors and all("plugins.manifest-demo.limit" in e for e in errors), shown(result)
    assert str(bad_limit.config_file) in errors[0]

    other = bad_limit("template", "create", "aws-s3-bucket", "x")
    assert_exit(other, 0)  # the other plugins go on


def test_misconfigured_plugin_is_reported_once(bad_limit: Cli) -> None:
    result = bad_limit("template", "create", "demo-bucket", "x")
    assert_one_error(result, 2, "plugins.manifest-demo.limit", str(bad_limit.config_file))


def test_misconfigured_validator_makes_validate_exit_2(bad_limit: Cli, data) -> None:
    data("warning_only.yaml")

    result = bad_limit("validate", "warning_only.yaml")

    assert "aws-s3-versioning" in result.stdout, "the other validators still run"
    assert_one_error(result, 2, "plugins.manifest-demo.limit")


# ---------------------------------------------------------------------------- malformed files


def test_malformed_user_config_names_file_and_line(cc: Cli) -> None:
    cc.config_file.write_text("[host]\nstrict = true\n[plugins\n", encoding="utf-8")

    for args in (("plugin", "list"), ("config", "show"), ("template", "list")):
        result = cc(*args)
        assert_one_error(result, 2, str(cc.config_file), "line 3", "invalid TOML")


def test_malformed_project_config_names_the_file(cc: Cli, tmp_path: Path) -> None:
    project = tmp_path / "broken-project"
    project.mkdir()
    (project / "cloudcraver.toml").write_text('[plugins.policy]\nx = "open\n', encoding="utf-8")

    result = cc("config", "show", cwd=project)

    assert_one_error(result, 2, str(project / "cloudcraver.toml"), "line 2")


def test_unknown_table_in_user_config(cc: Cli) -> None:
    cc.config_file.write_text("[hosts]\nstrict = true\n", encoding="utf-8")
    assert_one_error(cc("config", "show"), 2, str(cc.config_file), "[hosts]")

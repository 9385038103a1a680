"""Layered configuration: order of the layers, origins, ${VAR}, redaction, host settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import BaseModel

from cloudcraver_host.config import load_config
from cloudcraver_host.errors import ConfigError


class Demo(BaseModel):
    limit: int = 3
    api_token: str = ""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A user file, a project file two folders above the working directory, and a cwd."""
    user = write(
        tmp_path / "home" / "config.toml",
        """
[plugins.demo]
a = "user"
b = "user"
c = "user"
d = "user"
e = "user"

[env.staging.plugins.demo]
c = "user-env"
""",
    )
    project = write(
        tmp_path / "repo" / "cloudcraver.toml",
        """
[plugins.demo]
b = "project"
c = "project"
d = "project"
e = "project"

[env.staging.plugins.demo]
c = "project-env"
d = "project-env"
e = "project-env"

[env.dev.plugins.demo]
c = "dev"
""",
    )
    cwd = tmp_path / "repo" / "infra" / "stacks"
    cwd.mkdir(parents=True)
    return {"user": user, "project": project, "cwd": cwd}


def test_layers_apply_in_order_later_winning(layout: dict[str, Path]) -> None:
    config = load_config(
        user_file=layout["user"],
        cwd=layout["cwd"],
        env_name="staging",
        environ={"CLOUDCRAVER_PLUGINS__DEMO__D": "from-env", "CLOUDCRAVER_PLUGINS__DEMO__E": "x"},
        options=["plugins.demo.e=from-option"],
    )
    assert config.project_file == layout["project"]
    assert config.plugin_section("demo") == {
        "a": "user",
        "b": "project",
        "c": "project-env",  # the project's [env] section comes after the user's
        "d": "from-env",
        "e": "from-option",
    }
    assert config.origin(("plugins", "demo", "a")) == str(layout["user"])
    assert config.origin(("plugins", "demo", "b")) == str(layout["project"])
    assert config.origin(("plugins", "demo", "c")) == f"{layout['project']} [env.staging]"
    assert config.origin(("plugins", "demo", "d")) == (
        "environment variable CLOUDCRAVER_PLUGINS__DEMO__D"
    )
    assert config.origin(("plugins", "demo", "e")) == "option --config plugins.demo.e=from-option"


def test_user_env_section_applies_when_the_project_has_none_for_that_key(
    layout: dict[str, Path],
) -> None:
    write(layout["project"], "[plugins.demo]\nb = 'project'\n[env.staging]\n")
    config = load_config(
        user_file=layout["user"], cwd=layout["cwd"], env_name="staging", environ={}
    )
    assert config.plugin_section("demo")["c"] == "user-env"


def test_env_is_chosen_by_cloudcraver_env(layout: dict[str, Path]) -> None:
    config = load_config(
        user_file=layout["user"], cwd=layout["cwd"], environ={"CLOUDCRAVER_ENV": "dev"}
    )
    assert config.env_name == "dev"
    assert config.plugin_section("demo")["c"] == "dev"


def test_unknown_env_name_lists_the_defined_ones(layout: dict[str, Path]) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(user_file=layout["user"], cwd=layout["cwd"], env_name="prod", environ={})
    message = str(raised.value)
    assert "'prod'" in message and "dev, staging" in message
    assert str(layout["project"]) in message


def test_environment_values_stay_text_for_the_model_and_arrays_are_toml(tmp_path: Path) -> None:
    from pydantic import BaseModel

    class Demo(BaseModel):
        limit: int = 0
        account: str = ""
        names: list[str] = []
        word: str = ""

    config = load_config(
        user_file=tmp_path / "none.toml",
        cwd=tmp_path,
        environ={
            "CLOUDCRAVER_PLUGINS__DEMO__LIMIT": "5",
            "CLOUDCRAVER_PLUGINS__DEMO__ACCOUNT": "0123456789",
            "CLOUDCRAVER_PLUGINS__DEMO__NAMES": '["a", "b"]',
            "CLOUDCRAVER_PLUGINS__DEMO__WORD": "plain words",
        },
    )
    validated = config.validate_plugin("demo", Demo)
    # A numeric-looking account id stays text; the model turns "5" into a number.
    assert validated.model_dump() == {
        "limit": 5,
        "account": "0123456789",
        "names": ["a", "b"],
        "word": "plain words",
    }


def test_dashed_plugin_names_are_configurable_from_the_environment(tmp_path: Path) -> None:
    config = load_config(
        user_file=tmp_path / "none.toml",
        cwd=tmp_path,
        environ={"CLOUDCRAVER_PLUGINS__AWS_S3__LIMIT": "7"},
    )
    assert config.plugin_section("aws-s3") == {"limit": "7"}


def test_project_file_is_found_upward_and_pyproject_counts_with_its_table(tmp_path: Path) -> None:
    write(tmp_path / "outer" / "cloudcraver.toml", "[plugins.demo]\nlimit = 1\n")
    inner = tmp_path / "outer" / "inner"
    write(inner / "pyproject.toml", "[project]\nname = 'x'\n")  # no [tool.cloudcraver]: skipped
    deep = inner / "a" / "b"
    deep.mkdir(parents=True)
    config = load_config(user_file=tmp_path / "none.toml", cwd=deep, environ={})
    assert config.project_file == tmp_path / "outer" / "cloudcraver.toml"
    assert config.plugin_section("demo") == {"limit": 1}

    write(inner / "pyproject.toml", "[tool.cloudcraver.plugins.demo]\nlimit = 2\n")
    config = load_config(user_file=tmp_path / "none.toml", cwd=deep, environ={})
    assert config.project_file == inner / "pyproject.toml"
    assert config.plugin_section("demo") == {"limit": 2}
    assert (
        config.origin(("plugins", "demo", "limit"))
        == f"{inner / 'pyproject.toml'} [tool.cloudcraver]"
    )

    write(inner / "cloudcraver.toml", "[plugins.demo]\nlimit = 3\n")  # wins in the same folder
    config = load_config(user_file=tmp_path / "none.toml", cwd=deep, environ={})
    assert config.plugin_section("demo") == {"limit": 3}


def test_validation_errors_name_the_origin_of_the_bad_value(layout: dict[str, Path]) -> None:
    write(layout["project"], "[plugins.demo]\nlimit = 'lots'\n")
    cases = [
        ({}, (), f"plugins.demo.limit = 'lots' (set in {layout['project']})"),
        (
            {"CLOUDCRAVER_PLUGINS__DEMO__LIMIT": "many"},
            (),
            "(set in environment variable CLOUDCRAVER_PLUGINS__DEMO__LIMIT)",
        ),
        ({}, ("plugins.demo.limit=few",), "(set in option --config plugins.demo.limit=few)"),
    ]
    for environ, options, expected in cases:
        config = load_config(
            user_file=layout["user"], cwd=layout["cwd"], environ=environ, options=options
        )
        with pytest.raises(ConfigError) as raised:
            config.validate_plugin("demo", Demo)
        message = str(raised.value)
        assert expected in message, message
        assert "plugin 'demo'" in message and "valid integer" in message


def test_a_bad_secret_value_is_not_shown_in_the_error(tmp_path: Path) -> None:
    user = write(tmp_path / "config.toml", "[plugins.demo]\napi_token = 12345\n")
    config = load_config(user_file=user, cwd=tmp_path, environ={})
    with pytest.raises(ConfigError) as raised:
        config.validate_plugin("demo", Demo)
    assert "plugins.demo.api_token = ***" in str(raised.value)
    assert "12345" not in str(raised.value)


def test_variable_references_are_resolved_from_the_environment(tmp_path: Path) -> None:
    user = write(
        tmp_path / "config.toml",
        '[plugins.demo]\nurl = "https://${API_HOST}/v1"\nregion = "${REGION:-eu-west-1}"\n'
        'list = ["${API_HOST}", "x"]\n',
    )
    config = load_config(user_file=user, cwd=tmp_path, environ={"API_HOST": "api.test"})
    assert config.plugin_section("demo") == {
        "url": "https://api.test/v1",
        "region": "eu-west-1",
        "list": ["api.test", "x"],
    }
    config = load_config(
        user_file=user, cwd=tmp_path, environ={"API_HOST": "h", "REGION": "us-east-2"}
    )
    assert config.plugin_section("demo")["region"] == "us-east-2"


def test_a_missing_variable_names_the_key_the_file_and_the_fix(tmp_path: Path) -> None:
    user = write(tmp_path / "config.toml", '[plugins.demo]\nurl = "https://${API_HOST}/v1"\n')
    config = load_config(user_file=user, cwd=tmp_path, environ={})
    with pytest.raises(ConfigError) as raised:
        config.plugin_section("demo")
    message = str(raised.value)
    assert "plugins.demo.url" in message and str(user) in message
    assert "${API_HOST}" in message and "${API_HOST:-default}" in message


def test_redaction_hides_secrets_and_variable_values(tmp_path: Path) -> None:
    user = write(
        tmp_path / "config.toml",
        """
[plugins.demo]
api_key = "abc123"
password = "hunter2"
client_secret = "s3"
access_token = "t0k"
private-key = "pk"
endpoint = "https://${HOST_NAME}/x"
limit = 4
empty_token = ""
""",
    )
    config = load_config(user_file=user, cwd=tmp_path, environ={"HOST_NAME": "real.host"})
    shown = config.redacted()["plugins"]["demo"]
    assert shown == {
        "api_key": "***",
        "password": "***",
        "client_secret": "***",
        "access_token": "***",
        "private-key": "***",
        "endpoint": "https://${HOST_NAME}/x",
        "limit": 4,
        "empty_token": "",
    }
    assert "real.host" not in repr(config.redacted())


def test_unknown_top_level_table_is_an_error_naming_the_file(tmp_path: Path) -> None:
    user = write(tmp_path / "config.toml", "[plugin.demo]\nlimit = 1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(user_file=user, cwd=tmp_path, environ={})
    message = str(raised.value)
    assert str(user) in message and "unknown table [plugin]" in message
    assert "[plugins.NAME]" in message


def test_unknown_table_inside_an_env_section_is_an_error(tmp_path: Path) -> None:
    user = write(tmp_path / "config.toml", "[env.dev.plugin.demo]\nlimit = 1\n")
    with pytest.raises(ConfigError, match=r"\[env\.dev\].*unknown table \[plugin\]"):
        load_config(user_file=user, cwd=tmp_path, env_name="dev", environ={})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    user = write(tmp_path / "config.toml", "[plugins.demo\n")
    with pytest.raises(ConfigError, match="invalid TOML") as raised:
        load_config(user_file=user, cwd=tmp_path, environ={})
    assert str(user) in str(raised.value)


def test_bad_config_option_is_explained(tmp_path: Path) -> None:
    for option, expected in (
        ("strict", "expected KEY=VALUE"),
        ("plugin.demo.x=1", "keys start with host. or plugins.NAME."),
    ):
        with pytest.raises(ConfigError, match=expected):
            load_config(
                user_file=tmp_path / "none.toml", cwd=tmp_path, environ={}, options=[option]
            )


def test_unknown_host_setting_is_named_with_its_origin(tmp_path: Path) -> None:
    user = write(tmp_path / "config.toml", "[host]\nsafe_mod = true\n")
    config = load_config(user_file=user, cwd=tmp_path, environ={})
    with pytest.raises(ConfigError) as raised:
        config.host_settings()
    assert f"unknown key host.safe_mod (set in {user})" in str(raised.value)


# ---------------------------------------------------------------------------- host settings


def settings(tmp_path: Path, environ: dict[str, str], **kwargs: object):
    return load_config(
        user_file=tmp_path / "none.toml", cwd=tmp_path, environ=environ, **kwargs
    ).host_settings()


def test_host_settings_defaults(tmp_path: Path) -> None:
    result = settings(tmp_path, {})
    assert (result.strict, result.safe_mode, result.only, result.plugin_paths) == (
        False,
        False,
        None,
        (),
    )


@pytest.mark.parametrize("value", ["1", "true"])
def test_safe_mode_shortcut(tmp_path: Path, value: str) -> None:
    assert settings(tmp_path, {"CLOUDCRAVER_SAFE_MODE": value}).safe_mode is True


def test_safe_mode_shortcut_false(tmp_path: Path) -> None:
    assert settings(tmp_path, {"CLOUDCRAVER_SAFE_MODE": "false"}).safe_mode is False


def test_plugins_shortcut_lists_names_and_empty_means_none(tmp_path: Path) -> None:
    assert settings(tmp_path, {"CLOUDCRAVER_PLUGINS": "aws-s3, policy"}).only == (
        "aws-s3",
        "policy",
    )
    assert settings(tmp_path, {"CLOUDCRAVER_PLUGINS": ""}).only == ()
    assert settings(tmp_path, {}).only is None


def test_plugin_path_shortcut_and_relative_paths(tmp_path: Path) -> None:
    joined = f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b.whl'}"
    assert settings(tmp_path, {"CLOUDCRAVER_PLUGIN_PATH": joined}).plugin_paths == (
        tmp_path / "a",
        tmp_path / "b.whl",
    )
    # A path in a file is relative to that file's folder; lists of all layers add up.
    project = write(tmp_path / "repo" / "cloudcraver.toml", '[host]\nplugin_paths = ["plugins"]\n')
    user = write(tmp_path / "home" / "config.toml", '[host]\nplugin_paths = ["~/mine"]\n')
    result = load_config(user_file=user, cwd=project.parent, environ={}).host_settings()
    assert result.plugin_paths == (Path("~/mine").expanduser(), tmp_path / "repo" / "plugins")


def test_options_beat_the_environment_for_host_settings(tmp_path: Path) -> None:
    result = settings(tmp_path, {"CLOUDCRAVER_STRICT": "false"}, option_settings={"strict": True})
    assert result.strict is True


def test_a_bad_value_read_from_a_variable_is_not_shown_in_the_error(tmp_path: Path) -> None:
    # ${VAR} keeps secrets out of files; an error must not print what the variable holds.
    user = write(tmp_path / "config.toml", '[plugins.demo]\nlimit = "${DEMO_SECRET}"\n')
    config = load_config(user_file=user, cwd=tmp_path, environ={"DEMO_SECRET": "s3cr3t-value"})
    assert config.redacted()["plugins"]["demo"]["limit"] == "${DEMO_SECRET}"
    with pytest.raises(ConfigError) as raised:
        config.validate_plugin("demo", Demo)
    message = str(raised.value)
    assert "plugins.demo.limit" in message and str(user) in message
    assert "s3cr3t-value" not in message


def test_later_layers_win_whatever_the_spelling_of_a_dashed_plugin_name(tmp_path: Path) -> None:
    # Environment variables can only spell `aws-s3` as AWS_S3, so both spellings configure
    # the plugin; the layer order must still decide which value wins.
    user = write(tmp_path / "config.toml", "[plugins.aws_s3]\nlimit = 1\n")
    config = load_config(
        user_file=user, cwd=tmp_path, environ={}, options=["plugins.aws-s3.limit=9"]
    )
    assert config.plugin_section("aws-s3") == {"limit": "9"}

    user = write(tmp_path / "config.toml", "[plugins.aws-s3]\nlimit = 1\n")
    config = load_config(
        user_file=user,
        cwd=tmp_path,
        environ={"CLOUDCRAVER_PLUGINS__AWS_S3__LIMIT": "5"},
        options=["plugins.aws-s3.limit=9"],
    )
    assert config.origin(("plugins", "aws-s3", "limit")) == "option --config plugins.aws-s3.limit=9"
    assert config.plugin_section("aws-s3") == {"limit": "9"}

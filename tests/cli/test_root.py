"""The root command: `--version`, `--help` listing plugin commands, those commands, `--debug`."""

from __future__ import annotations

import pytest

from .conftest import Cli
from .helpers import FIRST_PARTY, assert_exit, assert_no_traceback, assert_one_error, shown

pytestmark = pytest.mark.venv


def test_version_prints_the_version_and_the_contract(cc: Cli) -> None:
    expected = cc.cli_env.run_python(
        "-c",
        "import importlib.metadata as m, cloudcraver_hookspecs as h; "
        "print(m.version('cloudcraver'), h.CONTRACT_VERSION)",
        home=cc.home,
        check=True,
    ).stdout.split()

    result = cc("--version", check=True)

    assert result.stdout.strip() == f"cloudcraver {expected[0]} (plugin contract {expected[1]})"
    assert result.stderr == ""
    assert cc.imported() == set()
    assert not cc.state_file.exists()


def test_help_lists_groups_and_manifest_commands_without_importing(cc: Cli) -> None:
    result = cc("--help", check=True)

    commands = result.stdout.split("Commands", 1)[-1]
    for name in ("plugin", "template", "validate", "config"):
        assert f" {name} " in commands, shown(result)
    assert "demo-hello" in commands and "Print a greeting (manifest-demo)." in commands
    for option in ("--version", "--debug", "--strict", "--safe-mode", "--env", "--config"):
        assert option in result.stdout
    assert "manifest-demo" not in cc.imported()
    assert cc.imported() == set(), "--help reads manifests only"
    assert_no_traceback(result)
    assert not cc.state_file.exists(), "--help writes nothing"


def test_help_works_with_a_broken_configuration(cc: Cli) -> None:
    cc.config_file.write_text("[host\n", encoding="utf-8")

    result = cc("--help", check=True)

    assert "plugin" in result.stdout and "validate" in result.stdout
    assert_no_traceback(result)


def test_short_help_option_works_too(cc: Cli) -> None:
    assert "Usage: cloudcraver" in cc("-h", check=True).stdout


def test_plugin_command_imports_its_plugin_when_run(cc: Cli) -> None:
    result = cc("demo-hello", "--name", "crew", check=True)

    assert result.stdout == "hello, crew!\n"
    assert "manifest-demo" in cc.imported()
    assert_no_traceback(result)


def test_plugin_command_sees_config_options(cc: Cli) -> None:
    result = cc(
        "--config",
        "plugins.manifest-demo.greeting=ahoy",
        "demo-hello",
        "--name",
        "crew",
        check=True,
    )
    assert result.stdout == "ahoy, crew!\n"

    short = cc("-c", "plugins.manifest-demo.greeting=ahoy", "demo-hello", check=True)
    assert short.stdout == "ahoy, world!\n"


def test_plugin_command_help_is_the_plugins(cc: Cli) -> None:
    result = cc("demo-hello", "--help", check=True)
    assert "--name" in result.stdout


def test_unknown_command_is_a_usage_error(cc: Cli) -> None:
    result = cc.only(*FIRST_PARTY)("no-such-command")
    assert_exit(result, 2)
    assert "no-such-command" in result.stderr
    assert_no_traceback(result)


def test_bad_config_option_is_one_error(cc: Cli) -> None:
    result = cc.only("policy")("--config", "nonsense", "plugin", "list")
    assert_one_error(result, 2, "--config", "KEY=VALUE", "nonsense")


# ---------------------------------------------------------------------------- --debug


def test_debug_shows_the_traceback_and_traces_of_a_failing_command(cc: Cli) -> None:
    args = ("template", "create", "aws-s3-bucket", "demo", "--set", "versioning=maybe")
    quiet = cc.only("aws-s3")(*args)
    assert_one_error(quiet, 2, "versioning", "--set versioning=maybe")

    loud = cc.only("aws-s3")("--debug", *args)

    assert_exit(loud, 2)
    assert "trace: " in loud.stderr, shown(loud)
    assert "trace: load aws-s3" in loud.stderr
    assert "Traceback (most recent call last)" in loud.stderr, (
        "--debug must print the traceback of the error" + shown(loud)
    )


def test_debug_shows_the_traceback_of_a_plugin_failure(cc: Cli, data) -> None:
    data("warning_only.yaml")
    quiet = cc.only("policy", "hook-fails")("validate", "warning_only.yaml")
    assert_no_traceback(quiet)

    loud = cc.only("policy", "hook-fails")("--debug", "validate", "warning_only.yaml")

    assert_exit(loud, 0)
    assert "Traceback (most recent call last)" in loud.stderr
    assert 'raise ValueError("hook-fails exploded")' in loud.stderr
    assert "trace: load hook-fails" in loud.stderr
    assert "trace: hook validate_document -> policy" in loud.stderr


def test_debug_from_the_environment(cc: Cli) -> None:
    result = cc.only("aws-s3")(
        "template", "create", "aws-s3-bucket", "demo", env={"CLOUDCRAVER_DEBUG": "1"}
    )
    assert_exit(result, 0)
    assert "trace: activate aws-s3" in result.stderr


def test_shell_completion_completes_commands_and_plugin_and_template_names(cc: Cli) -> None:
    def complete(words: str, index: int) -> list[str]:
        env = {
            "_CLOUDCRAVER_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(index),
        }
        return cc.with_env(**env)(check=True).stdout.split()

    assert complete("cloudcraver pl", 1) == ["plugin"]
    assert complete("cloudcraver plugin di", 2) == ["disable"]
    assert "manifest-demo" in complete("cloudcraver plugin info man", 3)
    assert complete("cloudcraver template create aws", 3) == ["aws-s3-bucket"]
    assert cc.imported() == set(), "completion reads manifests only"
    assert "bash" in cc("--show-completion", "bash", check=True).stdout

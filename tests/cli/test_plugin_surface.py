"""What people see of plugins that failed, are disabled, clash or are being worked on.

Failed and disabled plugins' templates and commands, built-in command names, a checkout
next to an installed copy, last failures, ``template info`` and help text.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support.harness import PLUGIN_PROJECTS

from .conftest import Cli
from .helpers import (
    assert_exit,
    assert_no_traceback,
    assert_one_error,
    by_name,
    shown,
    table_row,
    warning_lines,
)

pytestmark = pytest.mark.venv

Clone = Callable[[str, str, str], Path]


def package_of(checkout: Path) -> Path:
    return next(p for p in checkout.iterdir() if (p / "__init__.py").is_file())


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------------------- failed at load


def test_creating_a_template_of_a_plugin_that_failed_at_load_is_an_error(
    cc: Cli, clone_plugin: Clone
) -> None:
    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "broken-tpl")
    code = package_of(checkout) / "__init__.py"
    code.write_text(code.read_text("utf-8") + '\nraise RuntimeError("broken-tpl is broken")\n')
    runner = cc.only("broken-tpl").with_env(CLOUDCRAVER_PLUGIN_PATH=str(checkout.parent))

    result = runner("template", "create", "demo-bucket", "x")

    assert_exit(result, 3)
    assert_no_traceback(result)
    [warning] = warning_lines(result)
    assert "plugin 'broken-tpl' failed at load" in warning and "broken-tpl is broken" in warning
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: this command needs plugin 'broken-tpl', which failed at load "
        "(see the warning above)"
    ], shown(result)
    assert result.stdout == ""


# ---------------------------------------------------------------------------- disabled


def test_a_disabled_plugins_template_and_command_say_how_to_enable_it(cc: Cli) -> None:
    cc("plugin", "disable", "manifest-demo", check=True)

    template = cc("template", "create", "demo-bucket", "x")
    info = cc.only("manifest-demo")("template", "info", "demo-bucket")
    command = cc("demo-hello", "--name", "you")

    enable = "cloudcraver plugin enable manifest-demo"
    assert_one_error(template, 2, "template 'demo-bucket'", "manifest-demo", "disabled", enable)
    assert_one_error(info, 2, "template 'demo-bucket'", "disabled", enable)
    assert_one_error(command, 2, "command 'demo-hello'", "manifest-demo", "disabled", enable)
    assert "No such command" not in command.stderr
    assert "manifest-demo" not in cc.imported()


def test_a_template_left_out_by_safe_mode_says_so(cc: Cli) -> None:
    result = cc("--safe-mode", "template", "create", "demo-bucket", "x")

    assert_one_error(result, 2, "template 'demo-bucket'", "manifest-demo", "safe mode")


# ---------------------------------------------------------------------------- built-in names


def test_a_plugin_command_named_like_a_built_in_is_refused_with_a_warning(
    cc: Cli, clone_plugin: Clone, data
) -> None:
    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "clash")
    package = package_of(checkout)
    edit(package / "cloudcraver_plugin.toml", 'name = "demo-hello"', 'name = "validate"')
    edit(
        package / "__init__.py",
        'CommandContribution("demo-hello"',
        'CommandContribution("validate"',
    )
    data("insecure.yaml")
    runner = cc.only("policy", "clash").with_env(CLOUDCRAVER_PLUGIN_PATH=str(checkout.parent))

    result = runner("validate", "insecure.yaml", "--format", "json")

    assert_exit(result, 1)  # the built-in validate ran
    assert json.loads(result.stdout)["summary"]["files"] == 1
    warnings = [w for w in warning_lines(result) if "'clash'" in w]
    assert len(warnings) == 1, shown(result)
    assert "command 'validate'" in warnings[0] and "built-in" in warnings[0]


# ---------------------------------------------------------------------------- checkout wins


def test_a_checkout_on_the_plugin_path_wins_over_the_same_installed_version(cc: Cli) -> None:
    folder = cc.home.parent / "checkouts"
    checkout = Path(
        shutil.copytree(
            PLUGIN_PROJECTS / "cc-test-manifest",
            folder / "cc-test-manifest",
            ignore=shutil.ignore_patterns("__pycache__", "build"),
        )
    )
    edit(
        checkout / "cc_test_manifest" / "__init__.py",
        'f"{greeting}, {name}!"',
        'f"{name} from the checkout"',
    )
    runner = cc.with_env(CLOUDCRAVER_PLUGIN_PATH=str(folder))

    listed = runner("plugin", "list", "--json", check=True)
    hello = runner("demo-hello", "--name", "you", check=True)

    entry = by_name(json.loads(listed.stdout))["manifest-demo"]
    assert (entry["version"], entry["kind"], entry["location"]) == (
        "1.0.0",
        "checkout",
        str(checkout),
    )
    [warning] = [w for w in warning_lines(listed) if "two plugins named 'manifest-demo'" in w]
    assert f"using 1.0.0 from {checkout}" in warning
    assert "ignoring 1.0.0 from" in warning and "site-packages" in warning
    assert hello.stdout == "you from the checkout\n"


# ---------------------------------------------------------------------------- last failures


def test_a_failure_of_an_earlier_run_is_cleared_once_the_plugin_loads_cleanly(
    cc: Cli, clone_plugin: Clone
) -> None:
    checkout = clone_plugin("cc-test-broken", "broken-import", "mended")
    runner = cc.only("mended").with_env(CLOUDCRAVER_PLUGIN_PATH=str(checkout.parent))
    runner("plugin", "list", "--load", check=True)
    before = runner("plugin", "list", check=True)
    assert "failed at load (last run)" in table_row(before.stdout, "mended")

    edit(package_of(checkout) / "__init__.py", "raise RuntimeError", "MENDED = RuntimeError")
    loaded = runner("plugin", "list", "--load", check=True)
    after = runner("plugin", "list", check=True)

    assert "loaded" in table_row(loaded.stdout, "mended")
    row = table_row(after.stdout, "mended")
    assert "failed" not in row and "registered" in row, after.stdout
    assert runner.json("plugin", "info", "mended", "--json")["last_failure"] is None


# ---------------------------------------------------------------------------- help and info


def test_template_info_shows_choices_nullable_types_and_nested_fields(cc: Cli) -> None:
    result = cc.only("aws-s3")("template", "info", "aws-s3-bucket", check=True)
    lines = {
        line.strip().split(":", 1)[0]: line.strip().split(":", 1)[1]
        for line in result.stdout.split("\nJSON schema:")[0].splitlines()
        if line.startswith("  ")
    }

    assert lines["encryption"].startswith(' one of sse-s3, sse-kms, dsse-kms default "sse-s3"')
    assert lines["bucket_name"].startswith(" string or null default null")
    assert lines["update_replace_policy"].startswith(" (one of Retain, Delete) or null")
    assert lines["access_logging.enabled"].startswith(" boolean default true")
    assert lines["cors[].allowed_methods"].startswith(" list of one of GET, PUT")
    assert lines["tags"].startswith(" table of string")
    assert lines["versioning"].startswith(" boolean default true")


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["template", "create", "--help"],
        ["validate", "--help"],
        ["demo-hello", "--help"],
    ],
)
def test_help_shows_click_style_metavars(cc: Cli, argv: list[str]) -> None:
    result = cc(*argv, check=True)

    assert "<" not in result.stdout and "list[" not in result.stdout, result.stdout
    assert "{" not in result.stdout.splitlines()[0]


def test_help_metavars(cc: Cli) -> None:
    create = cc("template", "create", "--help", check=True).stdout
    validate = cc("validate", "--help", check=True).stdout

    assert "Usage: cloudcraver template create [OPTIONS] TEMPLATE NAME" in create
    assert "-s, --set TEXT" in create and "--params PATH" in create
    assert "-f, --format [text|json|sarif]" in validate
    assert "FILES..." in validate


def test_a_plugin_typer_app_has_plain_help_off_a_terminal(cc: Cli, clone_plugin: Clone) -> None:
    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "subapp")
    code = package_of(checkout) / "__init__.py"
    edit(
        code,
        "    return [CommandContribution(",
        "    group = typer.Typer(help='Sub-app of a plugin.')\n"
        "    group.command('hello', help='Say [bold]hello[/bold].')(demo_hello)\n"
        "    return [CommandContribution('subapp-group', 'A group.', group), CommandContribution(",
    )
    edit(
        package_of(checkout) / "cloudcraver_plugin.toml",
        "[[commands]]\n",
        '[[commands]]\nname = "subapp-group"\nhelp = "A group."\n\n[[commands]]\n',
    )
    runner = cc.only("subapp").with_env(CLOUDCRAVER_PLUGIN_PATH=str(checkout.parent))

    result = runner("subapp-group", "--help", check=True)
    hello = runner("subapp-group", "hello", "--help", check=True)

    for text in (result.stdout, hello.stdout):
        assert not set(text) & set("╭─╮│╰╯"), text  # no rich panels
    assert "Usage: cloudcraver subapp-group" in result.stdout
    assert "--name TEXT" in hello.stdout

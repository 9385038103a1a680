"""Hostile values in configuration, project files, manifests and parameters (issue 9, loose ends).

Integers too long for Python to read, parameters nested thousands of levels deep, a
``cloudcraver.toml`` that is not a regular file, control characters in configured text:
each is built here and given to the real ``cloudcraver``; each must be a one-line input
error (or escaped text), never an internal error or a hang.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Cli
from .helpers import (
    FIRST_PARTY,
    assert_bad_manifest_fails_only_its_plugin,
    assert_exit,
    assert_no_traceback,
    assert_one_error,
    shown,
)

pytestmark = pytest.mark.venv

#: An integer of 5,000 digits: over the 4,300 Python reads or prints.
LONG = "9" * 5000
#: The words the host uses for it.
TOO_LONG = ("5,000 digits", "over the 4,300 digits accepted", "quote it")


@pytest.fixture
def policy(cc: Cli) -> Cli:
    """The first-party plugins only."""
    return cc.only(*FIRST_PARTY)


# ------------------------------------------------------------ integers Python cannot read


@pytest.mark.parametrize("file", ["config.toml", "project/cloudcraver.toml"])
def test_a_long_integer_in_a_configuration_file_is_an_input_error(policy: Cli, file: str) -> None:
    project = policy.home / "project"
    (project / ".git").mkdir(parents=True)  # a repository: its cloudcraver.toml applies
    (policy.home / file).write_text(f"[plugins.policy]\nn = {LONG}\n", encoding="utf-8")

    for args in (["plugin", "list"], ["--safe-mode", "config", "show"]):
        result = policy(*args, cwd=project)
        assert_one_error(result, 2, Path(file).name, *TOO_LONG)


def test_a_long_hexadecimal_integer_is_refused_too(policy: Cli) -> None:
    # Python reads 0xfff... without a limit, but cannot print it in decimal.
    policy.config_file.write_text(f"[plugins.policy]\nn = 0x{'f' * 4000}\n", encoding="utf-8")

    result = policy("config", "show")

    assert_one_error(result, 2, "config.toml", "4,817 digits", "quote it")


def test_a_long_integer_on_the_command_line_is_an_input_error(policy: Cli) -> None:
    created = policy("template", "create", "aws-s3-bucket", "demo", "--set", f"x={LONG}")
    assert_one_error(created, 2, "--set x:", *TOO_LONG)
    assert len(created.stderr) < 1000, "the value is not echoed whole"

    configured = policy("-c", f"plugins.policy.n=[{LONG}]", "plugin", "list")
    assert_one_error(configured, 2, "--config plugins.policy.n:", *TOO_LONG)

    environment = policy("plugin", "list", env={"CLOUDCRAVER_PLUGINS__POLICY__N": f"[{LONG}]"})
    assert_one_error(environment, 2, "CLOUDCRAVER_PLUGINS__POLICY__N", *TOO_LONG)

    setting = policy("config", "set", "host.call_timeout", LONG)
    assert_one_error(setting, 2, "cannot set host.call_timeout", *TOO_LONG, "unchanged")
    assert not policy.config_file.exists()

    as_text = policy("-c", f"host.max_document_bytes={LONG}", "plugin", "list")
    assert_one_error(as_text, 2, "host.max_document_bytes", *TOO_LONG)
    assert len(as_text.stderr) < 1200, "the value is not echoed whole"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("params.json", f'{{"x": {LONG}}}'),
        ("params.yaml", f"x: {LONG}\n"),
        ("params.toml", f"x = {LONG}\n"),
        ("hex.yaml", f"x: 0x{'f' * 4200}\n"),
    ],
)
def test_a_long_integer_in_params_is_an_input_error_in_our_words(
    policy: Cli, name: str, text: str
) -> None:
    (policy.home / name).write_text(text, encoding="utf-8")

    result = policy("template", "create", "aws-s3-bucket", "demo", "--params", name)

    line = assert_one_error(result, 2, f"--params {name}", "digits accepted", "quote it")
    assert "set_int_max_str_digits" not in line and "Exceeds the limit" not in line


def test_a_long_integer_in_a_manifest_fails_that_plugin_only(
    cc: Cli, clone_plugin: Callable[[str, str, str], Path], tmp_path: Path
) -> None:
    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "long-manifest")
    assert_bad_manifest_fails_only_its_plugin(
        cc,
        checkout,
        tmp_path / "plugin-path",
        "long-manifest",
        f"\n[long]\nvalue = {LONG}\n",
        "5,000 digits",
    )


# ------------------------------------------------------------ parameters nested too deeply


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("deep.yaml", "x: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("deep.toml", "x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("under-the-stack.json", '{"tags": ' + "[" * 900 + "]" * 900 + "}"),
    ],
)
def test_params_nested_too_deeply_are_an_input_error(policy: Cli, name: str, text: str) -> None:
    (policy.home / name).write_text(text, encoding="utf-8")

    result = policy("template", "create", "aws-s3-bucket", "demo", "--params", name)

    line = assert_one_error(result, 2, f"--params {name}", "nested more than 64 levels deep")
    assert "recursion" not in line


def test_a_yaml_alias_bomb_in_params_is_not_expanded_by_the_checks(policy: Cli) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (policy.home / "bomb.yaml").write_text("\n".join([*lines, "tags: *a9", ""]), "utf-8")

    result = policy(
        "template", "create", "aws-s3-bucket", "demo", "--params", "bomb.yaml", timeout=30
    )

    assert_exit(result, 2)  # the template's own model refuses it, quickly
    assert_no_traceback(result)
    assert "parameter" in result.stderr, shown(result)


# ------------------------------------------------- a project file that is not a regular file


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("kind", ["fifo", "device link", "folder"])
def test_a_project_file_that_is_not_a_regular_file_is_refused(policy: Cli, kind: str) -> None:
    project = policy.home / "project"
    (project / ".git").mkdir(parents=True)
    candidate = project / "cloudcraver.toml"
    if kind == "fifo":
        os.mkfifo(candidate)  # opened for reading, it would block for ever
        needle = "FIFO"
    elif kind == "device link":
        candidate.symlink_to("/dev/zero")  # read, it would never end
        needle = "character device"
    else:
        candidate.mkdir()
        needle = "folder"

    for args in (["plugin", "list"], ["--safe-mode", "config", "show"], ["trust"]):
        result = policy(*args, cwd=project, timeout=20)
        assert_one_error(result, 2, str(candidate), needle, "not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_pyproject_that_is_a_fifo_is_skipped_with_a_warning(policy: Cli) -> None:
    project = policy.home / "project"
    (project / ".git").mkdir(parents=True)
    os.mkfifo(project / "pyproject.toml")  # may belong to another tool: not our error

    result = policy("plugin", "list", cwd=project, timeout=20)

    assert_exit(result, 0)
    assert "pyproject.toml" in result.stderr and "FIFO" in result.stderr, shown(result)


# ------------------------------------------------------ control characters in configured text

#: C1 controls (NEL, CSI), bidi overrides and isolates, a line separator, ESC.
CONTROLS = "\x85\x9b\u202e\u2066\u2028\x1b"


def raw_controls(text: str) -> list[str]:
    return [char for char in text if char in CONTROLS]


def test_config_show_and_get_escape_control_characters(policy: Cli) -> None:
    policy.config_file.write_text(
        '[plugins.policy]\nname = "ok\\u0085\\u009b31m\\u202eevil\\u2066\\u2028\\u001b[2J"\n'
        '"key\\u202e" = "v"\n',
        encoding="utf-8",
    )

    runs = [
        policy("config", "show"),
        policy("config", "show", "--origins"),
        policy("config", "get", "plugins.policy.name"),
        policy("config", "get", "plugins.policy"),
    ]

    for result in runs:
        assert_exit(result, 0)
        assert raw_controls(result.stdout) == [], shown(result)
    assert "\\u202e" in runs[0].stdout and "\\x85" in runs[2].stdout
    as_json = policy.json("config", "get", "plugins.policy.name", "--json")
    assert as_json["value"] == "ok\x85\x9b31m\u202eevil\u2066\u2028\x1b[2J"  # escaped by json


def test_config_set_writes_controls_as_escapes_that_read_back_the_same(policy: Cli) -> None:
    value = '"a\u202eb\x85c"'  # as in TOML: a string

    result = policy("config", "set", "plugins.nobody.name", value)

    assert_exit(result, 0)
    assert raw_controls(result.stdout) == [], shown(result)
    written = policy.config_file.read_text(encoding="utf-8")
    assert raw_controls(written) == [] and "\\u202e" in written, written
    assert policy.json("config", "get", "plugins.nobody.name", "--json")["value"] == "a\u202eb\x85c"

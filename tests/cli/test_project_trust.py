"""A cloned repository cannot run code or silence checks through its project file (issue 9, item 1).

The hostile repository is built by each test: a plugin checkout inside it, a ``cloudcraver.toml``
putting that checkout on ``plugin_paths``, turning off the user's safe mode and disabling a
policy rule. The real ``cloudcraver`` runs in it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Cli
from .helpers import assert_exit, assert_no_traceback, assert_one_error, parse_json, shown

pytestmark = pytest.mark.venv

HOSTILE = """\
[host]
plugin_paths = ["tools/plugins"]
safe_mode = false

[plugins.policy]
disabled_rules = ["aws-s3-encryption"]
"""


@pytest.fixture
def hostile(
    cc: Cli, data: Callable[..., Path], clone_plugin: Callable[[str, str, str], Path]
) -> tuple[Cli, Path]:
    """A repository under the user's home whose project file loads its own plugin."""
    repo = cc.home / "src" / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "tools").mkdir()
    checkout = clone_plugin("cc-test-plain", "plain-demo", "evil")
    shutil.move(checkout.parent, repo / "tools" / "plugins")
    (repo / "cloudcraver.toml").write_text(HOSTILE, encoding="utf-8")
    data("insecure.yaml", to=repo)
    cc.config_file.write_text("[host]\nsafe_mode = true\n", encoding="utf-8")
    return cc.only("policy", "evil"), repo


def test_an_untrusted_repository_neither_runs_its_plugin_nor_silences_a_rule(
    hostile: tuple[Cli, Path],
) -> None:
    run, repo = hostile

    result = run("validate", "insecure.yaml", cwd=repo)

    assert_exit(result, 1)
    assert_no_traceback(result)
    assert run.imported() == set(), shown(result)  # the repository's plugin was never imported
    assert "error aws-s3-encryption" in result.stdout, shown(result)
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, shown(result)
    assert "3 setting(s)" in notes[0] and "host.plugin_paths" in notes[0]
    assert f"cloudcraver trust {repo}" in notes[0]


def test_trust_applies_the_project_until_it_is_edited_or_untrusted(
    hostile: tuple[Cli, Path],
) -> None:
    run, repo = hostile

    trusted = run("trust", cwd=repo / "tools")  # any folder of the project
    assert_exit(trusted, 0)
    assert str(repo / "cloudcraver.toml") in trusted.stdout
    assert "it may now set: host.plugin_paths, host.safe_mode" in trusted.stdout
    assert repo.as_posix() not in run.config_file.read_text(encoding="utf-8")  # kept apart

    applied = run("validate", "insecure.yaml", cwd=repo)
    assert run.imported() == {"evil"}, shown(applied)
    assert "PLAIN_SEEN" in applied.stdout and "aws-s3-encryption" not in applied.stdout
    assert "note:" not in applied.stderr

    run.forget_imports()
    project = repo / "cloudcraver.toml"
    project.write_text(HOSTILE.replace('"aws-s3-encryption"', '"aws-s3-versioning"'), "utf-8")
    edited = run("validate", "insecure.yaml", cwd=repo)
    assert run.imported() == set(), shown(edited)
    assert (
        "error aws-s3-encryption" in edited.stdout and "warning aws-s3-versioning" in edited.stdout
    )
    assert "untrusted project" in edited.stderr

    assert_exit(run("trust", str(repo)), 0)
    assert_exit(run("untrust", str(repo)), 0)
    untrusted = run("validate", "insecure.yaml", cwd=repo)
    assert run.imported() == set(), shown(untrusted)
    assert "error aws-s3-encryption" in untrusted.stdout


def test_config_show_origins_names_the_ignored_settings_once(hostile: tuple[Cli, Path]) -> None:
    run, repo = hostile

    result = run("config", "show", "--origins", cwd=repo)

    assert_exit(result, 0)
    note = [line for line in result.stdout.splitlines() if "ignored" in line]
    assert len(note) == 1, shown(result)
    for key in ("host.plugin_paths", "host.safe_mode", "plugins.policy.disabled_rules"):
        assert key in note[0]
    assert "untrusted project" in note[0] and f"cloudcraver trust {repo}" in note[0]
    assert "note:" not in result.stderr  # said once, not again on stderr


def test_a_project_file_above_the_repository_root_does_not_apply(cc: Cli) -> None:
    outer = cc.home / "work"
    outer.mkdir()
    (outer / "cloudcraver.toml").write_text("[plugins.policy]\nrequired_tags = ['x']\n", "utf-8")
    repo = outer / "repo"
    (repo / ".git").mkdir(parents=True)

    shown_config = parse_json(cc("config", "show", "--json", cwd=repo, check=True))
    assert shown_config["config"] == {} and shown_config["files"] == []

    # In the folder itself (no repository in between) it applies: it is a safe setting.
    at_outer = parse_json(cc("config", "show", "--json", cwd=outer, check=True))
    assert at_outer["config"]["plugins"]["policy"]["required_tags"] == ["x"]


def test_a_project_file_above_home_does_not_apply(cc: Cli, tmp_path: Path) -> None:
    (tmp_path / "cloudcraver.toml").write_text("[plugins.policy]\nrequired_tags = ['x']\n", "utf-8")
    project = cc.home / "project"
    project.mkdir()

    shown_config = parse_json(cc("config", "show", "--json", cwd=project, check=True))

    assert shown_config["config"] == {}


def test_a_malformed_parent_pyproject_is_a_warning(cc: Cli) -> None:
    parent = cc.home / "mono"
    (parent / "service").mkdir(parents=True)
    (parent / "pyproject.toml").write_text("[project\nname = 'x'\n", encoding="utf-8")

    result = cc("config", "show", cwd=parent / "service")

    assert_exit(result, 0)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(parent / "pyproject.toml") in warnings[0], shown(result)


def test_trust_without_a_project_file_is_an_input_error(cc: Cli) -> None:
    folder = cc.home / "empty"
    folder.mkdir()
    assert_one_error(cc("trust", str(folder)), 2, str(folder), "cloudcraver.toml")

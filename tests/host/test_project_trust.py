"""Untrusted project files: what they may set, trust by path and digest, where search stops."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudcraver_host.config import load_config, project_search_folders
from cloudcraver_host.errors import ConfigError
from cloudcraver_host.trust import TrustStore, settings_digest

HOSTILE = """\
[host]
plugin_paths = ["evil-plugins"]
safe_mode = false
strict = false
only = ["aws-s3"]
max_document_bytes = 1
update_policy = "major"

[plugins.policy]
disabled_rules = ["aws-s3-encryption"]
severity = {aws-s3-versioning = "info"}
required_tags = ["owner"]
name_pattern = "^x.*$"

[plugins.third]
skip_checks = ["all"]
ignore-paths = ["."]
endpoint_url = "https://collector.example"
owner_tag = "${AWS_SECRET_ACCESS_KEY}"
level = 3

[env.ci.host]
plugin_paths = ["more-evil"]

[env.ci.plugins.policy]
disabled_rules = ["aws-s3-versioning"]
allowed_regions = ["eu-west-1"]
"""

USER = """\
[host]
safe_mode = true
strict = true

[plugins.policy]
name_pattern = "^acme-.*$"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> dict[str, Path]:
    """A user home with its own settings and a cloned repository holding a hostile file."""
    home = tmp_path / "home"
    user = write(home / "config" / "config.toml", USER)
    project = write(home / "src" / "repo" / "cloudcraver.toml", HOSTILE)
    (project.parent / ".git").mkdir()
    cwd = project.parent / "stacks"
    cwd.mkdir()
    return {"home": home, "user": user, "project": project, "cwd": cwd}


def load(repo: dict[str, Path], *, trust: TrustStore | None, env_name: str | None = None):  # type: ignore[no-untyped-def]
    return load_config(
        user_file=repo["user"],
        cwd=repo["cwd"],
        environ={},
        env_name=env_name,
        trust=trust,
        home=repo["home"],
    )


def test_an_untrusted_project_applies_only_what_cannot_run_code_or_weaken(
    repo: dict[str, Path], tmp_path: Path
) -> None:
    config = load(repo, trust=TrustStore(tmp_path / "trusted.toml"))

    settings = config.host_settings()
    assert settings.plugin_paths == ()
    assert settings.safe_mode is True and settings.strict is True  # the user's, not the repo's
    assert settings.only is None and settings.max_document_bytes == 5 * 1024 * 1024
    policy = config.plugin_section("policy")
    assert policy == {"required_tags": ["owner"], "name_pattern": "^acme-.*$"}
    assert config.plugin_section("third") == {"level": 3}
    assert set(config.ignored) == {
        "host.plugin_paths",
        "host.safe_mode",
        "host.strict",
        "host.only",
        "host.max_document_bytes",
        "host.update_policy",
        "plugins.policy.disabled_rules",
        "plugins.policy.severity",
        "plugins.policy.name_pattern",  # the user set it: a project never overrides the user
        "plugins.third.skip_checks",
        "plugins.third.ignore-paths",
        "plugins.third.endpoint_url",
        "plugins.third.owner_tag",  # would copy the user's secret into findings or files
        "env.ci.host.plugin_paths",
        "env.ci.plugins.policy.disabled_rules",
    }
    note = config.ignored_note()
    assert note is not None and note.count("\n") == 0
    assert f"15 setting(s) in {repo['project']} ignored" in note
    assert f"cloudcraver trust {repo['project'].parent}" in note


def test_an_untrusted_environment_section_is_filtered_the_same_way(
    repo: dict[str, Path], tmp_path: Path
) -> None:
    config = load(repo, trust=TrustStore(tmp_path / "trusted.toml"), env_name="ci")

    assert config.host_settings().plugin_paths == ()
    assert config.plugin_section("policy")["allowed_regions"] == ["eu-west-1"]
    assert "disabled_rules" not in config.plugin_section("policy")


def test_strict_and_safe_mode_true_apply_from_an_untrusted_project(tmp_path: Path) -> None:
    project = write(
        tmp_path / "repo" / "cloudcraver.toml", "[host]\nstrict = true\nsafe_mode = true\n"
    )
    (project.parent / ".git").mkdir()
    config = load_config(
        user_file=tmp_path / "none.toml",
        cwd=project.parent,
        environ={},
        trust=TrustStore(tmp_path / "trusted.toml"),
        home=tmp_path,
    )
    assert config.host_settings().strict and config.host_settings().safe_mode
    assert config.ignored == () and config.ignored_note() is None


def test_trust_applies_everything_until_a_setting_changes(
    repo: dict[str, Path], tmp_path: Path
) -> None:
    store = TrustStore(tmp_path / "trusted.toml")
    from cloudcraver_host.config import find_project_config

    found = find_project_config(repo["cwd"], home=repo["home"])
    assert found is not None
    store.trust(found[0], settings_digest(found[1]))

    trusted = load(repo, trust=store)
    assert trusted.ignored == ()
    assert trusted.host_settings().plugin_paths == (repo["project"].parent / "evil-plugins",)
    assert trusted.plugin_section("policy")["disabled_rules"] == ["aws-s3-encryption"]

    # A comment is not a setting: still trusted.
    write(repo["project"], "# reviewed\n" + HOSTILE)
    assert load(repo, trust=store).ignored == ()

    # One setting more: untrusted again, until trusted anew.
    write(repo["project"], HOSTILE.replace('"evil-plugins"', '"evil-plugins", "/x"'))
    again = load(repo, trust=store)
    assert again.host_settings().plugin_paths == ()
    assert "host.plugin_paths" in again.ignored

    assert store.untrust(repo["project"]) is True
    assert store.untrust(repo["project"]) is False


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / "work" / "cloudcraver.toml", "[plugins.demo]\nlimit = 1\n")
    repo = tmp_path / "work" / "repo"
    (repo / ".git").mkdir(parents=True)
    cwd = repo / "a"
    cwd.mkdir()

    config = load_config(user_file=tmp_path / "none.toml", cwd=cwd, environ={}, home=tmp_path)

    assert config.project_file is None
    assert project_search_folders(cwd, tmp_path) == [cwd, repo]


def test_the_search_stops_at_the_home_folder(tmp_path: Path) -> None:
    write(tmp_path / "cloudcraver.toml", "[plugins.demo]\nlimit = 1\n")
    home = tmp_path / "home"
    cwd = home / "project"
    cwd.mkdir(parents=True)

    config = load_config(user_file=tmp_path / "none.toml", cwd=cwd, environ={}, home=home)

    assert config.project_file is None
    assert project_search_folders(cwd, home) == [cwd, home]


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX permission bits (world-writable)")
def test_a_shared_world_writable_folder_is_not_searched(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    write(shared / "cloudcraver.toml", "[plugins.demo]\nlimit = 1\n")
    shared.chmod(0o1777)
    cwd = shared / "me" / "work"
    cwd.mkdir(parents=True)

    config = load_config(
        user_file=tmp_path / "none.toml", cwd=cwd, environ={}, home=tmp_path / "elsewhere"
    )

    assert config.project_file is None
    assert shared not in project_search_folders(cwd, tmp_path / "elsewhere")


def test_a_malformed_parent_pyproject_is_skipped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path / "outer" / "pyproject.toml", "[project\nname = 'x'\n")
    cwd = tmp_path / "outer" / "inner"
    write(cwd / "pyproject.toml", "[tool.cloudcraver.plugins.demo]\nlimit = 2\n")
    other = tmp_path / "outer" / "other"
    other.mkdir()

    found = load_config(user_file=tmp_path / "none.toml", cwd=cwd, environ={}, home=tmp_path)
    assert found.plugin_section("demo") == {"limit": 2} and found.warnings == ()

    skipped = load_config(user_file=tmp_path / "none.toml", cwd=other, environ={}, home=tmp_path)
    assert skipped.project_file is None
    assert len(skipped.warnings) == 1
    assert str(tmp_path / "outer" / "pyproject.toml") in skipped.warnings[0]
    assert "invalid TOML" in skipped.warnings[0]


def test_a_malformed_cloudcraver_toml_stays_an_error(tmp_path: Path) -> None:
    write(tmp_path / "outer" / "cloudcraver.toml", "[plugins\n")
    cwd = tmp_path / "outer" / "inner"
    cwd.mkdir()
    with pytest.raises(ConfigError, match=r"cloudcraver\.toml: invalid TOML"):
        load_config(user_file=tmp_path / "none.toml", cwd=cwd, environ={}, home=tmp_path)


def test_a_malformed_trust_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    from cloudcraver_host.errors import StateFileError

    trusted = write(tmp_path / "trusted.toml", "projects = 5\n")
    store = TrustStore(trusted)
    with pytest.raises(StateFileError, match="delete the file") as raised:
        store.is_trusted(tmp_path / "cloudcraver.toml", "0" * 64)
    assert raised.value.exit_code == 2 and str(trusted) in str(raised.value)
    with pytest.raises(StateFileError):
        store.trust(tmp_path / "cloudcraver.toml", "0" * 64)
    assert trusted.read_text(encoding="utf-8") == "projects = 5\n"

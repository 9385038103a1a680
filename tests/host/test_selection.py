"""Which plugins may run: safe mode and CLOUDCRAVER_PLUGINS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import Finding, InfrastructureDocument, Severity, hookimpl
from support.inprocess import imported, make_host

from cloudcraver_host.lifecycle import PluginStatus

DOC = InfrastructureDocument(path="stack.json", format="cloudformation", data={"Demo": 1})
Project = Callable[[str], Path]
PROJECTS = ["cc-test-manifest", "cc-test-plain", "cc-test-base", "cc-test-child", "cc-test-broken"]


class Builtin:
    @hookimpl
    def validate_document(self, document: Any) -> list[Finding]:
        return [Finding("BUILTIN", Severity.INFO, "first-party rule")]


def rule_ids(results: list[list[Finding]]) -> list[str]:
    return sorted(finding.rule_id for findings in results for finding in findings)


def test_safe_mode_loads_no_third_party_plugin(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    host = make_host(
        tmp_path, paths=[project(n) for n in PROJECTS], environ={"CLOUDCRAVER_SAFE_MODE": "1"}
    )
    host.register(Builtin(), "builtin")  # registered by the application: first-party
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["BUILTIN"]
    assert host.hook.contribute_commands() == []
    assert imported(marker_dir) == set()
    assert host.failures == []
    for info in host.plugins():
        if info.name != "builtin":
            assert info.blocked is not None and "safe mode" in info.blocked
            assert info.status is PluginStatus.DISCOVERED


def test_plugins_variable_loads_only_the_listed_plugins(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    host = make_host(
        tmp_path,
        paths=[project(n) for n in PROJECTS],
        environ={"CLOUDCRAVER_PLUGINS": "manifest-demo,dep-base,not-installed"},
    )
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["BASE_SEEN", "DEMO_KEY"]
    assert imported(marker_dir) == {"manifest-demo", "dep-base"}
    assert "not listed in CLOUDCRAVER_PLUGINS" in (host.info("plain-demo").blocked or "")
    [warning] = host.warnings
    assert "CLOUDCRAVER_PLUGINS" in warning and "'not-installed'" in warning


def test_a_listed_plugin_whose_dependency_is_not_listed_says_so(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    host = make_host(
        tmp_path,
        paths=[project("cc-test-base"), project("cc-test-child")],
        environ={"CLOUDCRAVER_PLUGINS": "dep-child"},
    )
    assert host.hook.validate_document(document=DOC) == []
    failure = host.info("dep-child").failure
    assert failure is not None
    assert "requires plugin 'dep-base'" in failure.reason
    assert "not listed in CLOUDCRAVER_PLUGINS" in failure.reason
    assert imported(marker_dir) == set()


def test_empty_plugins_variable_loads_none(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    host = make_host(
        tmp_path, paths=[project(n) for n in PROJECTS], environ={"CLOUDCRAVER_PLUGINS": ""}
    )
    assert host.hook.validate_document(document=DOC) == []
    assert imported(marker_dir) == set()
    assert host.failures == []
    assert len(host.plugins()) == len(PROJECTS)
    for info in host.plugins():
        assert "not listed in CLOUDCRAVER_PLUGINS" in (info.blocked or ""), info


def test_plugin_names_match_whatever_the_case_and_separators(
    tmp_path: Path, project: Project
) -> None:
    host = make_host(
        tmp_path, paths=[project("cc-test-plain")], environ={"CLOUDCRAVER_PLUGINS": "Plain_Demo"}
    )
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["PLAIN_SEEN"]
    assert host.info("PLAIN.demo").name == "plain-demo"


def test_host_from_environment_reads_home_variables_and_project(
    tmp_path: Path, project: Project, monkeypatch: Any
) -> None:
    from cloudcraver_host.host import PluginHost

    home, repo = tmp_path / "home", tmp_path / "repo"
    repo.mkdir()
    (repo / "cloudcraver.toml").write_text(
        '[host]\nplugin_paths = ["../checkouts"]\n[plugins.manifest-demo]\ngreeting = "ahoy"\n'
    )
    project("cc-test-manifest")
    project("cc-test-plain")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CLOUDCRAVER_HOME", str(home))
    monkeypatch.setenv("CLOUDCRAVER_PLUGINS", "manifest-demo")
    # Untrusted (issue 9): the project's plugin_paths are ignored, its safe settings apply.
    untrusted = PluginHost.from_environment(environment=False)
    assert untrusted.names() == [] and untrusted.config.ignored == ("host.plugin_paths",)
    assert untrusted.config.plugin_section("manifest-demo") == {"greeting": "ahoy"}
    from cloudcraver_host.config import find_project_config
    from cloudcraver_host.trust import TrustStore, settings_digest

    found = find_project_config(repo)
    assert found is not None
    TrustStore(home / "trusted.toml").trust(found[0], settings_digest(found[1]))
    host = PluginHost.from_environment(environment=False)
    assert sorted(host.names()) == ["manifest-demo", "plain-demo"]
    assert host.info("plain-demo").blocked is not None
    host.disable("manifest-demo")
    assert "manifest-demo" in (home / "state.toml").read_text()
    host.enable("manifest-demo")
    assert host.config.plugin_section("manifest-demo") == {"greeting": "ahoy"}

"""Lazy loading, activation order, enable/disable at run time, dependency problems."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cloudcraver_hookspecs import (
    CONTRACT_VERSION,
    DocumentSource,
    Finding,
    InfrastructureDocument,
    Severity,
    hookimpl,
)
from support.inprocess import EventLog, imported, make_host

from cloudcraver_host.errors import PluginCallError, PluginFailedError
from cloudcraver_host.lifecycle import PluginStatus, Stage

DOC = InfrastructureDocument(path="stack.json", format="cloudformation", data={"Demo": 1})
SOURCE = DocumentSource(path="stack.json", text="{}")

Project = Callable[[str], Path]


def rule_ids(results: list[list[Finding]]) -> list[str]:
    return [finding.rule_id for findings in results for finding in findings]


def set_manifest_key(project: Path, package: str, line: str) -> None:
    manifest = project / package / "cloudcraver_plugin.toml"
    manifest.write_text(manifest.read_text() + line + "\n")


# ---------------------------------------------------------------------------- lazy loading


def test_starting_the_host_imports_nothing(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    names = ["cc-test-manifest", "cc-test-plain", "cc-test-base", "cc-test-child"]
    host = make_host(tmp_path, paths=[project(n) for n in names])
    host.start()
    infos = {info.name: info for info in host.plugins()}
    assert sorted(infos) == ["dep-base", "dep-child", "manifest-demo", "plain-demo"]
    assert {info.status for info in infos.values()} == {PluginStatus.REGISTERED}
    # What the manifest says is known without importing anything.
    assert infos["manifest-demo"].templates == ("demo-bucket",)
    assert infos["manifest-demo"].commands == ("demo-hello",)
    assert infos["plain-demo"].hooks is None
    assert imported(marker_dir) == set()


def test_first_call_loads_only_the_plugins_implementing_the_hook(
    tmp_path: Path, project: Project, marker_dir: Path, event_log: EventLog
) -> None:
    names = ["cc-test-manifest", "cc-test-plain", "cc-test-base", "cc-test-async"]
    host = make_host(tmp_path, paths=[project(n) for n in names])

    # No manifest implements parse_document; plain-demo has no manifest, so it must be asked.
    assert host.hook.parse_document(source=SOURCE) is None
    assert imported(marker_dir) == {"plain-demo"}
    assert event_log.pairs() == []

    commands = host.hook.contribute_commands()
    assert [c.name for batch in commands for c in batch] == ["demo-hello"]
    assert imported(marker_dir) == {"plain-demo", "manifest-demo"}
    assert event_log.pairs() == [("activate", "manifest-demo")]
    assert {p.name for p in host.plugins() if p.status is PluginStatus.ACTIVATED} == {
        "manifest-demo",
        "plain-demo",
    }
    assert host.info("dep-base").status is PluginStatus.REGISTERED

    results = host.hook.validate_document(document=DOC)
    assert sorted(rule_ids(results)) == ["ASYNC_SEEN", "BASE_SEEN", "DEMO_KEY", "PLAIN_SEEN"]
    assert imported(marker_dir) == {"plain-demo", "manifest-demo", "dep-base", "async-demo"}
    host.close()


def test_activation_receives_the_validated_configuration(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    host = make_host(
        tmp_path,
        paths=[project("cc-test-manifest")],
        user='[plugins.manifest-demo]\ngreeting = "hi"\n',
    )
    host.activate("manifest-demo")
    [event] = event_log.events()
    assert event["config"] == {"greeting": "hi", "limit": 3}


def test_dependencies_activate_first_are_called_last_and_deactivate_last(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-child"), project("cc-test-base")])
    results = host.hook.validate_document(document=DOC)
    assert rule_ids(results) == ["CHILD_SEEN", "BASE_SEEN"]
    assert event_log.pairs() == [("activate", "dep-base"), ("activate", "dep-child")]
    host.close()
    assert event_log.pairs()[2:] == [("deactivate", "dep-child"), ("deactivate", "dep-base")]
    assert {p.status for p in host.plugins()} <= {PluginStatus.DEACTIVATED, PluginStatus.UNLOADED}


def test_activating_a_plugin_activates_what_it_requires(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-child"), project("cc-test-base")])
    assert host.activate("dep-child").status is PluginStatus.ACTIVATED
    assert host.is_active("dep-base")
    assert event_log.pairs() == [("activate", "dep-base"), ("activate", "dep-child")]


def test_async_lifecycle_of_a_real_plugin(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    async def main() -> Any:
        async with make_host(tmp_path, paths=[project("cc-test-async")]) as host:
            return await host.ahook.validate_document(document=DOC)

    assert rule_ids(asyncio.run(main())) == ["ASYNC_SEEN"]
    assert event_log.pairs() == [("activate", "async-demo"), ("deactivate", "async-demo")]


def test_sync_host_runs_async_activate_and_deactivate(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    with make_host(tmp_path, paths=[project("cc-test-async")]) as host:
        assert rule_ids(host.hook.validate_document(document=DOC)) == ["ASYNC_SEEN"]
    assert event_log.pairs() == [("activate", "async-demo"), ("deactivate", "async-demo")]
    assert host.failures == []


# ---------------------------------------------------------------------------- enable / disable


def test_disable_deactivates_at_once_and_the_relay_stops_calling(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    host = make_host(
        tmp_path, paths=[project("cc-test-manifest"), project("cc-test-plain")], state=True
    )
    assert sorted(rule_ids(host.hook.validate_document(document=DOC))) == ["DEMO_KEY", "PLAIN_SEEN"]

    info = host.disable("manifest-demo")
    assert event_log.pairs() == [("activate", "manifest-demo"), ("deactivate", "manifest-demo")]
    assert not info.enabled and not host.is_active("manifest-demo")
    assert "disabled" in (info.blocked or "")
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["PLAIN_SEEN"]
    assert host.hook.contribute_commands() == []

    host.enable("manifest-demo")
    assert sorted(rule_ids(host.hook.validate_document(document=DOC))) == ["DEMO_KEY", "PLAIN_SEEN"]
    assert event_log.pairs()[-1] == ("activate", "manifest-demo")
    assert host.failures == []
    host.close()


def test_disabled_state_persists_for_the_next_host(tmp_path: Path, project: Project) -> None:
    paths = [project("cc-test-manifest"), project("cc-test-plain")]
    make_host(tmp_path, paths=paths, state=True).disable("plain-demo")
    again = make_host(tmp_path, paths=paths, state=True)
    info = again.info("plain-demo")
    assert not info.enabled
    assert info.blocked is not None and info.blocked.startswith("disabled")
    assert "cloudcraver plugin enable plain-demo" in info.blocked  # says how to undo it
    assert rule_ids(again.hook.validate_document(document=DOC)) == ["DEMO_KEY"]
    again.enable("plain-demo")
    third = make_host(tmp_path, paths=paths, state=True)
    assert third.info("plain-demo").enabled


def test_disabling_a_required_plugin_stops_its_dependents_first(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-child"), project("cc-test-base")])
    host.hook.validate_document(document=DOC)
    host.disable("dep-base")
    assert event_log.pairs()[2:] == [("deactivate", "dep-child"), ("deactivate", "dep-base")]
    assert host.hook.validate_document(document=DOC) == []
    child = host.info("dep-child")
    assert child.failure is not None and "dep-base" in child.failure.reason

    host.enable("dep-base")
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["CHILD_SEEN", "BASE_SEEN"]


def test_async_disable_awaits_async_deactivate(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-async")])

    async def main() -> None:
        await host.ahook.validate_document(document=DOC)
        await host.adisable("async-demo")
        assert await host.ahook.validate_document(document=DOC) == []

    asyncio.run(main())
    assert event_log.pairs() == [("activate", "async-demo"), ("deactivate", "async-demo")]
    assert host.failures == []


def test_in_process_plugin_can_be_disabled_and_enabled(tmp_path: Path) -> None:
    events: list[str] = []

    class Tracked:
        @hookimpl
        def activate(self, config: Any) -> None:
            events.append("activate")

        @hookimpl
        def deactivate(self) -> None:
            events.append("deactivate")

        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            return [Finding("TRACKED", Severity.INFO, "seen")]

    host = make_host(tmp_path)
    host.register(Tracked(), "tracked")
    assert events == []  # registered, not activated until a hook is called
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["TRACKED"]
    host.disable("tracked")
    assert events == ["activate", "deactivate"]
    assert host.hook.validate_document(document=DOC) == []
    host.enable("tracked")
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["TRACKED"]
    assert events == ["activate", "deactivate", "activate"]


# ---------------------------------------------------------------------------- dependency problems


def test_dependency_cycle_is_reported_and_none_of_its_members_runs(
    tmp_path: Path, project: Project, marker_dir: Path, event_log: EventLog
) -> None:
    base = project("cc-test-base")
    set_manifest_key(base, "cc_test_base", 'requires = ["dep-child"]')
    host = make_host(tmp_path, paths=[base, project("cc-test-child"), project("cc-test-plain")])
    results = host.hook.validate_document(document=DOC)
    assert rule_ids(results) == ["PLAIN_SEEN"]
    failures = {f.plugin: f for f in host.failures}
    assert sorted(failures) == ["dep-base", "dep-child"]
    for failure in failures.values():
        assert failure.stage is Stage.VALIDATE
        assert "dependency cycle: dep-base -> dep-child -> dep-base" in failure.reason
    assert imported(marker_dir) == {"plain-demo"}
    assert event_log.pairs() == []


def test_missing_dependency_fails_with_its_name(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-child")])
    assert host.hook.validate_document(document=DOC) == []
    info = host.info("dep-child")
    assert info.status is PluginStatus.FAILED
    assert info.failure is not None and info.failure.stage is Stage.VALIDATE
    assert "requires plugin 'dep-base>=1.0'" in info.failure.reason
    assert "not installed" in info.failure.reason
    assert imported(marker_dir) == set()


def test_incompatible_dependency_version_fails_with_both_versions(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    child = project("cc-test-child")
    manifest = child / "cc_test_child" / "cloudcraver_plugin.toml"
    manifest.write_text(manifest.read_text().replace("dep-base>=1.0", "dep-base>=2.0"))
    host = make_host(tmp_path, paths=[child, project("cc-test-base")])
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["BASE_SEEN"]
    [failure] = host.failures
    assert failure.plugin == "dep-child"
    assert "requires plugin 'dep-base>=2.0'" in failure.reason
    assert "1.0.0 is installed" in failure.reason
    assert imported(marker_dir) == {"dep-base"}


def test_dependency_on_a_failed_plugin_fails_too(tmp_path: Path) -> None:
    class Broken:
        @hookimpl
        def activate(self, config: Any) -> None:
            raise RuntimeError("base is down")

        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            return []

    class Extension:
        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            return [Finding("EXT", Severity.INFO, "extension")]

    host = make_host(tmp_path)
    host.register(Broken(), "base")
    host.register(Extension(), "extension", requires=["base"])
    assert host.hook.validate_document(document=DOC) == []
    reasons = {f.plugin: f.reason for f in host.failures}
    assert reasons["base"] == "RuntimeError: base is down"
    assert "'base'" in reasons["extension"] and "failed" in reasons["extension"]


def test_incompatible_contract_is_refused_before_import(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-incompatible"), project("cc-test-plain")])
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["PLAIN_SEEN"]
    info = host.info("future-contract")
    assert info.status is PluginStatus.FAILED
    assert info.failure is not None and info.failure.stage is Stage.VALIDATE
    assert ">=2.0,<3" in info.failure.reason and CONTRACT_VERSION in info.failure.reason
    assert not (marker_dir / "future-contract.imported").exists()
    with pytest.raises(PluginFailedError, match=r">=2\.0,<3"):
        host.call_plugin("future-contract", "validate_document", document=DOC)
    assert not (marker_dir / "future-contract.imported").exists()


def test_contract_range_from_requires_dist_without_a_manifest(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    plain = project("cc-test-plain")
    pyproject = plain / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "cloudcraver-hookspecs>=1.0,<2", "cloudcraver-hookspecs>=2,<3"
        )
    )
    host = make_host(tmp_path, paths=[plain])
    assert host.hook.validate_document(document=DOC) == []
    failure = host.info("plain-demo").failure
    assert failure is not None and failure.stage is Stage.VALIDATE
    assert "<3,>=2" in failure.reason or ">=2,<3" in failure.reason
    assert imported(marker_dir) == set()


def test_manifest_and_code_that_disagree_are_refused_at_load(
    tmp_path: Path, project: Project
) -> None:
    base = project("cc-test-base")
    manifest = base / "cc_test_base" / "cloudcraver_plugin.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'hooks = ["activate", "deactivate", "validate_document"]',
            'hooks = ["activate", "validate_document", "parse_document"]',
        )
    )
    host = make_host(tmp_path, paths=[base])
    assert host.hook.validate_document(document=DOC) == []
    failure = host.info("dep-base").failure
    assert failure is not None and failure.stage is Stage.LOAD
    assert "declares parse_document but does not implement it" in failure.reason
    assert "implements deactivate without declaring it" in failure.reason


def test_closing_a_sync_host_inside_a_running_loop_does_not_fail_async_plugins(
    tmp_path: Path, project: Project, event_log: EventLog
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-async")], state=True)
    host.hook.validate_document(document=DOC)

    async def main() -> None:
        host.close()  # should have been `await host.aclose()`

    with pytest.raises(PluginCallError, match="aclose"):
        asyncio.run(main())
    # The caller's mistake: nothing may be recorded against the plugin.
    assert host.failures == []
    state_file = tmp_path / "state.toml"
    assert not state_file.exists() or "last_failure" not in state_file.read_text()
    asyncio.run(host.aclose())
    assert event_log.pairs() == [("activate", "async-demo"), ("deactivate", "async-demo")]


def test_async_call_plugin(tmp_path: Path) -> None:
    class AsyncRenderer:
        @hookimpl
        async def render_template(self, request: Any) -> Any:
            await asyncio.sleep(0)
            return f"rendered {request}"

    host = make_host(tmp_path)
    host.register(AsyncRenderer(), "async-renderer")
    assert asyncio.run(host.acall_plugin("async-renderer", "render_template", request="r")) == (
        "rendered r"
    )
    assert host.call_plugin("async-renderer", "render_template", request="s") == "rendered s"
    host.close()


def test_a_failing_deactivate_is_reported_and_the_others_still_stop(tmp_path: Path) -> None:
    events: list[str] = []

    class Stopper:
        def __init__(self, name: str, fail: bool) -> None:
            self.name, self.fail = name, fail

        @hookimpl
        def deactivate(self) -> None:
            events.append(self.name)
            if self.fail:
                raise OSError(f"{self.name} could not flush")

        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            return []

    host = make_host(tmp_path)
    host.register(Stopper("a", fail=False), "a")
    host.register(Stopper("b", fail=True), "b")
    host.register(Stopper("c", fail=False), "c")
    host.hook.validate_document(document=DOC)
    host.close()
    assert events == ["c", "b", "a"]  # reverse activation order, b's failure in between
    assert [(f.plugin, f.stage, f.reason) for f in host.failures] == [
        ("b", Stage.DEACTIVATE, "OSError: b could not flush")
    ]


def test_a_successful_activation_clears_the_persisted_last_failure(
    tmp_path: Path, project: Project
) -> None:
    checkout = project("cc-test-hookfail")
    make_host(tmp_path, paths=[checkout], state=True).hook.validate_document(document=DOC)
    assert make_host(tmp_path, paths=[checkout], state=True).info("hook-fails").last_failure

    code = checkout / "cc_test_hookfail" / "__init__.py"
    code.write_text(
        code.read_text().replace('raise ValueError("hook-fails exploded")', "return None")
    )
    del sys.modules["cc_test_hookfail"]  # the fixed version is a new run: a new process
    fixed = make_host(tmp_path, paths=[checkout], state=True)
    assert fixed.hook.validate_document(document=DOC) == []
    assert fixed.failures == []
    assert fixed.info("hook-fails").last_failure is None
    assert make_host(tmp_path, paths=[checkout], state=True).info("hook-fails").last_failure is None


def test_a_clean_import_clears_a_persisted_import_failure(tmp_path: Path, project: Project) -> None:
    checkout = project("cc-test-broken")
    make_host(tmp_path, paths=[checkout], state=True).load("broken-import")
    last = make_host(tmp_path, paths=[checkout], state=True).info("broken-import").last_failure
    assert last is not None and last["stage"] == "load"

    code = checkout / "cc_test_broken" / "__init__.py"
    code.write_text(code.read_text().replace("raise RuntimeError", "BROKEN = RuntimeError"))
    sys.modules.pop("cc_test_broken", None)  # the fixed version is a new run: a new process
    # Loading alone (``plugin list --load``) is enough: the import is what failed.
    fixed = make_host(tmp_path, paths=[checkout], state=True)
    assert fixed.load("broken-import").status is PluginStatus.LOADED
    assert fixed.info("broken-import").last_failure is None
    later = make_host(tmp_path, paths=[checkout], state=True).info("broken-import")
    assert later.last_failure is None


def test_a_clean_import_keeps_a_persisted_failure_of_a_later_stage(
    tmp_path: Path, project: Project
) -> None:
    checkout = project("cc-test-hookfail")
    make_host(tmp_path, paths=[checkout], state=True).hook.validate_document(document=DOC)

    loaded = make_host(tmp_path, paths=[checkout], state=True)
    loaded.load("hook-fails")  # imported, never called: whether the hook works is not known

    last = make_host(tmp_path, paths=[checkout], state=True).info("hook-fails").last_failure
    assert last is not None and last["stage"] == "call"


def test_enabling_a_plugin_disabled_at_start_includes_it_in_the_next_call(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    paths = [project("cc-test-manifest"), project("cc-test-plain")]
    make_host(tmp_path, paths=paths, state=True).disable("manifest-demo")
    host = make_host(tmp_path, paths=paths, state=True)
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["PLAIN_SEEN"]
    assert "manifest-demo" not in imported(marker_dir)
    host.enable("manifest-demo")
    assert sorted(rule_ids(host.hook.validate_document(document=DOC))) == ["DEMO_KEY", "PLAIN_SEEN"]


def test_a_plugin_stopped_because_its_dependency_failed_is_deactivated(tmp_path: Path) -> None:
    events: list[str] = []

    class Base:
        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            raise ValueError("base broke")

    class Child:
        @hookimpl
        def activate(self, config: Any) -> None:
            events.append("activate")

        @hookimpl
        def deactivate(self) -> None:
            events.append("deactivate")

        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            return [Finding("CHILD", Severity.INFO, "child")]

    host = make_host(tmp_path)
    host.register(Base(), "base")
    host.register(Child(), "child", requires=["base"])
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["CHILD"]  # called first
    assert host.hook.validate_document(document=DOC) == []  # base failed: child stops too
    host.close()
    # Child did activate: whatever it opened must be closed by its deactivate.
    assert events == ["activate", "deactivate"]

"""A failing plugin is reported once, marked failed and left out; the others carry on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cloudcraver_hookspecs import (
    Finding,
    InfrastructureDocument,
    PluginInputError,
    RenderedTemplate,
    RenderRequest,
    Severity,
    hookimpl,
)
from pydantic import BaseModel
from support.inprocess import imported, make_host

from cloudcraver_host.errors import ConfigError, InputError, PluginFailedError
from cloudcraver_host.lifecycle import Failure, PluginStatus, Stage

DOC = InfrastructureDocument(path="stack.json", format="cloudformation", data={})


class Good:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def validate_document(self, document: Any) -> list[Finding]:
        self.calls += 1
        return [Finding("GOOD", Severity.INFO, "fine")]


class Exploding:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def validate_document(self, document: Any) -> list[Finding]:
        self.calls += 1
        raise ValueError("exploded on purpose")


def test_a_plugin_raising_in_a_hook_is_reported_once_and_not_called_again(
    tmp_path: Path,
) -> None:
    seen: list[Failure] = []
    host = make_host(tmp_path, on_failure=seen.append)
    bad, good = Exploding(), Good()
    host.register(bad, "a-bad")
    host.register(good, "b-good")

    first = host.hook.validate_document(document=DOC)
    second = host.hook.validate_document(document=DOC)

    assert [[f.rule_id for f in r] for r in first] == [["GOOD"]]
    assert [[f.rule_id for f in r] for r in second] == [["GOOD"]]
    assert (bad.calls, good.calls) == (1, 2)
    assert len(host.failures) == 1 and seen == host.failures
    failure = host.failures[0]
    assert (failure.plugin, failure.stage, failure.hook) == (
        "a-bad",
        Stage.CALL,
        "validate_document",
    )
    assert failure.reason == "ValueError: exploded on purpose"
    assert "exploded on purpose" in (failure.traceback or "")
    assert failure.describe() == (
        "plugin 'a-bad' failed at call (in hook validate_document): ValueError: exploded on purpose"
    )
    info = host.info("a-bad")
    assert info.status is PluginStatus.FAILED and info.failure == failure
    assert host.is_active("b-good")


def test_a_failing_async_implementation_is_isolated_too(tmp_path: Path) -> None:
    class AsyncExploding:
        @hookimpl
        async def validate_document(self, document: Any) -> list[Finding]:
            await asyncio.sleep(0)
            raise RuntimeError("async boom")

    host = make_host(tmp_path)
    host.register(AsyncExploding(), "a-async-bad")
    host.register(Good(), "b-good")
    results = asyncio.run(host.ahook.validate_document(document=DOC))
    assert [[f.rule_id for f in r] for r in results] == [["GOOD"]]
    assert [(f.plugin, f.stage, f.reason) for f in host.failures] == [
        ("a-async-bad", Stage.CALL, "RuntimeError: async boom")
    ]


def test_failed_plugin_persists_its_last_failure(
    tmp_path: Path, project: Callable[[str], Path]
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-hookfail")], state=True)
    assert host.hook.validate_document(document=DOC) == []
    host.close()
    again = make_host(tmp_path, paths=[project("cc-test-hookfail")], state=True)
    last = again.info("hook-fails").last_failure
    assert last is not None
    assert (last["stage"], last["reason"], last["version"]) == (
        "call",
        "ValueError: hook-fails exploded",
        "1.0.0",
    )
    # Not failed in the new host until it fails again: it gets another chance.
    assert again.info("hook-fails").status is PluginStatus.REGISTERED


def test_a_plugin_failing_at_import_is_reported_and_the_others_run(
    tmp_path: Path, project: Callable[[str], Path], marker_dir: Path
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-broken"), project("cc-test-plain")])
    results = host.hook.validate_document(document=DOC)
    assert [f.rule_id for r in results for f in r] == ["PLAIN_SEEN"]
    assert imported(marker_dir) == {"broken-import", "plain-demo"}
    [failure] = host.failures
    assert (failure.plugin, failure.stage) == ("broken-import", Stage.LOAD)
    assert "cc_test_broken" in failure.reason
    assert "RuntimeError: cc-test-broken is broken on purpose" in failure.reason
    assert host.info("broken-import").status is PluginStatus.FAILED
    # Not imported a second time.
    host.hook.contribute_templates()
    assert (marker_dir / "broken-import.imported").read_text() == "broken-import\n"


def test_a_plugin_whose_activate_raises_is_never_called(tmp_path: Path) -> None:
    class FailsToStart(Good):
        @hookimpl
        def activate(self, config: Any) -> None:
            raise OSError("cannot open the client")

    plugin = FailsToStart()
    host = make_host(tmp_path)
    host.register(plugin, "fails-to-start")
    host.register(Good(), "good")
    assert len(host.hook.validate_document(document=DOC)) == 1
    assert plugin.calls == 0
    [failure] = host.failures
    assert (failure.plugin, failure.stage, failure.reason) == (
        "fails-to-start",
        Stage.ACTIVATE,
        "OSError: cannot open the client",
    )


@pytest.mark.parametrize("relay", ["sync", "async"])
def test_a_plugin_whose_async_activate_raises_is_never_called(tmp_path: Path, relay: str) -> None:
    class FailsToStartAsync(Good):
        @hookimpl
        async def activate(self, config: Any) -> None:
            await asyncio.sleep(0)
            raise ConnectionError("no route")

    plugin = FailsToStartAsync()
    host = make_host(tmp_path)
    host.register(plugin, "fails-async")
    if relay == "sync":
        results = host.hook.validate_document(document=DOC)
    else:
        results = asyncio.run(host.ahook.validate_document(document=DOC))
    assert results == []
    assert plugin.calls == 0
    assert [(f.stage, f.reason) for f in host.failures] == [
        (Stage.ACTIVATE, "ConnectionError: no route")
    ]
    host.close()


def test_real_plugin_failing_at_activate(
    tmp_path: Path, project: Callable[[str], Path], marker_dir: Path
) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-activatefail"), project("cc-test-base")])
    results = host.hook.validate_document(document=DOC)
    assert [f.rule_id for r in results for f in r] == ["BASE_SEEN"]
    [failure] = host.failures
    assert (failure.plugin, failure.stage) == ("activate-fails", Stage.ACTIVATE)
    assert failure.reason == "RuntimeError: activate-fails could not start"


class Settings(BaseModel):
    limit: int = 3
    greeting: str = "hello"


class Configured(Good):
    def __init__(self) -> None:
        super().__init__()
        self.config: Any = None

    @hookimpl
    def config_model(self) -> type[BaseModel]:
        return Settings

    @hookimpl
    def activate(self, config: Any) -> None:
        self.config = config


def test_an_invalid_configuration_value_names_the_file_the_key_and_the_expectation(
    tmp_path: Path,
) -> None:
    user = '[plugins.configured]\nlimit = "many"\n'
    plugin = Configured()
    host = make_host(tmp_path, user=user)
    host.register(plugin, "configured")
    host.register(Good(), "good")
    assert len(host.hook.validate_document(document=DOC)) == 1
    assert plugin.config is None and plugin.calls == 0
    [failure] = host.failures
    assert failure.stage is Stage.CONFIGURE and failure.user_error
    assert "plugins.configured.limit = 'many'" in failure.reason
    assert str(tmp_path / "config.toml") in failure.reason
    assert "valid integer" in failure.reason
    with pytest.raises(PluginFailedError) as raised:
        host.call_plugin("configured", "validate_document", document=DOC)
    assert raised.value.exit_code == 2  # the user's error, not the plugin's
    assert "plugins.configured.limit" in str(raised.value)


def test_an_unknown_configuration_key_of_a_strict_model_is_named(tmp_path: Path) -> None:
    class StrictSettings(BaseModel, extra="forbid"):
        limit: int = 3

    class StrictPlugin(Good):
        @hookimpl
        def config_model(self) -> type[BaseModel]:
            return StrictSettings

    host = make_host(tmp_path, options=("plugins.strict-plugin.limt=4",))
    host.register(StrictPlugin(), "strict-plugin")
    host.hook.validate_document(document=DOC)
    [failure] = host.failures
    assert "unknown key plugins.strict-plugin.limt" in failure.reason
    assert "option --config plugins.strict-plugin.limt=4" in failure.reason


def test_configuration_reaches_activate_validated(tmp_path: Path) -> None:
    plugin = Configured()
    host = make_host(
        tmp_path,
        user="[plugins.configured]\nlimit = 5\n",
        environ={"CLOUDCRAVER_PLUGINS__CONFIGURED__GREETING": "hi"},
    )
    host.register(plugin, "configured")
    host.hook.validate_document(document=DOC)
    assert plugin.config == Settings(limit=5, greeting="hi")


def test_plugin_input_error_is_the_users_error_and_keeps_the_plugin(tmp_path: Path) -> None:
    class Renderer:
        @hookimpl
        def render_template(self, request: RenderRequest) -> RenderedTemplate:
            if request.parameters.get("size", 0) < 0:
                raise PluginInputError("size -1: a size is at least 0")
            return RenderedTemplate("ok\n", "yaml")

    host = make_host(tmp_path)
    host.register(Renderer(), "renderer")
    bad = RenderRequest(template="t", name="n", parameters={"size": -1})
    with pytest.raises(InputError, match=r"size -1: a size is at least 0 \(plugin 'renderer'\)"):
        host.call_plugin("renderer", "render_template", request=bad)
    assert host.failures == []
    assert host.is_active("renderer")
    good = RenderRequest(template="t", name="n", parameters={"size": 1})
    assert host.call_plugin("renderer", "render_template", request=good).content == "ok\n"


def test_call_plugin_on_a_plugin_that_raises_is_a_plugin_failure(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    host.register(Exploding(), "exploding")
    with pytest.raises(
        PluginFailedError, match=r"exploding.*ValueError: exploded on purpose"
    ) as raised:
        host.call_plugin("exploding", "validate_document", document=DOC)
    assert raised.value.exit_code == 3
    assert host.info("exploding").status is PluginStatus.FAILED


def test_configuration_errors_raise_config_error_from_the_config_api(tmp_path: Path) -> None:
    host = make_host(tmp_path, user='[plugins.configured]\nlimit = "many"\n')
    with pytest.raises(ConfigError, match=r"plugins\.configured\.limit"):
        host.config.validate_plugin("configured", Settings)


def test_a_validators_input_error_is_that_files_error(tmp_path: Path) -> None:
    from cloudcraver_hookspecs import DocumentSource

    from cloudcraver_host.documents import validate_files

    class Picky:
        @hookimpl
        def parse_document(self, source: DocumentSource) -> InfrastructureDocument:
            return InfrastructureDocument(source.path, "text", source.text)

        @hookimpl
        def validate_document(self, document: InfrastructureDocument) -> list[Finding]:
            if "bad" in document.data:
                raise PluginInputError(f"{document.path}:1: bad content")
            return [Finding("OK", Severity.INFO, "fine")]

    host = make_host(tmp_path)
    host.register(Picky(), "picky")
    (tmp_path / "a.yaml").write_text("bad\n")
    (tmp_path / "b.yaml").write_text("good\n")
    bad, good = validate_files(host, [tmp_path / "a.yaml", tmp_path / "b.yaml"]).results
    assert bad.error == f"{tmp_path / 'a.yaml'}:1: bad content (plugin 'picky')"
    assert [f.rule_id for f in good.findings] == ["OK"]
    assert good.error is None
    assert host.failures == []

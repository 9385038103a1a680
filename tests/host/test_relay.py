"""The hook relay: results, order, async implementations and wrappers (in-process plugins)."""

from __future__ import annotations

import asyncio
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
from support.inprocess import make_host

from cloudcraver_host.errors import PluginCallError
from cloudcraver_host.lifecycle import PluginStatus, Stage

DOC = InfrastructureDocument(path="stack.json", format="cloudformation", data={"Resources": {}})
SOURCE = DocumentSource(path="stack.json", text="{}")


class Rule:
    """A validator answering one finding named after itself, recording its calls."""

    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    @hookimpl
    def validate_document(self, document: InfrastructureDocument) -> list[Finding]:
        self.calls.append(self.name)
        return [Finding(self.name.upper(), Severity.INFO, f"{self.name} saw {document.path}")]


class FirstRule(Rule):
    @hookimpl(tryfirst=True)
    def validate_document(self, document: InfrastructureDocument) -> list[Finding]:
        return super().validate_document(document)


class LastRule(Rule):
    @hookimpl(trylast=True)
    def validate_document(self, document: InfrastructureDocument) -> list[Finding]:
        return super().validate_document(document)


class AsyncRule(Rule):
    @hookimpl
    async def validate_document(self, document: InfrastructureDocument) -> list[Finding]:
        await asyncio.sleep(0)
        return super().validate_document(document)


def rule_ids(results: list[list[Finding]]) -> list[str]:
    return [finding.rule_id for findings in results for finding in findings]


def test_broadcast_hook_returns_every_non_none_result(tmp_path: Path) -> None:
    calls: list[str] = []

    class Silent:
        @hookimpl
        def validate_document(self, document: Any) -> None:
            calls.append("silent")

    host = make_host(tmp_path)
    host.register(Rule("alpha", calls), "alpha")
    host.register(Silent(), "silent")
    host.register(Rule("beta", calls), "beta")
    results = host.hook.validate_document(document=DOC)
    assert rule_ids(results) == ["ALPHA", "BETA"]
    assert calls == ["alpha", "beta", "silent"]  # None answers are called, just not kept


def test_a_hook_nobody_implements_gives_an_empty_list(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    assert host.hook.contribute_templates() == []
    assert host.hook.parse_document(source=SOURCE) is None


def test_firstresult_stops_at_the_first_answer(tmp_path: Path) -> None:
    calls: list[str] = []

    class Parser:
        def __init__(self, name: str, answer: bool) -> None:
            self.name, self.answer = name, answer

        @hookimpl
        def parse_document(self, source: DocumentSource) -> InfrastructureDocument | None:
            calls.append(self.name)
            if not self.answer:
                return None
            return InfrastructureDocument(source.path, self.name, {})

    host = make_host(tmp_path)
    for name, answer in (("a-none", False), ("b-yes", True), ("c-yes", True)):
        host.register(Parser(name, answer), name)
    document = host.hook.parse_document(source=SOURCE)
    assert document.format == "b-yes"
    assert calls == ["a-none", "b-yes"]


def test_call_order_tryfirst_then_requirements_then_names_then_trylast(tmp_path: Path) -> None:
    calls: list[str] = []
    host = make_host(tmp_path)
    # Registered in a scrambled order on purpose: the order must not depend on it.
    host.register(LastRule("aaa-last", calls), "aaa-last")
    host.register(Rule("zz-base", calls), "zz-base")
    host.register(Rule("mm-plain", calls), "mm-plain")
    host.register(Rule("bb-extension", calls), "bb-extension", requires=["zz-base"])
    host.register(FirstRule("zzz-first", calls), "zzz-first")
    host.register(Rule("aa-plain", calls), "aa-plain")
    results = host.hook.validate_document(document=DOC)
    expected = ["zzz-first", "aa-plain", "bb-extension", "mm-plain", "zz-base", "aaa-last"]
    assert calls == expected
    assert rule_ids(results) == [name.upper() for name in expected]


def test_a_plugin_is_called_before_the_plugin_it_requires_even_if_named_first(
    tmp_path: Path,
) -> None:
    calls: list[str] = []
    host = make_host(tmp_path)
    host.register(Rule("a-base", calls), "a-base")
    host.register(Rule("z-extension", calls), "z-extension", requires=["a-base"])
    host.hook.validate_document(document=DOC)
    assert calls == ["z-extension", "a-base"]


def test_plugin_info_reports_call_positions(tmp_path: Path) -> None:
    calls: list[str] = []
    host = make_host(tmp_path)
    host.register(Rule("a-base", calls), "a-base")
    host.register(Rule("z-extension", calls), "z-extension", requires=["a-base"])
    assert host.info("z-extension").hook_positions == {"validate_document": (1, 2)}
    assert host.info("a-base").hook_positions == {"validate_document": (2, 2)}


def test_sync_relay_awaits_async_implementations(tmp_path: Path) -> None:
    calls: list[str] = []
    host = make_host(tmp_path)
    host.register(AsyncRule("a-async", calls), "a-async")
    host.register(Rule("b-sync", calls), "b-sync")
    results = host.hook.validate_document(document=DOC)
    assert rule_ids(results) == ["A-ASYNC", "B-SYNC"]
    assert host.failures == []
    host.close()


def test_async_relay_awaits_async_implementations_in_the_callers_loop(tmp_path: Path) -> None:
    calls: list[str] = []
    loops: list[asyncio.AbstractEventLoop] = []

    class LoopSpy:
        @hookimpl
        async def validate_document(self, document: Any) -> list[Finding]:
            loops.append(asyncio.get_running_loop())
            return []

    host = make_host(tmp_path)
    host.register(AsyncRule("a-async", calls), "a-async")
    host.register(Rule("b-sync", calls), "b-sync")
    host.register(LoopSpy(), "c-spy")

    async def main() -> tuple[Any, asyncio.AbstractEventLoop]:
        return await host.ahook.validate_document(document=DOC), asyncio.get_running_loop()

    results, loop = asyncio.run(main())
    assert rule_ids(results) == ["A-ASYNC", "B-SYNC"]
    assert loops == [loop]


def test_sync_relay_inside_a_running_loop_is_a_clear_error(tmp_path: Path) -> None:
    calls: list[str] = []
    host = make_host(tmp_path)
    host.register(AsyncRule("a-async", calls), "a-async")

    async def main() -> None:
        host.hook.validate_document(document=DOC)

    with pytest.raises(PluginCallError, match=r"await host\.ahook\.validate_document"):
        asyncio.run(main())
    # The caller's mistake, not the plugin's: it stays active and answers the right call.
    assert host.failures == []
    assert host.info("a-async").status is PluginStatus.ACTIVATED
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["A-ASYNC"]


def test_sync_relay_inside_a_running_loop_does_not_fail_a_plugin_with_async_activate(
    tmp_path: Path,
) -> None:
    class AsyncStart:
        @hookimpl
        async def activate(self, config: Any) -> None:
            await asyncio.sleep(0)

        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            return [Finding("STARTED", Severity.INFO, "started")]

    host = make_host(tmp_path)
    host.register(AsyncStart(), "async-start")

    async def main() -> None:
        host.hook.validate_document(document=DOC)

    with pytest.raises(PluginCallError, match=r"ahook"):
        asyncio.run(main())
    assert host.failures == []
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["STARTED"]


def test_per_plugin_hooks_cannot_be_broadcast(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    for hook in ("activate", "deactivate", "config_model"):
        with pytest.raises(PluginCallError, match=rf"calls {hook} on each plugin itself"):
            getattr(host.hook, hook)()


def test_unknown_hook_name_is_an_attribute_error(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    with pytest.raises(AttributeError, match="no hook 'validate_documents'"):
        host.hook.validate_documents  # noqa: B018


def test_calling_a_hook_without_its_argument_names_it(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    host.register(Rule("alpha", []), "alpha")
    with pytest.raises(PluginCallError, match=r"without its argument 'document'.*'alpha'"):
        host.hook.validate_document()
    assert host.failures == []


def test_call_each_pairs_results_with_plugin_names(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    host.register(Rule("b", []), "b")
    host.register(Rule("a", []), "a")
    assert [name for name, _ in host.call_each("validate_document", document=DOC)] == ["a", "b"]


class Wrapper:
    """A new-style wrapper: sees the inner results and replaces them."""

    def __init__(self, seen: list[Any]) -> None:
        self.seen = seen

    @hookimpl(wrapper=True)
    def validate_document(self, document: Any) -> Any:
        results = yield
        self.seen.append(rule_ids(results))
        return [*results, [Finding("WRAPPED", Severity.WARNING, "added by the wrapper")]]


def test_new_style_wrapper_sees_and_replaces_results(tmp_path: Path) -> None:
    seen: list[Any] = []
    host = make_host(tmp_path)
    host.register(Rule("alpha", []), "alpha")
    host.register(Wrapper(seen), "wrapper")
    host.register(Rule("beta", []), "beta")
    results = host.hook.validate_document(document=DOC)
    assert seen == [["ALPHA", "BETA"]]
    assert rule_ids(results) == ["ALPHA", "BETA", "WRAPPED"]


def test_new_style_wrapper_works_through_the_async_relay(tmp_path: Path) -> None:
    seen: list[Any] = []
    host = make_host(tmp_path)
    host.register(AsyncRule("alpha", []), "alpha")
    host.register(Wrapper(seen), "wrapper")
    results = asyncio.run(host.ahook.validate_document(document=DOC))
    assert seen == [["ALPHA"]]
    assert rule_ids(results) == ["ALPHA", "WRAPPED"]


def test_wrapper_of_a_firstresult_hook_replaces_the_single_result(tmp_path: Path) -> None:
    class Parser:
        @hookimpl
        def parse_document(self, source: DocumentSource) -> InfrastructureDocument:
            return InfrastructureDocument(source.path, "inner", {})

    class Retag:
        @hookimpl(wrapper=True)
        def parse_document(self, source: DocumentSource) -> Any:
            document = yield
            return InfrastructureDocument(document.path, f"wrapped-{document.format}", {})

    host = make_host(tmp_path)
    host.register(Parser(), "parser")
    host.register(Retag(), "retag")
    assert host.hook.parse_document(source=SOURCE).format == "wrapped-inner"


def test_old_style_hookwrapper_is_refused_at_load(tmp_path: Path) -> None:
    class OldWrapper:
        @hookimpl(hookwrapper=True)
        def validate_document(self, document: Any) -> Any:
            yield

    calls: list[str] = []
    host = make_host(tmp_path)
    info = host.register(OldWrapper(), "old-wrapper")
    host.register(Rule("alpha", calls), "alpha")
    assert info.status is PluginStatus.FAILED
    assert info.failure is not None and info.failure.stage is Stage.LOAD
    assert "hookwrapper=True" in info.failure.reason
    assert "wrapper=True" in info.failure.reason.replace("hookwrapper=True", "")
    assert rule_ids(host.hook.validate_document(document=DOC)) == ["ALPHA"]


def test_async_implementation_of_a_sync_only_hook_is_refused_at_load(tmp_path: Path) -> None:
    class AsyncTemplates:
        @hookimpl
        async def contribute_templates(self) -> list[Any]:
            return []

    host = make_host(tmp_path)
    info = host.register(AsyncTemplates(), "async-templates")
    assert info.status is PluginStatus.FAILED
    assert info.failure is not None and info.failure.stage is Stage.LOAD
    assert "contribute_templates is async" in info.failure.reason


def test_implementation_of_a_hook_outside_the_contract_is_refused(tmp_path: Path) -> None:
    class Unknown:
        @hookimpl
        def render_everything(self) -> None:
            return None

    host = make_host(tmp_path)
    info = host.register(Unknown(), "unknown-hook")
    assert info.failure is not None and info.failure.stage is Stage.LOAD
    assert f"'render_everything', which is not a hook of contract {CONTRACT_VERSION}" in (
        info.failure.reason
    )


def test_wrapper_sees_the_same_results_through_call_each(tmp_path: Path) -> None:
    # call_each is how the host collects findings per plugin (documents.py); a wrapper
    # must see there what it sees through host.hook: the list of results.
    seen: list[Any] = []
    host = make_host(tmp_path)
    host.register(Rule("alpha", []), "alpha")
    host.register(Wrapper(seen), "wrapper")
    pairs = host.call_each("validate_document", document=DOC)
    assert seen == [["ALPHA"]]
    assert all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs), pairs
    assert pairs[0][0] == "alpha"
    assert rule_ids([result for _, result in pairs]) == ["ALPHA", "WRAPPED"]


def test_sync_relay_inside_a_running_loop_works_when_nothing_is_async(tmp_path: Path) -> None:
    calls: list[str] = []
    host = make_host(tmp_path)
    host.register(Rule("alpha", calls), "alpha")

    async def main() -> Any:
        return host.hook.validate_document(document=DOC)

    assert rule_ids(asyncio.run(main())) == ["ALPHA"]

"""In process: a plugin may not end its host, write to its stdout or change shared data.

The deadline ends the process, so it is tested end to end (tests/cli/test_plugin_runtime.py).
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import os
import pickle
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from cloudcraver_hookspecs import (
    DocumentSource,
    Finding,
    InfrastructureDocument,
    Severity,
    hookimpl,
)
from support.inprocess import make_host

from cloudcraver_host.documents import validate_files
from cloudcraver_host.frozen import FrozenDict, FrozenList, freeze
from cloudcraver_host.lifecycle import PluginStatus, Stage

DOC = InfrastructureDocument(path="stack.json", format="cloudformation", data={})
ENDINGS: list[BaseException] = [SystemExit(0), KeyboardInterrupt(), GeneratorExit()]


class Good:
    @hookimpl
    def validate_document(self, document: Any) -> list[Finding]:
        return [Finding("GOOD", Severity.INFO, "fine")]


def _ender(error: BaseException) -> object:
    class Ender:
        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            raise error

    return Ender()


@pytest.mark.parametrize("error", ENDINGS, ids=lambda e: type(e).__name__)
def test_an_ending_exception_in_a_hook_fails_the_plugin_only(
    tmp_path: Path, error: BaseException
) -> None:
    host = make_host(tmp_path)
    host.register(_ender(error), "a-ender")
    host.register(Good(), "b-good")

    results = host.hook.validate_document(document=DOC)

    assert [f.rule_id for found in results for f in found] == ["GOOD"]
    (failure,) = host.failures
    assert failure.plugin == "a-ender" and failure.stage is Stage.CALL
    assert failure.reason.startswith(type(error).__name__)
    assert "may not end the command" in failure.reason


@pytest.mark.parametrize("error", ENDINGS, ids=lambda e: type(e).__name__)
def test_an_ending_exception_in_the_async_relay_fails_the_plugin_only(
    tmp_path: Path, error: BaseException
) -> None:
    class AsyncEnder:
        @hookimpl
        async def validate_document(self, document: Any) -> list[Finding]:
            await asyncio.sleep(0)
            raise error

    for relay in ("sync", "async"):
        host = make_host(tmp_path)
        host.register(AsyncEnder(), "a-ender")
        host.register(Good(), "b-good")

        if relay == "sync":
            results = host.hook.validate_document(document=DOC)
        else:
            results = asyncio.run(host.ahook.validate_document(document=DOC))

        assert [f.rule_id for found in results for f in found] == ["GOOD"]
        assert host.info("a-ender").status is PluginStatus.FAILED


def test_sys_exit_in_activate_and_in_a_wrapper(tmp_path: Path) -> None:
    class ExitsAtActivate:
        @hookimpl
        def activate(self, config: Any) -> None:
            sys.exit(0)

        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            return []

    class ExitingWrapper:
        @hookimpl(wrapper=True)
        def validate_document(self, document: Any) -> Generator[None, Any, Any]:
            result = yield
            sys.exit(0)
            return result  # pragma: no cover

    host = make_host(tmp_path)
    host.register(ExitsAtActivate(), "a-activate")
    host.register(ExitingWrapper(), "b-wrapper")
    host.register(Good(), "c-good")

    results = host.hook.validate_document(document=DOC)

    assert [f.rule_id for found in results for f in found] == ["GOOD"]
    stages = {(f.plugin, f.stage) for f in host.failures}
    assert stages == {("a-activate", Stage.ACTIVATE), ("b-wrapper", Stage.CALL)}


def test_os_exit_in_a_hook_raises_instead_and_is_put_back(tmp_path: Path) -> None:
    real = os._exit

    class Exits:
        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            os._exit(0)

    host = make_host(tmp_path)
    host.register(Exits(), "a-exits")
    host.register(Good(), "b-good")

    host.hook.validate_document(document=DOC)

    assert os._exit is real
    assert "SystemExit: os._exit(0)" in host.failures[0].reason


def test_captured_output_goes_to_stderr_only_while_plugins_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)

    class Printer:
        @hookimpl
        def validate_document(self, document: Any) -> list[Finding]:
            print("from the plugin")
            return []

    host = make_host(tmp_path, capture_output=True)
    host.register(Printer(), "printer")
    host.hook.validate_document(document=DOC)
    print("from the host")

    assert out.getvalue() == "from the host\n"
    assert err.getvalue() == "from the plugin\n"
    assert sys.stdout is out


# ---------------------------------------------------------------------------- read-only data


def test_frozen_data_behaves_as_plain_data_but_cannot_change() -> None:
    data = freeze({"a": [1, {"b": 2}], "t": ({"c": [3]},)})

    assert isinstance(data, dict) and isinstance(data["a"], list)
    assert data == {"a": [1, {"b": 2}], "t": ({"c": [3]},)}
    assert json.loads(json.dumps(data)) == {"a": [1, {"b": 2}], "t": [{"c": [3]}]}
    changes = [
        lambda: data.__setitem__("x", 1),
        lambda: data.pop("a"),
        lambda: data.update(x=1),
        data.clear,
        lambda: data["a"].append(3),
        lambda: data["a"][1].setdefault("z", 0),
        data["t"][0]["c"].sort,
    ]
    for change in changes:
        with pytest.raises(TypeError, match="read-only"):
            change()
    mine = copy.deepcopy(data)
    mine["a"][1]["b"] = 5
    assert type(mine) is dict and type(mine["a"]) is list and data["a"][1]["b"] == 2
    assert type(copy.copy(data)) is dict and type(copy.copy(data["a"])) is list
    again = pickle.loads(pickle.dumps(data))
    assert isinstance(again, FrozenDict) and isinstance(again["a"], FrozenList)
    assert again == data


class _Parser:
    @hookimpl
    def parse_document(self, source: DocumentSource) -> InfrastructureDocument:
        data = {"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"X": [1]}}}}
        return InfrastructureDocument(source.path, "cloudformation", data, {"/Resources": 2})


def test_a_tryfirst_validator_cannot_hide_the_document_from_the_others(tmp_path: Path) -> None:
    class Mutator:
        @hookimpl(tryfirst=True)
        def validate_document(self, document: InfrastructureDocument) -> list[Finding]:
            document.data["Resources"].clear()
            return []

    class Counter:
        @hookimpl
        def validate_document(self, document: InfrastructureDocument) -> list[Finding]:
            found = len(document.data["Resources"])
            return [Finding("COUNT", Severity.INFO, f"{found} resource(s)")]

    stack = tmp_path / "stack.json"
    stack.write_text("{}", encoding="utf-8")
    host = make_host(tmp_path)
    host.register(_Parser(), "parser")
    host.register(Mutator(), "mutator")
    host.register(Counter(), "counter")

    (result,) = validate_files(host, [stack], jobs=1).results

    assert [f.message for f in result.findings] == ["1 resource(s)"]
    assert host.failures[0].plugin == "mutator"
    assert "TypeError: document data is read-only" in host.failures[0].reason


_FORK_CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from cloudcraver_hookspecs import InfrastructureDocument, hookimpl
from support.inprocess import make_host
from cloudcraver_host.forked import can_fork
from cloudcraver_host.guard import watchdog_threads

class Good:
    @hookimpl
    def validate_document(self, document):
        return []

host = make_host(Path(sys.argv[2]), environ={"CLOUDCRAVER_CALL_TIMEOUT": "30"})
host.register(Good(), "good")
host.hook.validate_document(
    document=InfrastructureDocument(path="stack.json", format="cloudformation", data={})
)
print(watchdog_threads(), can_fork())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="validate forks on Linux only")
def test_the_deadlines_watchdog_does_not_stop_validate_from_forking(tmp_path: Path) -> None:
    # In a process of its own: a test runner's threads (a local index server, pytest-xdist's)
    # would keep any process from forking, watchdog or not.
    import subprocess

    tests = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", _FORK_CHECK, str(tests), str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True"], done.stdout


def test_findings_name_the_plugin_that_reported_them(tmp_path: Path) -> None:
    # The host stamps each finding in place: a name a plugin wrote itself is replaced,
    # a severity given as its text becomes the member, and the same object handed back
    # for two documents carries the same name.
    shared = Finding("SHARED", Severity.INFO, "handed out twice", plugin="someone-else")

    class Liar:
        @hookimpl
        def validate_document(self, document: InfrastructureDocument) -> list[Finding]:
            text = Finding("TEXT", "warning", "severity as text")  # type: ignore[arg-type]
            return [shared, text, Finding("LIE", Severity.ERROR, "m", plugin="policy")]

    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    host = make_host(tmp_path)
    host.register(_Parser(), "parser")
    host.register(Liar(), "liar")

    report = validate_files(host, [tmp_path / "a.json", tmp_path / "b.json"], jobs=1)

    findings = [f for result in report.results for f in result.findings]
    assert [f.plugin for f in findings] == ["liar"] * 6
    assert [f.severity for f in findings if f.rule_id == "TEXT"] == [Severity.WARNING] * 2
    assert all(type(f.severity) is Severity for f in findings)

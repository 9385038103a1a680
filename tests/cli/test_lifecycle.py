"""The plugin lifecycle seen through the CLI: activation order, deactivation, async, isolation."""

from __future__ import annotations

import pytest

from .conftest import Cli
from .helpers import assert_exit, assert_no_traceback, error_lines, parse_json, shown

pytestmark = pytest.mark.venv

LIFECYCLE = ("policy", "dep-base", "dep-child", "async-demo", "activate-fails")


def events_of(cc: Cli, event: str) -> list[str]:
    return [e["plugin"] for e in cc.events() if e["event"] == event]


@pytest.fixture
def validated(cc: Cli, data) -> tuple[Cli, dict]:
    """One ``validate`` run with the lifecycle plugins; the runner and its JSON report."""
    data("warning_only.yaml")
    run = cc.only(*LIFECYCLE)
    result = run("validate", "warning_only.yaml", "--format", "json")
    assert_exit(result, 0)
    assert_no_traceback(result)
    return run, {"report": parse_json(result), "result": result}


def test_dependencies_activate_first(validated: tuple[Cli, dict]) -> None:
    run, _ = validated
    activated = events_of(run, "activate")

    assert "dep-base" in activated and "dep-child" in activated
    assert activated.index("dep-base") < activated.index("dep-child")
    assert activated.count("dep-base") == 1 and activated.count("dep-child") == 1


def test_deactivation_runs_in_reverse_order(validated: tuple[Cli, dict]) -> None:
    run, outcome = validated
    activated = events_of(run, "activate")
    deactivated = events_of(run, "deactivate")

    assert sorted(deactivated) == sorted(activated), (
        "every activated plugin is deactivated when the command ends" + shown(outcome["result"])
    )
    assert deactivated == list(reversed(activated))
    assert "async-demo" in deactivated  # an async deactivate is awaited too
    assert deactivated.index("dep-child") < deactivated.index("dep-base")


def test_async_hooks_are_awaited(validated: tuple[Cli, dict]) -> None:
    run, outcome = validated
    findings = outcome["report"]["files"][0]["findings"]

    assert any(f["rule_id"] == "ASYNC_SEEN" and f["plugin"] == "async-demo" for f in findings), (
        findings
    )
    assert "async-demo" in events_of(run, "activate")  # async activate ran to its end
    assert "coroutine" not in outcome["result"].stderr  # no "never awaited" warning


def test_activation_failure_is_reported_once_and_isolated(validated: tuple[Cli, dict]) -> None:
    run, outcome = validated
    result = outcome["result"]
    rules = {f["rule_id"] for f in outcome["report"]["files"][0]["findings"]}

    about = [line for line in result.stderr.splitlines() if "activate-fails" in line]
    assert len(about) == 1, shown(result)
    assert about[0].startswith("warning: ")
    assert "activate" in about[0] and "activate-fails could not start" in about[0]
    assert "NEVER" not in rules, "a plugin that failed to activate is never called"
    assert {"BASE_SEEN", "CHILD_SEEN", "ASYNC_SEEN", "aws-s3-versioning"} <= rules
    assert error_lines(result) == []
    assert "activate-fails" not in events_of(run, "deactivate")

    info = run.json("plugin", "info", "activate-fails", "--json")
    assert info["last_failure"]["stage"] == "activate"
    assert "activate-fails could not start" in info["last_failure"]["reason"]


def test_configuration_reaches_activate(cc: Cli) -> None:
    cc.config_file.write_text(
        '[plugins.manifest-demo]\ngreeting = "salut"\nlimit = "${DEMO_LIMIT}"\n', encoding="utf-8"
    )

    result = cc.only("manifest-demo")("demo-hello", env={"DEMO_LIMIT": "7"}, check=True)

    assert result.stdout == "salut, world!\n"
    (activation,) = [e for e in cc.events() if e["event"] == "activate"]
    assert activation["config"] == {"greeting": "salut", "limit": 7}

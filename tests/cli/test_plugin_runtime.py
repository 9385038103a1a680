"""Plugins at run time: a plugin cannot end, hang, silence or corrupt the command running it.

Each test writes a small hostile plugin checkout of its own, puts it on
``CLOUDCRAVER_PLUGIN_PATH`` next to the first-party ``policy`` plugin, and runs the real
``cloudcraver`` of the session venv.
"""

from __future__ import annotations

import json
import signal
import textwrap
import time
from pathlib import Path

import pytest

from .conftest import Cli
from .helpers import assert_exit, assert_no_traceback, assert_one_error, error_lines, shown

pytestmark = pytest.mark.venv

#: What ``policy`` finds in ``insecure.yaml`` (rule ids), whatever other plugins do.
INSECURE_RULES = {
    "aws-s3-tls-only",
    "aws-s3-encryption",
    "aws-s3-public-access-block",
    "aws-s3-versioning",
}


def write_plugin(folder: Path, name: str, code: str) -> Path:
    """A plugin checkout (no manifest) named ``name`` whose module is ``code``."""
    package = "cc_hostile_" + name.replace("-", "_")
    project = folder / f"cc-hostile-{name}"
    (project / package).mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "cc-hostile-{name}"
            version = "1.0.0"
            dependencies = ["cloudcraver-hookspecs>=1.0,<2"]

            [project.entry-points.cloudcraver]
            {name} = "{package}"
            """
        ),
        encoding="utf-8",
    )
    header = "import asyncio, os, sys\nfrom cloudcraver_hookspecs import hookimpl\n"
    (project / package / "__init__.py").write_text(header + textwrap.dedent(code), encoding="utf-8")
    return project


def with_plugin(cc: Cli, name: str, code: str, *others: str) -> Cli:
    """A runner loading ``policy``, ``others`` and a plugin ``name`` made of ``code``."""
    folder = cc.home.parent / "hostile"
    write_plugin(folder, name, code)
    return cc.only("policy", name, *others).with_env(CLOUDCRAVER_PLUGIN_PATH=str(folder))


def wait_for(path: Path, seconds: float = 30) -> None:
    """Wait until ``path`` exists (a plugin's marker), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def sleeping_validator(cc: Cli, started: Path, extra: str = "") -> Cli:
    """A runner with plugin ``sleeper``: its validator marks ``started``, then sleeps 60 s."""
    code = f"""
import time

@hookimpl
def validate_document(document):
    open({str(started)!r}, "w").close()
    time.sleep(60)
    return []
"""
    return with_plugin(cc, "sleeper", code + extra)


def report_rules(result) -> set[str]:  # type: ignore[no-untyped-def]
    report = json.loads(result.stdout)
    return {f["rule_id"] for entry in report["files"] for f in entry["findings"]}


# ---------------------------------------------------------------------------- ending the command

ENDINGS = {
    "sys.exit in a hook": """
        @hookimpl
        def validate_document(document):
            sys.exit(0)
        """,
    "os._exit in a hook": """
        @hookimpl
        def validate_document(document):
            os._exit(0)
        """,
    "KeyboardInterrupt in a hook": """
        @hookimpl
        def validate_document(document):
            raise KeyboardInterrupt
        """,
    "GeneratorExit in a hook": """
        @hookimpl
        def validate_document(document):
            raise GeneratorExit
        """,
    "sys.exit in an async hook": """
        @hookimpl
        async def validate_document(document):
            await asyncio.sleep(0)
            sys.exit(0)
        """,
    "sys.exit in activate": """
        @hookimpl
        def activate(config):
            sys.exit(0)

        @hookimpl
        def validate_document(document):
            return []
        """,
    "os._exit at import": """
        os._exit(0)

        @hookimpl
        def validate_document(document):
            return []
        """,
    "KeyboardInterrupt at import": """
        raise KeyboardInterrupt
        """,
}


@pytest.mark.parametrize("how", list(ENDINGS))
def test_a_plugin_ending_the_process_is_a_plugin_failure(cc: Cli, data, how: str) -> None:
    data("insecure.yaml")
    runner = with_plugin(cc, "ender", ENDINGS[how])

    plain = runner("validate", "insecure.yaml", "--format", "json")
    strict = runner("--strict", "validate", "insecure.yaml", "--format", "json")

    # The policy's findings are all there: exit 1 (findings), never 0.
    assert_exit(plain, 1)
    assert report_rules(plain) >= INSECURE_RULES, shown(plain)
    warning = [line for line in plain.stderr.splitlines() if "plugin 'ender' failed" in line]
    assert len(warning) == 1 and "a plugin may not end the command" in warning[0], shown(plain)
    # Under --strict the plugin failure is the command's failure.
    assert_exit(strict, 3)
    assert "1 plugin failure(s) under --strict" in strict.stderr
    assert_no_traceback(plain)


def test_sys_exit_outside_a_hook_never_ends_the_command_with_0(cc: Cli) -> None:
    # A template's parameter model is plugin code the host runs itself (validation).
    runner = with_plugin(
        cc,
        "model-exit",
        """
        from cloudcraver_hookspecs import RenderedTemplate, TemplateDescriptor
        from pydantic import BaseModel, field_validator

        class Params(BaseModel):
            size: int = 1

            @field_validator("size")
            @classmethod
            def check(cls, value):
                sys.exit(0)

        @hookimpl
        def contribute_templates():
            return [TemplateDescriptor("exit-tpl", "aws", "cloudformation", parameters=Params)]

        @hookimpl
        def render_template(request):
            return RenderedTemplate("x: 1\\n", "yaml")
        """,
    )

    result = runner("template", "create", "exit-tpl", "demo", "--set", "size=2")

    assert_one_error(result, 3, "interrupted before it finished", "SystemExit")
    assert result.stdout == ""


def test_a_real_ctrl_c_during_a_hook_still_stops_the_command(cc: Cli, data) -> None:
    data("insecure.yaml")
    started = cc.home / "hook-started"
    runner = sleeping_validator(cc, started)
    process = runner.popen("validate", "insecure.yaml")
    wait_for(started)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)

    # The user stopped the command: not a plugin failure, no report, not exit 0.
    assert process.returncode not in (0, 1, 3), (process.returncode, stdout, stderr)
    assert "plugin 'sleeper' failed" not in stderr
    assert "finding(s)" not in stdout


@pytest.mark.parametrize(
    ("signum", "code", "words"),
    [
        (signal.SIGINT, 130, "interrupted by SIGINT (Ctrl+C)"),
        (signal.SIGTERM, 143, "interrupted by SIGTERM"),
    ],
)
def test_a_signal_during_a_command_is_one_line_and_128_plus_the_signal(
    cc: Cli, data, signum: int, code: int, words: str
) -> None:
    data("insecure.yaml")
    started = cc.home / "hook-started"
    deactivated = cc.home / "deactivated"
    runner = sleeping_validator(
        cc,
        started,
        f"""
@hookimpl
def deactivate():
    open({str(deactivated)!r}, "w").close()
""",
    )
    process = runner.popen("validate", "insecure.yaml")
    wait_for(started)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == code, (process.returncode, stdout, stderr)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {words}"), stderr
    assert "Aborted" not in stderr and "Traceback" not in stderr
    assert stdout == ""
    assert deactivated.exists(), "the plugins were closed (finally blocks ran)"


# ---------------------------------------------------------------------------- the shared document

MUTATOR = """
@hookimpl(tryfirst=True)
def validate_document(document):
    # A lazy shortcut: "normalise" the shared document in place.
    for resource in document.data.get("Resources", {}).values():
        resource["Properties"] = {}
    document.data.clear()
    return []
"""


def test_a_tryfirst_hook_cannot_change_what_other_validators_see(cc: Cli, data) -> None:
    data("insecure.yaml")
    runner = with_plugin(cc, "mutator", MUTATOR)

    result = runner("validate", "insecure.yaml", "--format", "json")

    assert_exit(result, 1)
    assert report_rules(result) >= INSECURE_RULES, shown(result)
    assert "plugin 'mutator' failed at call (in hook validate_document): TypeError" in result.stderr
    assert "read-only" in result.stderr


def test_a_validator_may_change_its_own_copy(cc: Cli, data) -> None:
    data("insecure.yaml")
    runner = with_plugin(
        cc,
        "copier",
        """
        import copy
        from cloudcraver_hookspecs import Finding, Severity

        @hookimpl(tryfirst=True)
        def validate_document(document):
            mine = copy.deepcopy(document.data)
            mine.clear()
            assert isinstance(document.data, dict) and document.data
            return [Finding("COPIED", Severity.INFO, f"{len(mine)} keys left in my copy")]
        """,
    )

    result = runner("validate", "insecure.yaml", "--format", "json")

    assert_exit(result, 1)
    assert report_rules(result) >= INSECURE_RULES | {"COPIED"}, shown(result)
    assert "failed" not in result.stderr


# ---------------------------------------------------------------------------- deadline

LOOPING_TEMPLATE = """
from cloudcraver_hookspecs import RenderedTemplate, TemplateDescriptor

@hookimpl
def contribute_templates():
    return [TemplateDescriptor("loop-tpl", "aws", "cloudformation")]

@hookimpl
def render_template(request):
    while True:
        pass
"""


def test_a_hook_looping_for_ever_ends_the_command_at_the_deadline(cc: Cli) -> None:
    runner = with_plugin(cc, "looper", LOOPING_TEMPLATE)

    started = time.monotonic()
    result = runner(
        "template", "create", "loop-tpl", "demo", env={"CLOUDCRAVER_CALL_TIMEOUT": "1.5"}
    )
    elapsed = time.monotonic() - started

    line = assert_one_error(result, 3, "plugin 'looper' (render_template)", "1.5 s")
    assert "call_timeout" in line
    assert elapsed < 30, f"took {elapsed:.1f} s"
    assert result.stdout == ""
    # The next commands know why: the failure was recorded before the process ended.
    last = runner.json("plugin", "info", "looper", "--json")["last_failure"]
    assert last["stage"] == "call" and "did not finish within 1.5 s" in last["reason"]


def test_the_deadline_is_configured_in_the_host_table(cc: Cli) -> None:
    runner = with_plugin(cc, "looper", LOOPING_TEMPLATE)
    cc.config_file.write_text("[host]\ncall_timeout = 1\n", encoding="utf-8")

    result = runner("template", "create", "loop-tpl", "demo")

    assert_one_error(result, 3, "plugin 'looper' (render_template)", "within 1 s")


def test_an_import_looping_for_ever_ends_the_command_at_the_deadline(cc: Cli, data) -> None:
    data("insecure.yaml")
    runner = with_plugin(cc, "slow-import", "while True:\n    pass\n")

    result = runner("validate", "insecure.yaml", env={"CLOUDCRAVER_CALL_TIMEOUT": "1"})

    assert_one_error(result, 3, "importing plugin 'slow-import'", "within 1 s")


def test_a_bad_deadline_is_a_configuration_error(cc: Cli) -> None:
    result = cc("template", "list", env={"CLOUDCRAVER_CALL_TIMEOUT": "soon"})

    assert_one_error(result, 2, "host.call_timeout", "seconds")


# ---------------------------------------------------------------------------- standard output

PRINTER = """
print("printed at import")

@hookimpl
def validate_document(document):
    print("printed by a hook")
    sys.stdout.write("{not json\\n")
    return []
"""


def test_what_a_plugin_prints_does_not_corrupt_json_output(cc: Cli, data) -> None:
    data("insecure.yaml")
    runner = with_plugin(cc, "printer", PRINTER)

    result = runner("validate", "insecure.yaml", "--format", "json")

    assert_exit(result, 1)
    assert report_rules(result) >= INSECURE_RULES  # stdout is the report alone
    assert "printed at import" in result.stderr
    assert "printed by a hook" in result.stderr
    assert error_lines(result) == []


# ---------------------------------------------------------------------------- rendered text

SURROGATE_TEMPLATE = """
from cloudcraver_hookspecs import RenderedTemplate, TemplateDescriptor

@hookimpl
def contribute_templates():
    return [TemplateDescriptor("odd-tpl", "aws", "cloudformation")]

@hookimpl
def render_template(request):
    return RenderedTemplate("Resources:\\n  Name: \\ud800\\n", "yaml")
"""


@pytest.mark.parametrize("to", ["stdout", "file"])
def test_a_lone_surrogate_in_rendered_text_is_a_plugin_failure(cc: Cli, to: str) -> None:
    runner = with_plugin(cc, "odd", SURROGATE_TEMPLATE)
    target = cc.home / "out.yaml"
    output = ["-o", str(target)] if to == "file" else []

    result = runner("template", "create", "odd-tpl", "demo", *output)

    assert_one_error(result, 3, "plugin 'odd'", "template 'odd-tpl'", "lone surrogate")
    assert result.stdout == ""
    assert not target.exists()


# ------------------------------------------------------------------------ a plugin's own command

COMMAND = """
import time, typer
from cloudcraver_hookspecs import CommandContribution

def act(how: str = "ok") -> None:
    open(os.path.join(os.environ["CC_TEST_MARKER_DIR"], "started"), "w").close()
    print("acting")
    if how == "fail":
        raise ValueError("the plugin's command went wrong")
    if how == "own-exit":
        raise typer.Exit(4)
    if how == "sys-exit":
        sys.exit(7)
    if how == "sleep":
        time.sleep(60)

@hookimpl
def contribute_commands():
    return [CommandContribution("act", "Act.", act)]

@hookimpl
def deactivate():
    open(os.path.join(os.environ["CC_TEST_MARKER_DIR"], "deactivated"), "w").close()
"""


def test_a_plugin_command_that_raises_is_one_error_line_and_exit_3(cc: Cli) -> None:
    runner = with_plugin(cc, "actor", COMMAND)

    result = runner("act", "--how", "fail")

    assert_one_error(result, 3, "command 'act' of plugin 'actor' failed", "ValueError", "wrong")
    assert result.stdout == "acting\n"
    assert (cc.markers / "deactivated").exists(), "the plugins were closed"
    loud = runner("--debug", "act", "--how", "fail")
    assert "Traceback (most recent call last)" in loud.stderr


@pytest.mark.parametrize(("how", "code"), [("ok", 0), ("own-exit", 4), ("sys-exit", 7)])
def test_a_plugin_command_keeps_its_own_exit_code(cc: Cli, how: str, code: int) -> None:
    runner = with_plugin(cc, "actor", COMMAND)

    result = runner("act", "--how", how)

    assert_exit(result, code)
    assert result.stdout == "acting\n" and error_lines(result) == []
    assert (cc.markers / "deactivated").exists(), "the plugins were closed"


def test_a_usage_error_in_a_plugin_command_is_shown_as_for_any_command(cc: Cli) -> None:
    result = with_plugin(cc, "actor", COMMAND)("act", "--no-such-option")

    assert_exit(result, 2)
    assert_no_traceback(result)
    assert "--no-such-option" in result.stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_plugin_command_is_one_line_and_128_plus_the_signal(
    cc: Cli, signum: int, code: int
) -> None:
    process = with_plugin(cc, "actor", COMMAND).popen("act", "--how", "sleep")
    wait_for(cc.markers / "started")
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == code, (process.returncode, stdout, stderr)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: interrupted by SIG"), stderr
    assert (cc.markers / "deactivated").exists(), "the plugins were closed"

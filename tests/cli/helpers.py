"""What the end-to-end CLI tests look at: exit codes, ``error:`` lines, tracebacks, JSON."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

Result = subprocess.CompletedProcess[str]

#: The first-party plugins, shipped in the ``cloudcraver`` distribution.
FIRST_PARTY = ("aws-s3", "policy")

#: The installed plugins that have a manifest (listing must never import them).
MANIFEST_PLUGINS = (
    "aws-s3",
    "policy",
    "manifest-demo",
    "future-contract",
    "dep-base",
    "dep-child",
    "async-demo",
    "hook-fails",
    "activate-fails",
)


#: How a Python traceback starts.
TRACEBACK = "Traceback (most recent call last)"


def shown(result: Result) -> str:
    """The command, its exit code and its output, for assertion messages."""
    argv = " ".join(str(a) for a in result.args[1:])
    return (
        f"\n$ cloudcraver {argv}\nexit code {result.returncode}\n"
        f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    )


def error_lines(result: Result) -> list[str]:
    """The ``error:`` lines of stderr."""
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def warning_lines(result: Result) -> list[str]:
    """The ``warning:`` lines of stderr."""
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


def assert_no_traceback(result: Result) -> None:
    """No Python traceback reached the user."""
    assert TRACEBACK not in result.stderr, shown(result)
    assert TRACEBACK not in result.stdout, shown(result)


def assert_exit(result: Result, code: int) -> None:
    """The exit code is ``code``."""
    assert result.returncode == code, shown(result)


def assert_one_error(result: Result, code: int, *needles: str) -> str:
    """Exit ``code``; stderr holds one ``error:`` line (and maybe warnings), naming ``needles``.

    :returns: the error line.
    """
    assert_exit(result, code)
    assert_no_traceback(result)
    others = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not line.startswith("warning:")
    ]
    assert len(others) == 1 and others[0].startswith("error: "), (
        "expected exactly one one-line error" + shown(result)
    )
    for needle in needles:
        assert needle in others[0], f"{needle!r} not in the error line" + shown(result)
    return others[0]


def parse_json(result: Result) -> Any:
    """Standard output parsed as JSON (with the output in the message if it is not JSON)."""
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as exc:  # pragma: no cover - shown on failure only
        raise AssertionError(f"stdout is not JSON: {exc}" + shown(result)) from None


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``plugin list --json`` entries keyed by plugin name."""
    return {item["name"]: item for item in items}


def table_row(stdout: str, first_cell: str) -> str:
    """The line of a printed table whose first cell is ``first_cell``.

    Tables are drawn with rich on a terminal and printed as plain aligned text otherwise
    (the tests' standard output is a pipe); both are understood.
    """
    for line in stdout.splitlines():
        if "│" in line or "┃" in line:
            cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        else:
            cells = re.split(r"\s{2,}", line.strip())
        if cells and cells[0] == first_cell:
            return line
    raise AssertionError(f"no table row for {first_cell!r} in:\n{stdout}")


def assert_bad_manifest_fails_only_its_plugin(
    cc: Any, checkout: Any, plugin_path: Any, plugin: str, appended: str, reason: str
) -> None:
    """Append ``appended`` to the manifest of ``checkout`` (plugin ``plugin``, found on
    ``plugin_path``): listings still work, that plugin alone fails, saying ``reason``."""
    manifest = next(checkout.rglob("cloudcraver_plugin.toml"))
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write(appended)
    runner = cc.with_env(CLOUDCRAVER_PLUGIN_PATH=str(plugin_path))

    for args in (["plugin", "list", "--all", "--json"], ["template", "list", "--json"]):
        result = runner(*args)
        assert_exit(result, 0)
        assert_no_traceback(result)
    plugins = by_name(json.loads(runner("plugin", "list", "--all", "--json").stdout))
    assert plugins[plugin]["status"] == "failed"
    assert reason in plugins[plugin]["failure"]["reason"]
    assert plugins["aws-s3"]["status"] != "failed"

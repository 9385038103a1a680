"""Checking one value before ``cloudcraver config set`` writes it.

A value that breaks the configuration would make every later command exit 2, so it is
refused before the file changes: host keys by the host's own checks, ``plugins.NAME.*`` by
the JSON schema of the plugin's manifest (no plugin code is imported for that), or, for a
plugin without one, by its own config model (the CLI activates it with the value applied).
"""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from .config import host_value_problem, set_path

__all__ = ["host_assignment_problem", "plugin_value_problem", "quote_hint", "setting_path"]


def setting_path(path: Sequence[str]) -> tuple[str, ...]:
    """The key path without its ``env.NAME`` prefix (an environment section holds the same)."""
    if len(path) >= 2 and path[0] == "env":
        return tuple(path[2:])
    return tuple(path)


def host_assignment_problem(path: Sequence[str], value: Any) -> str | None:
    """What is wrong with setting ``host.KEY...`` (``path`` without any ``env.NAME``).

    A deeper key (``host.update_policies.cc-x``) is checked as the table it makes.
    """
    if len(path) > 2:
        value = set_path({}, path[2:], value)
    return host_value_problem(path[1], value)


def plugin_value_problem(
    section: Mapping[str, Any],
    keys: Sequence[str],
    value: Any,
    schema: Mapping[str, Any],
    raw: str,
) -> str | None:
    """What is wrong with ``plugins.NAME.<keys> = value`` under the plugin's config ``schema``.

    :param section: the plugin's effective table now; only problems at or under ``keys``
        count (a value missing elsewhere may come from another layer).
    :param raw: the value as the user typed it (for the hint to quote it).
    """
    from .schema_check import schema_problems

    updated = copy.deepcopy(dict(section))
    if keys:
        set_path(updated, keys, value)
    elif isinstance(value, Mapping):
        updated = dict(value)
    else:
        return "a plugin's settings are a table, such as {key = 1}"
    dotted = ".".join(keys)
    for key, expected in schema_problems(schema, updated):
        if dotted and key != dotted and not key.startswith(dotted + "."):
            continue
        if expected.startswith("required") and key != dotted and dotted:
            continue
        return expected + quote_hint(expected, value, raw)
    return None


def quote_hint(expected: str, value: Any, raw: str) -> str:
    """A hint when TOML read a number, boolean or date where text is expected."""
    if "string" not in expected or isinstance(value, (str, list, dict)):
        return ""
    if isinstance(value, (bool, int, float, _dt.date, _dt.time)):
        kind = type(value).__name__
        return f"; TOML reads {raw} as a {kind}: to set the text, quote it: '\"{raw}\"'"
    return ""

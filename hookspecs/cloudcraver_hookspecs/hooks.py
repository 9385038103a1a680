"""A table of the hooks, read from the specifications' own docstrings.

The docstrings in :mod:`cloudcraver_hookspecs.specs` are the single source of truth: the
host reads from this table which hooks are called per plugin and which may be ``async``,
and the documentation test compares it with ``docs/hooks.md``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from . import specs

__all__ = ["HookInfo", "describe_hook", "hook_table"]

_FIELD = re.compile(
    r"^\s*:(?P<key>param (?P<arg>\w+)|returns|firstresult|called|async):\s*(?P<text>.*)$"
)


@dataclass(frozen=True)
class HookInfo:
    """What the contract says of one hook.

    :param name: the hook's name.
    :param arguments: its argument names, in the order of the specification.
    :param documented_arguments: the arguments its docstring documents, in that order.
    :param summary: the first line of its docstring.
    :param returns: what its result means.
    :param firstresult: whether the call stops at the first non-``None`` result.
    :param per_plugin: whether the host calls it on one plugin at a time.
    :param may_be_async: whether an implementation may be a coroutine function.
    """

    name: str
    arguments: tuple[str, ...]
    documented_arguments: tuple[str, ...]
    summary: str
    returns: str
    firstresult: bool
    per_plugin: bool
    may_be_async: bool

    @property
    def signature(self) -> str:
        """``name(arg, ...)``, as the documentation heads the hook."""
        return f"{self.name}({', '.join(self.arguments)})"


def describe_hook(function: Callable[..., object]) -> HookInfo:
    """Read a hook specification function's signature and documented fields."""
    name = function.__name__
    doc = inspect.getdoc(function) or ""
    fields: dict[str, str] = {}
    documented: list[str] = []
    key = ""
    for line in doc.splitlines():
        match = _FIELD.match(line)
        if match is None:
            if key and line.startswith("    "):  # a field's continuation line
                fields[key] += " " + line.strip()
            else:
                key = ""
            continue
        key = match["key"]
        fields[key] = match["text"].strip()
        if match["arg"]:
            documented.append(match["arg"])
    return HookInfo(
        name=name,
        arguments=tuple(inspect.signature(function).parameters),
        documented_arguments=tuple(documented),
        summary=doc.splitlines()[0] if doc else "",
        returns=fields.get("returns", ""),
        firstresult=fields.get("firstresult", "").startswith("yes"),
        per_plugin=fields.get("called", "").startswith("per plugin"),
        may_be_async=fields.get("async", "").startswith("yes"),
    )


@cache
def hook_table() -> dict[str, HookInfo]:
    """Every hook of the contract, by name, in the order of :data:`specs.__all__`."""
    return {name: describe_hook(getattr(specs, name)) for name in specs.__all__}

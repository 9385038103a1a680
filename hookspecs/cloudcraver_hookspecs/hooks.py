"""A table of the hooks, read from the specifications in :mod:`cloudcraver_hookspecs.specs`.

How the host calls a hook comes from the marks on its specification (pluggy's
``firstresult`` option, :func:`~cloudcraver_hookspecs.markers.hookbehaviour`): the host
reads from this table which hooks stop at the first result, are called per plugin and may
be ``async``. What people read (summary, arguments, result) comes from the docstring. The
documentation test checks the docstrings and ``docs/hooks.md`` against the marks.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from . import specs
from .markers import PROJECT_NAME, behaviour_of

__all__ = ["HookInfo", "describe_hook", "hook_table"]

_FIELD = re.compile(r"^\s*:(?P<key>param (?P<arg>\w+)|returns|\w+):\s*(?P<text>.*)$")


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
    """Read a hook specification function's marks, signature and documented fields.

    :raises TypeError: if ``function`` lacks ``@hookspec`` or ``@hookbehaviour``.
    """
    name = function.__name__
    options = getattr(function, f"{PROJECT_NAME}_spec", None)
    behaviour = behaviour_of(function)
    if options is None or behaviour is None:
        raise TypeError(
            f"{name} is not a hook specification marked with @hookspec and @hookbehaviour"
        )
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
        firstresult=bool(options.get("firstresult")),
        per_plugin=behaviour.per_plugin,
        may_be_async=behaviour.may_be_async,
    )


@cache
def hook_table() -> dict[str, HookInfo]:
    """Every hook of the contract, by name, in the order of :data:`specs.__all__`."""
    return {name: describe_hook(getattr(specs, name)) for name in specs.__all__}

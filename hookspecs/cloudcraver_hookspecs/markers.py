"""The pluggy markers of the Cloud Craver project, and the mark of how the host calls a hook.

A plugin marks its hook implementations with :data:`hookimpl`::

    from cloudcraver_hookspecs import hookimpl

    @hookimpl
    def validate_document(document):
        ...

The specifications in :mod:`cloudcraver_hookspecs.specs` carry two marks: pluggy's
:data:`hookspec` (``firstresult``) and :func:`hookbehaviour` (called per plugin or
broadcast; whether an implementation may be ``async``), which the host reads as data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pluggy

__all__ = ["PROJECT_NAME", "HookBehaviour", "behaviour_of", "hookbehaviour", "hookimpl", "hookspec"]

#: The pluggy project name shared by the host's plugin manager and every marker.
PROJECT_NAME = "cloudcraver"

#: Marks a function of a plugin as the implementation of the hook of the same name
#: (or of ``specname=``). Options: ``tryfirst``, ``trylast``, ``wrapper``, ``specname``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Marks a hook specification; used by :mod:`cloudcraver_hookspecs.specs` only.
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

# Where the behaviour is kept on a specification function (as pluggy keeps its options
# under "cloudcraver_spec").
_ATTRIBUTE = f"{PROJECT_NAME}_behaviour"

_Function = TypeVar("_Function", bound=Callable[..., object])


@dataclass(frozen=True)
class HookBehaviour:
    """How the host calls a hook.

    :param per_plugin: ``True``: the host calls it on one plugin at a time, with that
        plugin's own arguments; ``False``: broadcast to every activated plugin implementing
        it, in call order.
    :param may_be_async: whether an implementation may be an ``async def`` (the host
        awaits it); the host refuses a coroutine function for a hook that may not be one.
    """

    per_plugin: bool
    may_be_async: bool


def hookbehaviour(*, per_plugin: bool, may_be_async: bool) -> Callable[[_Function], _Function]:
    """Record on a hook specification how the host calls it (see :class:`HookBehaviour`)."""
    behaviour = HookBehaviour(per_plugin=per_plugin, may_be_async=may_be_async)

    def mark(function: _Function) -> _Function:
        setattr(function, _ATTRIBUTE, behaviour)
        return function

    return mark


def behaviour_of(function: Callable[..., object]) -> HookBehaviour | None:
    """The behaviour recorded on ``function`` by :func:`hookbehaviour`, or ``None``."""
    behaviour = getattr(function, _ATTRIBUTE, None)
    return behaviour if isinstance(behaviour, HookBehaviour) else None

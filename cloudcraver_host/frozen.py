"""Read-only document data: what every validator sees is what the parser gave.

One document goes to every ``validate_document`` implementation in turn; a validator that
changed it (``del document.data["Resources"]``) would hide the document from the validators
after it. :func:`freeze` turns the parsed data into :class:`FrozenDict` and
:class:`FrozenList`: still ``dict`` and ``list`` (``isinstance`` checks, ``json.dumps``,
iteration and lookups work and cost the same), but every method that changes them raises
``TypeError``. ``copy.copy``, ``copy.deepcopy``, ``dict(x)`` and ``list(x)`` give ordinary,
changeable copies, for a validator that wants to work on its own copy.

Freezing copies each container once per document (no per-plugin copy). Going around it on
purpose (``dict.__setitem__(data, ...)``) is possible: plugins in the host's process are
trusted code; this stops mistakes, not attacks.
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn

__all__ = ["FrozenDict", "FrozenList", "freeze", "thaw"]

_ADVICE = "document data is read-only (shared by every validator); change a copy: copy.deepcopy()"


def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise TypeError(_ADVICE)


class FrozenDict(dict):  # type: ignore[type-arg]
    """A ``dict`` that cannot be changed."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> dict[Any, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return thaw(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __repr__(self) -> str:
        return dict.__repr__(self)


class FrozenList(list):  # type: ignore[type-arg]
    """A ``list`` that cannot be changed."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = clear = extend = insert = pop = remove = reverse = sort = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return thaw(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenList, (list(self),))

    def __repr__(self) -> str:
        return list.__repr__(self)


_CONTAINERS = (dict, list, tuple)


def freeze(value: Any) -> Any:
    """``value`` with every ``dict`` and ``list`` in it made read-only (a copy; leaves shared)."""
    kind = type(value)
    if kind is dict or kind is FrozenDict:
        return FrozenDict(
            {k: freeze(v) if isinstance(v, _CONTAINERS) else v for k, v in value.items()}
        )
    if kind is list or kind is FrozenList:
        return FrozenList([freeze(v) if isinstance(v, _CONTAINERS) else v for v in value])
    if kind is tuple:
        return tuple(freeze(v) if isinstance(v, _CONTAINERS) else v for v in value)
    if isinstance(value, dict):  # another mapping type a parser chose: a frozen plain copy
        return freeze(dict(value))
    if isinstance(value, list):
        return freeze(list(value))
    return value


def thaw(value: Any) -> Any:
    """An ordinary, changeable deep copy of frozen data."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [thaw(v) for v in value]
    if isinstance(value, tuple):
        return tuple(thaw(v) for v in value)
    return copy.deepcopy(value)

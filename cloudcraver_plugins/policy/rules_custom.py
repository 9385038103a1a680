"""Rules the organisation writes in its configuration (``custom_rules``).

A custom rule states what must hold of a property of every resource of a type; a
resource for which it does not hold is a finding. Values the document does not determine
pass, as with the built-in rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from cloudcraver_hookspecs import Severity

from .model import MISSING, UNKNOWN, Inventory, Rule, Violation, is_false, is_true, split_path

if TYPE_CHECKING:
    from .config import CustomRule, PolicyConfig

__all__ = ["condition_holds", "custom_rule"]


def _equal(value: Any, expected: Any) -> bool:
    if isinstance(expected, bool):  # templates often write booleans as text
        return is_true(value) if expected else is_false(value)
    if isinstance(value, str) and isinstance(expected, (int, float)):
        return value == str(expected)
    return bool(value == expected)


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def condition_holds(condition: str, expected: Any, value: Any) -> bool:
    """Whether one known ``value`` satisfies ``condition`` (with its ``expected`` value).

    :param condition: ``exists``, ``absent``, ``equals``, ``matches`` or ``in``.
    :param expected: the value for ``equals``, the regular expression for ``matches``
        (matched against the whole value), the list for ``in``.
    :param value: a property value, or :data:`~.model.MISSING`.
    """
    if condition == "exists":
        return value is not MISSING
    if condition == "absent":
        return value is MISSING
    if condition == "equals":
        return _equal(value, expected)
    if condition == "matches":
        text = _as_text(value)
        return text is not None and _compiled(str(expected)).fullmatch(text) is not None
    if condition == "in":
        return any(_equal(value, item) for item in expected)
    raise ValueError(f"unknown condition {condition!r}")


def _type_matches(inventory: Inventory, resource_type: str, pattern: str) -> bool:
    if inventory.format == "arm":  # ARM types compare without case
        return fnmatchcase(resource_type.lower(), pattern.lower())
    return fnmatchcase(resource_type, pattern)


def custom_rule(spec: CustomRule) -> Rule:
    """The :class:`~.model.Rule` a ``custom_rules`` entry describes."""
    path = split_path(spec.property)

    def check(inventory: Inventory, config: PolicyConfig) -> Iterator[Violation]:
        for resource in inventory.resources:
            if not _type_matches(inventory, resource.type, spec.resource_type):
                continue
            values = inventory.lookup(resource.body, path)
            if not all(
                value is UNKNOWN or condition_holds(spec.condition, spec.value, value)
                for value in values
            ):
                yield Violation(resource, spec.message, resource.at(*path))

    return Rule(
        id=spec.id,
        severity=Severity(spec.severity),
        description=spec.message,
        remediation=spec.remediation or spec.message,
        check=check,
    )

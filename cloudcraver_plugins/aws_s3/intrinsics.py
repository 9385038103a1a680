"""CloudFormation intrinsic functions as small tagged values.

The renderer builds a template from dicts, lists and scalars plus :class:`Intrinsic`
values, and each writer spells them its own way: the YAML writer as short tags
(``!GetAtt Bucket.Arn``), the JSON writer as the long form (``{"Fn::GetAtt": [...]}``).
Keeping the function symbolic until writing is what lets both outputs describe the same
template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Intrinsic", "get_att", "ref", "sub", "to_json_data"]


@dataclass(frozen=True)
class Intrinsic:
    """A call of a CloudFormation intrinsic function.

    :param function: the long name, as in JSON: ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``...
    :param argument: its argument, in the long form's shape (a list for ``Fn::GetAtt``).
    """

    function: str
    argument: Any

    @property
    def tag(self) -> str:
        """The YAML short-form tag: ``!Ref``, ``!GetAtt``, ``!Sub``..."""
        return "!" + self.function.removeprefix("Fn::")


def ref(name: str) -> Intrinsic:
    """``Ref``: a parameter's value or a resource's primary identifier."""
    return Intrinsic("Ref", name)


def get_att(resource: str, attribute: str) -> Intrinsic:
    """``Fn::GetAtt``: an attribute of a resource of the same template."""
    return Intrinsic("Fn::GetAtt", [resource, attribute])


def sub(template: str) -> Intrinsic:
    """``Fn::Sub``: a string with ``${Name}`` and ``${Resource.Attribute}`` substitutions."""
    return Intrinsic("Fn::Sub", template)


def to_json_data(value: Any) -> Any:
    """``value`` with every :class:`Intrinsic` replaced by its long JSON form."""
    if isinstance(value, Intrinsic):
        return {value.function: to_json_data(value.argument)}
    if isinstance(value, Mapping):
        return {key: to_json_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_data(item) for item in value]
    return value

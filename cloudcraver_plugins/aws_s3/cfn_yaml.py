"""Deterministic CloudFormation writers: YAML with short intrinsic tags, and JSON.

Both take the template as built by :mod:`.render`: dicts (written in insertion order),
lists, scalars and :class:`~.intrinsics.Intrinsic` values. The same input always gives the
same text: keys are never sorted or reordered, no anchors or aliases are emitted, and long
strings are never folded.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .intrinsics import Intrinsic, to_json_data

if TYPE_CHECKING:
    import yaml

__all__ = ["dump_json", "dump_yaml"]

# Wide enough that no CloudFormation string is ever folded over two lines.
_WIDTH = 4096


def dump_yaml(template: Mapping[str, Any]) -> str:
    """The template as CloudFormation YAML, intrinsic functions in their short form."""
    import yaml

    return yaml.dump(
        template,
        Dumper=_dumper(),
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=_WIDTH,
        indent=2,
    )


def dump_json(template: Mapping[str, Any]) -> str:
    """The template as CloudFormation JSON (two-space indent, trailing newline)."""
    return json.dumps(to_json_data(template), indent=2, ensure_ascii=False) + "\n"


def _represent_intrinsic(dumper: yaml.SafeDumper, value: Intrinsic) -> yaml.Node:
    argument = value.argument
    if value.function == "Fn::GetAtt" and _is_dotted_pair(argument):
        return dumper.represent_scalar(value.tag, ".".join(argument))
    if isinstance(argument, str):
        return dumper.represent_scalar(value.tag, argument)
    if isinstance(argument, (list, tuple)):
        return dumper.represent_sequence(value.tag, argument)
    if isinstance(argument, Mapping):
        return dumper.represent_mapping(value.tag, argument)
    raise TypeError(f"{value.function}: cannot write an argument of type {type(argument).__name__}")


def _is_dotted_pair(argument: Any) -> bool:
    # "!GetAtt Resource.Attribute" is only unambiguous when the resource has no dot.
    return (
        isinstance(argument, (list, tuple))
        and len(argument) == 2
        and all(isinstance(part, str) for part in argument)
        and "." not in argument[0]
    )


def _is_local_tag(tag: str | None) -> bool:
    """Whether ``tag`` is a short local tag such as ``!Ref`` (not a ``!!`` standard one)."""
    return tag is not None and tag.startswith("!") and not tag.startswith("!!")


@functools.cache
def _dumper() -> type[yaml.SafeDumper]:
    """The dumper class, made on first use so that importing this module skips PyYAML."""
    import yaml

    class CloudFormationDumper(yaml.SafeDumper):
        """A safe dumper with intrinsic tags, indented lists and no aliases."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            # Lists indented under their key, the layout CloudFormation examples use.
            super().increase_indent(flow, False)

        def choose_scalar_style(self) -> str:
            # PyYAML quotes every scalar with an explicit tag; "!Ref Bucket" needs no quotes
            # whenever the text could be written plain (the tag fixes its type anyway).
            style: str = super().choose_scalar_style()
            event = self.event
            analysis = self.analysis
            if (
                style == "'"
                and analysis is not None
                and isinstance(event, yaml.ScalarEvent)
                and _is_local_tag(event.tag)
            ):
                plain = analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain
                if plain and not (analysis.multiline or analysis.empty):
                    return ""
            return style

    CloudFormationDumper.add_representer(Intrinsic, _represent_intrinsic)
    return CloudFormationDumper

"""Reading CloudFormation YAML safely.

- Short intrinsic tags (``!Ref``, ``!GetAtt``, ``!Sub``...) become the long JSON form
  (``{"Ref": ...}``), so rules see one shape whatever the source.
- Built on PyYAML's ``SafeLoader``: no Python objects, and no timestamps, binaries or sets
  either; the data is plain JSON-ready values with text keys.
- Hostile input is refused before it costs anything: more than :data:`MAX_ALIASES` aliases,
  aliases expanding to more than :data:`MAX_NODES` nodes (alias bombs), recursive
  aliases, nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_DOCUMENT_NODES`
  nodes of its own (the time to check them), duplicate keys (which would hide one of two
  definitions) and unknown tags such as ``!Include``.

Every problem is a :class:`YamlProblem` carrying the 1-based line it is on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .integers import IntegerTooLarge, check_integer, too_large
from .model import escape_pointer

try:  # libyaml's parser, when PyYAML was built with it
    import yaml.cyaml as _cyaml
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _cyaml = None  # type: ignore[assignment]
CParser: Any = getattr(_cyaml, "CParser", None)

__all__ = [
    "INTRINSIC_TAGS",
    "ComposedYaml",
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_DOCUMENT_NODES",
    "MAX_NODES",
    "YamlProblem",
    "check_size",
    "compose",
    "construct",
    "is_cloudformation",
    "source_map",
]

#: The most aliases (``*name``) a document may use.
MAX_ALIASES = 100
#: The most nodes aliases may add to a document once expanded (its own nodes not counted).
MAX_NODES = 1_000_000
#: The most nodes a document may have of its own (aliases not expanded). Constructing,
#: checking and mapping a node costs about 10 microseconds; a template of the largest
#: size CloudFormation accepts (1 MB) has about 100,000.
MAX_DOCUMENT_NODES = 200_000
#: The deepest nesting accepted.
MAX_DEPTH = 100
# Source maps stop here: findings point at resources and properties, not deep leaves.
_MAP_DEPTH = 12

#: Short tags and the long-form key each becomes.
INTRINSIC_TAGS: dict[str, str] = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Contains",
            "Equals",
            "FindInMap",
            "ForEach",
            "GetAZs",
            "GetAtt",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
        )
    },
}

_STANDARD = "tag:yaml.org,2002:"
# Standard tags whose values are not plain JSON data: refused like unknown tags.
_REFUSED_STANDARD_TAGS = frozenset(
    _STANDARD + name for name in ("timestamp", "binary", "set", "omap", "pairs")
)


class YamlProblem(Exception):
    """A problem in a YAML document, at a 1-based line when known."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node_or_mark: Any) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    line = getattr(mark, "line", None)
    return None if line is None else int(line) + 1


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_STANDARD) if tag.startswith(_STANDARD) else tag


class _Rules(SafeConstructor, Resolver):
    """The CloudFormation constructor: intrinsic tags, strict mappings, no unknown tags."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            raise YamlProblem(_line(node), "expected a mapping")
        _check_own_keys(node)
        self.flatten_mapping(node)  # merge keys (<<) first, so the mapping's own keys win
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            mapping[key if isinstance(key, str) else key_node.value] = self.construct_object(
                value_node, deep=deep
            )
        return mapping

    def construct_yaml_int(self, node: ScalarNode) -> int:
        """An integer, refused when over :data:`.integers.MAX_INTEGER_DIGITS` digits."""
        text = str(node.value)
        if len(text) < 19:  # the common case, too short to check: as fast as PyYAML
            return int(super().construct_yaml_int(node))
        try:
            check_integer(text)
            value: int = super().construct_yaml_int(node)
            check_integer(text, value)
        except IntegerTooLarge as error:
            raise YamlProblem(_line(node), str(error)) from None
        except ValueError:  # the interpreter's own limit, when set lower than ours
            raise YamlProblem(_line(node), str(too_large(len(text)))) from None
        return value

    def construct_undefined(self, node: Node) -> Any:
        known = ", ".join(INTRINSIC_TAGS)
        raise YamlProblem(
            _line(node),
            f"unknown tag {_shown_tag(node.tag or '')}: CloudFormation YAML allows {known}; "
            "expand includes and macros before validating",
        )


class _PythonLoader(Reader, Scanner, Parser, Composer, _Rules):
    """PyYAML's own reader, scanner, parser and composer."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


_Loader: Any = _PythonLoader
if CParser is not None:  # libyaml, when PyYAML was built with it: five times faster

    class _CLoader(CParser, _Rules):  # type: ignore[misc]
        """libyaml's parser and composer with the CloudFormation constructor."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader = _CLoader


def _check_own_keys(node: MappingNode) -> None:
    """Refuse complex and duplicate keys among the mapping's own (not merged) keys."""
    first_line: dict[str, int | None] = {}
    for key_node, _ in node.value:
        if key_node.tag == _STANDARD + "merge":
            continue
        if not isinstance(key_node, ScalarNode):
            raise YamlProblem(_line(key_node), "mapping keys must be plain scalars")
        key = key_node.value
        if key in first_line:
            raise YamlProblem(
                _line(key_node), f"duplicate key {key!r} (first defined at line {first_line[key]})"
            )
        first_line[key] = _line(key_node)


def _construct_intrinsic(function: str) -> Any:
    def construct(loader: _Rules, node: Node) -> dict[str, Any]:
        if isinstance(node, ScalarNode):
            text = loader.construct_scalar(node)
            if function == "Fn::GetAtt":
                resource, _, attribute = text.partition(".")
                return {function: [resource, attribute]}
            return {function: text}
        if isinstance(node, SequenceNode):
            return {function: loader.construct_sequence(node, deep=True)}
        if isinstance(node, MappingNode):
            return {function: loader.construct_mapping(node, deep=True)}
        raise YamlProblem(_line(node), f"unexpected node for {function}")

    return construct


def _configure_loader() -> None:
    # Dates stay text ("2010-09-09"), as CloudFormation reads them.
    _Rules.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _STANDARD + "timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _Rules.yaml_constructors = {
        tag: constructor
        for tag, constructor in yaml.SafeLoader.yaml_constructors.items()
        if tag not in _REFUSED_STANDARD_TAGS and tag is not None
    }
    # The stubs bind add_constructor to PyYAML's own loader classes; _Rules is a mixin of both.
    _Rules.add_constructor(None, _Rules.construct_undefined)  # type: ignore[type-var]
    _Rules.add_constructor(_STANDARD + "int", _Rules.construct_yaml_int)  # type: ignore[type-var]
    for tag, function in INTRINSIC_TAGS.items():
        _Rules.add_constructor(tag, _construct_intrinsic(function))


_configure_loader()


def _problem_from(error: yaml.YAMLError, text: str) -> YamlProblem:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        message = f"invalid YAML: {error.problem or error.context or 'syntax error'}"
        if error.context and error.problem and error.context_mark is not None:
            message += f" ({error.context} at line {error.context_mark.line + 1})"
        return YamlProblem(_line(mark), message)
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        return YamlProblem(line, f"invalid YAML: {error.reason}, character {error.character!r}")
    return YamlProblem(None, f"invalid YAML: {error}")


class ComposedYaml:
    """A composed (not yet constructed) YAML document and the loader that read it."""

    def __init__(self, loader: Any, root: Node) -> None:
        self.loader = loader
        self.root = root


def compose(text: str) -> ComposedYaml | None:
    """Parse ``text`` into a node graph; ``None`` for an empty document.

    Aliases are not expanded (an alias is the node it names): :func:`check_size` the
    graph before constructing it.

    :raises YamlProblem: for invalid YAML.
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except YamlProblem:
        raise
    except yaml.YAMLError as error:
        raise _problem_from(error, text) from None
    except RecursionError:
        raise YamlProblem(None, f"nested deeper than {MAX_DEPTH} levels") from None
    if root is None:
        return None
    return ComposedYaml(loader, root)


def check_size(composed: ComposedYaml) -> None:
    """Refuse what constructing the document would cost too much for.

    :raises YamlProblem: for too many aliases, aliases expanding to too many nodes,
        recursive aliases, too deep nesting, or more than :data:`MAX_DOCUMENT_NODES` nodes.
    """
    _check_expanded_size(composed.root)


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _check_expanded_size(root: Node) -> None:
    """Refuse alias bombs, recursive aliases and too deep nesting.

    What aliases add is limited: a node met again is an alias, and the nodes it stands
    for (its expanded size, counted once per node) are added to the expansion. The
    document's own nodes are limited apart, by what checking them costs (time), not as
    a sign of a bomb.
    """
    sizes: dict[int, int] = {}  # by node id: aliases share nodes, so count each once
    active: set[int] = set()
    aliases = 0
    expansion = 0
    own = 0

    def size(node: Node, depth: int, parent: Node) -> int:
        nonlocal aliases, expansion, own
        key = id(node)
        if key in sizes:  # a node met again: reached through an alias
            aliases += 1
            expansion += sizes[key]
            if aliases > MAX_ALIASES:
                raise YamlProblem(
                    _line(parent),
                    f"more than {MAX_ALIASES} YAML aliases (*name): refused as a possible "
                    "alias bomb",
                )
            if expansion > MAX_NODES:
                raise YamlProblem(
                    _line(parent),
                    f"the document expands to more than {MAX_NODES} nodes through aliases: "
                    "refused as a possible alias bomb",
                )
            return sizes[key]
        if key in active:
            raise YamlProblem(_line(node), "recursive alias: a node contains itself")
        if depth > MAX_DEPTH:
            raise YamlProblem(_line(node), f"nested deeper than {MAX_DEPTH} levels")
        own += 1
        if own > MAX_DOCUMENT_NODES:
            raise YamlProblem(
                _line(node),
                f"more than {MAX_DOCUMENT_NODES:,} YAML nodes: too large to check within the "
                "time limit; split the template into nested stacks",
            )
        active.add(key)
        total = 1
        for child in _children(node):
            total += size(child, depth + 1, node)
        active.discard(key)
        sizes[key] = total
        return total

    size(root, 0, root)


def is_cloudformation(composed: ComposedYaml) -> bool:
    """Whether the document is a mapping with ``AWSTemplateFormatVersion`` or ``Resources``."""
    root = composed.root
    return isinstance(root, MappingNode) and any(
        isinstance(key, ScalarNode) and key.value in ("AWSTemplateFormatVersion", "Resources")
        for key, _ in root.value
    )


def construct(composed: ComposedYaml) -> Any:
    """The document as plain data, intrinsic functions in their long form.

    :raises YamlProblem: for an unknown tag, a duplicate key or a complex key.
    """
    try:
        return composed.loader.construct_document(composed.root)
    except YamlProblem:
        raise
    except yaml.YAMLError as error:
        raise _problem_from(error, "") from None
    finally:
        composed.loader.dispose()


def source_map(composed: ComposedYaml) -> dict[str, int]:
    """JSON pointer -> 1-based line of every node down to a useful depth.

    A mapping entry is located at its key (``/Resources/Bucket`` is the line of
    ``Bucket:``); a list item at its first line. Intrinsic tags add their long-form key
    to the pointer, as in the constructed data.
    """
    lines: dict[str, int] = {}
    root_line = _line(composed.root)
    if root_line is not None:
        lines[""] = root_line
    stack: list[tuple[Node, str, int]] = [(composed.root, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth >= _MAP_DEPTH:
            continue
        function = INTRINSIC_TAGS.get(node.tag or "")
        if function is not None:
            pointer += "/" + escape_pointer(function)
        for child_pointer, line_node, child in _entries(node, pointer):
            line = _line(line_node)
            if line is not None:
                lines.setdefault(child_pointer, line)
            stack.append((child, child_pointer, depth + 1))
    return lines


def _entries(node: Node, pointer: str) -> Iterator[tuple[str, Node, Node]]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                yield f"{pointer}/{escape_pointer(key.value)}", key, value
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield f"{pointer}/{index}", item, item

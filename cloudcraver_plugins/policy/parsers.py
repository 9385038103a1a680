"""Recognising and parsing the documents the policy rules check.

By suffix, then by content:

=====================================  ================================  ==================
file                                   recognised by                     ``format``
=====================================  ================================  ==================
``.yaml``, ``.yml``, ``.template``     ``AWSTemplateFormatVersion`` or   ``cloudformation``
                                       ``Resources`` at the top
``.json``, ``.template.json``          the same keys                     ``cloudformation``
``.tf`` (HCL, through :mod:`.hcl`)     the suffix                        ``terraform``
``.tf.json`` (or ``.json``)            ``.tf.json``, or ``resource``     ``terraform``
``.json``                              ``planned_values``                ``terraform-plan``
``.json``                              ``$schema`` naming a              ``arm``
                                       ``deploymentTemplate``
=====================================  ================================  ==================

Anything else gives ``None`` (another plugin may know it). A file whose suffix says YAML,
JSON or HCL but whose text is not valid YAML, JSON or HCL raises
:class:`~cloudcraver_hookspecs.PluginInputError` as ``path:line: what is wrong``.

``.tf`` files are read into the structure Terraform defines for ``.tf.json``, so that
both syntaxes give the same ``terraform`` document shape (blocks as lists of bodies).
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from cloudcraver_hookspecs import DocumentSource, InfrastructureDocument, PluginInputError

__all__ = ["FORMATS", "HCL_SUFFIXES", "JSON_SUFFIXES", "YAML_SUFFIXES", "parse_document"]

#: The formats this module produces (and the policy rules check).
FORMATS = ("cloudformation", "terraform", "terraform-plan", "arm")
#: Suffixes read as YAML.
YAML_SUFFIXES = frozenset({".yaml", ".yml", ".template.yaml"})
#: Suffixes read as JSON.
JSON_SUFFIXES = frozenset({".json", ".tf.json", ".template.json"})
#: Suffixes read as HCL (Terraform's native syntax).
HCL_SUFFIXES = frozenset({".tf"})
#: CloudFormation rejects templates over this many bytes (1 MB, in S3): refused unread.
MAX_CLOUDFORMATION_BYTES = 1_000_000
#: Azure Resource Manager rejects templates over this many bytes (4 MB).
MAX_ARM_BYTES = 4 * 1024 * 1024
# Top-level keys that make a YAML document CloudFormation, as a large file is checked for
# them before it is parsed.
_CLOUDFORMATION_KEY = re.compile(
    r"^[\"']?(?:AWSTemplateFormatVersion|Resources)[\"']?[ \t]*:", re.M
)


# Where a document whose root is a flow mapping starts: after comments, directives and
# the document marker.
_FLOW_MAPPING_START = re.compile(r"(?:\s|#[^\n]*|%[^\n]*|---)*\{")


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def parse_document(source: DocumentSource) -> InfrastructureDocument | None:
    """Parse ``source`` if it is a document the policy rules check, else ``None``.

    :raises PluginInputError: for malformed YAML, JSON or HCL, unknown YAML tags, duplicate
        keys and documents refused as hostile (alias bombs, inputs over the parsers' limits).
    """
    suffix = source.suffix
    if suffix in HCL_SUFFIXES:
        return _parse_hcl(source)
    if suffix in JSON_SUFFIXES:
        return _parse_json(source)
    if suffix in YAML_SUFFIXES:
        return _parse_yaml(source)
    if suffix == ".template":  # CloudFormation's own convention, either syntax
        if source.text.lstrip().startswith("{"):
            return _parse_json(source)
        return _parse_yaml(source)
    return None


def _error(source: DocumentSource, line: int | None, message: str) -> PluginInputError:
    where = f"{source.path}:{line}" if line is not None else source.path
    return PluginInputError(f"{where}: {message}")


def _byte_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _check_size(source: DocumentSource, document_format: str) -> None:
    """Refuse a template its own service would reject for its size, before reading it."""
    limits = {"cloudformation": MAX_CLOUDFORMATION_BYTES, "arm": MAX_ARM_BYTES}
    limit = limits.get(document_format)
    if limit is None or len(source.text) <= limit // 4:  # at most 4 bytes a character
        return
    size = _byte_size(source.text)
    if size > limit:
        service, advice = {
            "cloudformation": ("CloudFormation", "split it into nested stacks"),
            "arm": ("Azure Resource Manager", "split it into linked templates"),
        }[document_format]
        raise _error(
            source,
            None,
            f"{size:,} bytes is over the {limit:,} bytes {service} accepts for a template: "
            f"{advice}",
        )


def _parse_yaml(source: DocumentSource) -> InfrastructureDocument | None:
    from . import cfn_yaml

    text = source.text
    if _FLOW_MAPPING_START.match(text):
        data = _json_or_none(text)
        if data is not None:  # JSON saved as YAML: read as JSON, fifty times faster
            return _template_written_as_json(source, data)
    if len(text) > MAX_CLOUDFORMATION_BYTES:
        # Over CloudFormation's limit: a template is refused for its size and anything
        # else is not ours, decided without the seconds and hundreds of megabytes that
        # composing megabytes of YAML costs. A block mapping's keys start their lines;
        # only a flow mapping that is not JSON needs parsing to tell.
        if _CLOUDFORMATION_KEY.search(text):
            _check_size(source, "cloudformation")  # raises: over in characters, so in bytes
        if not _FLOW_MAPPING_START.match(text):
            return None
    with _collector_paused():
        try:
            composed = cfn_yaml.compose(source.text)
            if composed is None or not cfn_yaml.is_cloudformation(composed):
                return None  # never constructed: no alias is expanded, no limit applies
            cfn_yaml.check_size(composed)
            _check_size(source, "cloudformation")
            data = cfn_yaml.construct(composed)
        except cfn_yaml.YamlProblem as problem:
            raise _error(source, problem.line, problem.message) from None
        lines = cfn_yaml.source_map(composed)
    return InfrastructureDocument(path=source.path, format="cloudformation", data=data, lines=lines)


def _json_or_none(text: str) -> Any:
    """``text`` read as JSON (no duplicate keys or constants), or ``None`` if it is not."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except (ValueError, RecursionError, _DuplicateKey):  # YAML tells what is wrong
        return None


def _template_written_as_json(source: DocumentSource, data: Any) -> InfrastructureDocument | None:
    """A ``.yaml`` file holding JSON (YAML's subset): a template, as CloudFormation reads it."""
    from . import json_lines

    if _json_format(data, ".template.json") != "cloudformation":
        return None
    _check_size(source, "cloudformation")
    lines = json_lines.LazySourceMap(source.text)
    return InfrastructureDocument(path=source.path, format="cloudformation", data=data, lines=lines)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a document's many objects are made.

    Its passes over tens of thousands of young nodes cost a third of the parse time; the
    few cycles a document may hold (a recursive YAML alias) are collected afterwards.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _parse_hcl(source: DocumentSource) -> InfrastructureDocument:
    from . import hcl

    try:
        data, lines = hcl.parse(source.text)
    except hcl.HclProblem as problem:
        raise _error(source, problem.line, problem.message) from None
    return InfrastructureDocument(path=source.path, format="terraform", data=data, lines=lines)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _parse_json(source: DocumentSource) -> InfrastructureDocument | None:
    from . import json_lines

    text = source.text
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        message = f"invalid JSON: {error.msg} (column {error.colno})"
        raise _error(source, error.lineno, message) from None
    except _DuplicateKey as duplicate:
        found = json_lines.duplicate_key_line(text)
        line = found[1] if found is not None else None
        raise _error(source, line, f"invalid JSON: duplicate key {duplicate.key!r}") from None
    except ValueError as error:  # NaN, Infinity, an integer over Python's digit limit
        raise _json_value_error(source, error) from None
    except RecursionError:
        raise _error(source, None, "invalid JSON: nested too deeply") from None
    document_format = _json_format(data, source.suffix)
    if document_format is None:
        return None
    _check_size(source, document_format)
    return InfrastructureDocument(
        path=source.path,
        format=document_format,
        data=data,
        lines=json_lines.LazySourceMap(text),
    )


def _json_value_error(source: DocumentSource, error: ValueError) -> PluginInputError:
    """The error for a value ``json`` refused: a constant, or too long an integer."""
    from . import integers

    found = integers.find_long_integer(source.text) if "digits" in str(error) else None
    if found is None:
        return _error(source, None, f"invalid JSON: {error}")
    start, digits = found
    line = source.text.count("\n", 0, start) + 1
    return _error(source, line, f"invalid JSON: {integers.too_large(digits)}")


def _json_format(data: Any, suffix: str) -> str | None:
    if not isinstance(data, Mapping):
        return None
    if suffix == ".tf.json" or isinstance(data.get("resource"), (Mapping, list)):
        return "terraform"
    if isinstance(data.get("planned_values"), Mapping):
        return "terraform-plan"
    schema = data.get("$schema")
    if isinstance(schema, str) and "deploymenttemplate" in schema.lower():
        return "arm"
    if "AWSTemplateFormatVersion" in data or isinstance(data.get("Resources"), Mapping):
        return "cloudformation"
    return None

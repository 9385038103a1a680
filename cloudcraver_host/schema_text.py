"""A template's parameter schema as lines people read (``template info``).

Each parameter is one line, ``name: type default VALUE (required)  description``, where the
type spells out what the JSON schema allows: ``string or null``, ``one of sse-s3, sse-kms``,
``list of string``. The fields of a nested object follow, indented, with a dotted name
(``access_logging.enabled``; ``cors[].allowed_methods`` for the objects of a list).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["parameter_lines", "type_text"]

#: How deep nested fields are shown (deeper ones are in the JSON schema printed after).
_MAX_DEPTH = 3


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with a local ``$ref`` (``#/$defs/Name``) replaced by what it names."""
    seen = 0
    while "$ref" in schema and seen < 10:  # a ref cycle is shown as it is
        reference = str(schema["$ref"])
        if not reference.startswith("#/"):
            break
        target: Any = root
        for part in reference[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def _choices(values: list[Any]) -> str:
    return ", ".join(v if isinstance(v, str) else json.dumps(v) for v in values)


def type_text(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    """What ``schema`` allows, in a few words."""
    schema = _resolve(schema, root)
    if "enum" in schema:
        return f"one of {_choices(list(schema['enum']))}"
    if "const" in schema:
        return f"always {_choices([schema['const']])}"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            kinds = [type_text(option, root) for option in schema[key]]
            kinds = [f"({k})" if "," in k else k for k in kinds]  # (one of a, b) or null
            return " or ".join(dict.fromkeys(kinds))  # in order, without repeats
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        items = schema.get("items")
        return f"list of {type_text(items, root)}" if isinstance(items, Mapping) else "list"
    if kind == "object" and "properties" not in schema:
        values = schema.get("additionalProperties")
        if isinstance(values, Mapping):
            return f"table of {type_text(values, root)}"
    return str(kind) if kind else "any value"


def _nested(schema: Mapping[str, Any], root: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The object whose fields are shown under a parameter: ``("", obj)``, ``("[]", obj)``."""
    schema = _resolve(schema, root)
    for option in schema.get("anyOf", schema.get("oneOf", [])):
        found = _nested(option, root)
        if found[1]:
            return found
    if schema.get("type") == "array" and isinstance(schema.get("items"), Mapping):
        suffix, inner = _nested(schema["items"], root)
        return ("[]" + suffix, inner) if inner else ("", {})
    if isinstance(schema.get("properties"), Mapping) and schema["properties"]:
        return "", schema
    return "", {}


def parameter_lines(
    schema: Mapping[str, Any],
    root: Mapping[str, Any] | None = None,
    prefix: str = "",
    depth: int = 0,
) -> Iterator[str]:
    """One line per parameter of ``schema`` (an object schema), nested fields after each."""
    root = schema if root is None else root
    required = set(schema.get("required", []))
    for key, raw in schema.get("properties", {}).items():
        spec = _resolve(raw, root) if isinstance(raw, Mapping) else {}
        name = f"{prefix}{key}"
        default = f" default {json.dumps(spec['default'])}" if "default" in spec else ""
        flag = " (required)" if key in required else ""
        about = " ".join(str(spec.get("description", "")).split())
        indent = "  " * (depth + 1)
        yield f"{indent}{name}: {type_text(spec, root)}{default}{flag}  {about}".rstrip()
        suffix, inner = _nested(spec, root)
        if inner and depth + 1 < _MAX_DEPTH:
            yield from parameter_lines(inner, root, f"{name}{suffix}.", depth + 1)

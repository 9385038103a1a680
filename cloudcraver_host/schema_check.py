"""Checking configuration values against a manifest's JSON schema, without the plugin.

``cloudcraver config validate`` must not import plugin code, so it checks each plugin's
configuration table against the ``config_schema`` its manifest carries. This covers the
JSON-schema vocabulary pydantic emits for models (types, enums, required and unknown
keys, nested models through ``$ref``, unions, bounds, lengths, patterns), and is as lenient
as pydantic's default mode about text that reads as a number or a boolean, which is how
environment variables and ``--config`` deliver values. What a schema cannot say (a
model's own validators) is checked when the plugin is activated.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["schema_problems"]

_BOOLEAN_TEXT = {"true", "false", "1", "0", "yes", "no", "on", "off"}


def schema_problems(schema: Mapping[str, Any], value: Any) -> list[tuple[str, str]]:
    """Every place ``value`` breaks ``schema``: (dotted key path, what is expected)."""
    problems: list[tuple[str, str]] = []
    _check(schema, value, (), schema, problems)
    return problems


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = schema.get("$ref")
    while isinstance(reference, str) and reference.startswith("#/"):
        node: Any = root
        for part in reference[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        reference = node.get("$ref") if isinstance(node, Mapping) else None
    return schema


def _fits_type(kind: str, value: Any) -> bool:
    if kind == "object":
        return isinstance(value, Mapping)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool) or (
            isinstance(value, str) and value.strip().lower() in _BOOLEAN_TEXT
        )
    if kind == "integer":
        if isinstance(value, str):
            return bool(re.fullmatch(r"\s*[-+]?\d+\s*", value))
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        if isinstance(value, str):
            return bool(re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", value))
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "null":
        return value is None
    return True


def _number(value: Any) -> float | None:
    try:
        return float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _check(
    schema: Mapping[str, Any],
    value: Any,
    path: tuple[str, ...],
    root: Mapping[str, Any],
    problems: list[tuple[str, str]],
) -> None:
    schema = _resolve(schema, root)
    where = ".".join(path)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            if not any(not schema_problems_in(option, value, root) for option in options):
                problems.append((where, _describe_union(options, root)))
            return
    for option in schema.get("allOf", []) or []:
        _check(option, value, path, root, problems)
    kinds = schema.get("type")
    if kinds is not None:
        allowed = kinds if isinstance(kinds, list) else [kinds]
        if not any(_fits_type(kind, value) for kind in allowed):
            problems.append((where, f"expected {' or '.join(allowed)}"))
            return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(repr(choice) for choice in schema["enum"])
        problems.append((where, f"expected one of {choices}"))
    if "const" in schema and value != schema["const"]:
        problems.append((where, f"expected {schema['const']!r}"))
    _check_bounds(schema, value, where, problems)
    if isinstance(value, Mapping):
        _check_object(schema, value, path, root, problems)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            _check(schema["items"], item, (*path, str(index)), root, problems)


def schema_problems_in(schema: Mapping[str, Any], value: Any, root: Mapping[str, Any]) -> bool:
    """Whether ``value`` breaks ``schema`` (``root`` resolves ``$ref``)."""
    found: list[tuple[str, str]] = []
    _check(schema, value, (), root, found)
    return bool(found)


def _describe_union(options: list[Any], root: Mapping[str, Any]) -> str:
    kinds = []
    for option in options:
        resolved = _resolve(option, root) if isinstance(option, Mapping) else {}
        if "enum" in resolved:
            kinds.append("one of " + ", ".join(repr(choice) for choice in resolved["enum"]))
        else:
            kinds.append(str(resolved.get("type") or resolved.get("title") or "a value"))
    return f"expected {' or '.join(dict.fromkeys(kinds))}"


def _check_bounds(
    schema: Mapping[str, Any], value: Any, where: str, problems: list[tuple[str, str]]
) -> None:
    number = _number(value) if not isinstance(value, (list, Mapping)) else None
    if number is not None and schema.get("type") in ("integer", "number"):
        for key, test, word in (
            ("minimum", operator.ge, "at least"),
            ("maximum", operator.le, "at most"),
            ("exclusiveMinimum", operator.gt, "more than"),
            ("exclusiveMaximum", operator.lt, "less than"),
        ):
            bound = schema.get(key)
            if isinstance(bound, (int, float)) and not test(number, bound):
                problems.append((where, f"expected a number {word} {bound}"))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            problems.append((where, f"expected at least {schema['minLength']} character(s)"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append((where, f"expected at most {schema['maxLength']} character(s)"))
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            problems.append((where, f"expected text matching {pattern}"))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append((where, f"expected at least {schema['minItems']} item(s)"))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append((where, f"expected at most {schema['maxItems']} item(s)"))


def _check_object(
    schema: Mapping[str, Any],
    value: Mapping[str, Any],
    path: tuple[str, ...],
    root: Mapping[str, Any],
    problems: list[tuple[str, str]],
) -> None:
    properties = schema.get("properties", {})
    for key in schema.get("required", []):
        if key not in value:
            problems.append((".".join((*path, key)), "required, and not set"))
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _check(properties[key], item, (*path, key), root, problems)
        elif extra is False:
            known = ", ".join(properties) or "none"
            problems.append((".".join((*path, key)), f"unknown key; the keys are {known}"))
        elif isinstance(extra, Mapping):
            _check(extra, item, (*path, key), root, problems)

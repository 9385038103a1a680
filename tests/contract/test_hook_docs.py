"""The contract's documentation cannot drift from the hook specifications.

Every hook must be documented where it is declared (arguments, result, firstresult,
how it is called, async) and in docs/hooks.md under a heading that is its signature.
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pluggy
import pytest
from cloudcraver_hookspecs import PROJECT_NAME, specs
from cloudcraver_hookspecs.hooks import describe_hook

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
_SPEC_OPTS = f"{PROJECT_NAME}_spec"


def declared_hooks(module: types.ModuleType) -> dict[str, object]:
    """Functions of ``module`` carrying the hookspec marker."""
    return {
        name: value
        for name, value in vars(module).items()
        if callable(value) and getattr(value, _SPEC_OPTS, None) is not None
    }


def problems_in_specs(module: types.ModuleType) -> list[str]:
    found: list[str] = []
    hooks = declared_hooks(module)
    listed = set(getattr(module, "__all__", ()))
    for name in sorted(set(hooks) - listed):
        found.append(f"{name}: declared but missing from __all__")
    for name, function in sorted(hooks.items()):
        doc = inspect.getdoc(function) or ""
        if not doc.strip():
            found.append(f"{name}: no docstring")
            continue
        arguments = tuple(inspect.signature(function).parameters)
        documented = tuple(re.findall(r"^:param (\w+):", doc, re.M))
        if documented != arguments:
            found.append(f"{name}: documents arguments {documented}, the spec has {arguments}")
        for field in ("returns", "firstresult", "called", "async"):
            if not re.search(rf"^:{field}:\s*\S", doc, re.M):
                found.append(f"{name}: no :{field}: field")
        firstresult = bool(getattr(function, _SPEC_OPTS).get("firstresult"))
        said = bool(re.search(r"^:firstresult:\s*yes", doc, re.M))
        if firstresult != said:
            found.append(f"{name}: the marker says firstresult={firstresult}, the docstring {said}")
    return found


def problems_in_docs(module: types.ModuleType, text: str) -> list[str]:
    found: list[str] = []
    matches = re.findall(r"^## `(\w+)\(([^)]*)\)`\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    sections = {name: (args, body) for name, args, body in matches}
    hooks = declared_hooks(module)
    for name in sorted(set(hooks) - set(sections)):
        found.append(f"{name}: no section in docs/hooks.md")
    for name in sorted(set(sections) - set(hooks)):
        found.append(f"{name}: documented in docs/hooks.md but not a hook")
    for name in sorted(set(hooks) & set(sections)):
        args, body = sections[name]
        spec_args = tuple(inspect.signature(hooks[name]).parameters)  # type: ignore[arg-type]
        doc_args = tuple(a.strip() for a in args.split(",") if a.strip())
        if doc_args != spec_args:
            found.append(f"{name}: docs/hooks.md heading has {doc_args}, the spec has {spec_args}")
        for arg in spec_args:
            if f"- `{arg}`:" not in body:
                found.append(f"{name}: docs/hooks.md does not describe argument {arg}")
        info = describe_hook(hooks[name])  # type: ignore[arg-type]
        expected = {
            "called": "per plugin" if info.per_plugin else "broadcast",
            "firstresult": "yes" if info.firstresult else "no",
            "async": "yes" if info.may_be_async else "no",
        }
        for field, value in expected.items():
            if not re.search(rf"^- \*\*{field}\*\*: {value}\b", body, re.M):
                found.append(f"{name}: docs/hooks.md should say {field}: {value}")
    return found


def test_every_hook_is_documented_where_declared() -> None:
    assert problems_in_specs(specs) == []


def test_docs_page_matches_the_specifications() -> None:
    assert problems_in_docs(specs, DOCS.read_text(encoding="utf-8")) == []


def _drifted_module() -> types.ModuleType:
    module = types.ModuleType("drifted_specs")
    hookspec = pluggy.HookspecMarker(PROJECT_NAME)

    @hookspec(firstresult=True)
    def validate_document(document, context):  # type: ignore[no-untyped-def]
        """Check a document.

        :param document: the document.
        :returns: findings.
        :firstresult: no
        :called: broadcast
        :async: yes
        """

    @hookspec
    def undocumented_hook(thing):  # type: ignore[no-untyped-def]
        pass

    module.validate_document = validate_document  # type: ignore[attr-defined]
    module.undocumented_hook = undocumented_hook  # type: ignore[attr-defined]
    module.__all__ = ["validate_document"]  # type: ignore[attr-defined]
    return module


def test_the_checks_catch_drift() -> None:
    """The guards above are not vacuous: a drifted contract is caught on every point."""
    module = _drifted_module()
    spec_problems = "\n".join(problems_in_specs(module))
    assert "undocumented_hook: declared but missing from __all__" in spec_problems
    assert "undocumented_hook: no docstring" in spec_problems
    assert "validate_document: documents arguments ('document',)" in spec_problems
    assert "firstresult=True" in spec_problems

    docs = DOCS.read_text(encoding="utf-8")
    doc_problems = "\n".join(problems_in_docs(module, docs))
    assert "undocumented_hook: no section in docs/hooks.md" in doc_problems
    assert "validate_document: docs/hooks.md heading has ('document',)" in doc_problems
    assert "activate: documented in docs/hooks.md but not a hook" in doc_problems


@pytest.mark.parametrize("name", sorted(declared_hooks(specs)))
def test_hook_table_reads_each_hook(name: str) -> None:
    from cloudcraver_hookspecs import hook_table

    info = hook_table()[name]
    assert info.summary and info.returns
    assert info.arguments == info.documented_arguments

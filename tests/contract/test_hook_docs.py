"""The contract's documentation cannot drift from the hook specifications.

Every hook must be documented where it is declared (arguments, result, firstresult,
how it is called, async) and in docs/hooks.md under a heading that is its signature. How
it is called is data on the specification (``@hookspec(firstresult=...)``,
``@hookbehaviour(per_plugin=..., may_be_async=...)``): the docstring and the page must say
what that data says.
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pluggy
import pytest
from cloudcraver_hookspecs import CONTRACT_VERSION, PROJECT_NAME, specs
from cloudcraver_hookspecs.hooks import describe_hook
from cloudcraver_hookspecs.markers import HookBehaviour, behaviour_of, hookbehaviour

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
        behaviour = behaviour_of(function)  # type: ignore[arg-type]
        if behaviour is None:
            found.append(f"{name}: no @hookbehaviour")
            continue
        said = bool(re.search(r"^:called:\s*per plugin", doc, re.M))
        if behaviour.per_plugin != said:
            found.append(
                f"{name}: @hookbehaviour says per_plugin={behaviour.per_plugin}, "
                f"the docstring's :called: {said}"
            )
        said = bool(re.search(r"^:async:\s*yes", doc, re.M))
        if behaviour.may_be_async != said:
            found.append(
                f"{name}: @hookbehaviour says may_be_async={behaviour.may_be_async}, "
                f"the docstring's :async: {said}"
            )
    return found


def documented_behaviour(function: object) -> dict[str, str]:
    """What docs/hooks.md must say of a hook, from the marks on its specification."""
    behaviour = behaviour_of(function) or HookBehaviour(per_plugin=False, may_be_async=False)
    return {
        "called": "per plugin" if behaviour.per_plugin else "broadcast",
        "firstresult": "yes" if getattr(function, _SPEC_OPTS).get("firstresult") else "no",
        "async": "yes" if behaviour.may_be_async else "no",
    }


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
        for field, value in documented_behaviour(hooks[name]).items():
            if not re.search(rf"^- \*\*{field}\*\*: {value}\b", body, re.M):
                found.append(f"{name}: docs/hooks.md should say {field}: {value}")
    return found


def test_every_hook_is_documented_where_declared() -> None:
    assert problems_in_specs(specs) == []


def test_docs_page_matches_the_specifications() -> None:
    assert problems_in_docs(specs, DOCS.read_text(encoding="utf-8")) == []


def test_docs_page_names_the_contract_version() -> None:
    said = re.search(r"\(contract\s+version ([\w.]+)\)", DOCS.read_text(encoding="utf-8"))
    assert said is not None and said[1] == CONTRACT_VERSION


def _drifted_module() -> types.ModuleType:
    module = types.ModuleType("drifted_specs")
    hookspec = pluggy.HookspecMarker(PROJECT_NAME)

    @hookspec(firstresult=True)
    @hookbehaviour(per_plugin=True, may_be_async=False)
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
    assert (
        "validate_document: @hookbehaviour says per_plugin=True, the docstring's :called: False"
        in spec_problems
    )
    assert (
        "validate_document: @hookbehaviour says may_be_async=False, the docstring's :async: True"
        in spec_problems
    )

    docs = DOCS.read_text(encoding="utf-8")
    doc_problems = "\n".join(problems_in_docs(module, docs))
    assert "undocumented_hook: no section in docs/hooks.md" in doc_problems
    assert "validate_document: docs/hooks.md heading has ('document',)" in doc_problems
    assert "activate: documented in docs/hooks.md but not a hook" in doc_problems
    # The page says what the marks say, whatever the docstring says.
    assert "validate_document: docs/hooks.md should say called: per plugin" in doc_problems
    assert "validate_document: docs/hooks.md should say firstresult: yes" in doc_problems
    assert "validate_document: docs/hooks.md should say async: no" in doc_problems


def test_a_hook_without_behaviour_is_reported() -> None:
    module = types.ModuleType("unmarked_specs")

    @pluggy.HookspecMarker(PROJECT_NAME)
    def contribute_templates():  # type: ignore[no-untyped-def]
        """List templates.

        :returns: templates.
        :firstresult: no
        :called: broadcast
        :async: no
        """

    module.contribute_templates = contribute_templates  # type: ignore[attr-defined]
    module.__all__ = ["contribute_templates"]  # type: ignore[attr-defined]
    assert problems_in_specs(module) == ["contribute_templates: no @hookbehaviour"]
    with pytest.raises(TypeError, match="contribute_templates is not a hook specification"):
        describe_hook(contribute_templates)


@pytest.mark.parametrize("name", sorted(declared_hooks(specs)))
def test_hook_table_reads_each_hook(name: str) -> None:
    from cloudcraver_hookspecs import hook_table

    info = hook_table()[name]
    assert info.summary and info.returns
    assert info.arguments == info.documented_arguments
    function = getattr(specs, name)
    assert info.firstresult is bool(getattr(function, _SPEC_OPTS).get("firstresult"))
    assert (info.per_plugin, info.may_be_async) == (
        behaviour_of(function).per_plugin,  # type: ignore[union-attr]
        behaviour_of(function).may_be_async,  # type: ignore[union-attr]
    )

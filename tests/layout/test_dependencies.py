"""Every third-party package the code imports is a declared dependency of its distribution.

A package that is only installed because another dependency needs it (``rich`` through
Typer, ``lark`` through python-hcl2) can disappear with that dependency's next release.
Imports are read from the source, wherever they are (functions included); an import name
is mapped to distributions with :func:`importlib.metadata.packages_distributions`, or, for
this repository's own projects (installed editable, which that mapping does not see), with
their ``pyproject.toml``.
"""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .sources import ROOT, imports, is_standard_library, modules

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

#: Each distribution of this repository: its project folder and its packages.
PROJECTS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "cloudcraver": (ROOT, ("cloudcraver_host", "cloudcraver_plugins")),
    "cloudcraver-hookspecs": (ROOT / "hookspecs", ("cloudcraver_hookspecs",)),
}


def _pyproject(folder: Path) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads(
        (folder / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    return project


def declared(folder: Path) -> set[str]:
    """The (normalised) names of the project's required distributions, extras left out."""
    requirements = _pyproject(folder).get("dependencies", [])
    assert isinstance(requirements, list)
    return {canonicalize_name(Requirement(text).name) for text in requirements}


def imported(packages: Iterable[str]) -> dict[str, str]:
    """Top-level names of third-party imports in ``packages``: the first place of each."""
    found: dict[str, str] = {}
    for module in modules(*packages).values():
        for item in imports(module):
            top = item.target.partition(".")[0]
            if top and top not in packages and not is_standard_library(top):
                found.setdefault(top, f"{module.relative}:{item.line}")
    return found


def distributions_of() -> dict[str, set[str]]:
    """Import name -> the (normalised) distributions providing it."""
    mapping = {
        name: {canonicalize_name(dist) for dist in dists}
        for name, dists in importlib.metadata.packages_distributions().items()
    }
    for dist, (folder, packages) in PROJECTS.items():
        assert canonicalize_name(str(_pyproject(folder)["name"])) == dist
        for package in packages:
            mapping.setdefault(package, set()).add(dist)
    return mapping


def undeclared(
    imports_found: Mapping[str, str], requirements: set[str], providers: Mapping[str, set[str]]
) -> list[str]:
    """The imports no declared requirement provides, for people."""
    problems = []
    for name, place in sorted(imports_found.items()):
        dists = providers.get(name, set())
        # Not installed here: fine if required under a marker (tomli before Python 3.11).
        if not dists and canonicalize_name(name) in requirements:
            continue
        if dists.isdisjoint(requirements):
            provided = ", ".join(sorted(dists)) or "no installed distribution"
            problems.append(f"{place} imports {name} ({provided}), not a declared dependency")
    return problems


@pytest.mark.parametrize("distribution", sorted(PROJECTS))
def test_every_third_party_import_is_declared(distribution: str) -> None:
    folder, packages = PROJECTS[distribution]
    found = imported(packages)
    assert "pluggy" in found  # every project imports it: the scan sees imports
    assert undeclared(found, declared(folder), distributions_of()) == []


def test_an_undeclared_import_is_named() -> None:
    providers = {"yaml": {"pyyaml"}, "rich": {"rich"}}
    found = {"yaml": "a.py:1", "rich": "b.py:2", "tomli": "c.py:3", "nowhere": "d.py:4"}
    assert undeclared(found, {"pyyaml", "tomli"}, providers) == [
        "d.py:4 imports nowhere (no installed distribution), not a declared dependency",
        "b.py:2 imports rich (rich), not a declared dependency",
    ]

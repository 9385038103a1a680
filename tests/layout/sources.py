"""The project's own Python sources, read as text and syntax trees (nothing is imported).

Shared by the layout tests: which modules exist, what each imports, how long each is.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Each first-party package: its dotted name and its folder.
PACKAGES: dict[str, Path] = {
    "cloudcraver_host": ROOT / "cloudcraver_host",
    "cloudcraver_plugins": ROOT / "cloudcraver_plugins",
    "cloudcraver_hookspecs": ROOT / "hookspecs" / "cloudcraver_hookspecs",
}


@dataclass(frozen=True)
class Module:
    """One source file: its dotted name, its path and whether it is a package's ``__init__``."""

    name: str
    path: Path
    is_package: bool

    @property
    def relative(self) -> str:
        """The path from the repository root (when it is in the repository), with ``/``."""
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return path.as_posix()

    def tree(self) -> ast.Module:
        """The module's syntax tree."""
        return ast.parse(self.path.read_text(encoding="utf-8"), str(self.path))

    def line_count(self) -> int:
        """Its number of lines, as ``wc -l`` counts them for a file ending in a newline."""
        return len(self.path.read_text(encoding="utf-8").splitlines())


def modules(*packages: str) -> dict[str, Module]:
    """Every module of ``packages`` (default: all of :data:`PACKAGES`), by dotted name."""
    found: dict[str, Module] = {}
    for package in packages or tuple(PACKAGES):
        folder = PACKAGES[package]
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            name = ".".join((package, *parts))
            found[name] = Module(name, path, is_package)
    return found


@dataclass(frozen=True)
class Import:
    """One imported name: the module it names and the line of the import statement."""

    target: str
    line: int


def imports(module: Module) -> Iterator[Import]:
    """Every import statement of ``module``, anywhere in it, as absolute dotted names.

    ``from package import name`` yields ``package.name`` (which may be a submodule or an
    attribute: callers decide), ``import a.b`` yields ``a.b``.
    """
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree()):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            for alias in node.names:
                yield Import(f"{origin}.{alias.name}" if alias.name != "*" else origin, node.lineno)


def is_standard_library(top_level: str) -> bool:
    """Whether ``top_level`` is a module of Python's standard library."""
    return top_level in sys.stdlib_module_names or top_level == "__future__"

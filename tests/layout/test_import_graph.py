"""The first-party modules import each other without cycles.

The graph is read from the source (nothing is imported): a node per module of
``cloudcraver_host``, ``cloudcraver_plugins`` and ``cloudcraver_hookspecs``, an edge for
every import of another of them, wherever the import statement is:

- at the top of the module;
- under ``if TYPE_CHECKING:`` -- a type-only cycle still means neither module can be
  understood, tested or moved without the other, and it turns into a real cycle the day an
  annotation is needed at run time (``pydantic``, ``typing.get_type_hints``);
- inside a function -- an import deferred to keep start-up cheap is still a dependency: it
  only postpones the cycle's failure to the first call, where the partially initialised
  module gives an ``ImportError`` far from its cause.

``from package import name`` is an edge to the submodule ``package.name`` when there is
one, else to ``package`` (its ``__init__``). Importing a submodule is not counted as an
edge to its parent packages, although Python runs their ``__init__`` first: the package
``__init__`` modules re-export their submodules' names (lazily), so counting it would put
every module in a cycle with its package and hide the cycles that matter. Names a module
loads with ``importlib.import_module`` are not seen.

Today's cycles are listed in :data:`KNOWN_CYCLES`; the test fails when another appears and
when a listed one is gone (remove it from the list: it must not come back).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path

from .sources import Module, imports, modules

#: Each cycle (strongly connected set of modules) that exists today, by its modules.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset(
    {
        # removed by the rooms work (issue 10): a small RuleSettings protocol instead of the
        # rules' references to PolicyConfig, the inventory out of formats.py.
        frozenset(
            {
                "cloudcraver_plugins.policy.config",
                "cloudcraver_plugins.policy.formats",
                "cloudcraver_plugins.policy.model",
                "cloudcraver_plugins.policy.rules",
                "cloudcraver_plugins.policy.rules_aws",
                "cloudcraver_plugins.policy.rules_azure",
                "cloudcraver_plugins.policy.rules_custom",
                "cloudcraver_plugins.policy.rules_gcp",
                "cloudcraver_plugins.policy.rules_general",
                "cloudcraver_plugins.policy.rules_templates",
            }
        ),
    }
)

#: For each module, the modules it imports and the line of the first such import.
Graph = Mapping[str, Mapping[str, int]]


def import_graph(found: Mapping[str, Module]) -> dict[str, dict[str, int]]:
    """The import graph of ``found``: edges to modules of ``found`` only."""
    graph: dict[str, dict[str, int]] = {}
    for name, module in found.items():
        edges: dict[str, int] = {}
        for imported in imports(module):
            target = imported.target
            while target and target not in found:  # a name in a module: the module
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.setdefault(target, imported.line)
        graph[name] = edges
    return graph


def strongly_connected(graph: Graph) -> list[frozenset[str]]:
    """The sets of modules that reach each other (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, {})))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    members: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.add(member)
                        if member == node:
                            break
                    if len(members) > 1:
                        found.append(frozenset(members))
    return found


def shortest_cycle(graph: Graph, start: str, within: frozenset[str]) -> list[str]:
    """The shortest path from ``start`` back to itself through ``within`` (breadth first)."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph[node]):
            if successor not in within:
                continue
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    raise ValueError(f"{start} is on no cycle within the given modules")


def describe(graph: Graph, cycle: list[str], found: Mapping[str, Module]) -> str:
    """``a -> b -> a``, then the import line behind each step."""
    steps = [f"    {found[a].relative}:{graph[a][b]} imports {b}" for a, b in pairwise(cycle)]
    return "\n".join([" -> ".join(cycle), *steps])


def cycle_problems(
    graph: Graph, found: Mapping[str, Module], known: frozenset[frozenset[str]]
) -> list[str]:
    """What differs between the cycles of ``graph`` and ``known``, for people."""
    problems: list[str] = []
    present = strongly_connected(graph)
    for members in present:
        if members in known:
            continue
        # Show a cycle through each module a listed cycle does not explain.
        listed = frozenset().union(*(cycle for cycle in known if cycle <= members))
        starts = sorted(members - listed) or [min(members)]
        covered: set[str] = set()
        for start in starts:
            if start in covered:
                continue
            cycle = shortest_cycle(graph, start, members)
            covered.update(cycle)
            problems.append(f"new import cycle: {describe(graph, cycle, found)}")
        problems.append(
            f"  (these {len(members)} modules now reach each other: {', '.join(sorted(members))})"
        )
    for members in sorted(known - set(present), key=sorted):
        problems.append(
            "a cycle in KNOWN_CYCLES is gone; remove it from the list: "
            + ", ".join(sorted(members))
        )
    return problems


def test_no_import_cycles_but_the_known_ones() -> None:
    found = modules()
    problems = cycle_problems(import_graph(found), found, KNOWN_CYCLES)
    assert not problems, "\n".join(problems)


def _package(root: Path, files: dict[str, str]) -> dict[str, Module]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    found: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        found[name] = Module(name, path, is_package)
    return found


def test_type_checking_and_function_level_imports_count(tmp_path: Path) -> None:
    """The guard is not vacuous: each kind of import closes a cycle, and it is shown."""
    found = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from .a import A\n",
            "pkg/a.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
            "    from pkg.b import B\nA = 1\n",
            "pkg/b.py": "def later():\n    from . import c\n    return c\n",
            "pkg/c.py": "import pkg.a\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/d.py": "from .. import a\nfrom ..a import A\nfrom pkg.sub import e\n",
            "pkg/sub/e.py": "import json\n",
        },
    )
    graph = import_graph(found)
    assert graph == {
        "pkg": {"pkg.a": 3},
        "pkg.a": {"pkg.b": 4},
        "pkg.b": {"pkg.c": 2},
        "pkg.c": {"pkg.a": 1},
        "pkg.sub": {},
        "pkg.sub.d": {"pkg.a": 1, "pkg.sub.e": 3},
        "pkg.sub.e": {},
    }
    problems = cycle_problems(graph, found, frozenset())
    assert problems[0] == (
        "new import cycle: pkg.a -> pkg.b -> pkg.c -> pkg.a\n"
        f"    {found['pkg.a'].relative}:4 imports pkg.b\n"
        f"    {found['pkg.b'].relative}:2 imports pkg.c\n"
        f"    {found['pkg.c'].relative}:1 imports pkg.a"
    )
    assert len(problems) == 2


def test_known_cycles_are_allowed_and_a_gone_one_fails(tmp_path: Path) -> None:
    found = _package(tmp_path, {"p/__init__.py": "", "p/x.py": "from . import y\n",
                                "p/y.py": "from . import x\n", "p/z.py": ""})  # fmt: skip
    graph = import_graph(found)
    assert cycle_problems(graph, found, frozenset({frozenset({"p.x", "p.y"})})) == []
    gone = cycle_problems(
        graph, found, frozenset({frozenset({"p.x", "p.y"}), frozenset({"p.z", "p"})})
    )
    assert gone == ["a cycle in KNOWN_CYCLES is gone; remove it from the list: p, p.z"]
    grown = {**graph, "p.z": {"p.x": 1}, "p.x": {"p.y": 1, "p.z": 1}}
    problems = cycle_problems(grown, found, frozenset({frozenset({"p.x", "p.y"})}))
    assert problems[0].startswith("new import cycle: p.z -> p.x -> p.z\n")
    assert "a cycle in KNOWN_CYCLES is gone" in problems[-1]

"""Orders plugins by their declared dependencies, and finds dependency cycles.

Activation runs dependencies first; deactivation runs in reverse. Hook calls go the other
way: a plugin is called before the plugins it requires, so that an extension can answer a
``firstresult`` hook before the plugin it extends. Everything else is by name, so the order
never depends on installation order or on the file system.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

__all__ = ["dependency_cycles", "activation_order", "call_order"]


def dependency_cycles(requires: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every cycle among ``requires`` (name -> names it needs), each as its members in order.

    Names required but absent from the mapping are ignored here (reported elsewhere).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        # Tarjan's strongly connected components, recursive: plugin graphs are small.
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(requires.get(node, ())):
            if target not in requires:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in requires.get(node, ()):
                cycles.append(_cycle_path(sorted(component), requires))

    for name in sorted(requires):
        if name not in index:
            visit(name)
    return cycles


def _cycle_path(members: list[str], requires: Mapping[str, Iterable[str]]) -> list[str]:
    """Walk the cycle from its smallest member, so the message reads ``a -> b -> a``."""
    inside = set(members)
    path = [members[0]]
    while True:
        following = sorted(t for t in requires.get(path[-1], ()) if t in inside)
        step = next((t for t in following if t not in path), None)
        if step is None:
            closing = next((t for t in following if t in path), path[0])
            return [*path, closing]
        path.append(step)


def activation_order(requires: Mapping[str, Iterable[str]]) -> list[str]:
    """Names with each one after everything it requires; ties by name. Cycles are left out."""
    return _kahn(requires, reverse=False)


def call_order(requires: Mapping[str, Iterable[str]]) -> list[str]:
    """Names with each one before everything it requires; ties by name. Cycles are left out."""
    return _kahn(requires, reverse=True)


def _kahn(requires: Mapping[str, Iterable[str]], *, reverse: bool) -> list[str]:
    edges: dict[str, set[str]] = {name: set() for name in requires}
    waiting: dict[str, int] = dict.fromkeys(requires, 0)
    for name, needed in requires.items():
        for target in needed:
            if target not in requires or target == name:
                continue
            before, after = (name, target) if reverse else (target, name)
            if after not in edges[before]:
                edges[before].add(after)
                waiting[after] += 1
    ready = [name for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for after in edges[name]:
            waiting[after] -= 1
            if waiting[after] == 0:
                heapq.heappush(ready, after)
    return order

"""Dependency cycles, activation order and call order (cloudcraver_host.ordering)."""

from __future__ import annotations

import itertools

from cloudcraver_host.ordering import activation_order, call_order, dependency_cycles


def test_no_cycles_in_a_tree() -> None:
    assert dependency_cycles({"child": ["base"], "base": [], "other": ["base"]}) == []


def test_two_plugin_cycle_reads_from_its_smallest_member() -> None:
    assert dependency_cycles({"b": ["a"], "a": ["b"], "c": []}) == [["a", "b", "a"]]


def test_three_plugin_cycle_is_walked_in_dependency_order() -> None:
    assert dependency_cycles({"a": ["b"], "b": ["c"], "c": ["a"]}) == [["a", "b", "c", "a"]]
    assert dependency_cycles({"a": ["c"], "c": ["b"], "b": ["a"]}) == [["a", "c", "b", "a"]]


def test_a_plugin_requiring_itself_is_a_cycle() -> None:
    assert dependency_cycles({"loop": ["loop"], "fine": []}) == [["loop", "loop"]]


def test_separate_cycles_are_each_reported() -> None:
    requires = {"a": ["b"], "b": ["a"], "x": ["y"], "y": ["x"], "z": ["a"]}
    assert sorted(dependency_cycles(requires)) == [["a", "b", "a"], ["x", "y", "x"]]


def test_requirements_on_absent_plugins_are_not_cycles() -> None:
    assert dependency_cycles({"a": ["missing"], "b": ["a"]}) == []


def test_activation_puts_dependencies_first_then_names() -> None:
    requires = {"zeta": [], "child": ["base"], "base": [], "alpha": ["zeta"]}
    assert activation_order(requires) == ["base", "child", "zeta", "alpha"]


def test_call_order_puts_a_plugin_before_what_it_requires() -> None:
    requires = {"zeta": [], "child": ["base"], "base": [], "alpha": ["zeta"]}
    assert call_order(requires) == ["alpha", "child", "base", "zeta"]


def test_diamond() -> None:
    requires = {"top": ["left", "right"], "left": ["root"], "right": ["root"], "root": []}
    assert activation_order(requires) == ["root", "left", "right", "top"]
    assert call_order(requires) == ["top", "left", "right", "root"]


def test_orders_leave_cycles_out_and_keep_the_rest() -> None:
    requires = {"a": ["b"], "b": ["a"], "c": [], "d": ["c"]}
    assert activation_order(requires) == ["c", "d"]
    assert call_order(requires) == ["d", "c"]


def test_orders_ignore_absent_requirements_and_self_loops_for_ordering() -> None:
    assert activation_order({"a": ["missing"], "b": []}) == ["a", "b"]


def test_orders_do_not_depend_on_the_order_plugins_were_found_in() -> None:
    items = [("d", ["b", "c"]), ("c", ["a"]), ("b", ["a"]), ("a", []), ("e", [])]
    activations = {tuple(activation_order(dict(p))) for p in itertools.permutations(items)}
    calls = {tuple(call_order(dict(p))) for p in itertools.permutations(items)}
    assert activations == {("a", "b", "c", "d", "e")}
    assert calls == {("d", "b", "c", "a", "e")}

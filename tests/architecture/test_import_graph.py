"""The import graph of ``opentto`` has no cycles (issue 19): no two modules import each other,
directly or through others. Imports inside functions count (grimp sees them, and a cycle hidden
in a function is still a cycle); migrations are left out (Django loads them by name)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative),
    each sorted, sorted by their first module. A module importing itself is not reported."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph.get(root, ())))]
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, ()))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def test_cycles_finds_each_cycle_and_nothing_else() -> None:
    graph = {
        "a": ["b"],
        "b": ["c"],
        "c": ["a", "d"],  # a -> b -> c -> a
        "d": ["e"],
        "e": [],  # no cycle below it
        "f": ["f", "g"],
        "g": ["h"],
        "h": ["g"],  # f imports itself: not reported; g <-> h
        "x": ["y"],  # y is imported but has no entry of its own
    }
    assert cycles(graph) == [["a", "b", "c"], ["g", "h"]]
    assert cycles({"a": ["b"], "b": ["c"], "c": []}) == []


def test_cycles_survives_a_long_chain() -> None:
    graph = {str(i): [str(i + 1)] for i in range(5000)}
    graph["5000"] = ["0"]
    assert cycles(graph) == [sorted(str(i) for i in range(5001))]


def _module_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("opentto", cache_dir=None)
    modules = {m for m in graph.modules if ".migrations" not in m}
    return {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}


def test_opentto_has_no_import_cycles() -> None:
    found = cycles(_module_graph())
    assert found == [], "import cycles (each line: modules that import each other):\n" + "\n".join(
        " <-> ".join(c) for c in found
    )

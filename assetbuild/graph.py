"""Dependency order between assets: references first, cycles reported whole."""

from __future__ import annotations

import heapq
from typing import Callable, Mapping


def strongly_connected(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: groups of nodes that reach each other, dependencies
    before dependents."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return groups


def order(edges: Mapping[str, set[str]]) -> tuple[list[str], list[list[str]]]:
    """(every node with its dependencies first, the cycles found). A self-reference is a
    cycle of one."""
    groups = strongly_connected(edges)
    cycles = [g for g in groups if len(g) > 1 or g[0] in edges.get(g[0], ())]
    return [node for group in groups for node in group], cycles


def heaviest_first(edges: Mapping[str, set[str]], weight: Callable[[str], int]) -> list[str]:
    """A dependency order of an acyclic graph for workers to follow: among the nodes whose
    dependencies are all placed, it takes the one heading the heaviest chain (its weight
    plus that of its heaviest chain of dependents), so that long jobs start early.
    Dependencies outside *edges* count as placed."""
    deps_in = {node: (deps - {node}) & edges.keys() for node, deps in edges.items()}
    dependents: dict[str, list[str]] = {node: [] for node in edges}
    for node, deps in deps_in.items():
        for dep in deps:
            dependents[dep].append(node)
    chain: dict[str, int] = {}
    for node in reversed(order(edges)[0]):  # dependents before their dependencies
        if node in edges:
            chain[node] = weight(node) + max((chain[d] for d in dependents[node]), default=0)
    pending = {node: len(deps) for node, deps in deps_in.items()}
    ready = [(-chain[node], node) for node, count in pending.items() if count == 0]
    heapq.heapify(ready)
    placed = []
    while ready:
        _, node = heapq.heappop(ready)
        placed.append(node)
        for dependent in dependents[node]:
            pending[dependent] -= 1
            if pending[dependent] == 0:
                heapq.heappush(ready, (-chain[dependent], dependent))
    return placed

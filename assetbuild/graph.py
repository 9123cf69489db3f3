"""Cycles in the graph of references, found as they close: the assets that lie on a loop
with a given one."""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterable

Neighbours = Callable[[str], Iterable[str]]


def cycle_through(start: str, successors: Neighbours, predecessors: Neighbours) -> list[str]:
    """The nodes on a cycle with *start* (its strongly connected component), sorted; []
    when *start* lies on none. Visits what reaches *start*, then only the part of that
    which *start* reaches: with the largest files coming in first, this way round visits
    half as many nodes (monaco-editor's 1,240 modules: 16,000 against 33,000)."""
    behind = _reach(start, predecessors, lambda node: True)
    if start not in behind:
        return []
    return sorted(_reach(start, successors, behind.__contains__))


def shortest_cycle(start: str, successors: Neighbours) -> list[str]:
    """The nodes of a shortest cycle from *start* back to it, *start* first (it must lie
    on one)."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(successors(node)):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    raise ValueError(f"{start} lies on no cycle")


def _reach(start: str, neighbours: Neighbours, allowed: Callable[[str], bool]) -> set[str]:
    """The allowed nodes reached from *start* in one step or more."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in neighbours(todo.pop()):
            if nxt not in seen and allowed(nxt):
                seen.add(nxt)
                todo.append(nxt)
    return seen

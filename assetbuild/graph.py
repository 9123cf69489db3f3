"""Cycles in the graph of references, found as they close: the assets that lie on a loop
with a given one."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator

Neighbours = Callable[[str], Iterable[str]]


def cycle_through(start: str, successors: Neighbours, predecessors: Neighbours) -> list[str]:
    """The nodes on a cycle with *start* (its strongly connected component), sorted; []
    when *start* lies on none.

    Whether it lies on one is searched forward and backward in turns, which stops as soon
    as either side runs out: an asset read in the middle of a long chain of waiting ones
    costs what the shorter side holds, not the whole chain (benchmarks/REPORT-decisions.md).
    Only then is the component taken whole.
    """
    walks = [_walk(start, successors), _walk(start, predecessors)]
    while True:
        for walk in walks:
            back_at_start = next(walk, None)
            if back_at_start is None:
                return []
            if back_at_start:
                behind = set(_walk_nodes(start, predecessors))
                return sorted(node for node in _walk_nodes(start, successors) if node in behind)


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


def _walk(start: str, neighbours: Neighbours) -> Iterator[bool]:
    """Visit the nodes reached from *start* in one step or more, one at a time: whether
    each is *start* itself."""
    return (node == start for node in _walk_nodes(start, neighbours))


def _walk_nodes(start: str, neighbours: Neighbours) -> Iterator[str]:
    """The nodes reached from *start* in one step or more, each once."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in neighbours(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
                yield nxt

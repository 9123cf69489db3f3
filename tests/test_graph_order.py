"""The rewrite phase's schedule: dependencies first, then the ready asset heading the
heaviest chain of work."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assetbuild.graph import heaviest_first, order


@st.composite
def acyclic_graphs(draw):
    names = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=3), unique=True, max_size=12))
    edges = {}
    for i, name in enumerate(names):  # edges only to earlier names: no cycles
        edges[name] = set(draw(st.lists(st.sampled_from(names[:i] + ["outside"]), max_size=3))) if i else set()
    weights = {name: draw(st.integers(0, 5)) for name in names}
    return edges, weights


@given(acyclic_graphs())
def test_heaviest_first_is_a_dependency_order_taking_the_heaviest_ready_chain(graph):
    edges, weights = graph
    placed = heaviest_first(edges, weights.__getitem__)
    assert sorted(placed) == sorted(edges)
    assert order(edges)[1] == []
    position = {name: i for i, name in enumerate(placed)}
    for name, deps in edges.items():
        assert all(position[d] < position[name] for d in deps if d in edges)
    def chain(name):  # its weight plus the heaviest chain of assets that depend on it
        return weights[name] + max((chain(n) for n in edges if name in edges[n] and n != name),
                                   default=0)

    for i, name in enumerate(placed):  # no heavier chain was ready when it was taken
        done = set(placed[:i])
        ready = [n for n in edges if n not in done and all(d in done or d not in edges for d in edges[n])]
        assert chain(name) == max(chain(n) for n in ready)


def test_the_dependency_of_a_large_file_is_scheduled_before_small_files_that_were_ready():
    edges = {"core.js": set(), "big.js": {"core.js"}, "a.css": set(), "b.css": {"img.png"}}
    sizes = {"core.js": 10, "big.js": 1000, "a.css": 20, "b.css": 30}
    assert heaviest_first(edges, sizes.__getitem__) == ["core.js", "big.js", "b.css", "a.css"]

"""Unit tests of assetbuild.graph: the cycles a reference lies on."""

from __future__ import annotations

import pytest

from assetbuild import graph


def edges(*pairs: str) -> tuple[dict, dict]:
    """successors and predecessors functions of a graph given as 'a>b' pairs."""
    succ: dict[str, list[str]] = {}
    pred: dict[str, list[str]] = {}
    for pair in pairs:
        a, b = pair.split(">")
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)
    return (lambda n: succ.get(n, ())), (lambda n: pred.get(n, ()))


def test_a_chain_has_no_cycle():
    succ, pred = edges("a>b", "b>c", "c>d")
    assert [graph.cycle_through(n, succ, pred) for n in "abcd"] == [[], [], [], []]


def test_a_self_reference_is_a_cycle_of_one():
    succ, pred = edges("a>a", "a>b")
    assert graph.cycle_through("a", succ, pred) == ["a"]
    assert graph.cycle_through("b", succ, pred) == []
    assert graph.shortest_cycle("a", succ) == ["a"]


def test_the_cycle_is_the_whole_component_and_nothing_it_only_reaches():
    succ, pred = edges("x>a", "a>b", "b>c", "c>a", "c>d", "d>e")
    for node in "abc":
        assert graph.cycle_through(node, succ, pred) == ["a", "b", "c"]
    for node in "xde":
        assert graph.cycle_through(node, succ, pred) == []


def test_loops_that_share_a_node_make_one_component():
    succ, pred = edges("a>b", "b>a", "a>c", "c>d", "d>a", "e>e")
    assert graph.cycle_through("d", succ, pred) == ["a", "b", "c", "d"]
    assert graph.cycle_through("e", succ, pred) == ["e"]


def test_shortest_cycle_starts_at_the_node_and_takes_the_short_way():
    succ, _ = edges("a>c", "c>d", "d>a", "a>b", "b>a")
    assert graph.shortest_cycle("a", succ) == ["a", "b"]
    assert graph.shortest_cycle("c", succ) == ["c", "d", "a"]


def test_shortest_cycle_of_a_node_on_none_is_an_error():
    succ, _ = edges("a>b", "b>c")
    with pytest.raises(ValueError, match="b lies on no cycle"):
        graph.shortest_cycle("b", succ)


def test_a_long_chain_into_a_loop_is_not_part_of_it():
    chain = [f"m{i}>m{i + 1}" for i in range(3000)]
    succ, pred = edges(*chain, "m3000>z", "z>m3000")
    assert graph.cycle_through("m1500", succ, pred) == []
    assert graph.cycle_through("z", succ, pred) == ["m3000", "z"]

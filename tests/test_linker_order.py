"""The linker hands out a rewrite only when everything it references is written, whatever
order the transform outcomes and the rewrites finish in; what waits on a cycle is reported."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetbuild import sources, transform
from assetbuild.bundle import plan
from assetbuild.config import Config
from assetbuild.cycles import finish_cycle
from assetbuild.diagnostics import BuildError
from assetbuild.linker import Linker
from assetbuild.spool import TextSpool


@st.composite
def stylesheet_graphs(draw):
    """CSS files, each importing some earlier ones (no cycles), plus images."""
    count = draw(st.integers(1, 9))
    imports = {f"c{i}.css": draw(st.lists(st.sampled_from([f"c{j}.css" for j in range(i)] + ["i.svg"]),
                                          max_size=3, unique=True)) if i else []
               for i in range(count)}
    return imports, draw(st.randoms(use_true_random=False))


def write_tree(root: Path, imports: dict[str, list[str]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "i.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    for name, deps in imports.items():
        body = "".join(f'@import url("{d}");\n' if d.endswith(".css") else f".i{{background:url({d})}}\n"
                       for d in deps)
        (root / name).write_text(body + f".{name[:-4]} {{ color: red }}\n")


def run(linker: Linker, outcomes: list[transform.Outcome], rng: random.Random) -> list[str]:
    """Feed outcomes and run handed-out rewrites in a random interleaving; check each
    rewrite's references are written when it is handed out. Returns the rewrite order."""
    pending: list[tuple[str, object, tuple]] = []
    order = []
    unread = {o.logical for o in outcomes if o.text is None and o.written is None}
    parts = {name: b.parts for name, b in linker.bundles.items()}
    while outcomes or pending:
        if outcomes and (not pending or rng.random() < 0.5):
            linker.add(outcomes.pop(0))
        else:
            name, function, args = pending.pop(rng.randrange(len(pending)))
            linker.task_done(name, function(*args))
        while (task := linker.next_task()) is not None:
            name, function, args = task
            members = [m.logical for m in args[0]] if function is finish_cycle else [name]
            deps = {t for part in parts.get(name, members) for t in linker.targets[part] if t}
            deps -= set(members)  # a loop's members wait for what is outside it
            assert deps <= linker.written.keys() | unread, f"{name} handed out before {deps}"
            order.append(name)
            pending.append(task)
    return order


def setup(tmp_path: Path, bundles: dict[str, list[str]] | None = None):
    found = sources.scan([tmp_path / "src"])
    config = Config(sources=[tmp_path / "src"], out=tmp_path / "out", bundles=bundles or {})
    opts = transform.Options(out_dir=tmp_path / "out", minify=True, gzip=False, brotli=False,
                             hash_length=8)
    planned, problems = plan(config.bundles, found, "test")
    assert not problems
    parts = {p for b in planned for p in b.parts}
    outcomes = [transform.process(n, s.path, opts, n in parts) for n, s in found.items()]
    return found, config, opts, planned, outcomes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stylesheet_graphs())
def test_every_rewrite_waits_for_what_it_references(tmp_path_factory, graph):
    imports, rng = graph
    tmp_path = tmp_path_factory.mktemp("linker")
    write_tree(tmp_path / "src", imports)
    found, config, opts, planned, outcomes = setup(tmp_path, {"all.css": sorted(imports)})
    rng.shuffle(outcomes)
    with TextSpool() as spool:
        linker = Linker(found, planned, config, spool, opts)
        run(linker, outcomes, rng)
        linker.close(lambda d: pytest.fail(d.format()))
    assert linker.written.keys() == set(found) | {"all.css"}
    for name, deps in imports.items():  # the final bytes name each import's final file
        body = (tmp_path / "out" / linker.written[name].path).read_text()
        for dep in deps:
            assert linker.written[dep].path in body
        bundled = (tmp_path / "out" / linker.written["all.css"].path).read_text()
        assert all(linker.written[dep].path in bundled for dep in deps)


@pytest.mark.parametrize("seed", range(4))
def test_a_cycle_is_reported_as_soon_as_it_closes(tmp_path, seed):
    write_tree(tmp_path / "src", {"a.css": ["b.css"], "b.css": ["a.css"], "c.css": ["a.css"],
                                  "d.css": ["i.svg"]})
    found, config, opts, planned, outcomes = setup(tmp_path)
    random.Random(seed).shuffle(outcomes)
    closing = max(i for i, o in enumerate(outcomes) if o.logical in ("a.css", "b.css"))
    with TextSpool() as spool:
        linker = Linker(found, planned, config, spool, opts)
        for outcome in outcomes[:closing]:
            linker.add(outcome)
        with pytest.raises(BuildError) as caught:
            linker.add(outcomes[closing])
    messages = [d.message for d in caught.value.diagnostics]
    assert messages == ["reference cycle: a.css:1 -> b.css:1 -> a.css"]
    assert not {"a.css", "b.css", "c.css"} & set(linker.written)


def test_a_reference_to_an_unreadable_file_is_left_as_written(tmp_path):
    write_tree(tmp_path / "src", {"a.css": ["i.svg"]})
    found, config, opts, planned, outcomes = setup(tmp_path)
    unreadable = transform.Outcome("i.svg", 0)  # what process() returns when a read fails
    outcomes = [unreadable if o.logical == "i.svg" else o for o in outcomes]
    with TextSpool() as spool:
        linker = Linker(found, planned, config, spool, opts)
        run(linker, outcomes, random.Random(2))
        linker.close(lambda d: None)
    assert "url(i.svg)" in (tmp_path / "out" / linker.written["a.css"].path).read_text()


@st.composite
def module_graphs(draw):
    """ES modules importing any others (loops, loops inside loops, self-imports)."""
    names = [f"m{i}.js" for i in range(draw(st.integers(1, 7)))]
    imports = {n: draw(st.lists(st.sampled_from(names), max_size=3, unique=True)) for n in names}
    return imports, draw(st.randoms(use_true_random=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(module_graphs())
def test_modules_in_loops_are_written_the_same_in_any_order(tmp_path_factory, graph):
    imports, rng = graph
    tmp_path = tmp_path_factory.mktemp("loops")
    (tmp_path / "src").mkdir()
    for name, deps in imports.items():
        (tmp_path / "src" / name).write_text("".join(f"import './{d}';\n" for d in deps)
                                             + f"export const {name[:-3]} = 1;\n")
    paths = []
    for shuffled in (False, True):  # in name order, then shuffled (each time interleaved)
        found, config, opts, planned, outcomes = setup(tmp_path)  # the linker takes them over
        outcomes.sort(key=lambda o: o.logical)
        if shuffled:
            rng.shuffle(outcomes)
        with TextSpool() as spool:
            linker = Linker(found, planned, config, spool, opts)
            run(linker, outcomes, rng)
            linker.close(lambda d: pytest.fail(d.format()))
        assert linker.written.keys() == imports.keys()
        for name, deps in imports.items():  # each names its imports' final files
            body = (tmp_path / "out" / linker.written[name].path).read_text()
            assert sorted(body.count(f"'./{linker.written[d].path}'") for d in deps) == [1] * len(deps)
        paths.append({name: w.path for name, w in linker.written.items()})
    assert paths[0] == paths[1]

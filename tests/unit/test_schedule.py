"""Unit tests of assetbuild.schedule: how sources are cut into batches, that hashes come back
in order with or without workers, and that the scheduler hands every outcome over in
order and runs every rewrite."""

from __future__ import annotations

from pathlib import Path

from assetbuild import fingerprint, schedule, sources, transform
from assetbuild.config import Config
from assetbuild.linker import Linker
from assetbuild.sources import Source
from assetbuild.spool import TextSpool
from assetbuild.workers import Pool


def source(name: str, size: int) -> Source:
    return Source(name, f"/src/{name}", Path("/src"), size)


def test_batches_put_large_files_first_and_cut_at_the_file_count():
    todo = {f"f{i}.js": source(f"f{i}.js", i) for i in range(schedule.BATCH_FILES + 3)}
    cut = schedule.batches(todo, parts={"f0.js"})
    assert [len(b) for b in cut] == [schedule.BATCH_FILES, 3]
    flat = [item.logical for b in cut for item in b]
    assert flat == [f"f{i}.js" for i in reversed(range(schedule.BATCH_FILES + 3))]
    assert [item.logical for b in cut for item in b if item.keep] == ["f0.js"]


def test_batches_are_cut_at_the_byte_budget():
    big = schedule.BATCH_BYTES // 2
    todo = {name: source(name, big) for name in ("a.js", "b.js", "c.js")} | {"d.js": source("d.js", 1)}
    assert [[i.logical for i in b] for b in schedule.batches(todo, set())] == [
        ["a.js", "b.js"], ["c.js", "d.js"]]


def test_no_sources_make_no_batch():
    assert schedule.batches({}, set()) == []


def test_one_job_works_in_this_process():
    with schedule.pool(1, warm=False) as pool:
        assert pool is None


def tree(root: Path, count: int) -> dict[str, Source]:
    root.mkdir()
    for i in range(count):
        (root / f"f{i}.txt").write_text(f"file {i}\n" * (i % 7))
    return sources.scan([root])


def test_hashes_come_back_in_order_from_the_workers(tmp_path):
    found = tree(tmp_path / "src", schedule.HASH_CHUNK + 5)  # more than one worker task
    expected = [fingerprint.file_facts(src.path) for src in found.values()]
    assert list(schedule.hash_sources(found, None)) == expected
    with Pool(2) as pool:
        assert list(schedule.hash_sources(found, pool)) == expected


def test_the_scheduler_takes_every_outcome_in_order_and_runs_every_rewrite(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "i.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (src / "a.css").write_text(".a { background: url(i.svg) }\n")
    (src / "b.css").write_text('@import "a.css";\n.b { color: red }\n')
    found = sources.scan([src])
    config = Config(sources=[src], out=tmp_path / "out")
    opts = transform.Options(out_dir=tmp_path / "out", minify=True, gzip=False, brotli=False,
                             hash_length=8)
    cut = [[item] for batch in schedule.batches(found, set()) for item in batch]  # 3 batches
    taken: list[str] = []
    with TextSpool() as spool:
        linker = Linker(found, [], config, spool, opts)

        def take(outcome: transform.Outcome) -> None:
            taken.append(outcome.logical)
            linker.add(outcome)

        scheduler = schedule.Scheduler(schedule.InlinePool(), linker)
        scheduler.transform(cut, opts, take)
        scheduler.drain()
        linker.close(lambda d: None)
    assert taken == [b[0].logical for b in cut]
    assert linker.written.keys() == {"i.svg", "a.css", "b.css"}
    a_css = (tmp_path / "out" / linker.written["a.css"].path).read_text()
    assert linker.written["i.svg"].path.split("/")[-1] in a_css
    b_css = (tmp_path / "out" / linker.written["b.css"].path).read_text()
    assert linker.written["a.css"].path.split("/")[-1] in b_css

"""Benchmark assetbuild against Django collectstatic, WhiteNoise and the floor, in one run.

    python benchmarks/run.py [--scale 1 4] [--repeat 3] [--quick] [-j N]

Builds the corpus (npm packages + Django admin static, N copies), runs every measure as a
subprocess (wall time and peak memory of its process tree), takes medians over repeats
(round-robin, so drift hits every measure alike) and writes benchmarks/REPORT.md with
ratios against the peers measured in the same run and each target marked met or missed.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus as corpus_mod  # noqa: E402
from assetbuild.compress import BROTLI_DEFAULT_QUALITY  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import sizes  # noqa: E402

MANIFEST_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@dataclass
class Measure:
    """One thing timed: `prepare` (untimed) sets the stage, `command` is measured,
    `finish` (untimed) returns extra facts about what it produced."""

    key: str
    label: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[], None] = lambda: None
    finish: Callable[[], dict] = lambda: {}
    repeat: int | None = None  # None: the run's --repeat


class Scenario:
    """The measures for one corpus scale, with their folders under *work*."""

    def __init__(self, corpus: corpus_mod.Corpus, work: Path, args: argparse.Namespace):
        self.corpus = corpus
        self.src = corpus.root
        self.work = work
        self.args = args
        self.python = sys.executable
        self.original_changed = (self.src / corpus_mod.CHANGED_FILE).read_bytes()
        self.edits = 0
        self.manifest_before: dict = {}
        self.primed = False

    def measures(self) -> list[Measure]:
        w = self.work
        quality = str(BROTLI_DEFAULT_QUALITY)
        found = [
            Measure("cp", "floor: cp -r", ["cp", "-r", str(self.src), str(w / "cp")],
                    prepare=lambda: _fresh(w / "cp")),
            Measure("hash", "floor: read + blake3 every file",
                    [self.python, str(HERE / "floor_hash.py"), str(self.src)]),
            Measure("work", "floor: read, hash, deflate, write (no minify, no scan)",
                    [self.python, str(HERE / "floor_work.py"), str(self.src), str(w / "floor-work")],
                    prepare=lambda: _fresh(w / "floor-work")),
            Measure("work_br", f"floor: read, hash, deflate, brotli q{quality}, write",
                    [self.python, str(HERE / "floor_work.py"), str(self.src),
                     str(w / "floor-work-br"), "--brotli", quality],
                    prepare=lambda: _fresh(w / "floor-work-br")),
            self._django("django", "Django collectstatic, ManifestStaticFilesStorage",
                         MANIFEST_STORAGE, w / "django"),
        ]
        if self.corpus.scale in self.args.whitenoise_scales:
            found.append(self._django("whitenoise",
                                      "WhiteNoise collectstatic, CompressedManifestStaticFilesStorage",
                                      WHITENOISE_STORAGE, w / "whitenoise",
                                      repeat=self.args.slow_repeat))
        found += [
            self._cold("ab_default", f"assetbuild cold: default (minify, gzip, brotli q{quality})", []),
            self._cold("ab_cold", "assetbuild cold: minify + gzip (--no-brotli)", ["--no-brotli"]),
            self._cold("ab_nominify", "assetbuild cold: no minify (--no-minify; gzip, brotli)",
                       ["--no-minify"]),
            self._cold("ab_unproven", "peer: default build without the minify proof", [],
                       script=HERE / "without_proof.py"),
        ]
        if self.corpus.scale in self.args.brotli_scales:
            found.append(self._cold("ab_brotli11", "assetbuild cold: --brotli-quality 11",
                                    ["--brotli-quality", "11"], repeat=self.args.slow_repeat))
        found += [
            self._compile("ab_warm", "assetbuild warm: cache, nothing changed", w / "out-warm",
                          ["--cache", str(w / "cache")], prepare=self._prime),
            self._compile("ab_changed", "assetbuild warm: cache, one file changed", w / "out-warm",
                          ["--cache", str(w / "cache")], prepare=self._edit_one,
                          finish=self._changed_names),
        ]
        only = self.args.only
        return [m for m in found if not only or m.key in only]

    def _cold(self, key: str, label: str, flags: list[str], repeat: int | None = None,
              script: Path | None = None) -> Measure:
        """A cold build (no cache) into an output folder that does not exist yet; with
        *script*, run by that script instead of ``python -m assetbuild``."""
        out = self.work / f"out-{key}"
        return self._compile(key, label, out, flags, prepare=lambda: _fresh(out), repeat=repeat,
                             script=script)

    def _django(self, key: str, label: str, storage: str, root: Path,
                repeat: int | None = None) -> Measure:
        env = {"BENCH_SOURCE": str(self.src), "BENCH_STATIC_ROOT": str(root),
               "BENCH_STORAGE": storage, "PYTHONPATH": str(HERE)}
        cmd = [self.python, "-m", "django", "collectstatic", "--noinput", "-v", "0",
               "--settings", "django_settings"]
        return Measure(key, label, cmd, env, prepare=lambda: _fresh(root),
                       finish=lambda: {"sizes": sizes.totals(sizes.django_files(root))},
                       repeat=repeat)

    def _compile(self, key: str, label: str, out: Path, flags: list[str],
                 prepare: Callable[[], None], finish: Callable[[], dict] | None = None,
                 repeat: int | None = None, script: Path | None = None) -> Measure:
        summary = self.work / f"{key}.json"
        cmd = self.compile_command(out, flags + ["--json", str(summary)], script)

        def facts() -> dict:
            found = {"sizes": sizes.totals(sizes.assetbuild_files(out))}
            if summary.is_file():
                found["summary"] = json.loads(summary.read_text())
            if finish:
                found.update(finish())
            return found
        return Measure(key, label, cmd, prepare=prepare, finish=facts, repeat=repeat)

    def compile_command(self, out: Path, flags: list[str], script: Path | None = None) -> list[str]:
        jobs = ["-j", str(self.args.jobs)] if self.args.jobs else []
        runner = [str(script)] if script else ["-m", "assetbuild"]
        return [self.python, *runner, "compile", str(self.src), "--out", str(out),
                "-q", *jobs, *flags]

    def _prime(self) -> None:
        """Before the first warm rebuild: one untimed build that fills the cache."""
        if self.primed:
            return
        _fresh(self.work / "out-warm")
        _fresh(self.work / "cache")
        cmd = self.compile_command(self.work / "out-warm", ["--cache", str(self.work / "cache")])
        subprocess.run(cmd, check=True, env=_env({}), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        self.primed = True

    def _edit_one(self) -> None:
        self._prime()
        self.manifest_before = _assets(self.work / "out-warm")
        self.edits += 1
        (self.src / corpus_mod.CHANGED_FILE).write_bytes(
            self.original_changed + f"\n.bench-edit-{self.edits} {{ color: red }}\n".encode())

    def _changed_names(self) -> dict:
        after = _assets(self.work / "out-warm")
        return {"changed_file": corpus_mod.CHANGED_FILE.split("/", 1)[1],
                "assets_with_new_fingerprint": sorted(
                    name for name, entry in after.items()
                    if self.manifest_before.get(name, {}).get("path") != entry["path"])}

    def restore(self) -> None:
        (self.src / corpus_mod.CHANGED_FILE).write_bytes(self.original_changed)


def _assets(out: Path) -> dict:
    try:
        return json.loads((out / "manifest.json").read_text())["assets"]
    except (OSError, ValueError, KeyError):
        return {}


# Outputs of earlier runs are moved here and deleted only when every measure is done. On
# ext4 a file created within minutes of many deletions makes the kernel step over each
# recently freed inode (recently_deleted() in the inode allocator): a build writing 24,000
# files right after deleting the previous 24,000 spent 10 s in the kernel instead of 2 s,
# whichever tool it was. A real build writes into a fresh layer or folder.
TRASH: list[Path] = []


def _fresh(path: Path) -> None:
    """Make *path* absent by moving it aside (a rename; nothing is deleted yet)."""
    if path.exists():
        trash = path.parent / ".trash"
        trash.mkdir(exist_ok=True)
        aside = trash / f"{path.name}-{os.getpid()}-{len(TRASH)}"
        path.rename(aside)
        TRASH.append(aside)


def _empty_trash() -> None:
    """Delete what was moved aside (and what a run that crashed left there)."""
    for trash in {path.parent for path in TRASH}:
        shutil.rmtree(trash, ignore_errors=True)
    TRASH.clear()


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "BENCH_"))}
    env.update(extra)
    return env


def run_scale(scenario: Scenario, measures: list[Measure], repeat: int) -> dict:
    results = {m.key: {"label": m.label, "command": " ".join(m.command), "seconds": [], "cpu": [],
                       "tree_rss": 0, "tree_pss": 0, "max_hwm": 0, "error": None, "facts": {}}
               for m in measures}
    try:
        for round_no in range(1, repeat + 1):
            for m in measures:
                res = results[m.key]
                if res["error"] or round_no > min(m.repeat or repeat, repeat):
                    continue
                tag = f"scale {scenario.corpus.scale} round {round_no} {m.key}"
                try:
                    m.prepare()
                except subprocess.CalledProcessError as exc:
                    res["error"] = f"preparing: {' '.join(map(str, exc.cmd[:4]))} ... exit {exc.returncode}"
                    print(f"{tag}: FAILED {res['error']}", flush=True)
                    continue
                os.sync()  # untimed: no measure pays for writing back the one before's files
                r = measure.run(m.command, env=_env(m.env))
                if r.returncode != 0:
                    res["error"] = f"exit {r.returncode}: {_last_lines(r.output)}"
                    print(f"{tag}: FAILED {res['error']}", flush=True)
                    continue
                res["seconds"].append(r.seconds)
                res["cpu"].append(r.cpu_seconds)
                res["tree_rss"] = max(res["tree_rss"], r.tree_rss)
                res["tree_pss"] = max(res["tree_pss"], r.tree_pss)
                res["max_hwm"] = max(res["max_hwm"], r.max_process_rss)
                res["facts"] = m.finish()
                print(f"{tag}: {r.seconds:.2f} s (CPU {r.cpu_seconds:.2f} s), tree peak {r.tree_rss / 2**20:.0f} MB",
                      flush=True)
    finally:
        scenario.restore()
    for res in results.values():
        res["median"] = statistics.median(res["seconds"]) if res["seconds"] else None
        res["cpu_median"] = statistics.median(res["cpu"]) if res["cpu"] else None
    return results


def _last_lines(text: str, n: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-n:])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, nargs="+", help="corpus copies (default: 1 4)")
    p.add_argument("--repeat", type=int, help="runs of each measure; medians are reported "
                                               "(default 3)")
    p.add_argument("--quick", action="store_true",
                   help="small synthetic corpus, no npm, one run each (a smoke test)")
    p.add_argument("-j", "--jobs", type=int, help="assetbuild worker processes (default: its own)")
    p.add_argument("--whitenoise-scales", type=int, nargs="*",
                   help="scales at which WhiteNoise runs (default: the first); its brotli "
                        "at top quality takes about 4 minutes per corpus copy")
    p.add_argument("--brotli-scales", type=int, nargs="*",
                   help="scales at which the assetbuild --brotli-quality 11 build runs "
                        "(default: the first)")
    p.add_argument("--slow-repeat", type=int, default=1,
                   help="runs of the brotli builds at top quality (WhiteNoise, assetbuild "
                        "--brotli-quality 11) at each scale (default 1: they take minutes)")
    p.add_argument("--only", nargs="+", metavar="KEY",
                   help="run only these measures: cp hash work work_br django whitenoise "
                        "ab_default ab_cold ab_nominify ab_unproven ab_brotli11 ab_warm ab_changed")
    p.add_argument("--work", type=Path, default=HERE / "work", help="scratch folder")
    p.add_argument("--corpus-dir", type=Path, default=HERE / "corpus", help="corpus folder")
    p.add_argument("--report", type=Path, help="markdown report (default benchmarks/REPORT.md; "
                                               "with --quick, WORK/REPORT-quick.md)")
    args = p.parse_args(argv)
    args.scale = args.scale or ([1] if args.quick else [1, 4])
    args.repeat = args.repeat or (1 if args.quick else 3)
    if args.whitenoise_scales is None:
        args.whitenoise_scales = args.scale[:1]
    if args.brotli_scales is None:
        args.brotli_scales = args.scale[:1]
    if args.report is None:
        args.report = args.work / "REPORT-quick.md" if args.quick else HERE / "REPORT.md"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    machine = report.machine_facts()
    _compile_bytecode()
    by_scale = {}
    for scale in args.scale:
        corpus = (corpus_mod.build_quick(args.work, scale) if args.quick
                  else corpus_mod.build(args.corpus_dir, scale))
        work = args.work / f"s{scale}"
        _fresh(work)
        work.mkdir(parents=True)
        measure.run(["cat", "/dev/null"])  # the sampler's first use, outside any timing
        corpus_mod.count(corpus.root)  # warm the page cache alike for every measure
        scenario = Scenario(corpus, work, args)
        measures = scenario.measures()
        _check_space(work, corpus.bytes, sum(min(m.repeat or args.repeat, args.repeat)
                                             for m in measures))
        results = run_scale(scenario, measures, args.repeat)
        by_scale[scale] = {"corpus": corpus.facts(), "measures": results}
    machine["load_after"] = os.getloadavg()
    data = {"started": started, "finished": time.time(), "args": _jsonable(vars(args)),
            "machine": machine, "scales": by_scale}
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "results.json").write_text(json.dumps(data, indent=1, default=str))
    args.report.write_text(report.render(data))
    print(f"report: {args.report}", flush=True)
    _empty_trash()
    failed = [f"scale {s} {k}" for s, d in by_scale.items()
              for k, r in d["measures"].items() if r["error"]]
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


# What one measure leaves on disk, as a multiple of the corpus: the files, their .gz and
# .br, and the blocks and inodes of 50,000 small files (2.9 on the scale-4 corpus).
_OUTPUT_PER_CORPUS = 3


def _check_space(work: Path, corpus_bytes: int, outputs: int) -> None:
    """Stop before a scale whose outputs would not fit: they are all kept until the last
    measure (see _fresh), and a full disk fails every measure after it."""
    need = corpus_bytes * _OUTPUT_PER_CORPUS * outputs
    free = shutil.disk_usage(work).free
    if free < need:
        sys.exit(f"{work}: about {need / 1e9:.0f} GB needed for {outputs} measure outputs of "
                 f"{corpus_bytes / 1e9:.2f} GB, {free / 1e9:.0f} GB free; free some space or "
                 f"use fewer --repeat/--scale")


def _compile_bytecode() -> None:
    """Compile assetbuild's modules to bytecode, as `pip install` does: run from a
    checkout with PYTHONDONTWRITEBYTECODE set, each process (workers included) would
    compile them from source again (about 60 ms), which no installed copy does, nor
    the peers in site-packages."""
    found = subprocess.run([sys.executable, "-c", "import assetbuild; print(assetbuild.__file__)"],
                           capture_output=True, text=True, check=True)
    package = Path(found.stdout.strip()).parent
    if not compileall.compile_dir(package, quiet=1):
        sys.exit(f"cannot compile {package} to bytecode: the measures would compile it again")


def _jsonable(values: dict) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in values.items()}


if __name__ == "__main__":
    sys.exit(main())

"""Time the per-file text work (scan, minify and its proof, references, placeholders) on a tree.

    python benchmarks/text_work.py <tree> [--repeat 3]

Reads every .js/.mjs/.cjs/.css file under <tree> into memory (untimed), then times each
phase over all files of its kind, single process, and prints one table row per phase with
the best of the repeats. ``rjsmin`` / ``rcssmin`` alone are the floor that the checks around
them add to; ``prepare_text`` is the whole per-file step (scan, placeholders, minify).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable

import rcssmin
import rjsmin

from assetbuild import css, js
from assetbuild.refs import Placeholders
from assetbuild.transform import decode, is_preminified, kind_of, prepare_text


def read_texts(root: Path) -> dict[str, list[tuple[str, str]]]:
    """{'js': [(logical, text)], 'css': [...]} for every decodable script and stylesheet."""
    texts: dict[str, list[tuple[str, str]]] = {"js": [], "css": []}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            logical = path.relative_to(root).as_posix()
            kind = kind_of(logical)
            if kind != "binary":
                text = decode(path.read_bytes())
                if text is not None:
                    texts[kind].append((logical, text))
    return texts


def _minifiable(items: list[tuple[str, str]]) -> list[str]:
    return [text for logical, text in items if not is_preminified(logical)]


def _js_minify(text: str) -> None:
    try:
        js.minify_proven(text, js.skeleton(text))
    except js.Unminifiable:
        pass


def _css_minify(text: str) -> None:
    try:
        css.minify(text)
    except css.Unminifiable:
        pass


def _placeholders(text: str, refs) -> None:
    holders = Placeholders.for_text(text)
    holders.found(holders.protect(text, refs))


def phases(texts: dict[str, list[tuple[str, str]]]) -> list[tuple[str, int, Callable[[], None]]]:
    """(label, files, run-all-files) for every phase timed."""
    scripts = [text for _, text in texts["js"]]
    sheets = [text for _, text in texts["css"]]
    js_min, css_min = _minifiable(texts["js"]), _minifiable(texts["css"])
    js_refs = [(t, js.scan(t).refs) for t in scripts]
    css_refs = [(t, css.find_references(t)) for t in sheets]
    every = texts["js"] + texts["css"]
    bang = {"keep_bang_comments": True}

    def prepare_all() -> None:
        for logical, text in every:
            prepare_text(logical, kind_of(logical), text, True, "/static/", [], logical)

    return [
        ("js.scan", len(scripts), lambda: [js.scan(t) for t in scripts]),
        ("js.minify_proven", len(js_min), lambda: [_js_minify(t) for t in js_min]),
        ("  rjsmin alone", len(js_min), lambda: [rjsmin.jsmin(t, **bang) for t in js_min]),
        ("  walk (skeleton)", len(js_min), lambda: [js.skeleton(t) for t in js_min]),
        ("css.find_references", len(sheets), lambda: [css.find_references(t) for t in sheets]),
        ("css.minify (proven)", len(css_min), lambda: [_css_minify(t) for t in css_min]),
        ("  rcssmin alone", len(css_min), lambda: [rcssmin.cssmin(t, **bang) for t in css_min]),
        ("placeholders (js+css)", len(every), lambda: [_placeholders(t, r) for t, r in js_refs + css_refs]),
        ("prepare_text (all)", len(every), prepare_all),
    ]


def best_time(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    texts = read_texts(args.tree)
    size = sum(len(t) for items in texts.values() for _, t in items)
    print(f"{len(texts['js'])} scripts, {len(texts['css'])} stylesheets, {size / 1e6:.1f} M chars; "
          f"load {os.getloadavg()[0]:.2f}; best of {args.repeat}")
    print(f"{'phase':<24}{'files':>7}{'seconds':>10}")
    for label, count, run in phases(texts):
        print(f"{label:<24}{count:>7}{best_time(run, args.repeat):>10.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

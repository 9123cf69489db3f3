"""ES modules that import each other in a loop: compiled through the real CLI, loaded by
node through the rewritten names, fingerprinted so that a change to any member renames
every member, and built the same way every time."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.cli import read_manifest, run_cli, tree_bytes, write_tree
from support.corpus import require_node
from support.outputcheck import Release

pytestmark = pytest.mark.e2e

# a -> b -> c -> a, with main and an outside module (util) around the loop.
LOOP = {
    "package.json": '{"type": "module"}\n',  # outside the source root: node reads .js as modules
    "src/main.js": "import { a } from './loop/a.js';\nconsole.log(a());\n",
    "src/loop/a.js": "import { b } from './b.js';\nexport const name = 'A';\n"
                     "export const a = () => 'a' + b();\n",
    "src/loop/b.js": "import { c } from './c.js';\nexport const b = () => 'b' + c();\n",
    "src/loop/c.js": "import { name } from './a.js';\nimport { bang } from '../util.js';\n"
                     "export const c = () => 'c' + name + bang;\n",
    "src/util.js": "export const bang = '!';\n",
}
MEMBERS = ["loop/a.js", "loop/b.js", "loop/c.js"]


def build(base: Path, out: str = "out", *flags: str) -> tuple[Path, dict, str]:
    proc = run_cli("compile", base / "src", "--out", base / out, "--no-brotli", *flags, check=True)
    return base / out, read_manifest(base / out)["assets"], proc.stderr


def run_node(script: Path) -> str:
    proc = subprocess.run([require_node(), script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def paths(assets: dict) -> dict[str, str]:
    return {name: entry["path"] for name, entry in assets.items()}


def test_a_loop_of_three_modules_loads_in_node(tmp_path):
    write_tree(tmp_path, LOOP)
    out, assets, stderr = build(tmp_path)
    assert stderr == ""
    assert run_node(tmp_path / "src/main.js") == "abcA!\n"
    assert run_node(out / assets["main.js"]["path"]) == "abcA!\n"
    for name in MEMBERS:  # each member names the others' fingerprinted files, not the sources
        assert assets[name]["module"] is True
        text = (out / assets[name]["path"]).read_text(encoding="utf-8")
        assert not {"'./a.js'", "'./b.js'", "'./c.js'", "'../util.js'"} & set(text.split("from"))
    c = (out / assets["loop/c.js"]["path"]).read_text(encoding="utf-8")
    assert f"'./{assets['loop/a.js']['path'].split('/')[-1]}'" in c
    assert f"'../{assets['util.js']['path']}'" in c
    release = Release.load(out)  # the independent checker: only the loop's names are not
    assert release.integrity_problems() == []  # blake3 of the file's bytes
    assert release.import_loops() == {assets[name]["path"] for name in MEMBERS}


def test_changing_one_member_renames_every_member(tmp_path):
    write_tree(tmp_path, LOOP)
    _, before, _ = build(tmp_path, "out1")
    (tmp_path / "src/loop/b.js").write_text(
        "import { c } from './c.js';\nexport const b = () => 'B' + c();\n", encoding="utf-8")
    out, after, _ = build(tmp_path, "out2")
    changed = {name for name in before if paths(before)[name] != paths(after)[name]}
    assert changed == {*MEMBERS, "main.js"}  # main imports a member; util is outside
    assert run_node(out / after["main.js"]["path"]) == "aBcA!\n"


def test_changing_what_the_loop_imports_renames_every_member(tmp_path):
    write_tree(tmp_path, LOOP)
    _, before, _ = build(tmp_path, "out1")
    (tmp_path / "src/util.js").write_text("export const bang = '?';\n", encoding="utf-8")
    out, after, _ = build(tmp_path, "out2")
    changed = {name for name in before if paths(before)[name] != paths(after)[name]}
    assert changed == {*MEMBERS, "main.js", "util.js"}
    assert run_node(out / after["main.js"]["path"]) == "abcA?\n"


def test_two_builds_are_byte_identical(tmp_path):
    # With 100 more files (two batches), the first build runs in worker processes, the
    # second in this one: the loop is found at another moment, and named the same.
    write_tree(tmp_path, {**LOOP, **{f"src/filler/{i}.txt": str(i) for i in range(100)}})
    one, _, _ = build(tmp_path, "out1", "-j", "2")
    two, _, _ = build(tmp_path, "out2", "-j", "1")
    assert tree_bytes(one) == tree_bytes(two)


def test_a_rebuild_with_the_cache_after_a_change_equals_a_fresh_build(tmp_path):
    write_tree(tmp_path, LOOP)
    build(tmp_path, "out", "--cache", str(tmp_path / "cache"))
    (tmp_path / "src/loop/c.js").write_text(
        "import { name } from './a.js';\nimport { bang } from '../util.js';\n"
        "export const c = () => 'C' + name + bang;\n", encoding="utf-8")
    out, assets, _ = build(tmp_path, "out", "--cache", str(tmp_path / "cache"))
    _, fresh, _ = build(tmp_path, "fresh")
    assert paths(assets) == paths(fresh)
    assert run_node(out / assets["main.js"]["path"]) == "abCA!\n"


def test_a_loop_found_inside_a_larger_one_is_built_as_the_larger_one(tmp_path):
    # a and b (the largest files, read first) import each other and close a loop while
    # b's import of c is still unread; c then closes the larger loop a -> b -> c -> a.
    pad = "// " + "x" * 3000 + "\n"
    write_tree(tmp_path, {
        "package.json": '{"type": "module"}\n',
        "src/main.js": "import { a } from './a.js';\nconsole.log(a());\n",
        "src/a.js": pad + "import { b, c } from './b.js';\nexport const name = 'A';\n"
                          "export const a = () => 'a' + b() + c();\n",
        "src/b.js": pad + "import { name } from './a.js';\nimport { c } from './c.js';\n"
                          "export { c };\nexport const b = () => 'b' + name;\n",
        "src/c.js": "import { name } from './a.js';\nexport const c = () => 'c' + name;\n",
    })
    out, assets, stderr = build(tmp_path, "out", "-j", "1")
    assert stderr == ""
    assert run_node(out / assets["main.js"]["path"]) == run_node(tmp_path / "src/main.js") == "abAcA\n"
    _, again, _ = build(tmp_path, "again")
    assert paths(again) == paths(assets)


def test_a_loop_through_new_url_is_an_error_naming_each_reference(tmp_path):
    write_tree(tmp_path, {
        "src/a.js": "import './b.js';\n",
        "src/b.js": "export const w = new URL('./a.js', import.meta.url);\n",
    })
    proc = run_cli("compile", tmp_path / "src", "--out", tmp_path / "out")
    assert proc.returncode == 1
    assert proc.stderr == (
        f"{tmp_path / 'src' / 'a.js'}:1: error: reference cycle: a.js:1 -> b.js:1 -> a.js; "
        "files that reference each other in a loop cannot all be fingerprinted (only ES "
        "modules may import each other); break the loop\n")


def test_the_same_name_always_means_the_same_bytes(tmp_path):
    # Variants that differ only in how c writes its import of a: each form is kept in the
    # output, so each must give c (and the loop) other names.
    seen: dict[str, bytes] = {}
    for i, spec in enumerate(["./a.js", "./a.js?v=2", "/static/loop/a.js"]):
        base = tmp_path / str(i)
        write_tree(base, {**LOOP, "src/loop/c.js": LOOP["src/loop/c.js"].replace("./a.js", spec)})
        out, assets, _ = build(base)
        c = (out / assets["loop/c.js"]["path"]).read_text(encoding="utf-8")
        assert spec.replace("a.js", assets["loop/a.js"]["path"].split("/")[-1]) in c
        for entry in assets.values():
            data = (out / entry["path"]).read_bytes()
            assert seen.setdefault(entry["path"], data) == data, entry["path"]
    assert len({p for p in seen if p.startswith("loop/c.")}) == 3

"""Whole real packages (htmx, TinyMCE, Ace, Monaco, CodeMirror 5, SortableJS, pdf.js, KaTeX,
Lit, Vue, Swiper, marked) compiled as a user would point the tool at them, then checked
script by script by independent tools in node: acorn's syntax tree of every compiled script
equals the original's apart from module specifiers rewritten to fingerprinted names
(tests/thirdparty/compare_ast.mjs), and every ES module node can import exports the same
names (tests/thirdparty/module_exports.mjs). A file the compiler keeps unminified is a
warning this file expects by name, with the reason; no other warning is allowed."""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest
from support.cli import ROOT, run_cli, write_tree
from support.corpus import NODE_MODULES, SETUP, require_node

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

TOOLS = ROOT / "tests" / "thirdparty"
URL_PREFIX = "/static/"  # the default --url-prefix
INDENTED = 10  # lines; fewer, and a file may be minified already or have nothing to drop
NOT_MINIFIED = re.compile(r"^(?P<file>.+?): warning: not minified: (?P<reason>.*)$")


@dataclass(frozen=True)
class RealPackage:
    """A package folder compiled whole, and the files its build may keep unminified."""

    folder: str  # under node_modules
    ignore: tuple[str, ...] = ()
    # Logical name -> why the compiler cannot prove a minified copy equivalent (the warning).
    unminified: dict[str, str] = field(default_factory=dict)
    # Whether some of its ES modules run in node (not all need a browser's window).
    runs_in_node: bool = True


PACKAGES = {
    "htmx.org": RealPackage("htmx.org", runs_in_node=False),  # reads window as it loads
    # tinymce.js has '<!--' inside regex literals only: it must be minified (issue 18, class 4).
    "tinymce": RealPackage("tinymce"),
    "ace-builds": RealPackage("ace-builds"),
    "monaco-editor": RealPackage("monaco-editor"),
    "codemirror": RealPackage("codemirror"),
    "sortablejs": RealPackage("sortablejs"),
    "pdfjs-dist": RealPackage("pdfjs-dist", unminified=dict.fromkeys(
        ["web/pdf_viewer.css", "legacy/web/pdf_viewer.css"],
        # In a rule nested in `@media … { … }` after a declaration, rcssmin takes the
        # selector `.textWidgetAnnotation :is(input, textarea)` for `property : value` and
        # drops the descendant space, which changes what the selector matches.
        "minifying would change the stylesheet near 'LinkText;.textWidgetAnnotation :is(…'")),
    "katex": RealPackage("katex/dist"),
    "lit": RealPackage("lit"),
    "vue": RealPackage("vue/dist"),
    "swiper": RealPackage("swiper"),
    "marked": RealPackage("marked"),
}
NAMES = sorted(PACKAGES)


@dataclass
class Compiled:
    """A finished build of one package."""

    package: RealPackage
    source: Path
    out: Path
    manifest: dict
    warnings: list[str]
    _trees: list[dict] | None = None

    def trees(self) -> list[dict]:
        """compare_trees() of this build, computed once."""
        if self._trees is None:
            self._trees = compare_trees(self)
        return self._trees

    def scripts(self) -> dict[str, dict]:
        """Logical name -> manifest entry, for every compiled JavaScript file."""
        return {name: entry for name, entry in self.manifest["assets"].items()
                if name.endswith((".js", ".mjs", ".cjs"))}


class Releases:
    """Each package compiled at most once per session, under one folder.

    The folder holds a package.json saying "type": "module" (node then loads compiled .js
    files as ES modules, as a browser does for <script type=module>) and a node_modules link
    to the corpus, so compiled modules find the bare specifiers their originals find.
    """

    def __init__(self, base: Path):
        self.base = base
        (base / "package.json").write_text('{"type": "module"}\n')
        (base / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
        self._done: dict[str, Compiled | str] = {}

    def get(self, name: str) -> Compiled:
        """The package's build; a build that failed fails every test that asks for it."""
        if name not in self._done:
            try:
                self._done[name] = self._compile(name)
            except AssertionError as failure:
                self._done[name] = str(failure)
        done = self._done[name]
        if isinstance(done, str):
            pytest.fail(done, pytrace=False)
        return done

    def _compile(self, name: str) -> Compiled:
        package = PACKAGES[name]
        source = NODE_MODULES / package.folder
        if not source.is_dir():
            pytest.skip(f"third-party corpus not installed ({source} is missing): run {SETUP}")
        return build(package, source, self.base / name)


def build(package: RealPackage, source: Path, out: Path) -> Compiled:
    """Compile a folder with the real CLI, as a user would; fail with its errors."""
    args = ["compile", source, "--out", out, "--jobs", "2", "--no-brotli", "--json", "-"]
    for pattern in package.ignore:
        args += ["--ignore", pattern]
    proc = run_cli(*args)
    assert proc.returncode == 0, f"{source.name}: compile exit {proc.returncode}\n{proc.stderr[-4000:]}"
    summary = json.loads(proc.stdout)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return Compiled(package, source, out, manifest, summary["warnings"])


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    return Releases(tmp_path_factory.mktemp("real-packages"))


def run_node(script: str, payload: object) -> object:
    """Run a tool of tests/thirdparty with JSON on stdin; return its JSON output."""
    proc = subprocess.run([require_node(), str(TOOLS / script)], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"node {script} failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)


def import_all(root: Path, modules: list[Path]) -> dict[str, dict]:
    """module_exports.mjs's report on importing `modules` (files under `root`) in order."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [require_node(), "--no-warnings", str(TOOLS / "module_exports.mjs"), str(root), str(report)]
        proc = subprocess.run(command, input=json.dumps([str(m) for m in modules]), capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, f"node module_exports.mjs failed:\n{proc.stderr[-4000:]}"
        return json.loads(report.read_text(encoding="utf-8"))


def run_node_split(script: str, items: list, parts: int = 2) -> list:
    """run_node on `parts` slices of a list at once (one node per core); results in order."""
    slices = [items[i::parts] for i in range(parts)]
    with ThreadPoolExecutor(parts) as pool:
        results = list(pool.map(lambda part: run_node(script, part), slices))
    merged = [None] * len(items)
    for i, part in enumerate(results):
        merged[i::parts] = part
    return merged


def describe(result: dict) -> str:
    """One line per problem: the file and the first differing node (or the parse error)."""
    name = result["logical"]
    if result["status"] == "broken":
        return f"{name}: the compiled file no longer parses: {result['error']} near {result['excerpt']!r}"
    if result["status"] == "unparsable":
        return f"{name}: the original does not parse as {result['kind']}: {result['error']}"
    d = result["difference"]
    return (f"{name}: syntax tree differs at {d['path']}: {d['original']} (line:col {d['original_at']}, "
            f"{d['original_excerpt']!r}) became {d['compiled']} ({d['compiled_at']}, {d['compiled_excerpt']!r})")


def compare_trees(compiled: Compiled) -> list[dict]:
    """compare_ast.mjs's result for every compiled script, with its logical name."""
    listing = []
    for name, entry in sorted(compiled.scripts().items()):
        module = bool(entry.get("module"))
        listing.append({"original": str(compiled.source / name), "compiled": str(compiled.out / entry["path"]),
                        "module": module, "logical": name, "kind": "a module" if module else "a script"})
    results = run_node_split("compare_ast.mjs", listing)
    return [{**item, **result} for item, result in zip(listing, results)]


def is_local(kind: str, specifier: str) -> bool:
    """A specifier the compiler rewrites: relative or absolute paths, and for `new URL` any
    relative URL ('ts.worker.js' too); not bare module names, other schemes or hosts."""
    if kind == "import":
        return specifier.startswith(("./", "../", "/")) and not specifier.startswith("//")
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|//|#", specifier)


def unrewritten(compiled: Compiled, result: dict) -> list[str]:
    """Local specifiers of a compiled script that name a source file but no file of the release."""
    release = {entry["path"] for entry in compiled.manifest["assets"].values()}
    folder = PurePosixPath(compiled.scripts()[result["logical"]]["path"]).parent
    source_folder = PurePosixPath(result["logical"]).parent
    missing = []
    for kind, specifier in result.get("specifiers", []):
        if not is_local(kind, specifier):
            continue
        path = re.split(r"[?#]", specifier, maxsplit=1)[0]
        if path.startswith(URL_PREFIX):
            target, source_target = path[len(URL_PREFIX):], path[len(URL_PREFIX):]
        elif path.startswith("/"):
            continue  # outside the release's URL prefix: not the compiler's to rewrite
        else:
            target = posixpath.normpath(str(folder / path))
            source_target = posixpath.normpath(str(source_folder / path))
        if target not in release and (compiled.source / source_target).is_file():
            missing.append(f"{result['logical']}: {kind} {specifier!r} names {source_target}, "
                           "which is in the release only under its fingerprinted name")
    return missing


def not_minified(compiled: Compiled) -> dict[str, str]:
    """Logical name -> reason, for each `not minified` warning of the build."""
    found = {}
    for line in compiled.warnings:
        match = NOT_MINIFIED.match(line)
        if match:
            found[Path(match["file"]).relative_to(compiled.source).as_posix()] = match["reason"]
    return found


@pytest.mark.parametrize("name", NAMES)
def test_every_script_keeps_its_syntax_tree(releases, name):
    require_node()
    compiled = releases.get(name)
    assert compiled.scripts()
    problems = [describe(r) for r in compiled.trees() if r["status"] != "same"]
    if problems:
        pytest.fail(f"{len(problems)} of {len(compiled.scripts())} scripts differ:\n" + "\n".join(problems),
                    pytrace=False)


@pytest.mark.parametrize("name", NAMES)
def test_every_local_specifier_names_a_file_of_the_release(releases, name):
    require_node()
    compiled = releases.get(name)
    problems = [line for result in compiled.trees() for line in unrewritten(compiled, result)]
    if problems:
        pytest.fail(f"{len(problems)} specifiers were not rewritten:\n" + "\n".join(problems), pytrace=False)


def silently_unminified(compiled: Compiled, warned: dict[str, str]) -> list[str]:
    """Scripts written with indented lines (not minified already) shipped byte for byte, with
    no warning. Kept files (*.min.js) are shipped as they are by design."""
    found = []
    for name, entry in sorted(compiled.scripts().items()):
        if ".min." in name or name in warned:
            continue
        original = (compiled.source / name).read_bytes()
        indented = len(re.findall(rb"\n[ \t]+\S", original))
        if indented >= INDENTED and original == (compiled.out / entry["path"]).read_bytes():
            found.append(name)
    return found


@pytest.mark.parametrize("name", NAMES)
def test_only_the_expected_files_are_left_unminified(releases, name):
    compiled = releases.get(name)
    warned = not_minified(compiled)
    assert sorted(warned) == sorted(compiled.package.unminified), "\n".join(compiled.warnings)
    others = [line for line in compiled.warnings if not NOT_MINIFIED.match(line)]
    assert others == []
    assert silently_unminified(compiled, warned) == []


def export_problems(compiled: Compiled) -> tuple[list[str], int]:
    """ES modules whose import in node gives other export names or types than the original's
    (or, for an original that fails in node, another kind of error); and how many originals
    import at all outside a browser."""
    modules = {n: e for n, e in compiled.scripts().items() if e.get("module")}
    names = sorted(modules)
    before = import_all(compiled.source, [compiled.source / n for n in names])
    after = import_all(compiled.out, [compiled.out / modules[n]["path"] for n in names])
    problems = []
    for n in names:
        was, now = before[str(compiled.source / n)], after[str(compiled.out / modules[n]["path"])]
        if "error" in was:
            # Needs a browser (window, document...): the compiled module must fail the same way.
            if "error" not in now or now["error"].split(":")[0] != was["error"].split(":")[0]:
                problems.append(f"{n}: original fails to import ({was['error']}), compiled gives {now}")
        elif now != was:
            problems.append(f"{n}: exports {was.get('exports')} became {now}")
    return problems, sum("error" not in was for was in before.values())


@pytest.mark.parametrize("name", NAMES)
def test_es_modules_export_the_same_names(releases, name):
    require_node()
    compiled = releases.get(name)
    modules = [n for n, e in compiled.scripts().items() if e.get("module")]
    if not modules:
        pytest.skip(f"{name} has no ES modules")
    problems, imported = export_problems(compiled)
    assert imported > 0 or not compiled.package.runs_in_node, "no original module imports in node"
    if problems:
        pytest.fail(f"{len(problems)} of {len(modules)} modules ({imported} importable in node) differ:\n"
                    + "\n".join(problems), pytrace=False)


# The checks must be able to fail: break a handmade release in each way they look for.

def test_the_checks_find_what_a_broken_release_gets_wrong(tmp_path):
    require_node()
    if not (NODE_MODULES / "acorn").is_dir():
        pytest.skip(f"acorn is not installed: run {SETUP}")
    body = "".join(f"  total += {i};\n" for i in range(INDENTED))
    source = write_tree(tmp_path / "src", {
        "app.mjs": "import {space} from './lib.mjs';\nexport const load = () => import('./worker.mjs');\n"
                   "export {space};\n",
        "lib.mjs": "export function space(c) {\n  return /^[ ]$/.test(c);\n}\n",
        "worker.mjs": "export const count = 1;\n",
        "cut.mjs": "export function f(a) {\n  return a / 2;\n}\n",
        "old.js": f"var total = 0;\nfunction add() {{\n{body}}}\n",
    })
    clean = build(RealPackage("handmade"), source, tmp_path / "out")
    assert [r["status"] for r in clean.trees()] == ["same"] * 5
    assert [line for r in clean.trees() for line in unrewritten(clean, r)] == []
    assert silently_unminified(clean, {}) == []
    assert export_problems(clean) == ([], 4)

    def edit(name: str, old: str, new: str) -> None:
        path = clean.out / clean.scripts()[name]["path"]
        text = path.read_text()
        assert re.search(old, text), text
        path.write_text(re.sub(old, new, text))

    edit("lib.mjs", re.escape("/^[ ]$/"), "/^[]$/")
    worker = PurePosixPath(clean.scripts()["worker.mjs"]["path"]).name
    edit("app.mjs", r"worker\.[0-9a-f]+\.mjs", "worker.mjs")
    edit("app.mjs", r"lib\.[0-9a-f]+\.mjs", worker)
    edit("worker.mjs", "count", "total")
    edit("cut.mjs", r"/\s*2;?\s*}", "/")
    (clean.out / clean.scripts()["old.js"]["path"]).write_bytes((source / "old.js").read_bytes())
    broken = dataclasses.replace(clean, _trees=None)

    # Where each difference is in the original (positions in the compiled file depend on the
    # minifier's output, and are only shown).
    found = {r["logical"]: r for r in broken.trees() if r["status"] != "same"}
    assert {n: r["difference"]["path"] if "difference" in r else r["status"] for n, r in found.items()} == {
        "app.mjs": "Program.body[0].source",
        "cut.mjs": "broken",
        "lib.mjs": "Program.body[0].declaration.body.body[0].argument.callee.object.raw",
        "worker.mjs": "Program.body[0].declaration.declarations[0].id.name",
    }
    assert describe(found["app.mjs"]) == (
        f"app.mjs: syntax tree differs at Program.body[0].source: \"./lib.mjs\" (line:col 1:20, "
        f"\"'./lib.mjs'\") became \"./{worker}\" ({found['app.mjs']['difference']['compiled_at']}, "
        f"\"'./{worker}'\")")
    assert describe(found["lib.mjs"]).startswith(
        "lib.mjs: syntax tree differs at Program.body[0].declaration.body.body[0].argument.callee"
        ".object.raw: \"/^[ ]$/\" (line:col 2:9, '/^[ ]$/') became \"/^[]$/\" (")
    assert describe(found["cut.mjs"]).startswith("cut.mjs: the compiled file no longer parses: ")
    assert [line for r in broken.trees() for line in unrewritten(broken, r)] == [
        "app.mjs: import './worker.mjs' names worker.mjs, which is in the release only under its "
        "fingerprinted name"]
    assert silently_unminified(broken, {}) == ["old.js"]
    problems, imported = export_problems(broken)
    assert imported == 4
    assert problems == [
        f"app.mjs: exports {{'load': 'function', 'space': 'function'}} became {{'error': \"SyntaxError: "
        f"The requested module './{worker}' does not provide an export named 'space'\"}}",
        "cut.mjs: exports {'f': 'function'} became {'error': 'SyntaxError: Unexpected end of input'}",
        "worker.mjs: exports {'count': 'number'} became {'exports': {'total': 'number'}}",
    ]

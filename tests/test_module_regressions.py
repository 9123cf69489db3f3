"""ES module specifiers that real packages write and the scanner once got wrong: each
compiled graph must still load in node and print what the sources print."""

from __future__ import annotations

import subprocess

import pytest
from support.cli import read_manifest, run_cli, write_tree
from support.corpus import require_node

pytestmark = pytest.mark.e2e


def _run_both(tmp_path, files: dict[str, str], entry: str) -> tuple[str, str, str]:
    write_tree(tmp_path, {"package.json": '{"type": "module"}\n', **{f"src/{k}": v for k, v in files.items()}})
    out = tmp_path / "out"
    proc = run_cli("compile", tmp_path / "src", "--out", out, "--no-gzip", "--no-brotli", check=True)
    compiled = out / read_manifest(out)["assets"][entry]["path"]
    node = require_node()
    before = subprocess.run([node, tmp_path / "src" / entry], capture_output=True, text=True, timeout=60)
    after = subprocess.run([node, compiled], capture_output=True, text=True, timeout=60)
    assert before.returncode == 0, before.stderr
    assert (after.returncode, after.stdout) == (0, before.stdout), after.stderr
    return proc.stderr, compiled.read_text(encoding="utf-8"), before.stdout


def test_import_of_hundreds_of_names_is_rewritten(tmp_path):
    # three.module.js imports ~300 names from './three.core.js' in one statement.
    names = [f"n{i}" for i in range(600)]
    _, compiled, out = _run_both(tmp_path, {
        "core.js": "".join(f"export const {n} = {i};\n" for i, n in enumerate(names)),
        "main.js": f"import {{ {', '.join(names)} }} from './core.js';\n"
                   f"export {{ {', '.join(names)} }} from './core.js';\n"
                   f"console.log({' + '.join(names)});\n",
    }, "main.js")
    assert out == f"{sum(range(600))}\n"
    assert "'./core.js'" not in compiled


def test_export_list_then_import_without_semicolons_is_rewritten_once(tmp_path):
    stderr, compiled, _ = _run_both(tmp_path, {
        "m.js": "const a = 1, b = 2\nexport { a, b }\nimport c from './c.js'\nexport * from './d.js'\n"
                "console.log(a + b + c)\n",
        "c.js": "export default 3\n",
        "d.js": "export const d = 4\n",
    }, "m.js")
    assert "warning" not in stderr
    assert compiled.count("./c.") == 1 and compiled.count("./d.") == 1

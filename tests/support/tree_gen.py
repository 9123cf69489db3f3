"""A generated source tree for the crash and concurrency tests: images, stylesheets that
import each other and reference images, chains of ES modules, plain scripts and SVGs.

``make_tree(root, files, version)`` writes version *version* of the tree. Each new version
changes img/i0.png, which every stylesheet references (so every stylesheet gets a new
fingerprint), plus a rotating share of the other files, and version.txt. Only files whose
content changes are rewritten.
"""

from __future__ import annotations

import random
import re
from pathlib import Path


def _write(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def make_tree(root: Path, files: int, version: int) -> set[str]:
    """Write the tree (about *files* files); return the logical names it holds."""
    rng = random.Random(1)
    n = max(files // 5, 2)
    names = set()

    def put(name: str, data: bytes | str) -> None:
        names.add(name)
        _write(root / name, data.encode() if isinstance(data, str) else data)

    for k in range(n):
        image = rng.randbytes(300 + rng.randrange(2000))
        if k == 0 or k % 23 == version % 23:
            image += f"v{version}".encode()
        put(f"img/i{k}.png", image)
        refs = [0] + [rng.randrange(n) for _ in range(3)]
        rules = "".join(f".r{k}-{j}{{background:url(../img/i{i}.png) no-repeat;"
                        f"color:#{rng.randrange(4096):03x}}}\n" for j, i in enumerate(refs))
        head = f"@import url(c{rng.randrange(k)}.css);\n" if k else ""
        put(f"css/c{k}.css", head + rules * 3)
        dep = f"import {{f{k - 1} as g}} from './m{k - 1}.mjs';\n" if k else "const g = () => 0;\n"
        put(f"js/m{k}.mjs", dep + f"export function f{k}(a) {{ return g(a) + {k}; }}\n" * 4)
        mark = version if k % 17 == version % 17 else 0
        put(f"js/p{k}.js", f"(function () {{ var x{k} = {k}; console.log('v{mark}', x{k}); }})();\n" * 5)
        put(f"svg/s{k}.svg", f"<svg xmlns='http://www.w3.org/2000/svg'><rect width='{k}' height='1'/></svg>\n" * 4)
    put("version.txt", str(version))
    return names


_CSS_URL = re.compile(r"url\(([^)]+)\)")
_JS_FROM = re.compile(r"""(?:from|import)\s*["']([^"']+)["']""")


def broken_links(out: Path, manifest: dict) -> list[str]:
    """References inside the release's stylesheets and modules that name no file in it."""
    broken = []
    for name, entry in manifest["assets"].items():
        pattern = _CSS_URL if name.endswith(".css") else _JS_FROM if name.endswith(".mjs") else None
        if pattern is None:
            continue
        path = out / entry["path"]
        for url in pattern.findall(path.read_text()):
            if not (path.parent / url.strip("'\"")).is_file():
                broken.append(f"{name}: {url}")
    return broken

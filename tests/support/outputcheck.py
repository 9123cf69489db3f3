"""An independent checker of compiled releases, used by the tests on real packages.

It shares no code with the compiler: references in output files are found by its own
scanners (CSS in Python, JavaScript by node's V8 parser plus a pattern for dynamic
imports), resolved by its own rules and compared with the files the manifest lists. So a
bug in the compiler's scanners or resolver shows up here instead of being repeated.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import blake3

NODE = shutil.which("node")
INSPECT_SCRIPTS = Path(__file__).parent.parent / "thirdparty" / "inspect_scripts.mjs"

_CSS_COMMENT_OR_STRING = re.compile(r'/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
_CSS_URL = re.compile(r"""\burl\(\s*("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[^)'"\s]*)\s*\)""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s*("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')""", re.I)
_CSS_IMAGE_SET = re.compile(r"\bimage-set\(", re.I)
_CSS_QUOTED = re.compile(r""""(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'""")
_CSS_MAP = re.compile(r"/\*[#@]\s*sourceMappingURL=(\S+?)\s*\*/")
_JS_MAP = re.compile(r"^[ \t]*//[#@][ \t]*sourceMappingURL=(\S+)", re.M)
_JS_DYNAMIC = re.compile(r"""(?<![\w$.])import\s*\(\s*("[^"\n]*"|'[^'\n]*')\s*\)""")
_CSS_HEX = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HASHED = re.compile(r"\.([0-9a-f]{8,64})(?:\.[^./]*)?$")


@dataclass(frozen=True)
class Found:
    """A reference in an output file: the file (relative path), the URL, its kind."""

    file: str
    url: str
    kind: str


def _css_unquote(token: str) -> str:
    if token[:1] in "\"'":
        token = token[1:-1]
    token = _CSS_HEX.sub(lambda m: chr(int(m.group(1), 16)), token)
    return re.sub(r"\\(.)", r"\1", token)


def css_references(text: str) -> list[tuple[str, str]]:
    """(kind, url) for url(), @import, image-set() strings and the source map comment."""
    found = [("sourcemap", m.group(1)) for m in _CSS_MAP.finditer(text)]
    # Blank out comments and the insides of strings, so that only real code is searched;
    # keep the offsets, so quoted URLs can be read back from the original text.
    spans = []
    masked = list(text)
    for m in _CSS_COMMENT_OR_STRING.finditer(text):
        if m.group().startswith("/*"):
            masked[m.start():m.end()] = " " * (m.end() - m.start())
        else:
            spans.append((m.start(), m.end()))
            masked[m.start() + 1:m.end() - 1] = "x" * (m.end() - m.start() - 2)
    code = "".join(masked)

    def original(m: re.Match) -> str:
        return text[m.start(1):m.end(1)]

    for m in _CSS_URL.finditer(code):
        found.append(("url", _css_unquote(original(m))))
    for m in _CSS_IMPORT.finditer(code):
        found.append(("import", _css_unquote(original(m))))
    for m in _CSS_IMAGE_SET.finditer(code):
        depth, pos = 1, m.end()
        while pos < len(code) and depth:
            ch = code[pos]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            pos += 1
        args = code[m.end():pos]
        args = _CSS_URL.sub(lambda u: " " * len(u.group()), args)  # already counted above
        for q in _CSS_QUOTED.finditer(args):
            start = m.end() + q.start()
            found.append(("image-set", _css_unquote(text[start:start + len(q.group())])))
    return found


def is_local(url: str, kind: str) -> bool:
    url = url.strip()
    if not url or url.startswith(("#", "//")) or _SCHEME.match(url):
        return False
    if kind == "module" and not url.startswith(("./", "../", "/")):
        return False  # a bare specifier, resolved by an import map
    return True


def resolve(url: str, referrer: str, url_prefix: str = "/static/") -> str:
    """Output-relative path that *url*, written in output file *referrer*, points at."""
    path = unquote(re.split(r"[?#]", url.strip(), maxsplit=1)[0])
    if path.startswith("/"):
        return path[len(url_prefix):] if path.startswith(url_prefix) else "/" + path
    return posixpath.normpath(posixpath.join(posixpath.dirname(referrer), path))


def node_inspect(out: Path, files: dict[str, bool]) -> dict[str, dict]:
    """Parse every output script in node: {relative path: {script, module, specifiers}}."""
    listing = [{"path": str(out / rel), "module": module} for rel, module in sorted(files.items())]
    proc = subprocess.run([NODE, "--experimental-vm-modules", "--no-warnings", str(INSPECT_SCRIPTS)],
                          input=json.dumps(listing), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"node failed: {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    return {str(Path(p).relative_to(out).as_posix()): v for p, v in report.items()}


@dataclass
class Release:
    """A compiled release folder and its manifest."""

    out: Path
    manifest: dict

    @classmethod
    def load(cls, out: Path) -> Release:
        return cls(out, json.loads((out / "manifest.json").read_text(encoding="utf-8")))

    @property
    def assets(self) -> dict[str, dict]:
        return self.manifest["assets"]

    def paths(self) -> set[str]:
        """Every file the manifest lists (fingerprinted files and their encodings)."""
        found = set()
        for entry in self.assets.values():
            found.add(entry["path"])
            found.update(entry.get("encodings", {}).values())
        return found

    def integrity_problems(self) -> list[str]:
        """Files missing, or whose size, SRI hash, fingerprint or encodings do not match.
        A file not named by the blake3 digest of its bytes must be an ES module that
        imports itself through others (named by its loop's hash)."""
        problems = []
        unhashed = []
        for name, entry in sorted(self.assets.items()):
            path = self.out / entry["path"]
            if not path.is_file():
                problems.append(f"{name}: {entry['path']} is missing")
                continue
            data = path.read_bytes()
            if len(data) != entry["size"]:
                problems.append(f"{name}: size {len(data)} != manifest {entry['size']}")
            algo, _, b64 = entry["integrity"].partition("-")
            if base64.b64decode(b64) != hashlib.new(algo, data).digest():
                problems.append(f"{name}: integrity does not match the file")
            m = _HASHED.search(entry["path"])
            if not m or not blake3.blake3(data).hexdigest().startswith(m.group(1)):
                unhashed.append((name, entry["path"]))
            for enc, rel in entry.get("encodings", {}).items():
                blob = (self.out / rel).read_bytes()
                if enc == "gzip":
                    plain = gzip.decompress(blob)
                elif enc == "br":
                    import brotli
                    plain = brotli.decompress(blob)
                else:
                    problems.append(f"{name}: unknown encoding {enc}")
                    continue
                if plain != data:
                    problems.append(f"{name}: {rel} does not decompress to the file")
        loops = self.import_loops() if unhashed else set()
        problems += [f"{name}: {path} is not named by the blake3 digest of its bytes"
                     for name, path in unhashed if path not in loops]
        return problems

    def import_loops(self) -> set[str]:
        """Output paths of the ES modules that import themselves through others (or
        directly), by node's parse of every script."""
        edges: dict[str, set[str]] = {}
        for ref in self.references(node_inspect(self.out, self.scripts())):
            if ref.kind == "module" and is_local(ref.url, ref.kind):
                edges.setdefault(ref.file, set()).add(resolve(ref.url, ref.file))
        on_loops = set()
        for start in edges:  # on a loop: reached again from what it imports
            seen, todo = set(), list(edges[start])
            while todo:
                node = todo.pop()
                if node == start:
                    on_loops.add(start)
                    break
                if node not in seen:
                    seen.add(node)
                    todo.extend(edges.get(node, ()))
        return on_loops

    def scripts(self) -> dict[str, bool]:
        """Output path -> whether the manifest says it is an ES module."""
        return {e["path"]: bool(e.get("module")) or e["path"].endswith(".mjs")
                for n, e in self.assets.items() if n.lower().endswith((".js", ".mjs", ".cjs"))}

    def references(self, parsed: dict[str, dict]) -> list[Found]:
        """Every reference in every output stylesheet and script (*parsed*: node_inspect)."""
        found = []
        for name, entry in sorted(self.assets.items()):
            rel = entry["path"]
            if name.lower().endswith(".css"):
                text = (self.out / rel).read_text(encoding="utf-8", errors="replace")
                found += [Found(rel, url, kind) for kind, url in css_references(text)]
            elif rel in parsed:
                text = (self.out / rel).read_text(encoding="utf-8", errors="replace")
                found += [Found(rel, m.group(1), "sourcemap") for m in _JS_MAP.finditer(text)]
                found += [Found(rel, spec, "module") for spec in parsed[rel]["specifiers"]]
                found += [Found(rel, m.group(1)[1:-1], "module")  # import('...')
                          for m in _JS_DYNAMIC.finditer(text)]
        return found

    def dangling(self, found: list[Found], url_prefix: str = "/static/") -> list[Found]:
        """Local references that do not point at a fingerprinted file of this release."""
        listed = self.paths()
        bad = []
        for ref in found:
            if not is_local(ref.url, ref.kind):
                continue
            target = resolve(ref.url, ref.file, url_prefix)
            if target not in listed or not (self.out / target).is_file():
                bad.append(ref)
        return bad

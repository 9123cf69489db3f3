"""Hostile and broken input: each case ends with a clear one-line message, no traceback,
and never a byte from outside the source roots in the release.

A secret file with a unique marker sits beside every source root; references, symlinks
and encodings try to reach it, and every output file (decompressed too) is searched for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import run_cli, write_tree
from support.release_check import all_output_bytes, check_release, sri

pytestmark = pytest.mark.e2e

SECRET = b"SECRET-6f1d2c0b-outside-the-source-root"
DIAGNOSTIC = r"^(assetbuild|/.+?): (warning|error): "


def compile_(src: Path, out: Path, *args: str, code: int = 0, **kw) -> subprocess.CompletedProcess:
    proc = run_cli("compile", src, "--out", out, "-j", "1", *args, **kw)
    assert_clean(proc)
    assert proc.returncode == code, proc.stderr
    return proc


def assert_clean(proc: subprocess.CompletedProcess) -> None:
    """No traceback; every stderr line is one diagnostic, without control characters."""
    import re
    assert "Traceback" not in proc.stderr, proc.stderr
    for line in proc.stderr.splitlines():
        assert re.match(DIAGNOSTIC, line) or line.startswith("usage:"), line
        assert line.isprintable(), repr(line)


def assert_no_secret(out: Path) -> None:
    for path, data in all_output_bytes(out):
        assert SECRET not in data, f"{path} holds bytes from outside the source root"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp/static (the source root), tmp/secret.* and tmp/private/ outside it."""
    (tmp_path / "static").mkdir()
    for name in ("secret.png", "secret.css", "secret.js", "private/key.css"):
        write_tree(tmp_path, {name: SECRET + b"\n"})
    return tmp_path


# ---- paths that try to leave the source root -----------------------------------------------

CLIMBING_CSS = [
    "../secret.png", "../../../../../../../../etc/passwd", "%2e%2e/secret.png",
    "%2E%2E%2Fsecret.png", "..%2fsecret.png", "\\2e\\2e/secret.png", "/static/../secret.png",
    "/static/%2e%2e/secret.png", "img/../../secret.png", "./../secret.png",
]
NOT_OURS_CSS = [
    "/etc/passwd", "file:///etc/passwd", "FILE:///etc/passwd", "//evil.example/x.png",
    "\\\\evil\\share\\x.png", "/secret.png",
]


def test_references_that_climb_out_are_reported_and_left_alone(project: Path):
    rules = "\n".join(f'.c{i}{{background:url("{u}")}}' for i, u in enumerate(CLIMBING_CSS + NOT_OURS_CSS))
    imports = "\n".join(f'import "{u}";' for u in ["../secret.js", "%2e%2e/secret.js",
                                                     "/static/../secret.js", "/etc/passwd"])
    write_tree(project, {"static/site.css": "@import '../secret.css';\n" + rules,
                         "static/app.mjs": imports + "\nexport const x = 1;\n"})
    out = project / "out"
    proc = compile_(project / "static", out)
    climbing = [line for line in proc.stderr.splitlines() if "climbs out of the source root" in line]
    assert len(climbing) == len(CLIMBING_CSS) + 1 + 2, proc.stderr  # '%2e%2e/' in JS is a bare name
    assert all(line.startswith(str(project / "static")) for line in climbing)
    manifest = check_release(out)
    assert sorted(manifest["assets"]) == ["app.mjs", "site.css"]
    built = (out / manifest["assets"]["site.css"]["path"]).read_text()
    for url in CLIMBING_CSS + NOT_OURS_CSS:
        assert url in built, url  # left exactly as written
    assert_no_secret(out)

    strict = compile_(project / "static", project / "out-strict", "--strict", code=1)
    assert "error: reference '../secret.png' not rewritten: it climbs out" in strict.stderr
    assert not (project / "out-strict" / "manifest.json").exists()


def test_full_url_prefix_cannot_climb_out(project: Path):
    cdn = "https://cdn.example.com/static/"
    write_tree(project, {"static/a.css": f'a{{b:url("{cdn}../secret.png")}} c{{d:url({cdn}%2e%2e/secret.png)}}',
                         "static/ok.png": b"png"})
    out = project / "out"
    compile_(project / "static", out, "--url-prefix", cdn)
    check_release(out)
    assert_no_secret(out)


def test_symlinks_that_lead_outside_are_not_followed(project: Path):
    static = project / "static"
    write_tree(static, {"inside/real.css": "a{b:url(/static/logo.png)}", "logo.png": b"\x89PNG"})
    os.symlink(project / "secret.png", static / "abs-link.png")
    os.symlink("../secret.css", static / "rel-link.css")
    os.symlink(project / "private", static / "dir-link")
    os.symlink(static / "hop.css", static / "chain.css")  # chain: inside -> inside -> outside
    os.symlink("../secret.css", static / "hop.css")
    os.symlink(static / "inside" / "real.css", static / "alias.css")  # stays inside: kept
    os.symlink(static / "missing.png", static / "dangling.png")
    os.symlink(static, static / "inside" / "loop")
    write_tree(static, {"uses.css": "a{b:url(abs-link.png)} c{d:url(dir-link/key.css)}"})
    out = project / "out"
    proc = compile_(static, out)
    outside = [line for line in proc.stderr.splitlines() if "symlink leads outside" in line]
    assert len(outside) == 5, proc.stderr  # abs-link, rel-link, dir-link, hop, chain
    manifest = check_release(out)
    assert "alias.css" in manifest["assets"] and "inside/real.css" in manifest["assets"]
    assert not {"abs-link.png", "rel-link.css", "chain.css", "hop.css", "dangling.png"} & set(manifest["assets"])
    assert not any(name.startswith(("dir-link/", "inside/loop/")) for name in manifest["assets"])
    assert_no_secret(out)


def test_source_root_reached_through_a_symlink_is_fine(project: Path):
    write_tree(project, {"real/a.css": "a{b:url(b.png)}", "real/b.png": b"png"})
    os.symlink(project / "real", project / "linked")
    out = project / "out"
    compile_(project / "linked", out)
    assert sorted(check_release(out)["assets"]) == ["a.css", "b.png"]


# ---- names --------------------------------------------------------------------------------

def test_unusual_file_names_are_skipped_with_a_one_line_warning(project: Path):
    static = os.fsencode(project / "static")
    bad = [b"new\nline.css", b"tab\there.js", b"esc\x1b[31m.css", b"bad\xff\xfe.css",
           b"back\\slash.png", b"nul-ish\x7f.svg"]
    for name in bad:
        with open(static + b"/" + name, "wb") as fh:
            fh.write(SECRET)
    os.mkdir(static + b"/dir\xff")
    with open(static + b"/dir\xff/inner.css", "wb") as fh:
        fh.write(SECRET)
    fine = {"50% off #1?.png": b"png", "naïve café.css": "a{}", " lead space.js": "x=1",
            "semi;colon.css": "b{}"}
    write_tree(project / "static", fine)
    out = project / "out"
    proc = compile_(project / "static", out)
    skipped = [line for line in proc.stderr.splitlines() if "skipped:" in line]
    assert len(skipped) == len(bad) + 1, proc.stderr
    assert "new\\nline.css" in proc.stderr and "bad\\xff\\xfe.css" in proc.stderr
    assert "esc\\x1b[31m.css" in proc.stderr
    assert sorted(check_release(out)["assets"]) == sorted(fine)
    for _, data in all_output_bytes(out):
        assert SECRET not in data


def test_messages_escape_control_characters_from_file_content(project: Path):
    write_tree(project, {"static/a.css": 'a{background:url("\\1b[2J\\a evil\\202e.png")}',
                         "static/b.mjs": 'import "./\x1b]0;title\x07.js";'})
    proc = compile_(project / "static", project / "out")
    assert "\x1b" not in proc.stderr and "\u202e" not in proc.stderr
    assert "\\x1b[2J\\nevil\\u202e.png" in proc.stderr
    assert "\\x1b]0;title\\x07.js" in proc.stderr


# ---- contents -----------------------------------------------------------------------------

def test_text_that_is_not_utf8_is_copied_unchanged_with_a_warning(project: Path):
    latin1 = "a{content:'caf\xe9'} b{background:url(x.png)}".encode("latin-1")
    utf16 = "import './x.js';".encode("utf-16")
    write_tree(project, {"static/latin1.css": latin1, "static/utf16.js": utf16,
                         "static/x.png": b"png", "static/x.js": "1"})
    out = project / "out"
    proc = compile_(project / "static", out)
    for name in ("latin1.css", "utf16.js"):
        assert f"{project / 'static' / name}: warning: not valid UTF-8" in proc.stderr
    manifest = check_release(out)
    assert (out / manifest["assets"]["latin1.css"]["path"]).read_bytes() == latin1
    assert (out / manifest["assets"]["utf16.js"]["path"]).read_bytes() == utf16


UNTERMINATED = {
    "c1.css": "a{b:c} /* never closed url(x.png)",
    "c2.css": 'a{background:url("x.png',
    "c3.css": "a{background:url(x.png",
    "c4.css": "@import 'x.css",
    "c5.css": "a{content:\"\\",
    "c6.css": "a{b:image-set('x.png' 1x,",
    "j1.js": 'var s = "never closed\nimport x from "./x.js"',
    "j2.mjs": "const t = `template ${ import('./x.js') ",
    "j3.mjs": "const r = /unterminated[regex\nimport './x.js';",
    "j4.js": "/* never closed import './x.js'",
    "j5.mjs": "import {a, b from './x.js'",
    "j6.mjs": "export * from",
}


def test_unterminated_comments_and_strings_do_not_break_the_build(project: Path):
    write_tree(project / "static", {**UNTERMINATED, "x.png": b"png", "x.js": "1", "x.css": "a{}"})
    out = project / "out"
    compile_(project / "static", out)
    assert set(UNTERMINATED) <= set(check_release(out)["assets"])


def test_binary_files_named_js_and_css(project: Path):
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(20000))
    ascii_noise = bytes(rng.randrange(128) for _ in range(20000))  # valid UTF-8, NULs included
    png = (Path(__file__).parent.parent / "fixtures/example/static/img/bg.png").read_bytes()
    write_tree(project / "static", {"noise.js": noise, "noise.css": noise, "ascii.js": ascii_noise,
                                    "ascii.css": ascii_noise, "image.mjs": png})
    out = project / "out"
    proc = compile_(project / "static", out)
    manifest = check_release(out)
    assert len(manifest["assets"]) == 5
    assert (out / manifest["assets"]["noise.js"]["path"]).read_bytes() == noise
    assert "noise.js: warning: not valid UTF-8" in proc.stderr


def test_empty_files(project: Path):
    names = ["e.css", "e.js", "e.mjs", "e.png", "e.svg", "e.json", "sub/e.txt"]
    write_tree(project / "static", {n: b"" for n in names})
    out = project / "out"
    compile_(project / "static", out)
    manifest = check_release(out)
    assert sorted(manifest["assets"]) == sorted(names)
    assert all(e["size"] == 0 and e["integrity"] == sri(b"") and not e["encodings"]
               for e in manifest["assets"].values())


def test_fifty_level_deep_tree(project: Path):
    deep = "/".join(f"level{i}" for i in range(50))
    climb = "../" * 50
    write_tree(project / "static", {f"{deep}/deep.css": f"a{{b:url({climb}top.png)}}",
                                    "top.png": b"png", "top.css": f"a{{b:url({deep}/deep.css)}}"})
    out = project / "out"
    compile_(project / "static", out, "--strict")
    manifest = check_release(out)
    built = (out / manifest["assets"][f"{deep}/deep.css"]["path"]).read_text()
    assert climb + manifest["assets"]["top.png"]["path"] in built


def test_paths_longer_than_the_system_allows(project: Path):
    folder = project / "static"
    parts = ["d" * 200] * 25  # about 5 kB of path, beyond PATH_MAX (4 kB)
    fd = os.open(folder, os.O_RDONLY)
    try:
        for part in parts:
            os.mkdir(part, dir_fd=fd)
            new = os.open(part, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        with open(os.open("a.css", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as fh:
            fh.write("a{}")
    finally:
        os.close(fd)
    write_tree(folder, {"ok.css": "a{}"})
    out = project / "out"
    proc = compile_(folder, out)
    assert "File name too long" in proc.stderr
    assert sorted(check_release(out)["assets"]) == ["ok.css"]


# ---- configuration and output -------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("sources = [\"static\"\nout = 'x'", "not valid TOML"),
    ("sources = 'static'\nout = 1", "out: expected a string"),
    ("sources = ['static']\nout = 'o'\nhash_length = 2", "hash_length: expected a whole number from 8 to 64"),
    ("sources = ['static']\nout = 'o'\nsourcse = []", "unknown setting 'sourcse'; did you mean 'sources'?"),
    ("sources = ['static']\nout = 'o'\nbundles = 3", "expected a table of bundle name"),
    ("sources = ['static']\nout = 'o'\n[bundles]\n'../../evil.js' = ['a.js']", "the name must be a relative path"),
    ("sources = ['static']\nout = 'o'\n[bundles]\n'/tmp/evil.js' = ['a.js']", "the name must be a relative path"),
    ("sources = ['static']\nout = 'o'\n[bundles]\n'b.js' = ['../secret.js']", "'../secret.js' matches no source file"),
    ("sources = ['static']\nout = 'static'", "must not be or contain a source folder"),
    ("sources = ['static']\nout = '.'", "must not be or contain a source folder"),
    (b"sources = ['\xff']", "not valid TOML"),
])
def test_malformed_config_gives_a_clear_error(project: Path, text: str | bytes, message: str):
    write_tree(project, {"assetbuild.toml": text, "static/a.js": "var a = 1;"})
    proc = run_cli("compile", cwd=project)
    assert_clean(proc)
    assert proc.returncode in (1, 2)
    assert message in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert not (project / "manifest.json").exists() and not (project / "static" / "manifest.json").exists()


@pytest.mark.parametrize("content", [
    b"", b"{", b"\xff\xfe", b"[]", json.dumps({"version": 99}).encode(),
    json.dumps({"version": 1, "assets": {"x": {"path": "../../etc/passwd"}}}).encode()])
def test_a_broken_manifest_in_the_output_is_replaced(project: Path, content: bytes):
    write_tree(project, {"static/a.css": "a{}", "out/manifest.json": content})
    out = project / "out"
    compile_(project / "static", out)
    assert sorted(check_release(out)["assets"]) == ["a.css"]


def test_output_folder_that_is_a_file_or_under_a_file(project: Path):
    write_tree(project, {"static/a.css": "a{}", "file": "x"})
    for out in (project / "file", project / "file" / "out"):
        proc = compile_(project / "static", out, code=1)
        assert "cannot create the output folder" in proc.stderr and str(out) in proc.stderr


@contextlib.contextmanager
def read_only(folder: Path):
    """Make *folder* unwritable even for root: a read-only bind mount, else chattr +i,
    else (not root) permission bits. Skips when none of them works here."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield "permission bits"
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["mount", "--bind", folder, folder], capture_output=True).returncode == 0:
        try:
            if subprocess.run(["mount", "-o", "remount,ro,bind", folder], capture_output=True).returncode == 0:
                yield "read-only bind mount"
                return
        finally:
            subprocess.run(["umount", folder], capture_output=True)
    for sub in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        if subprocess.run(["chattr", "+i", sub], capture_output=True).returncode != 0:
            pytest.skip("cannot make a folder read-only here (no mount, no chattr)")
    try:
        yield "chattr +i"
    finally:
        for sub in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
            subprocess.run(["chattr", "-i", sub], capture_output=True)


def test_unwritable_output_fails_clearly_and_keeps_the_previous_release(project: Path):
    write_tree(project / "static", {"a.css": "a{b:url(b.png)}", "b.png": b"png1"})
    out = project / "out"
    compile_(project / "static", out)
    before = (out / "manifest.json").read_bytes()
    write_tree(project / "static", {"b.png": b"png2", "c.js": "var c = 1;"})
    with read_only(out):
        for jobs in ("1", "2"):
            proc = run_cli("compile", project / "static", "--out", out, "-j", jobs)
            assert_clean(proc)
            assert proc.returncode == 1
            assert "cannot write: Read-only file system" in proc.stderr or \
                "cannot write: Operation not permitted" in proc.stderr or \
                "cannot write: Permission denied" in proc.stderr, proc.stderr
            assert "check that the output folder is writable" in proc.stderr
            assert str(out) in proc.stderr
    assert (out / "manifest.json").read_bytes() == before
    check_release(out)


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "1m"):
    """A 1 MB tmpfs mounted on *folder*; skips when mounting is not allowed here."""
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", folder], check=True)


def _limit_file_size() -> None:  # runs in the child before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))


@pytest.mark.parametrize("mechanism", ["tmpfs", "file size limit"])
def test_a_full_disk_fails_clearly_and_keeps_the_previous_release(project: Path, mechanism: str):
    """A 1 MB tmpfs gives ENOSPC; RLIMIT_FSIZE (works without mount rights) gives EFBIG."""
    rng = random.Random(3)
    write_tree(project / "static", {"a.css": "a{b:url(b.png)}", "b.png": b"small"})
    with (small_disk(project / "disk") if mechanism == "tmpfs" else contextlib.nullcontext(project)) as disk:
        out = disk / "out"
        compile_(project / "static", out)
        before = (out / "manifest.json").read_bytes()
        big = bytes(rng.randrange(256) for _ in range(1_500_000))  # does not fit, not compressible
        write_tree(project / "static", {"b.png": b"changed", "big.bin": big})
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETBUILD_")}
        proc = subprocess.run(
            [sys.executable, "-m", "assetbuild", "compile", project / "static", "--out", out, "-j", "2"],
            capture_output=True, text=True, env=env,
            preexec_fn=_limit_file_size if mechanism != "tmpfs" else None)
        expected = "No space left on device" if mechanism == "tmpfs" else "File too large"
        assert_clean(proc)
        assert proc.returncode == 1, proc.stderr
        assert f"cannot write: {expected}" in proc.stderr and "big." in proc.stderr, proc.stderr
        assert "free some disk space; the previous release is intact" in proc.stderr
        assert (out / "manifest.json").read_bytes() == before
        check_release(out)
        assert not [p for p in out.rglob("*.tmp")], "temporary files left behind"


# ---- size -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_200_mb_file(project: Path):
    """A 200 MB script and a 200 MB sparse binary build without holding them many times."""
    line = b"function add(a, b) { return a + b; } // not an import\n"
    with open(project / "static" / "huge.js", "wb") as fh:
        for _ in range(200_000_000 // (len(line) * 10_000)):
            fh.write(line * 10_000)
    with open(project / "static" / "huge.bin", "wb") as fh:
        fh.truncate(200_000_000)
    out = project / "out"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = compile_(project / "static", out, "--no-brotli")
    print(proc.stderr)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    manifest = check_release(out)
    assert manifest["assets"]["huge.bin"]["size"] == 200_000_000
    assert 0 < manifest["assets"]["huge.js"]["size"] <= (project / "static" / "huge.js").stat().st_size
    if peak_kb > before:  # the build was the largest child so far: it is its figure
        print(f"peak RSS of the build: {peak_kb / 1024:.0f} MB")
        assert peak_kb * 1024 < 5 * 200_000_000, "the compiler holds a large file too many times"


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("ASSETBUILD_HUGE_TESTS"),
                    reason="about 1.5 minutes on 2 cores; set ASSETBUILD_HUGE_TESTS=1")
def test_a_tree_of_100_000_small_files(project: Path):
    static = project / "static"
    for d in range(100):
        folder = static / f"d{d:02}"
        folder.mkdir()
        for i in range(1000):
            ext = ("css", "js", "txt", "png")[i % 4]
            (folder / f"f{i}.{ext}").write_text(f"/* {d} {i} */")
    (static / "d00" / "f0.css").write_text("a{b:url(../d99/f3.png)}")
    out = project / "out"
    compile_(static, out, "-j", "2", "--no-brotli", "-q")
    manifest = check_release(out)
    assert len(manifest["assets"]) == 100_000

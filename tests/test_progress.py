"""Progress output of `assetbuild compile`: a bar on a terminal, plain lines in logs, none with -q."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys

import pytest
from support.cli import run_cli

from assetbuild.progress import Progress

FILES = {f"static/css/c{i}.css": f".c{i} {{ color: red; background: url(../img/i{i}.svg) }}\n"
         for i in range(40)}
FILES.update({f"static/img/i{i}.svg": '<svg xmlns="http://www.w3.org/2000/svg"></svg>\n'
              for i in range(40)})
FILES["static/css/bad.css"] = ".x { background: url(missing.png) }\n"


def run_in_terminal(*args: str) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; return (exit code, screen bytes)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETBUILD_")}
    proc = subprocess.Popen([sys.executable, "-m", "assetbuild", *args], stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.e2e
def test_terminal_shows_a_bar_and_keeps_warnings_on_their_own_lines(tree, tmp_path):
    tree(FILES)
    code, screen = run_in_terminal("compile", str(tmp_path / "static"), "--out",
                                   str(tmp_path / "out"), "-j", "1")
    assert code == 0, screen
    assert "\r\x1b[2K[" in screen  # the bar is redrawn in place
    assert "81/81 files (100%)" in screen and "MB/s" in screen
    warning_line = next(line for line in screen.split("\n") if "missing.png" in line)
    assert "#" not in warning_line.split("\r")[-1]  # the bar never shares the warning's line
    assert "compiled 81 files" in screen


@pytest.mark.e2e
def test_log_output_has_no_bar_and_quiet_has_no_progress(tree, tmp_path):
    tree(FILES)
    proc = run_cli("compile", tmp_path / "static", "--out", tmp_path / "out", check=True)
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr
    assert "missing.png" in proc.stderr
    assert "compiled 81 files" in proc.stdout

    quiet = run_cli("compile", tmp_path / "static", "--out", tmp_path / "out2", "-q", check=True)
    assert quiet.stdout == ""
    assert quiet.stderr.strip().splitlines() == [line for line in proc.stderr.strip().splitlines()]

    code, screen = run_in_terminal("compile", str(tmp_path / "static"), "--out",
                                   str(tmp_path / "out3"), "-q")
    assert code == 0 and "MB/s" not in screen and "\x1b" not in screen


def test_plain_lines_are_sparse():
    now = [0.0]
    out = io.StringIO()
    progress = Progress(out, "lines", interval=10, clock=lambda: now[0])
    for done in range(1, 101):
        now[0] = done * 0.5  # 50 seconds in all
        progress.update(done, 100, done * 1_000_000)
    lines = out.getvalue().splitlines()
    assert lines == [f"assetbuild: {n}/100 files ({n}%), {n}.0 MB, 2.0 MB/s"
                     for n in (20, 40, 60, 80)]

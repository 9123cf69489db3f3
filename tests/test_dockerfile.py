"""fixtures/Dockerfile: its build-stage commands, run as a script in a fresh virtualenv.

There is no Docker daemon here, so this test reads the Dockerfile and runs the stages a
target's final image copies from, the way BuildKit would: ARG, ENV, WORKDIR, COPY from
the build context (minus Dockerfile.dockerignore) and RUN (cache mounts become plain
folders). Container paths live under a temporary root. Then every `COPY --from=<stage>`
of the final stage must find what it copies, and the release must be complete. For the
app targets, the final stage's /app is laid out from its COPY lines and its CMD is started:
the app must serve a page and a fingerprinted file from the release alone.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.cli import FIXTURES, read_manifest

ROOT = FIXTURES.parent
DOCKERFILE = FIXTURES / "Dockerfile"
# Top-level container folders the Dockerfile uses; they are mapped under the test's root.
CONTAINER_DIRS = ("opt", "src", "app", "cache")
TARGET_APPS = {"static": "example", "flask": "flask_app", "django": "django_project"}


@dataclass
class Stage:
    name: str
    base: str
    steps: list[tuple[str, str]] = field(default_factory=list)


def parse(text: str) -> tuple[dict[str, str], dict[str, Stage]]:
    """Global ARG defaults and the stages by name, with continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    args: dict[str, str] = {}
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        op, rest = op.upper(), rest.strip()
        if op == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            assert m, line
            current = Stage(m.group(2) or m.group(1), m.group(1))
            stages[current.name] = current
        elif current is None:
            assert op == "ARG", f"only ARG may come before the first FROM: {line}"
            name, _, default = rest.partition("=")
            args[name] = default
        else:
            current.steps.append((op, rest))
    return args, stages


def ignored(rel: str, patterns: list[str]) -> bool:
    def regex(pattern: str) -> str:
        out = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        return out
    parts = rel.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(re.fullmatch(regex(p), prefix) for p in patterns for prefix in prefixes)


class FakeBuild:
    """Runs Dockerfile stages on this machine, container paths under *root*."""

    def __init__(self, root: Path, stages: dict[str, Stage]):
        self.root, self.stages = root, stages
        self.env: dict[str, str] = {}
        self.workdir = root
        self.done: set[str] = set()
        self.ignore = [line.strip() for line in
                       (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines()
                       if line.strip() and not line.startswith("#")]
        shim = root / "image-bin"  # the base image's `python`: this test's Python
        shim.mkdir(parents=True)
        (shim / "python").symlink_to(sys.executable)
        self.env["PATH"] = f"{shim}{os.pathsep}/usr/local/bin:/usr/bin:/bin"
        self.env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
        self.env["HOME"] = os.environ.get("HOME", str(root))

    def path(self, text: str) -> str:
        """*text* with container paths moved under the root and $VARS expanded."""
        text = re.sub(r"\$\{?(\w+)\}?", lambda m: self.env.get(m.group(1), ""), text)
        dirs = "|".join(CONTAINER_DIRS)
        return re.sub(rf"(?<![\w./-])/({dirs})(?=/|\s|$|:)", rf"{self.root}/\1", text)

    def run_stage(self, name: str) -> None:
        if name in self.done:
            return
        stage = self.stages[name]
        if stage.base in self.stages:  # FROM <earlier stage>: continue from its state
            self.run_stage(stage.base)
        for op, rest in stage.steps:
            getattr(self, f"do_{op.lower()}")(rest)
        self.done.add(name)

    def do_arg(self, rest: str) -> None:
        name, _, default = rest.partition("=")
        self.env.setdefault(name, default)

    def do_env(self, rest: str) -> None:
        for item in shlex.split(rest):
            key, _, value = item.partition("=")
            self.env[key] = self.path(value)

    def do_workdir(self, rest: str) -> None:
        self.workdir = Path(self.path(rest))
        self.workdir.mkdir(parents=True, exist_ok=True)

    def do_copy(self, rest: str) -> None:
        words = shlex.split(rest)
        assert not any(w.startswith("--from") for w in words), "build stages copy from the context"
        *sources, dest = [w for w in words if not w.startswith("--")]
        target = Path(self.path(dest)) if dest.startswith("/") else self.workdir / dest
        for source in sources:
            src = ROOT / source
            assert src.exists(), f"COPY {source}: not in the build context"
            if src.is_file():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target / src.name)
                continue
            for item in src.rglob("*"):
                rel = item.relative_to(ROOT).as_posix()
                if item.is_file() and not ignored(rel, self.ignore):
                    to = target / item.relative_to(src)
                    to.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(item, to)

    def do_run(self, rest: str) -> None:
        mounts = re.findall(r"--mount=(\S+)", rest)
        command = re.sub(r"--mount=\S+\s*", "", rest).strip()
        for mount in mounts:
            opts = dict(part.partition("=")[::2] for part in mount.split(","))
            if opts.get("type") == "cache" and opts["target"].split("/")[1] in CONTAINER_DIRS:
                Path(self.path(opts["target"])).mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["/bin/sh", "-ec", self.path(command)], cwd=self.workdir,
                              env=self.env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"RUN {command}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def final_copies(stage: Stage) -> list[tuple[str, str]]:
    """(stage, path) of each `COPY --from=<stage> <path> ...` in a final stage."""
    found = []
    for op, rest in stage.steps:
        m = re.match(r"--from=(\S+)\s+(\S+)", rest) if op == "COPY" else None
        if m:
            found.append((m.group(1), m.group(2)))
    return found


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """The shared `packages` stage (a fresh virtualenv with assetbuild), run once."""
    args, stages = parse(DOCKERFILE.read_text())
    build = FakeBuild(tmp_path_factory.mktemp("image"), stages)
    build.env.update(args)
    build.run_stage("packages")
    return build, dict(build.env), build.workdir


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("target", [t for t, app in TARGET_APPS.items()
                                    if (FIXTURES / app).is_dir()])
def test_build_stage_commands_produce_the_release(packages, target):
    build, env, workdir = packages
    root = build.root
    for folder in ("app", "cache"):  # each build stage starts from the packages stage
        shutil.rmtree(root / folder, ignore_errors=True)
    build.env, build.workdir, build.done = dict(env), workdir, {"packages"}

    venv = root / "opt" / "venv"
    assert (venv / "bin" / "assetbuild").is_file()
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()

    final = build.stages[target]
    copies = [(src, path) for src, path in final_copies(final) if src.startswith("build-")]
    assert copies, f"target {target} copies nothing from a build stage"
    for stage_name, _ in copies:
        build.run_stage(stage_name)
    for _, path in copies:
        release = Path(build.path(path))
        if not (release / "manifest.json").is_file():
            release = release / "static"
        manifest = read_manifest(release)
        assert manifest["assets"]
        for entry in manifest["assets"].values():
            assert (release / entry["path"]).is_file()
    # The build cache sits in the cache mount, outside what the final stage copies.
    assert any((root / "cache" / "assetbuild").rglob("*.json"))
    if target != "static":
        image = root / f"image-{target}"
        command = assemble_final(build, target, image)
        serve_and_fetch(command, image, venv)


def assemble_final(build: FakeBuild, target: str, image: Path) -> list[str]:
    """Lay out the final stage's /app under *image* from its COPY lines; return its CMD."""
    chain = [build.stages[target]]
    while chain[-1].base in build.stages:
        chain.append(build.stages[chain[-1].base])
    command: list[str] = []
    for stage in reversed(chain):
        for op, rest in stage.steps:
            if op == "CMD":
                command = json.loads(rest)
            elif op == "COPY":
                words = shlex.split(rest)
                flags = dict(w[2:].partition("=")[::2] for w in words if w.startswith("--"))
                excludes = [w.split("=", 1)[1] for w in words if w.startswith("--exclude=")]
                src, dest = [w for w in words if not w.startswith("--")]
                if flags.get("from") == "packages":
                    assert src == dest == "/opt/venv"  # the venv is already in place
                    continue
                assert dest.startswith("/app/"), dest
                to = image / dest[len("/app/"):]
                if "from" in flags:
                    shutil.copytree(build.path(src), to, dirs_exist_ok=True)
                    continue
                for item in (ROOT / src).rglob("*"):
                    rel = item.relative_to(ROOT / src).as_posix()
                    if item.is_file() and not ignored(rel, excludes) and not ignored(
                            item.relative_to(ROOT).as_posix(), build.ignore):
                        (to / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(item, to / rel)
    return command


def serve_and_fetch(command: list[str], image: Path, venv: Path) -> None:
    """Start the final stage's CMD in *image*; fetch / and a fingerprinted file it names."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [c.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for c in command]
    env = {"PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1",
           "HOME": str(image)}
    assert not (image / "static").exists() and not (image / "example").exists()
    server = subprocess.Popen(command, cwd=image, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        page = None
        deadline = time.monotonic() + 60
        while page is None:
            assert server.poll() is None, server.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    page = resp.read().decode()
            except OSError:
                assert time.monotonic() < deadline, "the app did not answer"
                time.sleep(0.3)
        release = image / "build" / "static"
        manifest = read_manifest(release)
        named = [e["path"] for e in manifest["assets"].values() if f"/static/{e['path']}" in page]
        assert named, page[:2000]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/{named[0]}") as resp:
            assert resp.read() == (release / named[0]).read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_final_stages_copy_only_releases_and_packages():
    _, stages = parse(DOCKERFILE.read_text())
    for target in TARGET_APPS:
        for src, path in final_copies(stages[target]):
            assert src in stages, f"{target}: COPY --from={src} names no stage"
            assert src == "packages" and path == "/opt/venv" or (
                src.startswith("build-") and path.rstrip("/").endswith(("build", "build/static"))
            ), f"{target} copies {path} from {src}"
    mounts = re.findall(r"--mount=type=cache,[^\s]*target=/cache/assetbuild",
                        DOCKERFILE.read_text())
    assert len(mounts) == 3

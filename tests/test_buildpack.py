"""The bundled buildpack, run the way a platform runs it.

Cloud Native Buildpacks (Buildpack API 0.10): bin/detect and bin/build run in the app
folder with the CNB_* variables, a layers folder, a platform folder and plan files, as the
lifecycle does; the Python "an earlier Python buildpack provided" is this test's Python on
PATH. Classic: bin/detect BUILD_DIR, bin/compile BUILD_DIR CACHE_DIR ENV_DIR, bin/release.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support.cli import FIXTURES, read_manifest, run_cli, write_tree

from assetbuild import __version__

# Runs the buildpack's scripts and the framework commands in fresh app folders.
pytestmark = [pytest.mark.slow, pytest.mark.e2e]

# Example apps and the command the buildpack compiles each with.
COMMANDS = {"example": "assetbuild compile", "flask_app": "flask assetbuild compile",
            "django_project": "manage.py assetbuild"}
APPS = [name for name in COMMANDS if (FIXTURES / name).is_dir()]


@pytest.fixture(scope="module")
def buildpack() -> Path:
    proc = run_cli("buildpack-dir", check=True)
    return Path(proc.stdout.strip())


def base_env(**extra: str) -> dict[str, str]:
    """A clean build environment: the test's Python first on PATH, no ASSETBUILD_*."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ASSETBUILD_", "CNB_", "PYTHON"))}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def fresh_app(tmp_path: Path, name: str = "example") -> Path:
    """A fixture app as a platform hands it over: a fresh copy, no earlier release. The
    whole fixtures folder is copied, since the example apps share ../example/static."""
    workspace = tmp_path / "workspace"
    if workspace.exists():
        shutil.rmtree(workspace)
    shutil.copytree(FIXTURES, workspace,
                    ignore=shutil.ignore_patterns("build", "__pycache__", "*.sqlite3"))
    return workspace / name


class Lifecycle:
    """The folders and variables a CNB lifecycle gives one buildpack."""

    def __init__(self, root: Path, buildpack: Path):
        self.buildpack = buildpack
        self.layers = root / "layers" / "assetbuild_assetbuild"
        self.platform = root / "platform"
        self.plans = root / "plans"
        for folder in (self.layers, self.platform / "env", self.plans):
            folder.mkdir(parents=True, exist_ok=True)

    def detect(self, app: Path) -> tuple[subprocess.CompletedProcess, Path]:
        plan = self.plans / "detect-plan.toml"
        plan.write_text("")  # the lifecycle creates the file; the buildpack may fill it
        env = base_env(CNB_BUILDPACK_DIR=str(self.buildpack),
                       CNB_PLATFORM_DIR=str(self.platform), CNB_BUILD_PLAN_PATH=str(plan))
        proc = subprocess.run([str(self.buildpack / "bin" / "detect")], cwd=app, env=env,
                              capture_output=True, text=True, timeout=60)
        return proc, plan

    def build(self, app: Path, path: str | None = None,
              extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        bp_plan = self.plans / "bp-plan.toml"
        bp_plan.write_text("[[entries]]\nname = \"assetbuild\"\n")
        env = base_env(CNB_BUILDPACK_DIR=str(self.buildpack),
                       CNB_PLATFORM_DIR=str(self.platform), CNB_LAYERS_DIR=str(self.layers),
                       CNB_BP_PLAN_PATH=str(bp_plan))
        if path is not None:
            env["PATH"] = path
        env.update(extra_env or {})
        return subprocess.run([str(self.buildpack / "bin" / "build")], cwd=app, env=env,
                              capture_output=True, text=True, timeout=600)

    def layer_toml(self) -> dict:
        with open(self.layers / "build-cache.toml", "rb") as fh:
            return tomllib.load(fh)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def text_cache_entries(cache: Path) -> dict[str, tuple[int, int]]:
    """Per-file transform results in the build cache, with inode and mtime."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in cache.rglob("text-*.json")}


# --- the package ships the buildpack --------------------------------------------------

def test_buildpack_dir_holds_a_buildpack_for_this_version(buildpack):
    with open(buildpack / "buildpack.toml", "rb") as fh:
        descriptor = tomllib.load(fh)
    assert descriptor["api"] == "0.10"
    assert descriptor["buildpack"]["id"] == "assetbuild/assetbuild"
    assert descriptor["buildpack"]["version"] == __version__
    assert {"os": "linux"} in descriptor["targets"]
    for name in ("detect", "build", "compile", "release"):
        assert os.access(buildpack / "bin" / name, os.X_OK), name


def test_buildpack_dir_gives_back_lost_executable_bits(tmp_path):
    from assetbuild.commands.buildpack_dir import buildpack_dir, ensure_executable

    copy = tmp_path / "bp"
    shutil.copytree(buildpack_dir(), copy)
    for script in (copy / "bin").iterdir():
        script.chmod(0o644)
    ensure_executable(copy)
    assert all(os.access(s, os.X_OK) for s in (copy / "bin").iterdir())


@pytest.mark.slow
def test_wheel_ships_buildpack_with_executable_bits(tmp_path):
    src = tmp_path / "src"  # a clean copy: no egg-info or build folders from this checkout
    for rel in ("pyproject.toml", "assetbuild"):
        if (FIXTURES.parent / rel).is_dir():
            shutil.copytree(FIXTURES.parent / rel, src / rel, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info"))
        else:
            src.mkdir()
            shutil.copy2(FIXTURES.parent / rel, src / rel)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w",
                    str(tmp_path / "dist"), str(src)], check=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("assetbuild-*.whl"))
    target = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    installed = target / "assetbuild" / "buildpack"
    assert (installed / "buildpack.toml").is_file()
    assert (installed / "lib" / "python.sh").is_file()
    for name in ("detect", "build", "compile", "release"):
        assert os.access(installed / "bin" / name, os.X_OK), name


# --- Cloud Native Buildpacks: detect ---------------------------------------------------

@pytest.mark.parametrize("app_name", APPS)
def test_detect_passes_on_example_apps_and_requires_python(tmp_path, buildpack, app_name):
    life = Lifecycle(tmp_path, buildpack)
    proc, plan = life.detect(fresh_app(tmp_path, app_name))
    ok(proc)
    data = tomllib.loads(plan.read_text())
    assert data["requires"] == [{"name": "cpython", "metadata": {"build": True}}]
    assert data["or"] == [{"requires": [{"name": "python", "metadata": {"build": True}}]}]


def test_detect_passes_on_tool_table_in_pyproject(tmp_path, buildpack):
    app = write_tree(tmp_path / "app", {
        "pyproject.toml": '[project]\nname = "shop"\n\n[tool.assetbuild]\nsources = ["static"]\n',
    })
    ok(Lifecycle(tmp_path, buildpack).detect(app)[0])


@pytest.mark.parametrize("files", [
    {},
    {"pyproject.toml": '[project]\nname = "shop"\n\n[tool.black]\nline-length = 99\n'},
    {"pyproject.toml": '# [tool.assetbuild] is only mentioned in a comment\n'},
    {"requirements.txt": "assetbuild\n"},
], ids=["empty", "other-tool", "comment", "requirements-only"])
def test_detect_fails_with_100_without_assetbuild_settings(tmp_path, buildpack, files):
    app = write_tree(tmp_path / "app", files)
    app.mkdir(exist_ok=True)
    proc, plan = Lifecycle(tmp_path, buildpack).detect(app)
    assert proc.returncode == 100, proc.stderr
    assert plan.read_text() == ""


def test_detect_can_drop_the_python_requirement(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    (life.platform / "env" / "BP_ASSETBUILD_REQUIRE_PYTHON").write_text("false")
    proc, plan = life.detect(fresh_app(tmp_path))
    ok(proc)
    assert tomllib.loads(plan.read_text()) == {}


# --- Cloud Native Buildpacks: build ----------------------------------------------------

@pytest.mark.parametrize("app_name", APPS)
def test_build_writes_release_into_app_and_records_a_cache_layer(tmp_path, buildpack, app_name):
    life = Lifecycle(tmp_path, buildpack)
    app = fresh_app(tmp_path, app_name)
    proc = ok(life.build(app))
    assert "build cache empty" in proc.stdout

    layer = life.layer_toml()
    assert layer["types"] == {"launch": False, "build": False, "cache": True}
    meta = layer["metadata"]
    release = app / meta["release"]
    manifest = read_manifest(release)
    assert meta["build_id"] == manifest["build_id"]
    assert meta["assets"] == len(manifest["assets"]) > 0
    assert meta["assetbuild_version"] == __version__
    assert meta["cache_reused"] is False
    assert meta["command"] == COMMANDS[app_name]
    assert release.resolve().is_relative_to(app.resolve())
    for entry in manifest["assets"].values():
        assert (release / entry["path"]).is_file()
    assert text_cache_entries(life.layers / "build-cache"), "no cache entries in the layer"


def test_second_build_uses_the_cache_layer(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    ok(life.build(fresh_app(tmp_path)))
    first = life.layer_toml()["metadata"]
    cached = text_cache_entries(life.layers / "build-cache")

    # Next build: a fresh copy of the app, the cache layer restored as the lifecycle does.
    app = fresh_app(tmp_path)
    proc = ok(life.build(app))
    assert "build cache restored" in proc.stdout
    second = life.layer_toml()["metadata"]
    assert second["cache_reused"] is True
    assert second["previous_build_id"] == first["build_id"] == second["build_id"]
    # Every transform came from the cache: no entry was rewritten or added.
    assert text_cache_entries(life.layers / "build-cache") == cached

    css = app / "static" / "css" / "base.css"
    css.write_text(css.read_text() + "\n.added { color: red }\n")
    ok(life.build(app))
    third = text_cache_entries(life.layers / "build-cache")
    assert len(third) == len(cached) + 1 and set(cached.items()) <= set(third.items())
    assert life.layer_toml()["metadata"]["build_id"] != first["build_id"]


def test_cache_from_another_assetbuild_version_is_started_afresh(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    (life.layers / "build-cache").mkdir()
    (life.layers / "build-cache" / "stale.json").write_text("{}")
    (life.layers / "build-cache.toml").write_text(
        '[types]\ncache = true\n\n[metadata]\nassetbuild_version = "0.0.1"\n')
    ok(life.build(fresh_app(tmp_path)))
    assert not (life.layers / "build-cache" / "stale.json").exists()
    assert life.layer_toml()["metadata"]["cache_reused"] is False


def test_build_takes_settings_from_platform_env(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    (life.platform / "env" / "ASSETBUILD_OUT").write_text("public/assets")
    (life.platform / "env" / "ASSETBUILD_GZIP").write_text("false")
    app = fresh_app(tmp_path)
    ok(life.build(app))
    assert life.layer_toml()["metadata"]["release"] == "public/assets"
    manifest = read_manifest(app / "public" / "assets")
    assert all("gzip" not in e["encodings"] for e in manifest["assets"].values())
    assert not (app / "build").exists()


def test_build_refuses_a_release_outside_the_app(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    (life.platform / "env" / "ASSETBUILD_OUT").write_text(str(tmp_path / "elsewhere"))
    proc = life.build(fresh_app(tmp_path))
    assert proc.returncode == 1
    assert "outside the app folder" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "elsewhere").exists()
    assert not (life.layers / "build-cache.toml").exists()


def test_build_refuses_a_release_folder_symlinked_out_of_the_app(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    app = fresh_app(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (app / "build").symlink_to(tmp_path / "elsewhere")
    proc = life.build(app)
    assert proc.returncode == 1 and "outside the app folder" in proc.stderr
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_unreadable_platform_setting_is_reported(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    (life.platform / "env" / "ASSETBUILD_URL_PREFIX").write_bytes(b"\xff\xfe/static/")
    proc = life.build(fresh_app(tmp_path))
    assert proc.returncode == 1
    assert "ASSETBUILD_URL_PREFIX: cannot read the setting" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(not (FIXTURES / "django_project").is_dir(), reason="needs the Django example")
def test_framework_release_outside_the_app_is_refused(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    (life.platform / "env" / "STATIC_ROOT").write_text(str(tmp_path / "elsewhere"))
    proc = life.build(fresh_app(tmp_path, "django_project"),
                      extra_env={"STATIC_ROOT": str(tmp_path / "elsewhere")})
    assert proc.returncode == 1
    assert "wrote no manifest.json inside the app folder" in proc.stderr
    assert not (life.layers / "build-cache.toml").exists()


def test_build_fails_cleanly_on_a_broken_asset(tmp_path, buildpack):
    life = Lifecycle(tmp_path, buildpack)
    app = write_tree(tmp_path / "app", {
        "pyproject.toml": '[tool.assetbuild]\nsources = ["static"]\nout = "build/static"\n',
        "static/a.css": '@import "b.css";\n',
        "static/b.css": '@import "a.css";\n',
    })
    proc = life.build(app)
    assert proc.returncode == 1
    assert "reference cycle" in proc.stderr and "a.css" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (app / "build" / "static" / "manifest.json").exists()
    assert not (life.layers / "build-cache.toml").exists()


def test_build_explains_when_assetbuild_is_not_installed(tmp_path, buildpack):
    # A real Python without site-packages stands for a Python buildpack that did not
    # install assetbuild.
    bare = tmp_path / "bare-python"
    bare.mkdir()
    (bare / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    (bare / "python3").chmod(0o755)
    proc = Lifecycle(tmp_path, buildpack).build(fresh_app(tmp_path),
                                                path=f"{bare}{os.pathsep}/usr/bin:/bin")
    assert proc.returncode == 1
    assert "assetbuild is not installed" in proc.stderr


def test_build_outside_a_lifecycle_says_so(tmp_path, buildpack):
    proc = subprocess.run([str(buildpack / "bin" / "build")], cwd=fresh_app(tmp_path),
                          env=base_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "CNB_LAYERS_DIR and CNB_PLATFORM_DIR not set" in proc.stderr


# --- classic buildpack API -------------------------------------------------------------

def classic(buildpack: Path, script: str, *args: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(buildpack / "bin" / script), *map(str, args)], env=base_env(),
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("app_name", APPS)
def test_classic_detect_names_the_buildpack(tmp_path, buildpack, app_name):
    proc = ok(classic(buildpack, "detect", fresh_app(tmp_path, app_name)))
    assert proc.stdout.strip() == "assetbuild"


def test_classic_detect_fails_with_1_elsewhere(tmp_path, buildpack):
    proc = classic(buildpack, "detect", write_tree(tmp_path / "app", {"app.py": "print()\n"}))
    assert proc.returncode == 1 and proc.stdout == ""


def test_classic_compile_uses_env_dir_and_cache_dir(tmp_path, buildpack):
    cache, env_dir = tmp_path / "cache", tmp_path / "env"
    cache.mkdir()
    write_tree(env_dir, {"ASSETBUILD_OUT": "staticfiles", "ASSETBUILD_HASH_LENGTH": "12",
                         "OTHER_SETTING": "ignored"})
    app = fresh_app(tmp_path)
    proc = ok(classic(buildpack, "compile", app, cache, env_dir))
    assert "build cache empty" in proc.stdout
    manifest = read_manifest(app / "staticfiles")
    name = manifest["assets"]["css/site.css"]["path"]
    assert name.startswith("css/site.") and len(name.split(".")[1]) == 12
    cached = text_cache_entries(cache / "assetbuild")
    assert cached

    app = fresh_app(tmp_path)  # the next push: new build folder, same cache folder
    proc = ok(classic(buildpack, "compile", app, cache, env_dir))
    assert "build cache restored" in proc.stdout
    assert text_cache_entries(cache / "assetbuild") == cached
    with open(cache / "assetbuild.toml", "rb") as fh:
        meta = tomllib.load(fh)["metadata"]
    assert meta["cache_reused"] is True and meta["release"] == "staticfiles"
    assert meta["build_id"] == read_manifest(app / "staticfiles")["build_id"]


def test_classic_compile_fails_cleanly(tmp_path, buildpack):
    cache, env_dir = tmp_path / "cache", tmp_path / "env"
    cache.mkdir()
    env_dir.mkdir()
    app = write_tree(tmp_path / "app", {"assetbuild.toml": 'sources = ["static"]\nout = 3\n'})
    proc = classic(buildpack, "compile", app, cache, env_dir)
    assert proc.returncode == 1
    assert "assetbuild.toml" in proc.stderr and "out" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_classic_release_adds_nothing(tmp_path, buildpack):
    proc = ok(classic(buildpack, "release", fresh_app(tmp_path)))
    assert proc.stdout.strip() == "--- {}"

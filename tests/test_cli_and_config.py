"""The command line and configuration layers: help, exit codes, file < flags < environment."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import read_manifest, run_cli


def test_help_explains_every_option():
    top = run_cli("--help", check=True).stdout
    assert "compile" in top and "ASSETBUILD_" in top
    text = run_cli("compile", "--help", check=True).stdout
    for option in ("--out", "--config", "--url-prefix", "--ignore", "--hash-length", "--strict",
                   "--no-minify", "--no-gzip", "--brotli", "--cache", "--jobs", "--quiet", "--json"):
        assert option in text, option


def test_console_script_is_installed():
    exe = shutil.which("assetbuild")
    assert exe, "the assetbuild console script is not on PATH"
    assert subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.startswith("assetbuild ")


@pytest.mark.parametrize("args, message", [
    (["compile"], "no source folders"),
    (["compile", "static"], "no output folder"),
    (["compile", "missing", "--out", "o"], "missing: source folder not found"),
    (["compile", "static", "--out", "o", "--hash-length", "2"], "expected a whole number from 8 to 64"),
    (["compile", "static", "--out", "o", "--bogus"], "unrecognized arguments: --bogus"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_usage_errors_exit_2(tree, args, message):
    base = tree({"static/a.js": "var a;"})
    proc = run_cli(*args, cwd=base)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_pyproject_settings(tree):
    base = tree({
        "pyproject.toml": '[project]\nname = "app"\n[tool.assetbuild]\nsources = ["static"]\n'
                          'out = "public"\nhash_length = 10\nminify = false\n',
        "static/a.js": "var  spaced = 1;",
    })
    run_cli("compile", cwd=base, check=True)
    entry = read_manifest(base / "public")["assets"]["a.js"]
    assert len(entry["path"].split(".")[1]) == 10
    assert (base / "public" / entry["path"]).read_text() == "var  spaced = 1;"


def test_flags_override_file_and_environment_overrides_flags(tree):
    base = tree({"assetbuild.toml": 'sources = ["static"]\nout = "from-file"\nhash_length = 10\n',
                 "static/a.js": "var a;"})
    run_cli("compile", "--out", "from-flag", "--hash-length", "12", cwd=base, check=True)
    assert len(read_manifest(base / "from-flag")["assets"]["a.js"]["path"].split(".")[1]) == 12
    assert not (base / "from-file").exists()
    run_cli("compile", "--out", "from-flag2", "--hash-length", "12", cwd=base, check=True,
            env={"ASSETBUILD_OUT": "from-env", "ASSETBUILD_HASH_LENGTH": "20"})
    assert len(read_manifest(base / "from-env")["assets"]["a.js"]["path"].split(".")[1]) == 20
    assert not (base / "from-flag2").exists()


@pytest.mark.parametrize("content, message", [
    ('sources = ["static"]\nout = "o"\nminfy = false\n', "unknown setting 'minfy'; did you mean 'minify'?"),
    ('sources = "static"\nout = "o"\nstrict = "maybe"\n', "strict: expected true or false"),
    ('sources = ["static"\n', "not valid TOML"),
    ('sources = [1]\nout = "o"\n', "sources: expected a list of strings"),
])
def test_config_mistakes(tree, content, message):
    base = tree({"assetbuild.toml": content, "static/a.js": "var a;"})
    proc = run_cli("compile", cwd=base)
    assert proc.returncode == 2
    assert message in proc.stderr and "assetbuild.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_environment_value(tree):
    base = tree({"static/a.js": "var a;"})
    proc = run_cli("compile", "static", "--out", "o", cwd=base, env={"ASSETBUILD_STRICT": "perhaps"})
    assert proc.returncode == 2 and "ASSETBUILD_STRICT: expected true or false" in proc.stderr


def test_quiet_prints_nothing_on_success(tree):
    base = tree({"static/a.js": "var a;"})
    proc = run_cli("compile", "static", "--out", "o", "-q", cwd=base, check=True)
    assert proc.stdout == "" and proc.stderr == ""


def test_python_dash_m_and_summary(tree):
    base = tree({"static/a.js": "var a;", "static/b.css": "a{}"})
    proc = run_cli("compile", "static", "--out", "o", cwd=base, check=True)
    assert proc.stdout.startswith("compiled 2 files")

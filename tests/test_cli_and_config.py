"""The command line and configuration layers: help, exit codes, file < environment < flags."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from support.cli import read_manifest, run_cli

pytestmark = pytest.mark.e2e


def test_help_explains_every_option():
    top = run_cli("--help", check=True).stdout
    assert "compile" in top and "ASSETBUILD_" in top
    text = run_cli("compile", "--help", check=True).stdout
    for option in ("--out", "--config", "--url-prefix", "--ignore", "--hash-length", "--strict",
                   "--no-minify", "--no-gzip", "--brotli", "--brotli-quality", "--cache", "--jobs", "--quiet",
                   "--json"):
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


def test_environment_overrides_file_and_flags_override_both(tree):
    """The order of pip, Docker and git: file < ASSETBUILD_* < a flag typed on the line."""
    base = tree({"assetbuild.toml": 'sources = ["static"]\nout = "from-file"\nhash_length = 10\n',
                 "static/a.js": "var a;"})
    env = {"ASSETBUILD_OUT": "from-env", "ASSETBUILD_HASH_LENGTH": "20"}
    run_cli("compile", cwd=base, env=env, check=True)
    assert len(read_manifest(base / "from-env")["assets"]["a.js"]["path"].split(".")[1]) == 20
    assert not (base / "from-file").exists()
    run_cli("compile", "--out", "from-flag", "--hash-length", "12", cwd=base, env=env, check=True)
    assert len(read_manifest(base / "from-flag")["assets"]["a.js"]["path"].split(".")[1]) == 12
    assert sorted(p.name for p in base.iterdir()) == ["assetbuild.toml", "from-env", "from-flag",
                                                     "static"]


def test_help_says_the_order_of_settings():
    text = run_cli("compile", "--help", check=True).stdout
    assert text.endswith(
        "settings, each overriding the ones before it:\n"
        "  1. [tool.assetbuild] in ./pyproject.toml, or ./assetbuild.toml, or --config FILE\n"
        "  2. ASSETBUILD_* environment variables (ASSETBUILD_OUT, ASSETBUILD_SOURCES, ...)\n"
        "  3. command-line flags: a flag typed here always wins\n")
    assert "then ASSETBUILD_* environment variables, then command-line flags." in run_cli(
        "--help", check=True).stdout


def test_unknown_assetbuild_variable_is_a_warning_with_a_suggestion(tree):
    base = tree({"static/a.js": "var a;"})
    proc = run_cli("compile", "static", "--out", "o", cwd=base, check=True,
                   env={"ASSETBUILD_OTU": "elsewhere", "ASSETBUILD_MANIFEST": "o/manifest.json"})
    assert proc.stderr == ("assetbuild: warning: environment variable ASSETBUILD_OTU names no "
                           "setting and is ignored; did you mean ASSETBUILD_OUT?\n")
    assert ", 1 warning, " in proc.stdout
    assert (base / "o" / "manifest.json").is_file() and not (base / "elsewhere").exists()


@pytest.mark.parametrize("content", [
    'sources = ["static"]\nout = "o"\nhash_length = 10\n',
    '[tool.assetbuild]\nsources = ["static"]\nout = "o"\nhash_length = 10\n',
])
def test_assetbuild_toml_takes_top_level_keys_or_a_tool_table(tree, content):
    base = tree({"assetbuild.toml": content, "static/a.js": "var a;"})
    run_cli("compile", cwd=base, check=True)
    assert len(read_manifest(base / "o")["assets"]["a.js"]["path"].split(".")[1]) == 10


def test_assetbuild_toml_with_both_forms_says_which_keys(tree):
    base = tree({"assetbuild.toml": 'out = "o"\n[tool.assetbuild]\nsources = ["static"]\n',
                 "static/a.js": "var a;"})
    proc = run_cli("compile", cwd=base)
    assert proc.returncode == 2
    assert proc.stderr == (f"assetbuild: error: {base / 'assetbuild.toml'}: settings both at "
                           "the top level (out) and in [tool.assetbuild]; keep one of the two\n")


@pytest.mark.parametrize("prefix", ["static", "static/", "cdn.example.com/static/"])
def test_url_prefix_must_be_a_root_path_or_a_full_url(tree, prefix):
    base = tree({"static/a.css": ".a{background:url(/static/i.png)}", "static/i.png": b"png"})
    proc = run_cli("compile", "static", "--out", "o", "--url-prefix", prefix, cwd=base)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"assetbuild: error: command line: url_prefix: {prefix!r} is neither a path from the "
        f"site's root nor a full URL; did you mean '/{prefix.strip('/')}/'? (or a CDN origin: "
        "'https://cdn.example.com/static/')\n")
    assert not (base / "o").exists()


@pytest.mark.parametrize("prefix", ["/static", "/", "https://cdn.example.com/static/"])
def test_url_prefix_forms_that_work(tree, prefix):
    base = tree({"static/a.css": ".a{background:url(i.png)}", "static/i.png": b"png"})
    run_cli("compile", "static", "--out", "o", "--url-prefix", prefix, cwd=base, check=True)
    assert read_manifest(base / "o")["assets"]["i.png"]


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

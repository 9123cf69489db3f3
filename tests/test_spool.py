"""The spool that holds text bodies between the transform and rewrite phases."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from assetbuild.spool import TextSpool


def test_texts_come_back_as_they_went_in():
    texts = ["", "body{color:red}", "é\u2028日本 \U0001f600", "x" * (3 << 20), ""]
    with TextSpool() as spool:
        places = [spool.put(t) for t in texts]
        assert [spool.get(*where) for where in reversed(places)] == texts[::-1]


@pytest.mark.e2e
def test_a_full_temporary_folder_is_a_one_line_build_error():
    script = textwrap.dedent("""
        import resource, signal
        from assetbuild.diagnostics import BuildError
        from assetbuild.spool import TextSpool
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        try:
            with TextSpool() as spool:
                spool.put("x" * 5000)
        except BuildError as exc:
            print(exc.diagnostics[0].format())
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stderr
    assert "cannot write a temporary file: File too large" in proc.stdout
    assert "set TMPDIR" in proc.stdout

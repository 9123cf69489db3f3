"""The scanners' patterns match alike on every Python the package allows (>= 3.11).

Python 3.11.0 to 3.11.4 (Debian 12's python3 is 3.11.2) let a possessive repeat of a
group, ``(?:...)*+``, backtrack into the group (CPython gh-106052): css's skip pattern
then took ``url(`` for a plain word, and a build on that Python rewrote no reference at
all, without a warning. Such repeats are written as atomic groups, ``(?>(?:...)*)``,
which every 3.11 matches correctly; a possessive repeat of one character class
(``[^*]*+``) was never affected.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

import pytest
from support.cli import read_manifest, run_cli

from assetbuild import css, js

SINGLE = {sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY}


def possessive_group_repeats(parsed) -> list[str]:
    """Each possessive repeat in a parsed pattern whose item is more than one character."""
    found = []
    for op, av in parsed:
        if op is sre.POSSESSIVE_REPEAT:
            item = av[2]
            if not (len(item) == 1 and item[0][0] in SINGLE):
                found.append(str(item)[:80])
        for value in (av if isinstance(av, (tuple, list)) else [av]):
            if isinstance(value, _parser.SubPattern):
                found += possessive_group_repeats(value)
            elif isinstance(value, (tuple, list)):
                for inner in value:
                    if isinstance(inner, _parser.SubPattern):
                        found += possessive_group_repeats(inner)
    return found


PATTERNS = {f"{module.__name__}.{name}": value for module in (css, js)
            for name, value in vars(module).items() if isinstance(value, re.Pattern)}


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_no_possessive_repeat_of_a_group(name):
    pattern = PATTERNS[name]
    assert possessive_group_repeats(_parser.parse(pattern.pattern, pattern.flags)) == []


@pytest.mark.e2e
def test_url_after_words_is_a_reference(tree):
    """What Python 3.11.2 got wrong with a possessive repeat of a group in css._SKIP_WHEN_IDLE."""
    base = tree({"src/css/s.css": ".x{background:url(../img/a.png)}", "src/img/a.png": b"png"})
    run_cli("compile", base / "src", "--out", base / "out", check=True)
    manifest = read_manifest(base / "out")
    written = (base / "out" / manifest["assets"]["css/s.css"]["path"]).read_text()
    assert written == f".x{{background:url(../{manifest['assets']['img/a.png']['path']})}}"

"""The fast-compiling character classes match exactly the characters they describe, and
the scanners' names are built from the right ones."""

import re
import string

import pytest

from assetbuild import js
from assetbuild.charclass import ascii_except, ascii_or_any_beyond

EVERY_CHARACTER = "".join(map(chr, range(0x110000)))  # lone surrogates included


@pytest.mark.parametrize("allowed", [string.ascii_letters + "_",
                                     string.ascii_letters + string.digits + "_-",
                                     string.ascii_letters + "_\\", "", "\x00\x7f]^-"])
def test_ascii_or_any_beyond(allowed):
    found = re.findall(ascii_or_any_beyond(allowed), EVERY_CHARACTER)
    assert found == [c for c in EVERY_CHARACTER if c in allowed or not c.isascii()]


@pytest.mark.parametrize("refused", [string.ascii_letters + "_-/'\"@(){};\\", "", "]^\\-"])
def test_ascii_except(refused):
    found = re.findall(ascii_except(refused), EVERY_CHARACTER)
    assert found == [c for c in map(chr, range(128)) if c not in refused]


@pytest.mark.parametrize("name", ["$return", "_x", "é", "xé9", "ʹa", "a$"])
def test_script_names_use_these_classes(name):
    """A name ($, _, letters, digits, any non-ASCII character) before a slash makes it a
    division; were the name cut short, the slash would start a regular expression that
    hides the import after it."""
    scanned = js.scan(f"var q = {name} / 2; import('./a.js'); var r = 1 / 2;")
    assert [ref.url for ref in scanned.refs] == ["./a.js"]

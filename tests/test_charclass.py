"""The fast-compiling character classes match exactly the characters they describe."""

import re
import string

import pytest

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


def test_in_a_verbose_pattern():
    """Space and '#' are written as escapes, so re.X does not drop them."""
    pattern = re.compile(ascii_except("") + "+", re.X)
    assert pattern.fullmatch(" #\t") and not pattern.fullmatch("é")

"""Unit tests of assetbuild.fingerprint: digests, SRI values, digested names."""

from __future__ import annotations

import base64
import hashlib
import os

import blake3
import pytest

from assetbuild import fingerprint

# Published values: blake3 of no bytes, and the sha384 SRI example of MDN's SRI page.
BLAKE3_EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
MDN_SCRIPT = b"alert('Hello, world.');"
MDN_SRI = "sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO"


def test_digest_is_hex_blake3():
    assert fingerprint.digest(b"") == BLAKE3_EMPTY
    assert fingerprint.digest(b"body{}") == blake3.blake3(b"body{}").hexdigest()


def test_integrity_is_sha384_in_base64():
    assert fingerprint.integrity(MDN_SCRIPT) == MDN_SRI
    assert fingerprint.integrity(b"") == \
        "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"


@pytest.mark.parametrize("size", [0, 5, fingerprint.MMAP_FROM - 1, fingerprint.MMAP_FROM,
                                  fingerprint.MMAP_FROM + 7])
def test_file_facts_read_whole_or_mapped_agree(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert fingerprint.file_facts(path) == (blake3.blake3(data).digest(), size)


def test_files_facts_keeps_order(tmp_path):
    contents = {"c": b"c", "a": b"", "b": b"bbb"}
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    assert fingerprint.files_facts([str(tmp_path / name) for name in contents]) == \
        [(blake3.blake3(data).digest(), len(data)) for data in contents.values()]


def test_stream_hasher_matches_the_whole_file_hashes():
    data = os.urandom(100_000)
    hasher = fingerprint.StreamHasher()
    for start in range(0, len(data), 4096):
        hasher.update(data[start:start + 4096])
    assert hasher.digest() == fingerprint.digest(data)
    assert hasher.integrity() == fingerprint.integrity(data)
    assert hasher.integrity() == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.mark.parametrize("logical, expected", [
    ("css/site.css", "css/site.0123abcd.css"),
    ("site.css", "site.0123abcd.css"),
    ("js/lib.min.js", "js/lib.min.0123abcd.js"),  # before the last suffix only
    ("a/b.v2/LICENSE", "a/b.v2/LICENSE.0123abcd"),  # a dot in a folder is no suffix
    (".htaccess", ".htaccess.0123abcd"),
    ("fonts/.hidden", "fonts/.hidden.0123abcd"),
    ("x.", "x.0123abcd."),
])
def test_digested_name_puts_the_digest_before_the_suffix(logical, expected):
    assert fingerprint.digested_name(logical, "0123abcdef99", 8) == expected

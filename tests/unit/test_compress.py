"""Unit tests of assetbuild.compress: which files get .gz/.br twins, and that those are
deterministic and decode to the original bytes."""

from __future__ import annotations

import gzip
import io
import os

import pytest

from assetbuild import compress

TEXT = b"body{color:red}\n" * 200


@pytest.mark.parametrize("name, expected", [
    ("css/site.css", True), ("js/app.MJS", True), ("img/logo.svg", True), ("fonts/a.ttf", True),
    ("img/logo.png", False), ("fonts/a.woff2", False), ("LICENSE", False), ("a.tar.gz", False),
])
def test_compressible_goes_by_the_suffix(name, expected):
    assert compress.compressible(name) is expected


@pytest.fixture(params=["libdeflate", "zlib"])
def deflater(request, monkeypatch):
    """Each gzip writer: libdeflate (the [fast] extra) and the zlib fallback."""
    if request.param == "zlib":
        monkeypatch.setattr(compress, "_libdeflate_gzip", None)
    elif compress._libdeflate_gzip is None:
        pytest.skip("libdeflate (the [fast] extra) is not installed")


def test_gzip_is_deterministic_and_decodes(deflater):
    blob = compress.gzip_bytes(TEXT)
    assert blob == compress.gzip_bytes(TEXT)
    assert gzip.decompress(blob) == TEXT
    assert blob[:3] == b"\x1f\x8b\x08" and blob[4:8] == b"\0\0\0\0"  # deflate, mtime 0
    assert not blob[3] & 0x08  # no file name


def test_variants_are_kept_only_when_smaller():
    pytest.importorskip("brotli")
    import brotli
    found = compress.variants("css/site.css", TEXT, use_gzip=True, use_brotli=True)
    assert sorted(found) == ["br", "gzip"]
    assert gzip.decompress(found["gzip"]) == TEXT and brotli.decompress(found["br"]) == TEXT
    assert compress.variants("css/random.css", os.urandom(2000), True, True) == {}


def test_no_variants_for_empty_or_incompressible_types_or_when_switched_off():
    assert compress.variants("css/empty.css", b"", True, True) == {}
    assert compress.variants("img/a.png", TEXT, True, True) == {}
    assert sorted(compress.variants("css/site.css", TEXT, True, False)) == ["gzip"]
    assert compress.variants("css/site.css", TEXT, False, False) == {}


# A window of 2**w bytes holds 2**w - 16 bytes of data.
@pytest.mark.parametrize("size, window", [(0, 10), (1008, 10), (1009, 11), (2032, 11), (2033, 12),
                                          (1 << 20, 21), (1 << 30, 24)])
def test_brotli_window_fits_the_file(size, window):
    assert compress.brotli_window(size) == window


def test_brotli_mode_goes_by_the_type():
    brotli = pytest.importorskip("brotli")
    assert [compress.brotli_mode(n) for n in ("a.ttf", "a.wasm", "a.css", "a.SVG")] == \
        [brotli.MODE_FONT, brotli.MODE_GENERIC, brotli.MODE_TEXT, brotli.MODE_TEXT]


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_stream_compressor_decodes_to_what_was_fed(encoding):
    if encoding == "br":
        brotli = pytest.importorskip("brotli")
        decode = brotli.decompress
    else:
        decode = gzip.decompress
    data = os.urandom(50_000) + TEXT
    sink = io.BytesIO()
    stream = compress.StreamCompressor(encoding, sink, "big.css")
    for start in range(0, len(data), 7000):
        stream.write(data[start:start + 7000])
    stream.close()
    assert decode(sink.getvalue()) == data

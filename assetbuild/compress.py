"""Precompressed variants (.gz, .br) of compressible files, kept only when smaller."""

from __future__ import annotations

import gzip
import posixpath
import struct
import zlib
from typing import BinaryIO

try:  # the [fast] extra: libdeflate is 3x faster than zlib at level 6, with smaller output
    from deflate import gzip_compress as _libdeflate_gzip
except ImportError:
    _libdeflate_gzip = None

# Types that are already compressed (png, jpg, woff2, zip, ...) are not in this list.
COMPRESSIBLE = frozenset("""
    css js mjs cjs json map svg html htm txt xml csv md ico ttf otf eot wasm webmanifest
    rss atom yaml yml tsv
""".split())

ENCODING_SUFFIX = {"gzip": ".gz", "br": ".br"}


def compressible(logical: str) -> bool:
    return posixpath.splitext(logical)[1][1:].lower() in COMPRESSIBLE


def brotli_available() -> bool:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return False
    return True


# gzip member header: deflate, no flags, mtime 0, no extra flags, OS "unknown".
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    """Deterministic gzip: no file name, mtime 0 (the same bytes for the same input and
    deflate library). libdeflate writes this very header itself."""
    if _libdeflate_gzip:
        return _libdeflate_gzip(data, level)
    deflater = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = deflater.compress(data) + deflater.flush()
    return b"".join((_GZIP_HEADER, body, struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)))


# Brotli quality by size. From 64 KiB up, where most of the bytes are, quality 10 (11 costs
# three times as much for 1-2% less). Below, quality 10 spends about 1 ms per file on setup
# whatever its size, which buys 4-6% fewer bytes than quality 8 (on the benchmark corpus:
# 11,900 small files, 17 s against 1.1 s of CPU, for 0.3 MB).
BROTLI_QUALITY = 10
BROTLI_QUALITY_SMALL = 8
BROTLI_SMALL_BELOW = 64 << 10


def brotli_bytes(data: bytes, quality: int | None = None) -> bytes:
    import brotli
    if quality is None:
        quality = BROTLI_QUALITY if len(data) >= BROTLI_SMALL_BELOW else BROTLI_QUALITY_SMALL
    mode = brotli.MODE_TEXT if len(data) < 1 << 20 else brotli.MODE_GENERIC
    return brotli.compress(data, quality=quality, mode=mode)


def variants(logical: str, data: bytes, use_gzip: bool, use_brotli: bool) -> dict[str, bytes]:
    """Encoding name -> compressed bytes, for each encoding that makes *data* smaller."""
    if not compressible(logical) or not data:
        return {}
    found = {}
    if use_gzip:
        found["gzip"] = gzip_bytes(data)
    if use_brotli:
        found["br"] = brotli_bytes(data)
    return {enc: blob for enc, blob in found.items() if len(blob) < len(data)}


class StreamCompressor:
    """Compresses chunk by chunk into a file. Brotli's top quality costs minutes on files
    this large, so streams default to a quality that keeps up with the disk."""

    def __init__(self, encoding: str, fh: BinaryIO, brotli_quality: int = 5):
        self.fh = fh
        if encoding == "gzip":
            self._gz: gzip.GzipFile | None = gzip.GzipFile(
                filename="", mode="wb", compresslevel=9, fileobj=fh, mtime=0)
        else:
            import brotli
            self._gz = None
            self._br = brotli.Compressor(quality=brotli_quality, mode=brotli.MODE_GENERIC)

    def write(self, chunk: bytes) -> None:
        if self._gz is not None:
            self._gz.write(chunk)
        else:
            self.fh.write(self._br.process(chunk))

    def close(self) -> None:
        if self._gz is not None:
            self._gz.close()
        else:
            self.fh.write(self._br.finish())

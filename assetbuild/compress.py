"""Precompressed variants (.gz, .br) of compressible files, kept only when smaller."""

from __future__ import annotations

import gzip
import posixpath
import struct
import zlib
from collections.abc import Callable
from typing import BinaryIO

_libdeflate_gzip: Callable[[bytes, int], bytes | bytearray] | None
try:  # the [fast] extra: libdeflate is faster than zlib at the same level, and smaller
    from deflate import gzip_compress as _libdeflate_gzip
except ImportError:
    _libdeflate_gzip = None

# Types that are already compressed (png, jpg, woff, woff2, zip, ...) are not in this list.
# Style and script sources that packages ship beside their builds (scss, less, ...) are
# text a site serves too, and it compresses well.
COMPRESSIBLE = frozenset("""
    css js mjs cjs json map svg html htm txt xml csv md ico ttf otf eot wasm webmanifest
    rss atom yaml yml tsv scss sass less styl jsx vue svelte
""".split())

ENCODING_SUFFIX = {"gzip": ".gz", "br": ".br"}


def _extension(logical: str) -> str:
    """The file name's extension, lower case, without the dot ("" when it has none)."""
    return posixpath.splitext(logical)[1][1:].lower()


def compressible(logical: str) -> bool:
    return _extension(logical) in COMPRESSIBLE


def brotli_available() -> bool:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return False
    return True


# gzip member header: deflate, no flags, mtime 0, no extra flags, OS "unknown".
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def gzip_bytes(data: bytes, level: int = 6) -> bytes | bytearray:
    """Deterministic gzip: no file name, mtime 0 (the same bytes for the same input and
    deflate library). libdeflate writes this very header itself."""
    if _libdeflate_gzip is not None:
        return _libdeflate_gzip(data, level)
    deflater = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = deflater.compress(data) + deflater.flush()
    return b"".join((_GZIP_HEADER, body, struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)))


# Brotli's default quality, chosen group by group of files on the benchmark corpus
# (benchmarks/REPORT-brotli.md, from benchmarks/brotli_levels.py): fewer bytes than gzip
# for about as much CPU. On small files, where most files are, higher qualities write the
# same bytes; on large ones each step up buys little for more CPU than all the gzip work.
BROTLI_DEFAULT_QUALITY = 6
BROTLI_MAX_WINDOW = 24  # the largest window browsers decode
# Below this size a file gets no .br: there brotli saves 23-36 bytes a file over gzip, less
# than an HTTP header, while the compression and the extra file cost more than the gzip
# (benchmarks/REPORT-brotli.md). Most files of a package are this small (icons, modules).
BROTLI_MIN_BYTES = 1024
# Nor does a source map: only developer tools fetch one, and they accept gzip. On the
# benchmark corpus brotli on the maps was a fifth of all the brotli work.
_NO_BROTLI = frozenset({"map"})
_FONTS = frozenset({"ttf", "otf", "eot"})
_GENERIC = frozenset({"wasm", "ico"})


def brotli_window(size: int) -> int:
    """The smallest window (log2 of its size, 10 to 24) that holds *size* bytes. A window
    larger than the file finds nothing more, and at quality 9 and above its tables cost
    milliseconds to set up for each small file."""
    return max(10, min(BROTLI_MAX_WINDOW, (size + 15).bit_length()))


def brotli_mode(logical: str) -> int:
    """Brotli's mode for the file's type: font, generic (wasm, ico) or text."""
    import brotli
    ext = _extension(logical)
    if ext in _FONTS:
        return brotli.MODE_FONT
    return brotli.MODE_GENERIC if ext in _GENERIC else brotli.MODE_TEXT


def gets_brotli(logical: str, size: int) -> bool:
    """Whether a compressible file of *size* bytes gets a .br: from BROTLI_MIN_BYTES, and
    not a source map."""
    return size >= BROTLI_MIN_BYTES and _extension(logical) not in _NO_BROTLI


def brotli_bytes(logical: str, data: bytes, quality: int = BROTLI_DEFAULT_QUALITY) -> bytes:
    """Brotli at *quality*, with a window that fits the file."""
    import brotli
    return brotli.compress(data, quality=quality, lgwin=brotli_window(len(data)),
                           mode=brotli_mode(logical))


def variants(logical: str, data: bytes, use_gzip: bool, use_brotli: bool,
             brotli_quality: int = BROTLI_DEFAULT_QUALITY) -> dict[str, bytes | bytearray]:
    """Encoding name -> compressed bytes, for each encoding that makes *data* smaller
    (brotli only where gets_brotli)."""
    if not compressible(logical) or not data:
        return {}
    found = {}
    if use_gzip:
        found["gzip"] = gzip_bytes(data)
    if use_brotli and gets_brotli(logical, len(data)):
        found["br"] = brotli_bytes(logical, data, brotli_quality)
    return {enc: blob for enc, blob in found.items() if len(blob) < len(data)}


class StreamCompressor:
    """Compresses chunk by chunk into a file (files too large to hold whole)."""

    def __init__(self, encoding: str, fh: BinaryIO, logical: str,
                 brotli_quality: int = BROTLI_DEFAULT_QUALITY):
        self.fh = fh
        if encoding == "gzip":
            self._gz: gzip.GzipFile | None = gzip.GzipFile(
                filename="", mode="wb", compresslevel=9, fileobj=fh, mtime=0)
        else:
            import brotli
            self._gz = None
            self._br = brotli.Compressor(quality=brotli_quality, lgwin=BROTLI_MAX_WINDOW,
                                         mode=brotli_mode(logical))

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

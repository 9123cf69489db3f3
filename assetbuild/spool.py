"""A scratch file for text bodies between the transform and rewrite phases, so that the
build process does not hold every stylesheet and module of a large tree in memory."""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO

from assetbuild.diagnostics import BuildError, error


class TextSpool:
    """Append-only storage of strings in an unnamed temporary file (gone when closed, or
    when the process dies). ``put`` returns where a string went; ``get`` reads it back."""

    def __init__(self) -> None:
        self._file: BinaryIO | None = None
        self._end = 0

    def __enter__(self) -> TextSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def put(self, text: str) -> tuple[int, int]:
        data = text.encode("utf-8", "surrogatepass")
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="assetbuild-spool-")
            written = 0
            while written < len(data):
                written += os.pwrite(self._file.fileno(), data[written:], self._end + written)
        except OSError as exc:
            where = exc.filename or os.environ.get("TMPDIR") or "the temporary folder"
            raise BuildError(error(f"cannot write a temporary file: {exc.strerror or exc}",
                                   file=str(where),
                                   hint="free some space there, or set TMPDIR to another folder")) from None
        where = (self._end, len(data))
        self._end += len(data)
        return where

    def get(self, offset: int, length: int) -> str:
        if not length:
            return ""
        assert self._file is not None
        data = os.pread(self._file.fileno(), length, offset)
        while len(data) < length:  # a short read: ask again for the rest
            data += os.pread(self._file.fileno(), length - len(data), offset + len(data))
        return data.decode("utf-8", "surrogatepass")

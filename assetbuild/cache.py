"""The build cache: results of per-file work keyed by content, reused between builds.

Build stage only. Entries are JSON files that name their own key and tool version; an
entry that does not parse, names another key or another version is ignored and rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assetbuild import __version__
from assetbuild.diagnostics import BuildError
from assetbuild.output import write_atomic


class Cache:
    """A folder of JSON entries, one per key, written atomically."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[-2:] / f"{key}.json"

    def get_json(self, key: str) -> Any | None:
        try:
            with open(self._path(key), "rb") as fh:
                entry = json.loads(fh.read())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or entry.get(
                "version") != __version__:
            return None
        return entry.get("value")

    def put_json(self, key: str, value: Any) -> None:
        """Store *value*; a cache that cannot be written only costs speed."""
        path = self._path(key)
        blob = json.dumps({"key": key, "version": __version__, "value": value},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            write_atomic(path, blob)
        except BuildError:
            pass

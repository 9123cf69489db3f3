"""Content-Type values for the files of a release, the same on every machine.

The table covers what web builds produce; anything else falls back to the standard
library's guess (which depends on the system's mime.types) and then to octet-stream.
"""

from __future__ import annotations

import mimetypes
import posixpath

TEXT = "; charset=utf-8"

TYPES = {
    ".css": "text/css" + TEXT,
    ".js": "text/javascript" + TEXT,
    ".mjs": "text/javascript" + TEXT,
    ".map": "application/json" + TEXT,
    ".json": "application/json" + TEXT,
    ".webmanifest": "application/manifest+json" + TEXT,
    ".html": "text/html" + TEXT,
    ".txt": "text/plain" + TEXT,
    ".xml": "application/xml" + TEXT,
    ".svg": "image/svg+xml" + TEXT,
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
}


def content_type(path: str) -> str:
    """The Content-Type to serve *path* with (judged by its extension only)."""
    ext = posixpath.splitext(path)[1].lower()
    if ext in TYPES:
        return TYPES[ext]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed and guessed.startswith("text/"):
        return guessed + TEXT
    return guessed or "application/octet-stream"

"""What a file is, judged by its name: its kind for the compiler (css, js or other) and the
Content-Type it is served with, the same on every machine.

The table covers what web builds produce; anything else falls back to the standard
library's guess (which depends on the system's mime.types) and then to octet-stream.
Run-time safe: Flask serves with it, ``publish`` uploads with it, the compiler reads kinds.
"""

from __future__ import annotations

import mimetypes
import posixpath

TEXT = "; charset=utf-8"
CSS_SUFFIXES = (".css",)
JS_SUFFIXES = (".js", ".mjs", ".cjs")

TYPES = {
    ".css": "text/css" + TEXT,
    ".js": "text/javascript" + TEXT,
    ".mjs": "text/javascript" + TEXT,
    ".map": "application/json" + TEXT,  # a source map is JSON (ECMA-426)
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


def asset_kind(name: str) -> str | None:
    """"css" or "js" for a stylesheet or a script (.css; .js, .mjs, .cjs in any case),
    None for any other file (a dotfile named ``.css`` too: it has no extension)."""
    ext = posixpath.splitext(name)[1].lower()
    if ext in CSS_SUFFIXES:
        return "css"
    if ext in JS_SUFFIXES:
        return "js"
    return None

"""References between assets: what a URL in a file points at, and how to write it back.

The CSS and JS scanners find `Ref`s (spans of URL text). This module decides which of them
are local, resolves them to logical names, and rewrites spans, shielding them from the
minifiers with placeholders.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class Ref:
    """A URL written in a file: ``text[start:end] == url``."""

    start: int
    end: int
    url: str
    kind: str  # "url", "import", "image-set", "sourcemap", "module"
    line: int

    def __reduce__(self) -> tuple[type[Ref], tuple[int, int, str, str, int]]:
        """Pickled as its constructor's arguments: a slots dataclass's default state costs
        a Python call and a fields() lookup per object, and workers send thousands."""
        return Ref, (self.start, self.end, self.url, self.kind, self.line)


class LineIndex:
    """Line numbers of offsets in one text, counted on demand from the last one asked.

    Asking in increasing order costs one pass over the text, and a file with no
    references costs nothing.
    """

    def __init__(self, text: str):
        self._text = text
        self._offset, self._line = 0, 1

    def line(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def split_suffix(url: str) -> tuple[str, str]:
    """('img/a.png', '?v=1#x') from 'img/a.png?v=1#x'."""
    cut = len(url)
    for mark in "?#":
        pos = url.find(mark)
        if pos != -1:
            cut = min(cut, pos)
    return url[:cut], url[cut:]


def is_local(url: str, kind: str, url_prefix: str = "/") -> bool:
    """False for data:, http(s):, protocol-relative, fragment-only and empty URLs, and for
    bare module specifiers (resolved by an import map, not by path); True for full URLs
    under a full-URL *url_prefix* (a CDN origin)."""
    url = url.strip()
    if not url_prefix.startswith("/") and url.startswith(url_prefix):
        return True
    if not url or url.startswith(("#", "//")) or _SCHEME.match(url):
        return False
    if kind == "module" and not url.startswith(("./", "../", "/")):
        return False
    return True


def resolve(url: str, referrer: str, url_prefix: str) -> tuple[str | None, str | None]:
    """The logical name *url* points at, seen from the asset named *referrer*.

    Returns (name, None), or (None, reason) when it points outside every source root,
    or (None, None) when it is an absolute path outside the URL prefix (not ours).
    """
    path = unquote(split_suffix(url.strip())[0])
    if not path:
        return None, None
    if "\x00" in path or "\\" in path:
        return None, "the path contains a backslash or a NUL byte"
    if path.startswith("/"):
        local_prefix = url_prefix if url_prefix.startswith("/") else None
        if local_prefix is None or not path.startswith(local_prefix):
            return None, None
        path = path[len(local_prefix):]
        joined = path
    else:
        joined = posixpath.join(posixpath.dirname(referrer), path)
    name = posixpath.normpath(joined)
    if name == ".." or name.startswith("../") or name.startswith("/") or name == ".":
        return None, "it climbs out of the source root"
    return name, None


def resolve_absolute_url(url: str, url_prefix: str) -> str | None:
    """For a full URL under a CDN prefix (https://cdn/static/x.png): the logical name."""
    if url_prefix.startswith("/") or not url.startswith(url_prefix):
        return None
    name = posixpath.normpath(unquote(split_suffix(url[len(url_prefix):])[0]))
    if not name or name == "." or name.startswith(".."):
        return None
    return name


_URL_SAFE = "/-._~!$&*+,;=:@"


def encode_path(path: str) -> str:
    """Percent-encode a file path so it is a valid URL in any quoting context."""
    return quote(path, safe=_URL_SAFE)


def relative_url(target: str, referrer: str) -> str:
    """URL of the output file *target* relative to the folder of the asset *referrer*
    (both normalized paths inside the release, as every asset's are)."""
    # Folder by folder, as posixpath.relpath would, at a third of its cost: a build
    # computes one per reference, and large trees have hundreds of thousands.
    to, base = target.split("/"), referrer.split("/")
    common, last = 0, min(len(to), len(base)) - 1
    while common < last and to[common] == base[common]:
        common += 1
    return encode_path("../" * (len(base) - 1 - common) + "/".join(to[common:]))


def new_url(ref: Ref, target_path: str, referrer: str, url_prefix: str) -> str:
    """The rewritten URL for *ref*: same form (relative, absolute, full) and same suffix."""
    original = ref.url.strip()
    suffix = split_suffix(original)[1]
    if original.startswith("/") or _SCHEME.match(original):
        return url_prefix + encode_path(target_path) + suffix
    rel = relative_url(target_path, referrer)
    if not rel.startswith("../") and (original.startswith("./") or ref.kind == "module"):
        rel = "./" + rel
    return rel + suffix


def rewrite(text: str, refs: Iterable[Ref], replace: Callable[[Ref], str | None]) -> str:
    """*text* with each ref's span replaced by ``replace(ref)`` (None keeps it as written)."""
    out, pos = [], 0
    for ref in sorted(refs, key=lambda r: r.start):
        new = replace(ref)
        if new is None:
            continue
        out.append(text[pos:ref.start])
        out.append(new)
        pos = ref.end
    out.append(text[pos:])
    return "".join(out)


class Placeholders:
    """Stand-in tokens that survive minification, so minifiers never touch URL text."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.pattern = re.compile(re.escape(prefix) + r"(\d+)__")

    @classmethod
    def for_text(cls, text: str, stem: str = "abref") -> Placeholders:
        """Placeholders whose prefix (``__<stem><n>_``) does not occur in *text*. Each user
        has its own *stem*, so that one's tokens never pass for another's."""
        nonce = 0
        while f"__{stem}{nonce}_" in text:
            nonce += 1
        return cls(f"__{stem}{nonce}_")

    def token(self, index: int) -> str:
        return f"{self.prefix}{index}__"

    def protect(self, text: str, refs: list[Ref]) -> str:
        index = {id(r): i for i, r in enumerate(refs)}
        return rewrite(text, refs, lambda r: self.token(index[id(r)]))

    def found(self, text: str) -> set[int]:
        return {int(m.group(1)) for m in self.pattern.finditer(text)}

    def restore(self, text: str, values: list[str]) -> str:
        return self.pattern.sub(lambda m: values[int(m.group(1))], text)

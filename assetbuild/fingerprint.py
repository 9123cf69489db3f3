"""Content hashes: blake3 for fingerprinted names, sha384 for Subresource Integrity."""

from __future__ import annotations

import base64
import hashlib
import os
import posixpath

import blake3


def digest(data: bytes) -> str:
    """Hex blake3 digest of *data*."""
    return blake3.blake3(data).hexdigest()


MMAP_FROM = 1 << 20  # smaller files are read whole: a memory map costs more than it saves


def file_facts(path: str | os.PathLike[str]) -> tuple[bytes, int]:
    """(raw blake3 digest, size) of a file's bytes; large files are read through a memory
    map (never held whole)."""
    with open(path, "rb", buffering=0) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < MMAP_FROM:
            return blake3.blake3(fh.readall()).digest(), size
    hasher = blake3.blake3()
    hasher.update_mmap(path)
    return hasher.digest(), size


def files_facts(paths: list[str]) -> list[tuple[bytes, int]]:
    """file_facts() of each path, in order (one task for a worker process)."""
    return [file_facts(path) for path in paths]


def integrity(data: bytes) -> str:
    """SRI value, e.g. ``sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC``."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


class StreamHasher:
    """Both hashes of a file fed in chunks, for files too large to hold whole."""

    def __init__(self) -> None:
        self._blake = blake3.blake3()
        self._sha = hashlib.sha384()

    def update(self, chunk: bytes) -> None:
        self._blake.update(chunk)
        self._sha.update(chunk)

    def digest(self) -> str:
        return self._blake.hexdigest()

    def integrity(self) -> str:
        return "sha384-" + base64.b64encode(self._sha.digest()).decode("ascii")


def digested_name(logical: str, hexdigest: str, length: int) -> str:
    """``css/site.css`` -> ``css/site.<hex>.css`` (the digest goes before the last suffix)."""
    folder, name = posixpath.split(logical)
    stem, dot, ext = name.rpartition(".")
    if not stem:  # no suffix, or a name like '.htaccess'
        stem, dot, ext = name, "", ""
    new = f"{stem}.{hexdigest[:length]}{dot}{ext}"
    return posixpath.join(folder, new) if folder else new

"""Checking that a release (a folder or an archive) is whole: every file its manifest names
exists, is a regular file inside the release, and matches its size and integrity.

Uses hashlib only (never blake3), so it runs wherever the run-time side runs.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO

from assetbuild import importmap
from assetbuild import manifest as manifest_mod
from assetbuild.diagnostics import counted
from assetbuild.manifest import MANIFEST_NAME, Manifest, ManifestError
from assetbuild.paths import is_within
from assetbuild.release import IMPORTMAP_NAME, FileRef, file_refs, is_metadata

CHUNK = 1 << 16
SRI_ALGORITHMS = ("sha256", "sha384", "sha512")  # weakest first, as SRI orders them


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a release file."""

    kind: str  # "missing", "corrupt", "unsafe" or "extra"
    path: str
    detail: str = ""

    def format(self) -> str:
        return f"{self.kind}: {self.path}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Report:
    """The outcome of checking one release."""

    target: str
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, kind: str) -> int:
        return sum(1 for p in self.problems if p.kind == kind)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(k)} {k}" for k in ("missing", "corrupt", "unsafe", "extra")
                           if self.count(k))
        verdict = "release is whole" if self.ok else f"release is NOT whole: {counts}"
        return f"{self.target}: {counted(self.checked, 'file')} checked; {verdict}"


def verify(target: str | os.PathLike[str], *, extra: bool = False) -> Report:
    """Check the release folder or .tar.gz archive at *target*.

    With *extra*, files the manifest does not name (other than the manifest, import map and
    manifest history) are reported too. Raises ManifestError when the manifest itself is
    missing or invalid, since nothing else can be checked then.
    """
    path = Path(target)
    if path.is_dir():
        release: _Release = _Folder(path)
    elif path.is_file():
        release = _Archive(path)
    else:
        raise ManifestError(f"{path}: no such release folder or archive")
    with release:
        return _check(release, Report(str(path)), extra)


def _check(release: _Release, report: Report, extra: bool) -> Report:
    manifest = release.manifest()
    refs = file_refs(manifest)
    report.problems.extend(release.unsafe_entries())
    for ref in refs:
        report.checked += 1
        opened = release.open(ref.path)
        if isinstance(opened, Problem):
            report.problems.append(Problem(opened.kind, opened.path,
                                           f"{opened.detail} (asset {ref.asset!r})"))
            continue
        with opened as stream:
            detail = _content_problem(ref, stream, report)
        if detail:
            report.problems.append(Problem("corrupt", ref.path, f"{detail} (asset {ref.asset!r})"))
    needed = {ref.path for ref in refs}
    _check_importmap(release, manifest, needed, report)
    if extra:
        report.problems.extend(Problem("extra", p, "not in the manifest")
                               for p in release.names() if p not in needed and not is_metadata(p))
    return report


def _check_importmap(release: _Release, manifest: Manifest, needed: set[str],
                     report: Report) -> None:
    """importmap.json must be valid and point only at files the manifest names; it may be
    missing only when the manifest lists no ES module."""
    opened = release.open(IMPORTMAP_NAME)
    if isinstance(opened, Problem):
        modules = sum(1 for e in manifest.assets.values() if e.extra.get("module") is True)
        if opened.kind != "missing":
            report.problems.append(opened)
        elif modules:
            report.problems.append(Problem(
                "missing", IMPORTMAP_NAME, f"the manifest lists {modules} ES module(s), so "
                "pages using the import map need it; rebuild the release"))
        return
    report.checked += 1
    with opened as stream:
        data = stream.read()
    try:
        parsed = importmap.parse(data, IMPORTMAP_NAME)
    except ManifestError as exc:
        report.problems.append(Problem("corrupt", IMPORTMAP_NAME, str(exc).removeprefix(f"{IMPORTMAP_NAME}: ")))
        return
    for url in sorted(set(parsed["imports"].values()) | set(parsed["integrity"])):
        if url[2:] not in needed:
            report.problems.append(Problem("corrupt", IMPORTMAP_NAME, f"{url} is not a file the manifest names"))


def _content_problem(ref: FileRef, stream: IO[bytes], report: Report) -> str | None:
    """Why the file's content does not match its manifest entry, or None when it does."""
    if ref.encoding is None:
        chunks = _chunks(stream)
    elif ref.encoding == "gzip":
        chunks = _gunzip(stream)
    elif ref.encoding == "br" and _brotli() is not None:
        chunks = _unbrotli(stream)
    else:
        note = f"{ref.encoding} variants are checked for presence only"
        if ref.encoding == "br":
            note += " (install brotli to check their content)"
        if note not in report.notes:
            report.notes.append(note)
        return None
    expected = parse_integrity(ref.entry.integrity)
    if not expected:
        return f"integrity {ref.entry.integrity!r} names no supported algorithm ({', '.join(SRI_ALGORITHMS)})"
    algorithm = max(expected, key=SRI_ALGORITHMS.index)
    digest = hashlib.new(algorithm)
    size = 0
    try:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
    except (OSError, EOFError, zlib.error, tarfile.TarError, _BrotliError) as exc:
        return f"cannot be decoded as {ref.encoding}: {exc}"
    what = "content" if ref.encoding is None else f"decoded {ref.encoding} content"
    if size != ref.entry.size:
        return f"{what} has {size} bytes, the manifest says {ref.entry.size}"
    if base64.b64encode(digest.digest()).decode("ascii") not in expected[algorithm]:
        return f"{what} does not match its {algorithm} integrity"
    return None


def parse_integrity(value: str) -> dict[str, set[str]]:
    """SRI metadata ('sha384-AbC= sha512-XyZ=') as {algorithm: {base64 digests}}; options
    after '?' are ignored, unknown algorithms skipped."""
    found: dict[str, set[str]] = {}
    for token in value.split():
        algorithm, _, rest = token.partition("-")
        if algorithm in SRI_ALGORITHMS and rest:
            found.setdefault(algorithm, set()).add(rest.partition("?")[0])
    return found


def _chunks(stream: IO[bytes] | gzip.GzipFile) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def _gunzip(stream: IO[bytes]) -> Iterator[bytes]:
    return _chunks(gzip.GzipFile(fileobj=stream, mode="rb"))


def _brotli() -> ModuleType | None:
    try:
        import brotli
    except ImportError:
        return None
    return brotli


class _BrotliError(Exception):
    pass


def _unbrotli(stream: IO[bytes]) -> Iterator[bytes]:
    brotli = _brotli()
    assert brotli is not None  # the caller checked
    decompressor = brotli.Decompressor()
    try:
        for chunk in _chunks(stream):
            yield decompressor.process(chunk)
        if not decompressor.is_finished():
            raise _BrotliError("truncated brotli stream")
    except brotli.error as exc:
        raise _BrotliError(str(exc)) from None


class _Release:
    """Read access to a release, whatever holds it."""

    def manifest(self) -> Manifest:
        raise NotImplementedError

    def open(self, path: str) -> IO[bytes] | Problem:
        """A readable stream for *path*, or the Problem that prevents reading it."""
        raise NotImplementedError

    def names(self) -> Iterator[str]:
        """Every regular file in the release, as relative POSIX paths."""
        raise NotImplementedError

    def unsafe_entries(self) -> list[Problem]:
        return []

    def __enter__(self) -> _Release:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _Folder(_Release):
    def __init__(self, root: Path):
        self.root = root
        self.real_root = Path(os.path.realpath(root))

    def manifest(self) -> Manifest:
        return manifest_mod.load(self.root / MANIFEST_NAME)

    def open(self, path: str) -> IO[bytes] | Problem:
        full = self.root / path
        if not full.exists():
            return Problem("missing", path, "not in the release folder")
        real = Path(os.path.realpath(full))
        if not is_within(str(real), str(self.real_root)):
            return Problem("unsafe", path, "a symlink that leads outside the release")
        if not real.is_file():
            return Problem("corrupt", path, "not a regular file")
        try:
            return open(real, "rb")
        except OSError as exc:
            return Problem("corrupt", path, f"cannot be read ({exc.strerror or exc})")

    def names(self) -> Iterator[str]:
        for folder, dirs, files in os.walk(self.root):
            dirs.sort()
            rel = Path(folder).relative_to(self.root).as_posix()
            for name in sorted(files):
                yield name if rel == "." else f"{rel}/{name}"


class _Archive(_Release):
    def __init__(self, path: Path):
        self.path = path
        try:
            self.tar = tarfile.open(path, "r:*")
            members = self.tar.getmembers()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ManifestError(f"{path}: not a readable release archive ({exc})") from None
        self.members: dict[str, tarfile.TarInfo] = {}
        self.bad: list[Problem] = []
        for member in members:
            name = member.name.removeprefix("./")
            if member.isdir():
                continue
            if not manifest_mod.safe_relative_path(name):
                self.bad.append(Problem("unsafe", member.name, "archive member outside the release folder"))
            elif name in self.members:
                self.bad.append(Problem("corrupt", name, "appears more than once in the archive"))
            else:
                self.members[name] = member

    def manifest(self) -> Manifest:
        member = self.members.get(MANIFEST_NAME)
        if member is None or not member.isfile():
            raise ManifestError(f"{self.path}: no {MANIFEST_NAME} at the top of the archive")
        return manifest_mod.parse(self._read(member).read(), f"{self.path}:{MANIFEST_NAME}")

    def open(self, path: str) -> IO[bytes] | Problem:
        member = self.members.get(path)
        if member is None:
            return Problem("missing", path, "not in the archive")
        if not member.isfile():
            return Problem("corrupt", path, "not a regular file in the archive")
        return self._read(member)

    def _read(self, member: tarfile.TarInfo) -> IO[bytes]:
        stream = self.tar.extractfile(member)
        assert stream is not None  # regular files always have content
        return stream

    def names(self) -> Iterator[str]:
        return iter(sorted(self.members))

    def unsafe_entries(self) -> list[Problem]:
        return list(self.bad)

    def __exit__(self, *exc: object) -> None:
        self.tar.close()


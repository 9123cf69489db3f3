"""Writing the release: content-addressed files first, manifest.json last and atomically."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from assetbuild.diagnostics import BuildError, error
from assetbuild.manifest import MANIFEST_NAME

HISTORY_DIR = "manifests"


def _fail(path: Path, exc: OSError) -> BuildError:
    reason = exc.strerror or str(exc)
    hint = None
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check that the output folder is writable"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some disk space; the previous release is intact"
    return BuildError(error(f"cannot write: {reason}", file=str(path), hint=hint))


def write_atomic(path: Path, data: bytes, durable: bool = False) -> None:
    """Write *data* to *path* through a temporary file and a rename: readers see the old
    file or the new one, never a part. *durable* also flushes it to disk."""
    target = os.fspath(path)
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            fh = open(tmp, "wb")
        except FileNotFoundError:  # the folder is new; creating it only then saves a syscall per file
            os.makedirs(folder, exist_ok=True)
            fh = open(tmp, "wb")
        with fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise _fail(Path(target), exc) from None


def staging_file(out_dir: Path) -> Path:
    """A fresh temporary path inside *out_dir*, for a file whose name is not known yet."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / f".staging.{os.getpid()}.{secrets.token_hex(6)}.tmp"


def commit_staged(tmp: Path, out_dir: Path, rel: str) -> None:
    """Move a staged file to its fingerprinted name (dropping it when one is there)."""
    path = out_dir / rel
    try:
        if path.is_file() and not path.is_symlink() and path.stat().st_size == tmp.stat().st_size:
            tmp.unlink()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
    except OSError as exc:
        raise _fail(path, exc) from None


def write_content_addressed(out_dir: Path, rel: str, data: bytes) -> bool:
    """Write a fingerprinted file unless an equal-sized one is already there (its name is
    its content). Returns True when it wrote."""
    path = os.path.join(out_dir, rel)
    try:
        st = os.lstat(path)
        if st.st_size == len(data) and not stat.S_ISLNK(st.st_mode):
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True


def commit_manifest(out_dir: Path, text: str, build_id: str) -> bool:
    """Keep a copy under manifests/<build_id>.json, then replace manifest.json (the commit
    point). Returns False when the release was already exactly this one."""
    data = text.encode("utf-8")
    target = out_dir / MANIFEST_NAME
    try:
        unchanged = target.read_bytes() == data
    except OSError:
        unchanged = False
    history = out_dir / HISTORY_DIR / f"{build_id}.json"
    if not history.exists():
        write_atomic(history, data, durable=True)
    if unchanged:
        return False
    write_atomic(target, data, durable=True)
    try:
        fd = os.open(out_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return True

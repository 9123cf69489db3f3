"""Writing the release: content-addressed files first, manifest.json last and atomically."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from assetbuild.diagnostics import BuildError, error
from assetbuild.manifest import MANIFEST_NAME

HISTORY_DIR = "manifests"
T = TypeVar("T")
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def _fail(path: Path, exc: OSError) -> BuildError:
    reason = exc.strerror or str(exc)
    hint = None
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check that the output folder is writable"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some disk space; the previous release is intact"
    return BuildError(error(f"cannot write: {reason}", file=str(path), hint=hint))


def _in_new_folder(path: str, create: Callable[[], T]) -> T:
    """*create()*, and again after making the folder of *path* when it does not exist yet
    (making it only then saves a syscall per file)."""
    try:
        return create()
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return create()


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def temp_path(path: str | os.PathLike[str]) -> str:
    """A fresh temporary name beside *path*, for a file that takes *path*'s name by a rename:
    hidden, unique to this process and call, ending in .tmp (which ``watch`` ignores)."""
    folder, name = os.path.split(os.fspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")


def write_atomic(path: str | os.PathLike[str], data: bytes | bytearray, durable: bool = False) -> None:
    """Write *data* to *path* through a temporary file and a rename: readers see the old
    file or the new one, never a part. *durable* also flushes it to disk."""
    target = os.fspath(path)
    tmp = temp_path(target)
    try:
        with _in_new_folder(tmp, lambda: open(tmp, "wb")) as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _remove_quietly(tmp)
        raise _fail(Path(target), exc) from None


def staging_file(out_dir: Path) -> Path:
    """A fresh temporary path inside *out_dir*, for a file whose name is not known yet."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return Path(temp_path(out_dir / "staging"))


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


def write_content_addressed(out_dir: Path, rel: str, data: bytes | bytearray) -> bool:
    """Write a fingerprinted file unless an equal-sized one is already there (its name is
    its content). Returns True when it wrote.

    A new name is written in place, without a temporary file: no manifest lists it until
    this build commits, and a build killed half-way leaves a short file that the next
    build sees by its size and replaces atomically. An existing file of the wrong size
    (damaged, or left by a killed build) is replaced through a rename.
    """
    path = f"{os.fspath(out_dir)}/{rel}"  # rel: a checked relative POSIX path
    try:
        fd = _in_new_folder(path, lambda: os.open(path, _NEW_FILE, 0o666))
    except FileExistsError:
        try:
            st = os.lstat(path)
            if st.st_size == len(data) and stat.S_ISREG(st.st_mode):
                return False
        except OSError:
            pass
        write_atomic(path, data)  # damaged, half-written, or being written by another build
        return True
    except OSError as exc:
        raise _fail(Path(path), exc) from None
    try:
        view = memoryview(data)
        while view:  # straight to the descriptor: a file object costs more than the write
            view = view[os.write(fd, view):]
    except OSError as exc:
        _remove_quietly(path)
        raise _fail(Path(path), exc) from None
    finally:
        os.close(fd)
    return True


def commit_manifest(out_dir: Path,
                    render: Callable[[Callable[[str], object]], str]) -> tuple[str, bool, str]:
    """Commit a release: *render* writes the manifest text through the function it is
    given and returns the build id. The text goes to a temporary file, then to
    manifests/<build_id>.json, and last replaces manifest.json (the commit point).
    Returns (build id, False when the release was already exactly this one, sha256 of
    the manifest's bytes)."""
    target = out_dir / MANIFEST_NAME
    tmp = staging_file(out_dir)
    digest = hashlib.sha256()

    def write(chunk: str) -> None:
        data = chunk.encode("utf-8")
        digest.update(data)
        fh.write(data)

    try:
        try:
            with open(tmp, "wb") as fh:
                build_id = render(write)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise _fail(target, exc) from None
        history = out_dir / HISTORY_DIR / f"{build_id}.json"
        if not history.exists():
            second_name(tmp, history)
        if same_bytes(tmp, target):
            return build_id, False, digest.hexdigest()
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _fail(target, exc) from None
        _sync_folder(out_dir)
        return build_id, True, digest.hexdigest()
    finally:
        tmp.unlink(missing_ok=True)


def second_name(source: Path, dest: Path) -> None:
    """Give the written file *source* a second name, *dest* (replacing what is there),
    through a temporary name and a rename: a hard link (no second copy to write and
    flush), or a copy where the file system has no hard links. Files are never changed
    in place, so the two names stay the same bytes."""
    tmp = Path(temp_path(dest))
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _fail(dest, exc) from None


def same_bytes(a: Path, b: Path) -> bool:
    """True when the files *a* and *b* both exist and hold the same bytes."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                chunk = fa.read(1 << 20)
                if chunk != fb.read(1 << 20):
                    return False
                if not chunk:
                    return True
    except OSError:
        return False


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass

"""Reproducible release archives: the same release gives the same .tar.gz, byte for byte.

Entries are sorted, every mtime is SOURCE_DATE_EPOCH (or 0), owner is uid/gid 0 with no
names, modes are 0644, and the gzip header carries neither a time nor a file name. Only
the manifest, the import map and the files the manifest names go in: stale files of
older builds in a long-lived output folder stay out.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from collections.abc import Mapping
from pathlib import Path

from assetbuild import manifest as manifest_mod
from assetbuild.diagnostics import BuildError, UsageError, error
from assetbuild.manifest import MANIFEST_NAME
from assetbuild.output import temp_path
from assetbuild.paths import is_inside
from assetbuild.release import IMPORTMAP_NAME, file_refs
from assetbuild.verify import verify

FILE_MODE = 0o644


def source_date_epoch(environ: Mapping[str, str] | None = None) -> int:
    """The archive timestamp: $SOURCE_DATE_EPOCH when set, else 0."""
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return 0
    if not value.isdigit():
        raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {value!r}")
    return int(value)


def archive_members(release: Path) -> list[str]:
    """The relative paths an archive of *release* holds, sorted."""
    names = {MANIFEST_NAME, *(ref.path for ref in file_refs(manifest_mod.load(release)))}
    importmap = release / IMPORTMAP_NAME
    if importmap.is_file():
        if not is_inside(importmap, release):
            raise BuildError(error("a symlink that leads outside the release", file=str(importmap)))
        names.add(IMPORTMAP_NAME)
    return sorted(names)


def write_archive(release: str | os.PathLike[str], dest: str | os.PathLike[str],
                  mtime: int | None = None) -> str:
    """Write a reproducible .tar.gz of *release* to *dest*; return its sha256 hex digest.

    The release is verified first: an incomplete or corrupt release is never archived.
    *dest* is replaced atomically, so a failure leaves any previous archive intact.
    """
    release, dest = Path(release), Path(dest)
    mtime = source_date_epoch() if mtime is None else mtime
    if not release.is_dir():
        raise BuildError(error("not a release folder", file=str(release)))
    report = verify(release)
    if not report.ok:
        raise BuildError([error(p.format(), file=str(release)) for p in report.problems]
                         + [error("not archived: the release is not whole", file=str(dest),
                                  hint="rebuild it with 'assetbuild compile'")])
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = temp_path(dest)
    try:
        with open(tmp_name, "xb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    for name in archive_members(release):
                        _add(tar, release / name, name, mtime)
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return file_sha256(dest)


def _add(tar: tarfile.TarFile, path: Path, name: str, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.REGTYPE
    info.mode = FILE_MODE
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with open(path, "rb") as fh:
        info.size = os.fstat(fh.fileno()).st_size
        tar.addfile(info, fh)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()

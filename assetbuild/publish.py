"""Publishing a release to S3-compatible object storage (the CDN's origin).

Order is the safety property: every asset file first (in parallel, only keys not already
there: fingerprinted names are content-addressed; copies under plain names whenever their
bytes changed, with short caching), then the import map, then the manifest last of all,
so a reader never sees a manifest whose files are missing. Any failed upload
stops before the manifest, leaving the old one in place. boto3 (the ``s3`` extra) is
imported only here, only when publishing; credentials come from boto3's usual chain
(AWS_* variables, ~/.aws/config, profiles) and are never printed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assetbuild import manifest as manifest_mod
from assetbuild.diagnostics import BuildError, Diagnostic, UsageError, counted, error
from assetbuild.manifest import MANIFEST_NAME, safe_relative_path
from assetbuild.media_types import content_type
from assetbuild.paths import is_inside
from assetbuild.release import IMPORTMAP_NAME, file_refs
from assetbuild.verify import verify

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=60"
PLAIN_CACHE = "public, max-age=60"  # copies under plain names: replaced by each release
CHECKSUM_MODES = ("when_required", "when_supported")
INSTALL_HINT = "pip install boto3 (the s3 extra)"


@dataclass(frozen=True)
class Target:
    """Where a release goes: a bucket and a key prefix ('' or ending in '/')."""

    bucket: str
    prefix: str

    def key(self, path: str) -> str:
        return self.prefix + path

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class Upload:
    """One release file and the object it becomes."""

    path: str
    key: str
    content_type: str
    cache_control: str
    content_encoding: str | None
    size: int
    plain: bool = False  # a copy under a plain name: uploaded again when its bytes change


@dataclass
class PublishResult:
    target: Target
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def describe(self, dry_run: bool = False) -> str:
        verb = "would upload" if dry_run else "uploaded"
        return (f"{self.target}: {verb} {counted(len(self.uploaded), 'file')}, "
                f"{len(self.skipped)} already there; manifest last")


def parse_target(url: str) -> Target:
    """Parse 's3://bucket/prefix' (prefix optional); reject prefixes that would escape."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(f"--to: expected s3://BUCKET/PREFIX, got {url!r}")
    if "@" in parts.netloc or ":" in parts.netloc:
        raise UsageError("--to: the bucket name must not hold credentials or a port; "
                         "use --endpoint-url for the server and AWS_* variables for credentials")
    prefix = parts.path.strip("/")
    if prefix and not safe_relative_path(prefix):
        raise UsageError(f"--to: prefix {prefix!r} must be a plain relative path (no '.', '..' or '//')")
    return Target(parts.netloc, prefix + "/" if prefix else "")


def plan_uploads(release: Path, target: Target, short_cache: str = SHORT_CACHE) -> tuple[list[Upload], list[Upload]]:
    """(asset files, then metadata files in upload order: import map, manifest last)."""
    manifest = manifest_mod.load(release)
    assets = []
    for ref in file_refs(manifest):
        assets.append(Upload(ref.path, target.key(ref.path), content_type(ref.entry.path),
                             PLAIN_CACHE if ref.plain else IMMUTABLE, ref.encoding,
                             (release / ref.path).stat().st_size, ref.plain))
    metadata = []
    for name in (IMPORTMAP_NAME, MANIFEST_NAME):
        path = release / name
        if path.is_file():
            if not is_inside(path, release):
                raise BuildError(error("a symlink that leads outside the release", file=str(path)))
            metadata.append(Upload(name, target.key(name), content_type(name), short_cache,
                                   None, path.stat().st_size))
    return assets, metadata


def make_client(endpoint_url: str | None = None, *, jobs: int = 8, checksums: str | None = None,
                profile: str | None = None) -> Any:
    """An S3 client from boto3's usual credential chain, for *endpoint_url* (else
    $AWS_ENDPOINT_URL_S3 or $AWS_ENDPOINT_URL, else AWS; path-style for a custom endpoint).
    *checksums* is 'when_required' (default, accepted by most S3-compatible servers) or
    'when_supported' (boto3 >= 1.36's own default, which adds CRC checksums some servers
    reject)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise UsageError(f"publishing needs boto3: {INSTALL_HINT}") from None
    endpoint_url = (endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3")
                    or os.environ.get("AWS_ENDPOINT_URL") or None)
    if endpoint_url is not None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise UsageError("--endpoint-url: expected http(s)://HOST[:PORT] without user or "
                             "password (credentials come from AWS_* variables or ~/.aws)")
    options: dict[str, Any] = {"max_pool_connections": max(jobs, 10),
                               "retries": {"max_attempts": 3, "mode": "standard"}}
    if endpoint_url is not None:
        options["s3"] = {"addressing_style": "path"}
    if checksums is None and not os.environ.get("AWS_REQUEST_CHECKSUM_CALCULATION"):
        checksums = "when_required"
    if checksums is not None and "request_checksum_calculation" in Config.OPTION_DEFAULTS:
        options["request_checksum_calculation"] = checksums
        options["response_checksum_validation"] = checksums
    try:
        session = boto3.session.Session(profile_name=profile)
        return session.client("s3", endpoint_url=endpoint_url, config=Config(**options),
                              region_name=session.region_name or "us-east-1")
    except Exception as exc:  # unknown profile, unreadable ~/.aws/config, bad region ...
        raise UsageError(f"cannot set up the S3 client: {describe_error(exc)}") from None


def publish(release: str | os.PathLike[str], target: Target, client: Any, *, jobs: int = 8,
            short_cache: str = SHORT_CACHE, dry_run: bool = False,
            on_upload: Callable[[Upload], None] | None = None) -> PublishResult:
    """Upload *release* to *target*: missing assets in parallel, then import map, then manifest."""
    release = Path(release)
    report = verify(release)
    if not report.ok:
        raise BuildError([error(p.format(), file=str(release)) for p in report.problems]
                         + [error("not published: the release is not whole", file=str(release))])
    assets, metadata = plan_uploads(release, target, short_cache)
    result = PublishResult(target)
    existing = _existing_objects(client, target)
    todo: list[Upload] = []
    for item in assets:
        there = existing.get(item.key)
        if there is not None and there[0] == item.size and (
                not item.plain or there[1] == _md5(release / item.path)):
            result.skipped.append(item.key)
        else:
            todo.append(item)
    if not dry_run:
        failures = _upload_all(client, release, target, todo, jobs, on_upload)
        if failures:
            raise BuildError(failures + [error(
                f"{len(failures)} of {len(todo)} uploads failed; the manifest was not "
                f"published, so {target} still serves the previous release", file=str(release))])
    result.uploaded.extend(item.key for item in todo)
    for item in metadata:
        if _same_object(client, target, item, release / item.path):
            result.skipped.append(item.key)
            continue
        if not dry_run:
            failure = _upload_one(client, release, target, item)
            if failure:
                raise BuildError([failure])
            if on_upload:
                on_upload(item)
        result.uploaded.append(item.key)
    return result


def _upload_all(client: Any, release: Path, target: Target, todo: list[Upload], jobs: int,
                on_upload: Callable[[Upload], None] | None) -> list[Diagnostic]:
    from concurrent.futures import ThreadPoolExecutor  # not on every command's start-up

    failures = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_upload_one, client, release, target, item): item for item in todo}
        for future, item in futures.items():
            failure = future.result()
            if failure:
                failures.append(failure)
            elif on_upload:
                on_upload(item)
    return failures


def _upload_one(client: Any, release: Path, target: Target, item: Upload) -> Diagnostic | None:
    """Put one object; return a Diagnostic on failure (None on success)."""
    extra = {"ContentType": item.content_type, "CacheControl": item.cache_control}
    if item.content_encoding:
        extra["ContentEncoding"] = item.content_encoding
    try:
        with open(release / item.path, "rb") as body:
            client.put_object(Bucket=target.bucket, Key=item.key, Body=body, **extra)
    except Exception as exc:  # botocore raises many kinds; each becomes one message
        return error(f"upload to s3://{target.bucket}/{item.key} failed: {describe_error(exc)}",
                     file=str(release / item.path))
    return None


def _existing_objects(client: Any, target: Target) -> dict[str, tuple[int, str]]:
    """{key: (size, ETag without quotes)} of every object already under the target prefix."""
    objects: dict[str, tuple[int, str]] = {}
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket,
                                                                    Prefix=target.prefix):
            objects.update((obj["Key"], (obj["Size"], obj.get("ETag", "").strip('"')))
                           for obj in page.get("Contents", ()))
    except Exception as exc:
        raise BuildError(error(f"cannot list {target}: {describe_error(exc)}")) from None
    return objects


def _md5(path: Path) -> str:
    """The hex MD5 of a file: the ETag S3 gives an object uploaded in one part."""
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _same_object(client: Any, target: Target, item: Upload, path: Path) -> bool:
    """True when the object at the key already has this file's bytes and headers."""
    try:
        head = client.head_object(Bucket=target.bucket, Key=item.key)
    except Exception as exc:
        if _error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise BuildError(error(f"cannot read s3://{target.bucket}/{item.key}: {describe_error(exc)}")) from None
    return (head.get("ETag", "").strip('"') == _md5(path) and head.get("ContentLength") == item.size
            and head.get("CacheControl") == item.cache_control
            and head.get("ContentType") == item.content_type)


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def describe_error(exc: Exception) -> str:
    """One line about a boto3/botocore failure, without credentials or request details."""
    code = _error_code(exc)
    if code:
        message = (getattr(exc, "response", {}).get("Error", {}).get("Message") or "").strip()
        return f"{code}{': ' + message if message else ''}"
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return ("no usable S3 credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                "or AWS_PROFILE, or ~/.aws/credentials)")
    return f"{name}: {exc}"

"""`assetbuild publish` against moto in server mode (a real HTTP S3 API, in memory)."""

from __future__ import annotations

import gzip
import re
import sys

import pytest
from support.cli import run_cli
from support.release import make_release
from support.s3servers import start_moto

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # each test talks to a moto S3 server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
FILES = {
    "css/site.css": b"body{background:url(../img/dot.png)}",
    "js/app.js": b"import './util.js';console.log(1)",
    "js/util.js": b"export const x=1",
    "img/dot.png": PNG,
    "img/logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
}
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture
def bucket(moto, request):
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:50].strip("-")
    moto.client().create_bucket(Bucket=name)
    return name


def publish(server, release, to, *extra, env=None, check=None):
    return run_cli("publish", release, "--to", to, "--endpoint-url", server.endpoint, *extra,
                   env={**server.env(), **(env or {})}, check=check)


def release_files(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.parent.name != "manifests"}


def puts(server, bucket):
    """Keys PUT into *bucket*, in the order the server answered them (from its request log)."""
    pattern = re.compile(rf'"PUT /{re.escape(bucket)}/(\S+) HTTP/1\.1" 200')
    return [m.group(1) for m in pattern.finditer(server.log.read_text())]


def test_publish_uploads_every_file_with_headers_and_manifest_last(tmp_path, moto, bucket):
    out = tmp_path / "out"
    manifest = make_release(out, FILES, gzip_names=("css/site.css", "js/app.js"), modules=("js/app.js", "js/util.js"))
    proc = publish(moto, out, f"s3://{bucket}/static/")
    assert proc.returncode == 0, proc.stderr
    local = release_files(out)
    assert f"uploaded {len(local)} files, 0 already there" in proc.stdout

    client = moto.client()
    listed = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert listed == {f"static/{rel}" for rel in local}
    types = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
             "png": "image/png", "svg": "image/svg+xml; charset=utf-8",
             "json": "application/json; charset=utf-8"}
    for rel, data in local.items():
        obj = client.get_object(Bucket=bucket, Key=f"static/{rel}")
        assert obj["Body"].read() == data, rel
        base = rel.removesuffix(".gz")
        assert obj["ContentType"] == types[base.rsplit(".", 1)[1]], rel
        if rel in ("manifest.json", "importmap.json"):
            assert obj["CacheControl"] == "public, max-age=60"
        else:
            assert obj["CacheControl"] == IMMUTABLE, rel
        assert obj.get("ContentEncoding") == ("gzip" if rel.endswith(".gz") else None), rel
    gz = manifest["assets"]["css/site.css"]["encodings"]["gzip"]
    body = client.get_object(Bucket=bucket, Key=f"static/{gz}")["Body"].read()
    assert gzip.decompress(body) == FILES["css/site.css"]

    order = puts(moto, bucket)
    assert len(order) == len(local)
    assert order[-2:] == ["static/importmap.json", "static/manifest.json"]


def test_second_publish_uploads_nothing_and_new_release_only_its_new_files(tmp_path, moto, bucket):
    out = tmp_path / "out"
    make_release(out, FILES, gzip_names=("css/site.css",))
    publish(moto, out, f"s3://{bucket}/p", check=True)
    first = puts(moto, bucket)
    stamps = {o["Key"]: o["LastModified"] for o in moto.client().list_objects_v2(Bucket=bucket)["Contents"]}

    proc = publish(moto, out, f"s3://{bucket}/p")
    assert proc.returncode == 0, proc.stderr
    assert f"uploaded 0 files, {len(stamps)} already there" in proc.stdout
    assert puts(moto, bucket) == first
    assert stamps == {o["Key"]: o["LastModified"] for o in moto.client().list_objects_v2(Bucket=bucket)["Contents"]}

    changed = dict(FILES, **{"js/app.js": b"console.log(2)"})
    manifest = make_release(out, changed, gzip_names=("css/site.css",))
    proc = publish(moto, out, f"s3://{bucket}/p")
    assert proc.returncode == 0, proc.stderr
    new = puts(moto, bucket)[len(first):]
    assert new == [f"p/{manifest['assets']['js/app.js']['path']}", "p/manifest.json"]
    body = moto.client().get_object(Bucket=bucket, Key="p/manifest.json")["Body"].read()
    assert body == (out / "manifest.json").read_bytes()


def test_endpoint_from_the_environment(tmp_path, moto, bucket):
    out = tmp_path / "out"
    make_release(out, FILES)
    proc = run_cli("publish", out, "--to", f"s3://{bucket}/env", "-q",
                   env={**moto.env(), "AWS_ENDPOINT_URL": moto.endpoint})
    assert proc.returncode == 0, proc.stderr
    assert "uploaded 6 files" in proc.stdout
    assert moto.client().head_object(Bucket=bucket, Key="env/manifest.json")["ContentLength"] > 0


def test_dry_run_uploads_nothing(tmp_path, moto, bucket):
    out = tmp_path / "out"
    make_release(out, FILES)
    proc = publish(moto, out, f"s3://{bucket}", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "would upload manifest.json" in proc.stdout
    assert "would upload 6 files" in proc.stdout
    assert moto.client().list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_checksum_setting(tmp_path, moto, bucket):
    """boto3 >= 1.36 adds CRC checksums unless told 'when_required' (our default)."""
    out = tmp_path / "out"
    manifest = make_release(out, {"a.css": b"a{}"})
    key = manifest["assets"]["a.css"]["path"]
    client = moto.client()
    publish(moto, out, f"s3://{bucket}/default", check=True)
    head = client.head_object(Bucket=bucket, Key=f"default/{key}", ChecksumMode="ENABLED")
    assert "ChecksumCRC32" not in head
    publish(moto, out, f"s3://{bucket}/crc", "--checksums", "when_supported", check=True)
    head = client.head_object(Bucket=bucket, Key=f"crc/{key}", ChecksumMode="ENABLED")
    assert head.get("ChecksumCRC32")


def test_incomplete_release_is_not_published(tmp_path, moto, bucket):
    out = tmp_path / "out"
    manifest = make_release(out, FILES)
    (out / manifest["assets"]["js/util.js"]["path"]).unlink()
    proc = publish(moto, out, f"s3://{bucket}")
    assert proc.returncode == 1
    assert "missing: js/util." in proc.stderr and "not published" in proc.stderr
    assert moto.client().list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_missing_bucket(tmp_path, moto):
    out = tmp_path / "out"
    make_release(out, FILES)
    proc = publish(moto, out, "s3://no-such-bucket/x")
    assert proc.returncode == 1
    assert "cannot list s3://no-such-bucket/x/: NoSuchBucket" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("url", ["http://bucket/x", "s3://", "s3://b/../up", "s3://key:secret@b/x"])
def test_bad_target(tmp_path, url):
    proc = run_cli("publish", tmp_path, "--to", url)
    assert proc.returncode == 2 and "--to:" in proc.stderr
    assert "secret" not in proc.stderr


def test_endpoint_with_credentials_is_refused_without_echo(tmp_path):
    proc = run_cli("publish", tmp_path, "--to", "s3://b", "--endpoint-url", "http://AKID:hunter2@127.0.0.1:1")
    assert proc.returncode == 2 and "--endpoint-url" in proc.stderr
    assert "hunter2" not in proc.stderr


def test_without_boto3_the_message_names_the_extra(tmp_path):
    import subprocess
    code = ("import sys; sys.modules['boto3'] = None; from assetbuild.cli import main; "
            f"sys.exit(main(['publish', {str(tmp_path)!r}, '--to', 's3://b/p']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == ("assetbuild: error: publishing needs boto3: pip install boto3 "
                           "(the s3 extra)\n")

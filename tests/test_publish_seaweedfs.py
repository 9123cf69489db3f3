"""End-to-end publish against SeaweedFS: a real S3 server that checks request signatures
and keeps objects and headers across a restart."""

from __future__ import annotations

import gzip
import os

import pytest
from support.cli import FIXTURES, read_manifest, run_cli
from support.release import make_release
from support.s3servers import READONLY_ACCESS_KEY, READONLY_SECRET_KEY, SECRET_KEY, start_seaweedfs

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

BUCKET = "assets"
CSS_ONLY = "AKIDCSSONLY"  # may write under assets/partial/css/ only
FILES = {
    "css/site.css": b"body{margin:0}" * 20,
    "js/app.js": b"console.log('hello')" * 20,
    "img/pixel.png": b"\x89PNG\r\n\x1a\n" + bytes(200),
}


@pytest.fixture(scope="module")
def weed(tmp_path_factory):
    server = start_seaweedfs(tmp_path_factory.mktemp("weed"), {
        CSS_ONLY: [f"Read:{BUCKET}", f"List:{BUCKET}", f"Write:{BUCKET}/partial/css/*"]})
    server.client().create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


def publish(server, release, prefix, *extra, access_key=None, secret_key=None):
    return run_cli("publish", release, "--to", f"s3://{BUCKET}/{prefix}", "--endpoint-url",
                   server.endpoint, *extra, env=server.env(access_key, secret_key))


def objects(client, prefix):
    """{key: (body, content type, cache control, content encoding, last modified)}."""
    found = {}
    for item in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
        obj = client.get_object(Bucket=BUCKET, Key=item["Key"])
        found[item["Key"]] = (obj["Body"].read(), obj["ContentType"], obj.get("CacheControl"),
                              obj.get("ContentEncoding"), item["LastModified"])
    return found


def test_publish_compiled_release_twice_then_restart(tmp_path, weed):
    out = tmp_path / "out"
    run_cli("compile", "--config", FIXTURES / "example" / "assetbuild.toml", "--out", out, check=True)
    manifest = read_manifest(out)
    local = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
             if p.is_file() and p.parent.name != "manifests"}
    assert any(k.endswith(".br") for k in local) and any(k.endswith(".gz") for k in local)

    proc = publish(weed, out, "static")
    assert proc.returncode == 0, proc.stderr
    assert f"uploaded {len(local)} files, 0 already there" in proc.stdout
    assert SECRET_KEY not in proc.stdout + proc.stderr
    client = weed.client()
    first = objects(client, "static/")
    assert {k.removeprefix("static/"): v[0] for k, v in first.items()} == local
    types = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
             ".mjs": "text/javascript; charset=utf-8", ".png": "image/png", ".woff2": "font/woff2",
             ".svg": "image/svg+xml; charset=utf-8", ".json": "application/json; charset=utf-8"}
    encodings = {".gz": "gzip", ".br": "br"}
    for key, (_, ctype, cache, encoding, _) in first.items():
        stem, ext = os.path.splitext(key)
        assert encoding == encodings.get(ext), key
        if ext in encodings:
            ext = os.path.splitext(stem)[1]
        assert ctype == types[ext], key
        if key in ("static/manifest.json", "static/importmap.json"):
            assert cache == "public, max-age=60", key
        else:
            assert cache == "public, max-age=31536000, immutable", key
    entry = manifest["assets"]["js/app.js"]
    assert gzip.decompress(first[f"static/{entry['encodings']['gzip']}"][0]) == first[f"static/{entry['path']}"][0]

    mirror = tmp_path / "mirror"  # what a CDN would serve verifies as a whole release
    for key, (body, *_) in first.items():
        (mirror / key).parent.mkdir(parents=True, exist_ok=True)
        (mirror / key).write_bytes(body)
    assert run_cli("verify", mirror / "static", "--extra").returncode == 0

    proc = publish(weed, out, "static")
    assert proc.returncode == 0, proc.stderr
    assert f"uploaded 0 files, {len(local)} already there" in proc.stdout
    assert objects(client, "static/") == first  # same bodies, headers and times

    weed.restart()
    assert objects(weed.client(), "static/") == first
    proc = publish(weed, out, "static")
    assert "uploaded 0 files" in proc.stdout


def test_wrong_secret_fails_without_printing_it(tmp_path, weed):
    out = tmp_path / "out"
    make_release(out, FILES)
    wrong = "wrong-" + SECRET_KEY
    proc = publish(weed, out, "wrong", secret_key=wrong)
    assert proc.returncode == 1
    assert "SignatureDoesNotMatch" in proc.stderr or "AccessDenied" in proc.stderr
    for secret in (wrong, SECRET_KEY):
        assert secret not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_failed_uploads_leave_the_old_manifest(tmp_path, weed):
    old = tmp_path / "old"
    make_release(old, FILES, gzip_names=("css/site.css",))
    assert publish(weed, old, "partial").returncode == 0
    client = weed.client()
    before = client.get_object(Bucket=BUCKET, Key="partial/manifest.json")["Body"].read()

    new = tmp_path / "new"
    changed = dict(FILES, **{"css/site.css": b"body{margin:1px}", "js/app.js": b"console.log(2)"})
    manifest = make_release(new, changed, gzip_names=("css/site.css",))

    # A reader can list but not write: every upload fails.
    proc = publish(weed, new, "partial", access_key=READONLY_ACCESS_KEY, secret_key=READONLY_SECRET_KEY)
    assert proc.returncode == 1
    assert "AccessDenied" in proc.stderr and "the manifest was not published" in proc.stderr
    assert READONLY_SECRET_KEY not in proc.stdout + proc.stderr
    assert client.get_object(Bucket=BUCKET, Key="partial/manifest.json")["Body"].read() == before

    # This one may write CSS only: the CSS lands, the JS fails, the manifest stays old.
    proc = publish(weed, new, "partial", access_key=CSS_ONLY, secret_key=f"secret-{CSS_ONLY}")
    assert proc.returncode == 1
    js = manifest["assets"]["js/app.js"]["path"]
    assert f"upload to s3://{BUCKET}/partial/{js} failed: AccessDenied" in proc.stderr
    assert "1 of 3 uploads failed" in proc.stderr
    css = manifest["assets"]["css/site.css"]["path"]
    assert client.head_object(Bucket=BUCKET, Key=f"partial/{css}")["ContentLength"] == 16
    assert client.get_object(Bucket=BUCKET, Key="partial/manifest.json")["Body"].read() == before

    # With full rights the same publish completes, uploading only what is still missing.
    proc = publish(weed, new, "partial")
    assert proc.returncode == 0, proc.stderr
    assert "uploaded 2 files" in proc.stdout  # the JS file and the manifest
    assert client.get_object(Bucket=BUCKET, Key="partial/manifest.json")["Body"].read() == \
        (new / "manifest.json").read_bytes()

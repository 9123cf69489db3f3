"""`assetbuild publish`: upload a release to S3-compatible storage, manifest last."""

from __future__ import annotations

import argparse

from assetbuild import publish as publish_mod
from assetbuild.diagnostics import BuildError, UsageError, error
from assetbuild.manifest import ManifestError

HELP = f"""\
Upload a release folder to S3 (or any S3-compatible store: SeaweedFS, MinIO, R2, ...).
Only keys not already there are uploaded (fingerprinted names are content-addressed),
in parallel, with Content-Type, and Cache-Control '{publish_mod.IMMUTABLE}'.
Precompressed variants become their own keys with Content-Encoding. importmap.json
and then manifest.json go last, with a short cache, so readers never see a manifest
whose files are missing; if any upload fails, the old manifest stays in place.
Publishing the same release twice uploads nothing the second time.

Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
AWS_PROFILE, ~/.aws/...) and are never printed. Needs boto3:
{publish_mod.INSTALL_HINT}

examples:
  assetbuild publish build/static --to s3://my-bucket/static
  assetbuild publish build/static --to s3://assets/app --endpoint-url http://127.0.0.1:8333"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publish", help="upload a release to S3-compatible storage, manifest last",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("release", metavar="DIR", help="release folder holding manifest.json")
    p.add_argument("--to", required=True, metavar="s3://BUCKET/PREFIX", help="where to upload")
    p.add_argument("--endpoint-url", metavar="URL",
                   help="S3-compatible server (default: $AWS_ENDPOINT_URL_S3 or "
                        "$AWS_ENDPOINT_URL, else AWS); path-style addressing is used")
    p.add_argument("--profile", metavar="NAME", help="profile from ~/.aws/config")
    p.add_argument("--checksums", choices=publish_mod.CHECKSUM_MODES,
                   help="when boto3 sends request checksums: when_required (default; works "
                        "with most S3-compatible servers) or when_supported (boto3's own "
                        "default since 1.36). $AWS_REQUEST_CHECKSUM_CALCULATION is honoured")
    p.add_argument("--manifest-cache-control", metavar="VALUE", default=publish_mod.SHORT_CACHE,
                   help=f"Cache-Control of manifest.json and importmap.json "
                        f"(default '{publish_mod.SHORT_CACHE}')")
    p.add_argument("-j", "--jobs", metavar="N", type=int, default=8,
                   help="parallel uploads (default 8)")
    p.add_argument("-n", "--dry-run", action="store_true", help="list what would be uploaded")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.jobs <= 256:
        raise UsageError(f"--jobs: expected 1 to 256, got {args.jobs}")
    target = publish_mod.parse_target(args.to)
    client = publish_mod.make_client(args.endpoint_url, jobs=args.jobs,
                                     checksums=args.checksums, profile=args.profile)
    on_upload = None if args.quiet else (lambda item: print(f"uploaded {item.key}", flush=True))
    try:
        result = publish_mod.publish(args.release, target, client, jobs=args.jobs,
                                     short_cache=args.manifest_cache_control,
                                     dry_run=args.dry_run, on_upload=on_upload)
    except ManifestError as exc:
        raise BuildError(error(str(exc))) from None
    if args.dry_run and not args.quiet:
        for key in result.uploaded:
            print(f"would upload {key}")
    print(result.describe(args.dry_run))
    return 0

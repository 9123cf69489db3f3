"""Cost of one asset URL lookup at run time: assetbuild vs Django's ManifestStaticFilesStorage.

Builds one source tree, runs Django's `collectstatic` with ManifestStaticFilesStorage and
`assetbuild compile` on it, then times, in the same process and on the same names:

  - Django ``static(name)`` with ManifestStaticFilesStorage (the peer)
  - Django ``static(name)`` with ``assetbuild.django.ManifestStorage``
  - each storage's own ``url(name)``, without the ``static()`` wrapper
  - ``assetbuild.runtime.Assets.url(name)``
  - ``{{ asset_url(name) }}`` inside a Jinja2 loop, minus the same loop printing ``name``

Run: python benchmarks/runtime_url.py [--files N] [--repeat R]; prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path


def make_sources(root: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        kind = ("css", "js", "svg")[i % 3]
        name = f"{kind}/section{i % 17}/file{i}.{kind}"
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"css": f".c{i} {{ color: #{i % 4096:03x} }}\n",
                "js": f"window.v{i} = {i};\n",
                "svg": f"<svg xmlns='http://www.w3.org/2000/svg' width='{i}'/>\n"}[kind]
        path.write_text(body, encoding="utf-8")
        names.append(name)
    return names


def per_call_ns(func, names: list[str], repeat: int) -> float:
    """Best-of-*repeat* time of one call, loop overhead subtracted."""
    number = max(1, 200_000 // len(names))

    def loop():
        for name in names:
            func(name)

    def empty():
        for _name in names:
            pass

    best = min(timeit.repeat(loop, number=number, repeat=repeat))
    base = min(timeit.repeat(empty, number=number, repeat=repeat))
    return (best - base) / (number * len(names)) * 1e9


def jinja_ns(assets, names: list[str], repeat: int, expression: str = "asset_url(n)") -> float:
    """Per-call cost of *expression* in a template loop, minus the same loop printing ``n``."""
    from jinja2 import Environment

    env = Environment(extensions=["assetbuild.jinja.AssetExtension"])
    env.assetbuild = assets
    env.globals["identity"] = lambda n: n
    lookups = env.from_string("{% for n in names %}{{ " + expression + " }}{% endfor %}")
    plain = env.from_string("{% for n in names %}{{ n }}{% endfor %}")
    number = max(1, 100_000 // len(names))
    best = min(timeit.repeat(lambda: lookups.render(names=names), number=number, repeat=repeat))
    base = min(timeit.repeat(lambda: plain.render(names=names), number=number, repeat=repeat))
    return (best - base) / (number * len(names)) * 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="assetbuild-bench-"))
    src, django_root, release = work / "src", work / "django_static", work / "release"
    names = make_sources(src, args.files)
    subprocess.run([sys.executable, "-m", "assetbuild", "compile", str(src), "--out",
                    str(release), "-q"], check=True)

    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.staticfiles", "assetbuild.django"],
        STATIC_URL="/static/", STATIC_ROOT=str(django_root), STATICFILES_DIRS=[str(src)],
        ASSETBUILD_MANIFEST=str(release / "manifest.json"),
        STORAGES={"staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}})
    django.setup()
    from django.core.files.storage import storages
    from django.core.management import call_command
    from django.templatetags.static import static
    from django.test import override_settings

    from assetbuild.runtime import Assets

    call_command("collectstatic", interactive=False, verbosity=0)

    results = {}
    assert static(names[0]) != "/static/" + names[0]  # really the hashed URL
    results["Django static() + ManifestStaticFilesStorage"] = per_call_ns(static, names, args.repeat)
    results["ManifestStaticFilesStorage.url()"] = per_call_ns(
        storages["staticfiles"].url, names, args.repeat)
    with override_settings(STORAGES={"staticfiles": {
            "BACKEND": "assetbuild.django.ManifestStorage"}}):
        assert static(names[0]) != "/static/" + names[0]
        results["Django static() + assetbuild ManifestStorage"] = per_call_ns(static, names, args.repeat)
        results["assetbuild ManifestStorage.url()"] = per_call_ns(
            storages["staticfiles"].url, names, args.repeat)
    assets = Assets.load(release, environ={})
    results["assetbuild Assets.url()"] = per_call_ns(assets.url, names, args.repeat)
    results["Jinja2 {{ asset_url(n) }} in a template"] = jinja_ns(assets, names, args.repeat)
    results["Jinja2 {{ identity(n) }}: Jinja's own call cost"] = jinja_ns(
        assets, names, args.repeat, "identity(n)")

    peer = results["Django static() + ManifestStaticFilesStorage"]
    print(f"Python {platform.python_version()}, Django {django.get_version()}, "
          f"{os.cpu_count()} CPUs, {len(names)} assets, best of {args.repeat}\n")
    print("| lookup | ns per call | vs Django static() + ManifestStaticFilesStorage |")
    print("| --- | ---: | ---: |")
    for label, ns in results.items():
        ratio = "1.0x (the peer)" if ns == peer else f"{peer / ns:,.1f}x faster"
        print(f"| {label} | {ns:,.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

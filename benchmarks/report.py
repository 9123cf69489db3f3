"""Machine facts, the targets of issues #7 and #22, and the markdown report."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
MB = 2**20

AB_KEYS = ("ab_default", "ab_cold", "ab_nominify", "ab_brotli11", "ab_warm", "ab_changed")
CHANGED_EXPECTED = {"admin/css/widgets.css", "admin/css/forms.css"}  # forms.css imports it


def machine_facts() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) * 1024 for line in
                   Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = 0
    versions = {}
    for dist in ("assetbuild", "Django", "whitenoise", "blake3", "Brotli", "rjsmin", "rcssmin",
                 "deflate"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    commit = subprocess.run(["git", "-C", str(HERE), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "kernel": platform.release(),
            "python": platform.python_version(), "versions": versions, "commit": commit,
            "load_before": os.getloadavg()}


def targets(data: dict) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, scale, met) rows; met is None when it could not be measured."""
    rows = []
    scales = data["scales"]
    for scale, d in scales.items():
        m = d["measures"]
        rows.append(_ratio_row("default cold build (brotli on) ≤ 0.30 × Django manifest collectstatic",
                               m, "ab_default", "django", 0.30, scale))
        rows.append(_size_row(scales, scale))
        rows.append(_ratio_row("goal: default cold build ≤ 1.15 × the work floor with the same brotli",
                               m, "ab_default", "work_br", 1.15, scale))
        rows.append(_ratio_row("minify proof (#18): default cold build ≤ 1.10 × the same build "
                               "without the proof", m, "ab_default", "ab_unproven", 1.10, scale))
    for scale, d in scales.items():
        m = d["measures"]
        rows.append(_ratio_row("cold compile, minify + gzip ≤ 0.15 × Django manifest collectstatic",
                               m, "ab_cold", "django", 0.15, scale))
        rows.append(_ratio_row("cold compile with brotli ≤ 0.2 × WhiteNoise compressed manifest",
                               m, "ab_default", "whitenoise", 0.2, scale))
        rows.append(_ratio_row("no-change rebuild with cache ≤ 0.05 × Django manifest collectstatic",
                               m, "ab_warm", "django", 0.05, scale))
        rows.append(_changed_row(m, scale))
    keys = sorted(scales, key=int)
    if len(keys) > 1:
        lo, hi = keys[0], keys[-1]
        factor = int(hi) / int(lo)
        limit = 1.1 * factor
        for key in ("ab_default", "ab_cold", "ab_warm"):
            a, b = _median(scales[lo], key), _median(scales[hi], key)
            label = scales[hi]["measures"].get(key, {}).get("label", key)
            text = (f"scale {hi} ≤ {limit:g} × scale {lo}: {label}")
            if a and b:
                rows.append((text, f"{b:.2f} s / {a:.2f} s = {b / a:.2f}×", f"{lo}→{hi}",
                             b / a <= limit))
            else:
                rows.append((text, "not measured", f"{lo}→{hi}", None))
    top = keys[-1]
    peaks = [(r["tree_rss"], r["label"]) for k, r in scales[top]["measures"].items()
             if k in AB_KEYS and r["seconds"]]
    if peaks:
        peak, label = max(peaks)
        rows.append(("peak memory ≤ 200 MB (whole process tree, RSS)",
                     f"{peak / MB:.0f} MB ({label})", str(top), peak <= 200 * MB))
    else:
        rows.append(("peak memory ≤ 200 MB (whole process tree, RSS)", "not measured", str(top),
                     None))
    return rows


def _median(d: dict, key: str) -> float | None:
    return d["measures"].get(key, {}).get("median")


def _ratio_row(text, m, key, peer, limit, scale):
    a, b = m.get(key, {}).get("median"), m.get(peer, {}).get("median")
    if not (a and b):
        return text, "not measured", str(scale), None
    measured = f"{a:.2f} s / {b:.2f} s = {a / b:.3f}×"
    runs, peer_runs = m[key].get("seconds", []), m[peer].get("seconds", [])
    if len(runs) > 1 and len(runs) == len(peer_runs):  # the spread, for a noisy machine
        measured += " (round by round: " + ", ".join(
            f"{x / y:.3f}" for x, y in zip(runs, peer_runs)) + ")"
    return text, measured, str(scale), a / b <= limit


def _size_row(scales: dict, scale) -> tuple[str, str, str, bool | None]:
    """The default build's bytes for a br client against WhiteNoise's. Where WhiteNoise did
    not run (it takes 4 minutes per corpus copy), its figure at a smaller scale times the
    number of copies stands in: scale N is N copies of the same files."""
    text = "default build: served bytes (br client) ≤ WhiteNoise's"
    try:
        ours = scales[scale]["measures"]["ab_default"]["facts"]["sizes"]["served_br"]
    except KeyError:
        return text, "not measured", str(scale), None
    peer, note = _served(scales, scale, "whitenoise")
    if peer is None:
        return text, "not measured", str(scale), None
    return text, f"{ours / MB:.2f} MB vs {peer / MB:.2f} MB{note}", str(scale), ours <= peer


def _served(scales: dict, scale, key: str) -> tuple[int | None, str]:
    for at in [scale, *sorted(scales, key=int)]:
        try:
            served = scales[at]["measures"][key]["facts"]["sizes"]["served_br"]
        except KeyError:
            continue
        if at == scale:
            return served, ""
        return served * int(scale) // int(at), f" (WhiteNoise's at scale {at} × {int(scale) // int(at)})"
    return None, ""


def _changed_row(m, scale):
    text = "one changed file rebuilds only it and what references it"
    facts = m.get("ab_changed", {}).get("facts", {})
    names = facts.get("assets_with_new_fingerprint")
    if names is None:
        return text, "not measured", str(scale), None
    got = {n.split("/", 1)[1] for n in names}
    processed = facts.get("summary", {}).get("files_processed")  # absent before the ledger
    measured = f"new fingerprints: {', '.join(names) or 'none'}"
    if processed is not None:
        measured += f"; files processed: {processed:,} of {facts['summary']['files_in']:,}"
    return (text, measured, str(scale),
            got == CHANGED_EXPECTED and processed in (None, len(CHANGED_EXPECTED)))


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def render(data: dict) -> str:
    machine = data["machine"]
    when = dt.datetime.fromtimestamp(data["started"], dt.timezone.utc)
    took = (data["finished"] - data["started"]) / 60
    lines = [
        "# assetbuild benchmark report", "",
        f"Generated by `python benchmarks/run.py {' '.join(_argv(data['args']))}` on "
        f"{when:%Y-%m-%d %H:%M} UTC (took {took:.1f} min).", "",
        "## Targets (issues #22 and #7), ratios from this run", "",
        "| target | scale | measured | status |", "|---|---|---|---|",
    ]
    for text, measured, scale, met in targets(data):
        lines.append(f"| {text} | {scale} | {measured} | {_mark(met)} |")
    for scale, d in data["scales"].items():
        lines += _scale_section(scale, d)
    lines += _machine_section(machine, data)
    return "\n".join(lines) + "\n"


def _scale_section(scale, d) -> list[str]:
    c = d["corpus"]
    m = d["measures"]
    django = m.get("django", {}).get("median")
    wn = m.get("whitenoise", {}).get("median")
    lines = ["", f"## Scale {scale}: {c['files']:,} files, {c['bytes'] / MB:.1f} MB", "",
             "| measure | median s | runs (s) | × Django manifest | × WhiteNoise | served MB "
             "(gzip client / br client) | CPU s | tree peak RSS MB | tree peak PSS MB | "
             "largest process MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for key, r in m.items():
        if r["error"]:
            lines.append(f"| {r['label']} | failed: {r['error']} | | | | | | | | |")
            continue
        med = r["median"]
        runs = ", ".join(f"{s:.2f}" for s in r["seconds"])
        rd = f"{med / django:.3f}" if django else ""
        rw = f"{med / wn:.3f}" if wn else ""
        sizes = r["facts"].get("sizes")
        served = f"{sizes['served_gzip'] / MB:.2f} / {sizes['served_br'] / MB:.2f}" if sizes else ""
        lines.append(f"| {r['label']} | {med:.2f} | {runs} | {rd} | {rw} | {served} | "
                     f"{r['cpu_median']:.2f} | "
                     f"{r['tree_rss'] / MB:.0f} | {r['tree_pss'] / MB:.0f} | "
                     f"{_mb(r.get('max_hwm'))} |")
    size_rows = [(r["label"], r["facts"]["sizes"]) for r in m.values()
                 if r["facts"].get("sizes") and not r["error"]]
    if size_rows:
        lines += ["", "Output of the last run of each (fingerprinted files listed in the "
                  "manifest; served = smallest variant a client accepting br/gzip downloads):", "",
                  "| output | assets | raw MB | .gz files | .gz MB | .br files | .br MB | "
                  "served (gzip client) MB | served (br client) MB |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for label, s in size_rows:
            lines.append(f"| {label} | {s['assets']:,} | {s['raw'] / MB:.1f} | {s['gzip_files']:,} "
                         f"| {s['gzip'] / MB:.1f} | {s['br_files']:,} | {s['br'] / MB:.1f} | "
                         f"{s['served_gzip'] / MB:.1f} | {s['served_br'] / MB:.1f} |")
    phases = [(r["label"], r["facts"]["summary"]["timings"]) for k, r in m.items()
              if k in AB_KEYS and not r["error"] and r["facts"].get("summary")]
    if phases:
        names = sorted({p for _, t in phases for p in t})
        lines += ["", "assetbuild phases in the last run of each (seconds, from `--json`):", "",
                  "| build | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for label, t in phases:
            lines.append(f"| {label} | " + " | ".join(
                f"{t[p]:.2f}" if p in t else "" for p in names) + " |")
    changed = m.get("ab_changed", {}).get("facts", {})
    if changed.get("assets_with_new_fingerprint") is not None:
        lines += ["", f"One-file-changed rebuild: edited `{changed['changed_file']}` (copy 1); "
                  f"assets with a new fingerprint: "
                  f"{', '.join(changed['assets_with_new_fingerprint']) or 'none'}."]
    return lines


def _machine_section(machine, data) -> list[str]:
    args = data["args"]
    first = next(iter(data["scales"].values()))["corpus"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    pkgs = ", ".join(f"{k} {v}" for k, v in first["packages"].items())
    return [
        "", "## Machine and method", "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores; memory {machine['memory'] / 2**30:.0f} GiB; "
        f"Linux {machine['kernel']}; Python {machine['python']}.",
        f"- Load average (1, 5, 15 min) before: {_load(machine['load_before'])}; after: "
        f"{_load(machine.get('load_after'))}. The machine may be shared, so compare ratios "
        "within this run rather than seconds across runs.",
        f"- Versions: {versions}; commit {machine['commit']}.",
        f"- Corpus: {pkgs}; each package's folder from npm minus package.json, README, licence, "
        "changelog, *.md and TypeScript files, plus `django/contrib/admin/static/admin`; "
        "scale N is N copies under `copy1/` ... `copyN/`.",
        f"- Each measure runs as a subprocess {args['repeat']} time(s), round-robin across "
        f"measures; the builds with brotli at top quality (WhiteNoise, assetbuild "
        f"--brotli-quality 11) {args['slow_repeat']} time(s), WhiteNoise at scales "
        f"{args['whitenoise_scales']} and assetbuild --brotli-quality 11 at scales "
        f"{args['brotli_scales']} (they take minutes); medians are reported. The default build "
        "is what `pip install 'assetbuild[all]'` runs: brotli on, at its default quality.",
        "- Files are in the page cache for every measure (the corpus is read once before "
        "timing). Output folders are fresh for cold runs and collectstatic; the warm runs "
        "keep the output folder and the cache from the build before. Earlier outputs are "
        "moved aside and deleted only after the last measure: on ext4, creating files "
        "within minutes of deleting many costs the kernel a walk over the freed inodes "
        "(5x the system time for 24,000 files), for every tool alike. Before each timed "
        "run, untimed, `sync` writes back what the measure before it wrote: without it, a "
        "cold scale-4 build started right after 600 MB of copying took 18.7-19.4 s against "
        "15.3-15.7 s, so each measure paid for its predecessor (Django runs after the work "
        "floor, assetbuild's cold build after Django or WhiteNoise).",
        "- assetbuild's modules are compiled to bytecode before the first measure, as "
        "`pip install` does (the peers run from site-packages, compiled at install).",
        "- The floors: `cp -r`; reading and hashing every file (floor_hash.py); and "
        "floor_work.py, the work a cold build cannot avoid with these libraries, in one "
        "process per CPU with nothing else: read, blake3 and sha384 each file, deflate the "
        "compressible ones (libdeflate, level 6; the sources, which are larger than "
        "minified output), create the fingerprinted file and its .gz; with brotli, also "
        "brotli those of 1 KiB and more, source maps excepted, with assetbuild's own "
        "function and default quality and write the .br.",
        "- CPU s: median user + system time of the command and all its descendants (wait4); "
        "on a shared machine it shows the work done when wall time is inflated by waiting.",
        "- Memory: tree peak = highest sum over the command and all its descendants: RSS "
        "from /proc/PID/statm every 20 ms (it counts pages shared by forked workers in each "
        "of them), PSS (which splits them) from smaps_rollup every 0.5 s and after each 5% "
        "growth of the RSS sum, because reading it walks the page tables under the "
        "process's memory lock (4 ms for 150 MB; every 20 ms it slowed the parallel builds "
        "by about 10%); largest process = highest VmHWM (own peak RSS) of one process of "
        "the tree, every 20 ms. Peaks are the highest over repeats.",
        f"- assetbuild runs with `-j {args['jobs']}`." if args.get("jobs") else
        "- assetbuild runs with its default worker count.",
    ]


def _mb(value) -> str:
    """Megabytes, or blank for figures an older harness did not record."""
    return f"{value / MB:.0f}" if value else ""


def _load(load) -> str:
    return ", ".join(f"{x:.2f}" for x in load) if load else "?"


def _argv(args: dict) -> list[str]:
    out = []
    if args.get("quick"):
        out.append("--quick")
    out += ["--scale", *map(str, args["scale"]), "--repeat", str(args["repeat"])]
    for key in ("whitenoise_scales", "brotli_scales"):
        if args.get(key) is not None:
            out += [f"--{key.replace('_', '-')}", *map(str, args[key])]
    if args.get("jobs"):
        out += ["-j", str(args["jobs"])]
    return out

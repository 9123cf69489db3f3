"""Bundles: one asset made of several sources, joined in the order the config lists them."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from assetbuild.diagnostics import Diagnostic, error
from assetbuild.manifest import safe_relative_path
from assetbuild.media_types import asset_kind

_SOURCEMAP_COMMENT = re.compile(r"/\*[#@][ \t]*sourceMappingURL=[^*]*\*/|//[#@][ \t]*sourceMappingURL=[^\n]*")


@dataclass(frozen=True)
class Bundle:
    """A bundle's logical name, its type ("css" or "js") and its parts in order."""

    name: str
    kind: str
    parts: tuple[str, ...]


def plan(spec: dict[str, list[str]], names: Iterable[str], where: str) -> tuple[list[Bundle], list[Diagnostic]]:
    """Expand each bundle's patterns against the logical *names*; report every mistake."""
    names = sorted(names)
    known = set(names)
    bundles, problems = [], []
    for bundle_name, patterns in sorted(spec.items()):
        kind = asset_kind(bundle_name)
        label = f"bundle '{bundle_name}'"
        if not safe_relative_path(bundle_name):
            problems.append(error(f"{label}: the name must be a relative path like 'bundles/app.js'", file=where))
            continue
        if kind is None:
            problems.append(error(f"{label}: the name must end in .css or .js", file=where))
            continue
        if bundle_name in known:
            problems.append(error(f"{label}: a source file has the same logical name", file=where,
                                  hint="choose another bundle name"))
            continue
        parts: list[str] = []
        for pattern in patterns:
            matches = [n for n in names if fnmatch.fnmatchcase(n, pattern)] if any(
                c in pattern for c in "*?[") else ([pattern] if pattern in known else [])
            if not matches:
                problems.append(error(f"{label}: '{pattern}' matches no source file", file=where))
            for match in matches:
                if asset_kind(match) != kind:
                    problems.append(error(f"{label}: part '{match}' is not a {kind.upper()} file", file=where))
                elif match not in parts:
                    parts.append(match)
        if not parts and not problems:
            problems.append(error(f"{label}: has no parts", file=where))
        bundles.append(Bundle(bundle_name, kind, tuple(parts)))
    return bundles, problems


def join(kind: str, texts: list[str]) -> str:
    """Concatenate parts safely: JS parts are separated so no statement runs into the next;
    CSS @import rules move to the top, where browsers honour them."""
    texts = [_SOURCEMAP_COMMENT.sub("", t) for t in texts]  # maps of parts do not fit the whole
    if kind == "js":
        return "\n;\n".join(t.rstrip() for t in texts) + "\n"
    from assetbuild import css  # on first use: importing it compiles its patterns

    return css.hoist_imports("\n".join(t.strip() for t in texts) + "\n")

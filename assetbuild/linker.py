"""Resolving references and finishing each stylesheet, script and bundle as soon as every
asset it references is written, while the rest of the tree is still being transformed.

An asset's final bytes hold the fingerprinted names of what it references, so it waits
for them. Each time an asset comes in, the loops it closes are looked for: ES modules that
import each other are then fingerprinted together (see cycles.py) once all they reference
outside the loop is written; any other loop is an error, reported at once.
"""

from __future__ import annotations

import heapq
import re
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

from assetbuild import bundle, graph, sources
from assetbuild.config import Config
from assetbuild.cycles import Member, finish_cycle
from assetbuild.diagnostics import BuildError, Diagnostic, error, warning
from assetbuild.refs import Placeholders, Ref, new_url, resolve, resolve_absolute_url
from assetbuild.sourcemap import MapError, read_input_map
from assetbuild.spool import TextSpool
from assetbuild.transform import (
    Options,
    Outcome,
    Part,
    Text,
    Written,
    finish,
    finish_bundle,
    finish_text,
    gets_sourcemap,
    process,
)


class Rewrite(NamedTuple):
    """A rewrite ready to run in a worker: ``function(*args)`` writes *asset* (a loop of
    modules: several) and returns its Written (a list of them)."""

    asset: str
    function: Callable[..., Any]
    args: tuple[Any, ...]


class Linker:
    """Takes worker outcomes in order, and hands out the rewrites that became possible.

    Text bodies wait in the spool file, not in memory, until their turn comes.
    """

    def __init__(self, found: dict[str, sources.Source], bundles: list[bundle.Bundle],
                 config: Config, spool: TextSpool, opts: Options,
                 done: dict[str, Written] | None = None,
                 held_maps: set[str] | frozenset[str] = frozenset()):
        """*done*: assets already written (taken from the release in place). *held_maps*:
        sources named like the source map of an asset that gets one (``js/a.js.map``),
        not transformed: that map takes their name, or, when none is made, they are
        copied as they are."""
        self.found, self.config, self.spool, self.opts = found, config, spool, opts
        self.bundles = {b.name: b for b in bundles}
        self.written: dict[str, Written] = dict(done or {})
        self.texts: dict[str, Text] = {}
        self.bodies: dict[str, tuple[int, int]] = {}  # text name -> where its body is spooled
        self.maps: dict[str, tuple[int, int]] = {}  # text name -> where its source map is spooled
        self.held_maps = held_maps
        self._copies: list[str] = []  # held maps to copy, as no map took their name
        self.targets: dict[str, list[str | None]] = {}  # text name -> resolved name per ref
        self.missing: dict[str, list[Diagnostic]] = {}  # referrer -> references not found
        self._lost_maps: dict[str, list[Ref]] = {}  # referrer -> source maps not found
        self._finished = set(self.written)  # written, or could not be read (nothing to wait for)
        self._waits_for: dict[str, set[str]] = {}  # asset -> what it still waits for
        self._waited_by: dict[str, list[str]] = {}  # the reverse
        self._ready: list[tuple[int, str]] = []  # heap: largest first
        self._loops: dict[str, list[str]] = {}  # loop key -> its members (ES modules)
        self._loop_of: dict[str, str] = {}  # member -> the key of the largest loop found
        for b in bundles:  # a bundle first waits for each part to be transformed
            if b.name not in self.written:
                self._wait(b.name, {_arrival(p) for p in b.parts})

    def add(self, outcome: Outcome) -> None:
        """Take one worker outcome: a finished asset, or a text that may have to wait."""
        name = sys.intern(outcome.logical)  # one copy of the name, shared with the scan's
        if outcome.written is not None:  # rebuilt around the shared name (half _replace's cost)
            self._done(name, Written(name, *outcome.written[1:]))
        elif outcome.text is not None:
            text = outcome.text
            self.bodies[name] = self.spool.put(text.body)
            if text.sourcemap is not None:
                self.maps[name] = self.spool.put(text.sourcemap)
            text = text._replace(logical=name, body="", sourcemap=None)  # the spool has those
            self.texts[name] = text
            resolved = [self._resolve(name, ref) for ref in text.refs]
            self.targets[name] = resolved
            needs = {t for t in resolved if t is not None} - self._finished
            self._wait(name, needs)
            bundles = self._bundles_of(name)
            for b in bundles:
                self._wait(b, needs)
            for waiting in [name, *bundles]:
                self._close_loop(waiting)
        else:  # it could not be read (and was reported): references to it stay as written
            self._finished.add(name)
            self._arrived(name)
            self._release_held_map(name)
        self._arrived(_arrival(name))

    def next_task(self) -> Rewrite | None:
        """The next rewrite whose references are all written (largest first), or None."""
        if self._copies:
            name = self._copies.pop()
            return Rewrite(name, copy_source, (name, self.found[name].path, self.opts))
        if not self._ready:
            return None
        _, name = heapq.heappop(self._ready)
        if name in self._loops:
            return Rewrite(name, finish_cycle, ([self._member(m) for m in self._loops[name]], self.opts))
        if name in self.bundles and gets_sourcemap(name, self.opts):
            return Rewrite(name, finish_bundle, (name, self.bundles[name].kind,
                                                 self._bundle_parts(name), self.opts))
        if name in self.bundles:
            data = self._bundle_bytes(name)
            return Rewrite(name, finish, (name, data, self.opts))
        text = self.texts[name]
        body = self._body(name)
        sourcemap = self.spool.get(*self.maps[name]) if name in self.maps else None
        return Rewrite(name, finish_text, (name, body, text.placeholder_prefix,
                                           self._urls(text, name), self.opts, text.is_module,
                                           self.found[name].size, sourcemap,
                                           self._input_map(name, text) if sourcemap else None))

    def task_done(self, name: str, written: Written | list[Written]) -> None:
        if isinstance(written, list):  # a loop of modules: all written, then all arrived
            del self._loops[name]
            for each in written:
                self.written[each.logical] = each
                self._finished.add(each.logical)
            for each in written:
                self._arrived(each.logical)
                self._release_held_map(each.logical)  # modules in a loop get no map
        else:
            self._done(name, written)

    def close(self, warn: Callable[[Diagnostic], None]) -> None:
        """After the last outcome and task: report references not found (errors with
        --strict)."""
        missing = [diag for diags in self.missing.values() for diag in diags]
        if missing and self.config.strict:
            raise BuildError(missing)
        for diag in missing:
            warn(diag)
        assert not self._waits_for, f"assets left unwritten: {sorted(self._waits_for)[:5]}"

    # -- waiting ---------------------------------------------------------------------------

    def _wait(self, name: str, needs: set[str]) -> None:
        pending = self._waits_for.setdefault(name, set())
        for need in needs - pending:
            pending.add(need)
            self._waited_by.setdefault(need, []).append(name)
        if not pending:
            self._make_ready(name)

    def _arrived(self, token: str) -> None:
        for name in self._waited_by.pop(token, ()):
            pending = self._waits_for[name]
            pending.discard(token)
            if not pending:
                self._make_ready(name)

    def _done(self, name: str, written: Written) -> None:
        self.written[name] = written
        self._finished.add(name)
        self._arrived(name)
        if written.sourcemap is not None:
            self._done(written.sourcemap.logical, written.sourcemap)
        else:
            self._release_held_map(name)

    def _release_held_map(self, name: str) -> None:
        """Copy the source held back for the map of *name*, which got none."""
        if name + ".map" in self.held_maps and name + ".map" not in self._finished:
            self._copies.append(name + ".map")

    def _make_ready(self, name: str) -> None:
        del self._waits_for[name]
        if name in self.written:
            return  # a bundle named like a source, or a loop's member: written already
        if name.startswith(_LOOP) and name not in self._loops:
            return  # a loop found inside a larger one, which is built instead
        heapq.heappush(self._ready, (-self._weight(name), name))

    # -- loops -----------------------------------------------------------------------------

    def _close_loop(self, name: str) -> None:
        """Look for a loop through *name*, which has just come in or got a new part: ES
        modules that import each other wait as one for what they reference outside it;
        any other loop raises BuildError now, before the rest of the build."""
        if name not in self._waits_for or not self._waited_by.get(name):
            return
        # Only assets still waiting wait on others or are waited on (a finished asset's
        # waiters were told and forgotten), so both maps are the graph as they are.
        members = graph.cycle_through(name, lambda n: self._waits_for.get(n, ()),
                                      lambda n: self._waited_by.get(n, ()))
        if not members:
            return
        if not self._is_module_loop(members):
            raise BuildError(self._loop_error(members))
        key = _LOOP + name  # a loop through name is found only when name comes in
        for m in members:
            self._loops.pop(self._loop_of.get(m, ""), None)  # a smaller loop inside this one
            self._loop_of[m] = key
        self._loops[key] = members
        outside = set().union(*(self._waits_for[m] for m in members)) - set(members)
        self._wait(key, outside)

    def _is_module_loop(self, members: list[str]) -> bool:
        """Whether every member is a script and every reference between members an import."""
        inside = set(members)
        for m in members:
            text = self.texts.get(m)
            if text is None or text.kind != "js" or m in self.bundles:
                return False
            if any(t in inside and ref.kind != "module"
                   for ref, t in zip(text.refs, self.targets[m])):
                return False
        return True

    def _loop_error(self, members: list[str]) -> Diagnostic:
        """The loop from the first member back to it, each step with the line of its
        reference; members off that path are named after it."""
        inside = set(members)
        path = graph.shortest_cycle(members[0], lambda n: [t for t in self._deps(n) if t in inside])
        steps = [self._reference(a, b) for a, b in zip(path, path[1:] + path[:1])]
        others = sorted(inside - set(path))
        part, line = steps[0][1], steps[0][2]
        return error("reference cycle: " + " -> ".join([label for label, _, _ in steps] + [path[0]])
                     + (f" (also in the loop: {', '.join(others)})" if others else ""),
                     file=self._file(part), line=line,
                     hint="files that reference each other in a loop cannot all be "
                          "fingerprinted (only ES modules may import each other); break the loop")

    def _reference(self, referrer: str, target: str) -> tuple[str, str, int]:
        """Where *referrer* first references *target*: ('a.css:3', the file, the line);
        for a bundle, in one of its parts: ('all.css (a.css:3)', the part, the line)."""
        parts = self.bundles[referrer].parts if referrer in self.bundles else [referrer]
        for part in parts:
            text = self.texts.get(part)
            for ref, t in zip(text.refs if text else (), self.targets.get(part, ())):
                if t == target:
                    where = f"{part}:{ref.line}"
                    return (where if part == referrer else f"{referrer} ({where})"), part, ref.line
        raise AssertionError(f"{referrer} does not reference {target}")

    def _member(self, name: str) -> Member:
        """What finish_cycle needs of the member *name*."""
        text, inside = self.texts[name], set(self._loops[self._loop_of[name]])
        inner = {i: t for i, t in enumerate(self.targets[name]) if t in inside}
        return Member(name, self._body(name), text.placeholder_prefix, text.refs,
                      self._urls(text, name), inner, text.is_module, self.found[name].size)

    def _bundles_of(self, part: str) -> list[str]:
        """The bundles still to build that join *part*."""
        return [b.name for b in self.bundles.values()
                if part in b.parts and b.name not in self.written]

    def _deps(self, name: str) -> set[str]:
        if name in self.bundles:
            return {t for p in self.bundles[name].parts for t in self.targets.get(p, ()) if t}
        return {t for t in self.targets.get(name, ()) if t}

    def _weight(self, name: str) -> int:
        if name in self._loops:
            return sum(self._weight(m) for m in self._loops[name])
        if name in self.bundles:
            return sum(self._weight(part) for part in self.bundles[name].parts)
        src = self.found.get(name)
        return src.size if src else 0

    # -- references ------------------------------------------------------------------------

    def _file(self, name: str) -> str:
        src = self.found.get(name)
        return src.path if src else name

    def _resolve(self, referrer: str, ref: Ref) -> str | None:
        prefix = self.config.url_prefix
        name, problem = resolve_absolute_url(ref.url, prefix), None
        if name is None:
            name, problem = resolve(ref.url, referrer, prefix)
            if name is None and problem is None:
                return None
        level = error if self.config.strict else warning
        if problem or name is None:  # resolve() gives a name, or a problem
            diag = level(f"reference '{ref.url}' not rewritten: {problem}",
                         file=self._file(referrer), line=ref.line)
        elif name in self.found or name in self.bundles:
            return name
        elif ref.kind == "sourcemap":  # in a file kept as written: the comment would dangle
            self._lost_maps.setdefault(referrer, []).append(ref)
            diag = level(f"source map '{ref.url}' not found" + (
                         "" if self.config.strict else " (its sourceMappingURL comment is removed)"),
                         file=self._file(referrer), line=ref.line, hint=f"no source file '{name}'")
        else:
            diag = level(f"reference '{ref.url}' not found" + (
                         "" if self.config.strict else " (left as written)"),
                         file=self._file(referrer), line=ref.line, hint=self._missing_hint(name, ref))
        self.missing.setdefault(referrer, []).append(diag)
        return None

    def _missing_hint(self, name: str, ref: Ref) -> str:
        """What to tell about a reference to *name*, which is no source: for a module
        written without its file's suffix (as bundlers allow), the file it likely means."""
        if ref.kind == "module":
            for guess in (name + ".js", name + ".mjs", name + "/index.js"):
                if guess in self.found:
                    return (f"'{guess}' exists, but browsers load a module by exactly the URL "
                            f"written: import '{ref.url}{guess[len(name):]}' (a bundler adds "
                            "the suffix)")
        return f"no source file '{name}'"

    def _body(self, name: str) -> str:
        """The spooled body of the text *name*, without source map comments that name no file."""
        body = self.spool.get(*self.bodies[name])
        text = self.texts[name]
        for ref in self._lost_maps.get(name, ()):
            token = Placeholders(text.placeholder_prefix).token(text.refs.index(ref))
            body = _map_comment(text.kind, token).sub(_without_comment, body, count=1)
        return body

    def _input_map(self, name: str, text: Text, report: bool = True) -> tuple[dict, str] | None:
        """The map the source *name* came with (read, and its logical name: "" when
        inline), to compose with; None (and, with *report*, a warning) when it cannot be
        read."""
        url = text.input_map
        if not url:
            return None
        where = "" if url.startswith("data:") else resolve(url, name, self.config.url_prefix)[0]
        try:
            if where is None or (where and where not in self.found):
                raise MapError("not found")
            data = None
            if where:
                with open(self.found[where].path, "rb") as fh:
                    data = fh.read()
            return read_input_map(url, data), where
        except (MapError, OSError) as exc:
            if not report:
                return None
            problem = exc.strerror if isinstance(exc, OSError) else str(exc)
            level = error if self.config.strict else warning
            self.missing.setdefault(name, []).append(level(
                f"source map '{url[:60]}' not composed: {problem}; the map written points at "
                "this file", file=self._file(name)))
            return None

    def _urls(self, text: Text, base: str) -> list[str]:
        """The final URL of each of *text*'s references, as seen from the asset *base*."""
        values = []
        for i, (ref, target) in enumerate(zip(text.refs, self.targets[text.logical])):
            done = self.written.get(target) if target else None
            values.append(new_url(ref, done.path, base, self.config.url_prefix)
                          if done else text.raw[i])
        return values

    def _bundle_parts(self, name: str) -> list[Part]:
        """What finish_bundle() takes of each part of the bundle *name*."""
        parts: list[Part] = []
        for part in self._joinable_parts(name):
            text = self.texts[part]
            sourcemap = self.spool.get(*self.maps[part]) if part in self.maps else None
            parts.append((part, self._body(part), text.placeholder_prefix,
                          self._urls(text, name), sourcemap,
                          self._input_map(part, text, report=False) if sourcemap else None))
        return parts

    def _bundle_bytes(self, name: str) -> bytes:
        b = self.bundles[name]
        pieces = []
        for part in self._joinable_parts(name):
            text = self.texts[part]
            body = self._body(part)
            pieces.append(Placeholders(text.placeholder_prefix).restore(body, self._urls(text, name)))
        return bundle.join(b.kind, pieces).encode("utf-8")

    def _joinable_parts(self, name: str) -> tuple[str, ...]:
        """The parts of the bundle *name*; BuildError when one cannot be joined."""
        b = self.bundles[name]
        for part in b.parts:
            text = self.texts.get(part)
            if text is None:
                raise BuildError(error(
                    f"bundle '{name}': part '{part}' cannot be joined: it is not valid UTF-8",
                    file=self._file(part), hint="save it as UTF-8"))
            if text.is_module:
                raise BuildError(error(
                    f"bundle '{name}': part '{part}' is an ES module; modules cannot be "
                    "concatenated", file=self._file(part),
                    hint="load it with <script type=module> and let the browser import it"))
        return b.parts


def copy_source(logical: str, file: str, opts: Options) -> Written:
    """The source *file* written as it is (a held map that no map replaced)."""
    outcome = process(logical, file, opts)
    if outcome.written is None:
        raise BuildError(list(outcome.diagnostics))
    return outcome.written


_LOOP = "\0loop\0"  # the keys of loops of modules, which wait like assets


def _map_comment(kind: str, token: str) -> re.Pattern[str]:
    """The sourceMappingURL comment whose URL is the placeholder *token*: (white space
    before it when it begins its line), the comment, (the line break after it)."""
    start, end = (r"/\*", r"[ \t\r\n]*\*/") if kind == "css" else ("//", r"[ \t]*")
    return re.compile(r"(^[ \t]*)?" + start + r"[#@][ \t]*sourceMappingURL=" + re.escape(token)
                      + end + r"(\r\n|[\n\r]|)", re.M)


def _without_comment(match: re.Match[str]) -> str:
    """A whole line for a comment that had it to itself; else only the comment (the line
    break after code may end a statement)."""
    return "" if match.group(1) is not None else match.group(2)


def _arrival(name: str) -> str:
    """What a bundle waits for until its part *name* has been transformed."""
    return "\0arrival\0" + name

"""Per-file work, run in worker processes: read, minify, find references, and (for files
whose bytes are already final) fingerprint, compress and write.

What comes back depends only on one file's bytes and the build options, and what is
written is content-addressed (a fingerprinted name always holds the same bytes), so any
worker may do any file, in any order, and a cached result stands for the work.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import posixpath
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from assetbuild import compress, fingerprint, heap, media_types
from assetbuild.cache import Cache
from assetbuild.diagnostics import Diagnostic, warning
from assetbuild.manifest import Entry
from assetbuild.output import commit_staged, staging_file, write_content_addressed
from assetbuild.refs import Placeholders, Ref, is_local
from assetbuild.render import render_quoted

if TYPE_CHECKING:
    from assetbuild import js

TRANSFORM_VERSION = "7"
STREAM_BYTES = 8 << 20  # larger files are copied in chunks, never held whole in memory
MINIFY_MAX_BYTES = 32 << 20  # larger scripts and stylesheets are copied as they are
CHUNK = 1 << 20
RELEASE_AFTER = 1 << 20  # bytes of sources in a batch after which a worker frees memory


class Options(NamedTuple):
    """Build options that change what a worker produces."""

    out_dir: Path
    minify: bool
    gzip: bool
    brotli: bool
    hash_length: int
    brotli_quality: int = compress.BROTLI_DEFAULT_QUALITY
    url_prefix: str = "/static/"
    cache_dir: Path | None = None
    sourcemaps: bool = False


# The asset model: small immutable records, sent between processes by the thousand.
# NamedTuples pickle as their fields, with no hand-written __reduce__ (12,000 outcomes
# sent and taken: see the commit that made them NamedTuples).


class Text(NamedTuple):
    """A stylesheet or script whose references still need their final URLs.

    ``body`` holds placeholders where ``refs[i]`` stood; ``raw[i]`` is the text as written.
    ``sourcemap`` is the map of ``body`` (sourcemap.for_text); ``input_map`` the URL of
    the map the source named, to compose with it.
    """

    logical: str
    kind: str  # "css" or "js"
    body: str
    placeholder_prefix: str
    refs: list[Ref]
    raw: list[str]
    is_module: bool = False
    sourcemap: str | None = None
    input_map: str | None = None


class Written(NamedTuple):
    """An asset whose final bytes are fingerprinted, compressed and written."""

    logical: str
    path: str
    size: int
    integrity: str
    encodings: tuple[str, ...]  # names of the variants written beside it ("br", "gzip")
    size_in: int = 0
    bytes_out: int = 0
    is_module: bool = False
    sourcemap: Written | None = None  # the map written for it

    def encoding_paths(self) -> dict[str, str]:
        return {enc: self.path + compress.ENCODING_SUFFIX[enc] for enc in self.encodings}

    def rendered(self) -> tuple[str, str]:
        """Its manifest entry as JSON text: (indented, compact)."""
        path = encode_basestring(self.path)
        stem = path[:-1]  # a variant's path: the same, its suffix (no escapes) inside the quotes
        return render_quoted(path, self.size, encode_basestring(self.integrity),
                             [(_QUOTED_ENCODING[enc], f'{stem}{compress.ENCODING_SUFFIX[enc]}"')
                              for enc in sorted(self.encodings)],
                             self.is_module)

    def entry(self) -> Entry:
        return Entry(self.path, self.size, self.integrity, self.encoding_paths(),
                     {"module": True} if self.is_module else {})


_QUOTED_ENCODING = {enc: encode_basestring(enc) for enc in compress.ENCODING_SUFFIX}


class Outcome(NamedTuple):
    """What one worker returns for one file: a Written, a Text, or neither (it could not
    be read), with its warnings."""

    logical: str
    size_in: int
    text: Text | None = None
    written: Written | None = None
    diagnostics: Sequence[Diagnostic] = ()


def kind_of(logical: str) -> str:
    return media_types.asset_kind(logical) or "binary"


def is_preminified(logical: str) -> bool:
    name = logical.rsplit("/", 1)[-1].lower()
    return ".min." in name


def decode(data: bytes) -> str | None:
    """UTF-8 text without a byte-order mark, or None when it is not valid UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text[1:] if text.startswith("\ufeff") else text


def gets_sourcemap(logical: str, opts: Options) -> bool:
    """Whether the asset *logical* is minified with a source map (when it can be read)."""
    return opts.sourcemaps and opts.minify and kind_of(logical) != "binary" \
        and not is_preminified(logical)


def prepare_text(logical: str, kind: str, text: str, minify: bool, url_prefix: str,
                 diagnostics: list[Diagnostic], file: str, sourcemaps: bool = False) -> Text:
    """Find references, shield them with placeholders, minify, keep refs that survived;
    with *sourcemaps*, map the result (a source map the source names is not a reference
    then: the map made here replaces it, composed with it)."""
    from assetbuild import css, js  # here or in warm_up: importing them takes 20-30 ms

    is_module = logical.endswith(".mjs")
    minifying = minify and not is_preminified(logical)
    skeleton = None
    if kind == "css":
        refs = css.find_references(text)
    else:  # a script to minify is walked whole once, for the scan and the proof
        skeleton = js.skeleton(text) if minifying else None
        scanned = js.scan(text, skeleton)
        refs, is_module = scanned.refs, is_module or scanned.is_module
    # Every URL is shielded, not only local ones: rcssmin drops spaces inside url("..."),
    # which would corrupt a remote URL such as url("https://cdn/My Font.woff2").
    holders = Placeholders.for_text(text)
    body = holders.protect(text, refs)
    if minifying:
        try:
            if kind == "css":
                body = css.minify(body)
            else:
                assert skeleton is not None  # walked above for every script to minify
                body = js.minify_proven(text, skeleton, *_protected_attempt(text, body, refs, holders))
        except (js.Unminifiable, css.Unminifiable) as exc:
            diagnostics.append(warning(f"not minified: {exc}", file=file))
        except Exception as exc:  # a minifier bug must not stop the build
            diagnostics.append(warning(f"not minified: the minifier failed ({exc})", file=file))
    alive = holders.found(body) if refs else set()  # no refs: no placeholder to look for
    mapping = sourcemaps and minifying
    kept = [i for i, r in enumerate(refs) if i in alive and is_local(r.url, r.kind, url_prefix)
            and not (mapping and r.kind == "sourcemap")]
    if len(kept) != len(refs):  # renumber so that refs[i] is placeholder i; others as written
        values = {i: holders.token(new) for new, i in enumerate(kept)}
        body = holders.restore(body, [values.get(i, text[r.start:r.end])
                                      for i, r in enumerate(refs)])
    raw = [text[refs[i].start:refs[i].end] for i in kept]
    result = Text(logical, kind, body, holders.prefix, [refs[i] for i in kept], raw, is_module)
    if mapping:
        result = _map(result, text, refs, kept, holders, skeleton, diagnostics, file)
    return result


def _map(result: Text, text: str, refs: list[Ref], kept: list[int], holders: Placeholders,
         skeleton: js.Skeleton | None, diagnostics: list[Diagnostic], file: str) -> Text:
    """*result* (made from *text*) with its source map, and the URL of the source's own."""
    from assetbuild import css, js, sourcemap

    comments = css.comment_spans(text) if result.kind == "css" else js.comment_spans(text, skeleton)
    own = [r for r in refs if r.kind == "sourcemap"]
    body, mapped = sourcemap.for_text(
        result.logical, text, result.body, comments,
        [(refs[i].start, refs[i].end, holders.token(n)) for n, i in enumerate(kept)],
        [r.start for r in own], ";" if result.kind == "css" else "")
    if mapped is None:
        diagnostics.append(warning("no source map: the minified text is not the source "
                                   "without white space and comments", file=file))
    return result._replace(body=body, sourcemap=mapped, input_map=own[-1].url if own else None)


def _protected_attempt(text: str, body: str, refs: list[Ref], holders: Placeholders
                       ) -> tuple[Callable[[list[js.Edit], bool], str], Callable[[str], str]]:
    """(a js.minify_proven attempt that minifies *body*, *text* with *refs* swapped for
    placeholders; what shows the proof an output with the references put back)."""
    from assetbuild import js

    raw = [text[r.start:r.end] for r in refs]

    def attempt(edits: list[js.Edit], python_only: bool) -> str:
        return js.minify(body, _protected_edits(edits, refs, holders), python_only)

    def show(out: str) -> str:
        return holders.restore(out, raw) if refs else out

    return attempt, show


def _protected_edits(edits: list[tuple[int, int, str | None]], refs: list[Ref],
                     holders: Placeholders) -> list[tuple[int, int, str | None]] | None:
    """*edits* of a text, moved to where they fall once *refs* are protected (each span
    swapped for its placeholder); None when an edit begins or ends inside a reference."""
    if not edits or not refs:
        return edits
    starts: list[int] = []
    ends: list[int] = []
    shifts = [0]
    for i, ref in enumerate(refs):  # numbered as protect() does
        if ends and ref.start < ends[-1]:
            return None  # not in the text's order
        starts.append(ref.start)
        ends.append(ref.end)
        shifts.append(shifts[-1] + len(holders.token(i)) - (ref.end - ref.start))
    def moved(pos: int) -> int:
        i = bisect.bisect_right(ends, pos)  # references that end at or before pos
        if i < len(starts) and starts[i] < pos:
            raise ValueError("inside a reference")
        return pos + shifts[i]

    try:
        return [(moved(start), moved(end), replacement) for start, end, replacement in edits]
    except ValueError:
        return None


def finish(logical: str, data: bytes, opts: Options, is_module: bool = False,
           size_in: int = 0, name_digest: str | None = None) -> Written:
    """Fingerprint final bytes, write them and their compressed variants. The name
    carries the hash of *data*, or *name_digest* (for modules in an import cycle)."""
    hexdigest = fingerprint.digest(data)
    path = fingerprint.digested_name(logical, name_digest or hexdigest, opts.hash_length)
    cache = Cache(opts.cache_dir) if opts.cache_dir else None
    key = (f"final-{hexdigest}-{TRANSFORM_VERSION}-{int(opts.gzip)}"
           f"{opts.brotli_quality if opts.brotli else '-'}") if cache else ""
    known = cache.get_json(key) if cache else None
    bytes_out = 0
    if known is not None and _complete(opts.out_dir, path, data, known.get("encodings", {})):
        sri = known["integrity"]
        encodings = tuple(sorted(known["encodings"]))
    else:
        sri = fingerprint.integrity(data)
        write_content_addressed(opts.out_dir, path, data)
        sizes = {}
        for enc, blob in compress.variants(logical, data, opts.gzip, opts.brotli,
                                           opts.brotli_quality).items():
            write_content_addressed(opts.out_dir, path + compress.ENCODING_SUFFIX[enc], blob)
            sizes[enc] = len(blob)
            bytes_out += len(blob)
        encodings = tuple(sorted(sizes))
        if cache:
            cache.put_json(key, {"integrity": sri, "encodings": sizes})
    return Written(logical, path, len(data), sri, encodings, size_in, bytes_out + len(data),
                   is_module)


def finish_text(logical: str, body: str, placeholder_prefix: str, urls: list[str], opts: Options,
                is_module: bool, size_in: int, sourcemap: str | None = None,
                input_map: tuple[dict, str] | None = None) -> Written:
    """finish() for a text whose placeholders stand for *urls*; with its *sourcemap*
    (composed with *input_map*: the source's own map and its logical name), the map is
    written first and named at the end of the text."""
    text = Placeholders(placeholder_prefix).restore(body, urls)
    if sourcemap is None:
        return finish(logical, text.encode("utf-8"), opts, is_module, size_in)
    from assetbuild import sourcemap as maps

    data = maps.finished(sourcemap, body, placeholder_prefix, urls, logical,
                         *(input_map or (None, "")))
    written_map = finish(logical + ".map", data.encode("utf-8"), opts)
    text += maps.comment(kind_of(logical), posixpath.basename(written_map.path))
    return finish(logical, text.encode("utf-8"), opts, is_module, size_in)._replace(
        sourcemap=written_map)


Part = tuple[str, str, str, list[str], "str | None", "tuple[dict, str] | None"]


def finish_bundle(logical: str, kind: str, parts: list[Part], opts: Options) -> Written:
    """finish() for a bundle with source maps: its parts are (logical name, body,
    placeholder prefix, URLs, map, source's own map) as finish_text() takes them; the
    bundle's map joins the parts' maps."""
    from assetbuild import bundle
    from assetbuild import sourcemap as maps

    texts, mapped = [], []
    for part, body, prefix, urls, sourcemap, input_map in parts:
        texts.append(Placeholders(prefix).restore(body, urls))
        if sourcemap is not None:
            mapped.append((part, texts[-1], maps.finished(sourcemap, body, prefix, urls, part,
                                                          *(input_map or (None, "")))))
    text = bundle.join(kind, texts)
    if not mapped:
        return finish(logical, text.encode("utf-8"), opts)
    written_map = finish(logical + ".map", maps.bundled(text, mapped, logical).encode("utf-8"),
                         opts)
    text = text.rstrip("\n") + maps.comment(kind, posixpath.basename(written_map.path))
    return finish(logical, text.encode("utf-8"), opts)._replace(sourcemap=written_map)


def _complete(out_dir: Path, path: str, data: bytes, encodings: dict) -> bool:
    """True when the fingerprinted file and every variant the cache lists are in place."""
    try:
        if (out_dir / path).stat().st_size != len(data):
            return False
        return all((out_dir / (path + compress.ENCODING_SUFFIX[enc])).stat().st_size == size
                   for enc, size in encodings.items())
    except (OSError, KeyError, TypeError):
        return False


def finish_large(logical: str, file: str, opts: Options, stat_size: int) -> Written:
    """Like finish(), reading *file* (*stat_size* bytes when it was opened) in chunks:
    hash, copy and compress in one pass."""
    hasher = fingerprint.StreamHasher()
    staged = {"": staging_file(opts.out_dir)}
    brotli = opts.brotli and compress.gets_brotli(logical, stat_size)
    encodings = [enc for enc, on in (("gzip", opts.gzip), ("br", brotli))
                 if on and compress.compressible(logical)]
    size = 0
    try:
        with contextlib.ExitStack() as stack:
            src = stack.enter_context(open(file, "rb"))
            out = stack.enter_context(open(staged[""], "wb"))
            streams = []
            for enc in encodings:
                staged[enc] = staging_file(opts.out_dir)
                stream = compress.StreamCompressor(enc, stack.enter_context(open(staged[enc], "wb")),
                                                   logical, opts.brotli_quality)
                streams.append(stream)
            while chunk := src.read(CHUNK):
                size += len(chunk)
                hasher.update(chunk)
                out.write(chunk)
                for stream in streams:
                    stream.write(chunk)
            for stream in streams:
                stream.close()
        path = fingerprint.digested_name(logical, hasher.digest(), opts.hash_length)
        written: list[str] = []
        bytes_out = size
        for enc, tmp in staged.items():
            if enc and tmp.stat().st_size >= size:
                continue  # compressing did not make it smaller
            rel = path + (compress.ENCODING_SUFFIX[enc] if enc else "")
            commit_staged(tmp, opts.out_dir, rel)
            if enc:
                written.append(enc)
                bytes_out += (opts.out_dir / rel).stat().st_size
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    return Written(logical, path, size, hasher.integrity(), tuple(sorted(written)), size, bytes_out)


def process(logical: str, file: str, opts: Options, keep_text: bool = False) -> Outcome:
    """All per-file work for one source file."""
    diagnostics: list[Diagnostic] = []
    kind = kind_of(logical)
    try:
        fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)  # no file object: it costs more than the read
        try:
            size = os.fstat(fd).st_size
            if size > MINIFY_MAX_BYTES and kind != "binary" and not keep_text:
                diagnostics.append(warning(
                    f"{size >> 20} MB: too large to minify or scan for references; copied as is",
                    file=file))
                kind = "binary"
            if kind != "binary" or size <= STREAM_BYTES:
                data = _read_all(fd, size)
        finally:
            os.close(fd)
        if kind == "binary" and size > STREAM_BYTES:
            return Outcome(logical, size, written=finish_large(logical, file, opts, size),
                           diagnostics=diagnostics)
    except OSError as exc:
        return Outcome(logical, 0, diagnostics=[warning(
            f"cannot read: {exc.strerror or exc}; skipped", file=file)])
    if kind != "binary":
        text = _cached_text(logical, kind, data, opts, diagnostics, file)
        if text is not None:
            if text.refs or keep_text or text.input_map:
                return Outcome(logical, len(data), text=text, diagnostics=diagnostics)
            return Outcome(logical, len(data), written=finish_text(
                logical, text.body, text.placeholder_prefix, [], opts, text.is_module,
                len(data), text.sourcemap), diagnostics=diagnostics)
    return Outcome(logical, len(data), written=finish(logical, data, opts, size_in=len(data)),
                   diagnostics=diagnostics)


def _read_all(fd: int, size: int) -> bytes:
    """The bytes of the open file *fd*, whose size was *size* (read on to its end, in case
    it grew)."""
    data = os.read(fd, size + 1)
    if len(data) <= size:  # a short read of a regular file: its end
        return data
    chunks = [data]
    while chunk := os.read(fd, CHUNK):
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _cached_text(logical: str, kind: str, data: bytes, opts: Options,
                 diagnostics: list[Diagnostic], file: str) -> Text | None:
    cache = Cache(opts.cache_dir) if opts.cache_dir else None
    key = ""
    if cache:  # the key hashes the whole file: only worth it with a cache to look in
        key = (f"text-{TRANSFORM_VERSION}-{kind}-{int(opts.minify and not is_preminified(logical))}"
               f"{'-map' if opts.sourcemaps else ''}"
               f"-{int(logical.endswith('.mjs'))}-{fingerprint.digest(opts.url_prefix.encode())[:8]}"
               f"-{fingerprint.digest(data)}")
        hit = cache.get_json(key)
        if hit is not None:
            try:
                return Text(logical, kind, hit["body"], hit["prefix"],
                            [Ref(*r) for r in hit["refs"]], hit["raw"], hit["is_module"],
                            hit.get("sourcemap"), hit.get("input_map"))
            except (KeyError, TypeError):
                pass  # a foreign or damaged entry: rebuild it
    decoded = decode(data)
    if decoded is None:
        diagnostics.append(warning(
            "not valid UTF-8; copied as is, without minifying or rewriting references",
            file=file, hint="save the file as UTF-8"))
        return None
    text = prepare_text(logical, kind, decoded, opts.minify, opts.url_prefix, diagnostics, file,
                        opts.sourcemaps)
    if cache and not diagnostics:
        cache.put_json(key, {"body": text.body, "prefix": text.placeholder_prefix,
                             "refs": [[r.start, r.end, r.url, r.kind, r.line] for r in text.refs],
                             "raw": text.raw, "is_module": text.is_module,
                             **({"sourcemap": text.sourcemap, "input_map": text.input_map}
                                if text.sourcemap else {})})
    return text


def warm_up() -> None:
    """Import the minifiers and scanners, and compile their patterns, now (20-30 ms of
    CPU), not on the first text."""
    from assetbuild import css, js  # noqa: F401


def process_batch(batch: list[tuple[str, str, bool]], opts: Options) -> list[Outcome]:
    """Worker entry point: several files at once, to keep inter-process traffic low."""
    outcomes = [process(logical, file, opts, keep) for logical, file, keep in batch]
    if sum(o.size_in for o in outcomes) >= RELEASE_AFTER:
        heap.release()  # the largest files come first: their peak need not stay
    return outcomes

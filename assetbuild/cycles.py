"""ES modules that import each other in a loop, fingerprinted together.

No member's final bytes can hold the others' fingerprinted names before they are known,
so the loop is named as a whole: its hash covers every member's bytes, with what it
references outside the loop already final and its references to other members as the
logical names they point at; each member is named from that hash and its own bytes, and
only then are the members' references to each other written with those names. Changing
any member renames every member, and the same name always means the same bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import blake3

from assetbuild.fingerprint import digested_name
from assetbuild.refs import Placeholders, Ref, new_url
from assetbuild.transform import Options, Written, finish

_LENGTH = struct.Struct("<Q")


@dataclass
class Member:
    """One script of the loop: the final URL of each reference it makes outside the loop,
    and the member each other reference points at."""

    logical: str
    body: str  # placeholders where its references stood
    placeholder_prefix: str
    refs: list[Ref]
    urls: list[str]  # final URLs (for references to members: as written, unused)
    inner: dict[int, str]  # reference index -> the member it points at
    is_module: bool
    size_in: int


def finish_cycle(members: list[Member], opts: Options) -> list[Written]:
    """Name, write and compress every member of one loop (in a worker process)."""
    pieces = {m.logical: _pieces(m) for m in members}
    loop = blake3.blake3(b"assetbuild import cycle\0")
    _feed(loop, [(b"P", opts.url_prefix)])  # absolute URLs between members are written with it
    for m in sorted(members, key=lambda m: m.logical):
        _feed(loop, pieces[m.logical])
    loop_digest = loop.digest()
    digests = {}
    for m in members:
        own = blake3.blake3(loop_digest)
        _feed(own, pieces[m.logical])
        digests[m.logical] = own.hexdigest()
    paths = {name: digested_name(name, digest, opts.hash_length)
             for name, digest in digests.items()}
    written = []
    for m in members:
        urls = [new_url(ref, paths[m.inner[i]], m.logical, opts.url_prefix) if i in m.inner
                else url for i, (ref, url) in enumerate(zip(m.refs, m.urls))]
        data = Placeholders(m.placeholder_prefix).restore(m.body, urls).encode("utf-8")
        written.append(finish(m.logical, data, opts, m.is_module, m.size_in,
                              name_digest=digests[m.logical]))
    return written


def _pieces(member: Member) -> list[tuple[bytes, str]]:
    """What names a member, as (kind, text) pieces: its logical name ("N"), then its text
    ("T", with the final URL of every reference outside the loop in place), broken at each
    reference to another member by the member it points at ("M") and the URL as written
    ("U", whose form and ?query the final URL keeps)."""
    split = Placeholders(member.placeholder_prefix).pattern.split(member.body)
    pieces = [(b"N", member.logical)]
    text = [split[0]]  # split: text, index, text, index, ..., text
    for i in range(1, len(split), 2):
        index = int(split[i])
        if index in member.inner:
            pieces += [(b"T", "".join(text)), (b"M", member.inner[index]),
                       (b"U", member.refs[index].url)]
            text = []
        else:
            text.append(member.urls[index])
        text.append(split[i + 1])
    pieces.append((b"T", "".join(text)))
    return pieces


def _feed(hasher: blake3.blake3, pieces: list[tuple[bytes, str]]) -> None:
    """Hash pieces, each with its kind and length, so that no two different members hash
    the same way."""
    for kind, text in pieces:
        data = text.encode("utf-8")
        hasher.update(kind)
        hasher.update(_LENGTH.pack(len(data)))
        hasher.update(data)

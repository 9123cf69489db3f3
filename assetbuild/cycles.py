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
    """One script of the loop, with the final URL of each reference it makes outside the
    loop (None for a reference to another member, which ``targets`` names)."""

    logical: str
    body: str  # placeholders where its references stood
    placeholder_prefix: str
    refs: list[Ref]
    urls: list[str | None]
    targets: list[str | None]  # the logical name of each reference's target
    is_module: bool
    size_in: int


def finish_cycle(members: list[Member], opts: Options) -> list[Written]:
    """Name, write and compress every member of one loop (in a worker process)."""
    pieces = {m.logical: _pieces(m) for m in members}
    loop = blake3.blake3(b"assetbuild import cycle\0")
    for m in sorted(members, key=lambda m: m.logical):
        _feed(loop, m.logical, pieces[m.logical])
    loop_digest = loop.digest()
    digests = {}
    for m in members:
        own = blake3.blake3(loop_digest)
        _feed(own, m.logical, pieces[m.logical])
        digests[m.logical] = own.hexdigest()
    paths = {name: digested_name(name, digest, opts.hash_length)
             for name, digest in digests.items()}
    written = []
    for m in members:
        urls = [url if url is not None else new_url(ref, paths[target], m.logical, opts.url_prefix)
                for ref, url, target in zip(m.refs, m.urls, m.targets)]
        data = Placeholders(m.placeholder_prefix).restore(m.body, urls).encode("utf-8")
        written.append(finish(m.logical, data, opts, m.is_module, m.size_in,
                              name_digest=digests[m.logical]))
    return written


def _pieces(member: Member) -> list[tuple[bool, str]]:
    """The member's text as (is a reference to another member, text) pieces: the text
    between those references (with every other reference's final URL in place), and the
    logical name each of those references points at."""
    holders = Placeholders(member.placeholder_prefix)
    split = holders.pattern.split(member.body)  # text, index, text, index, ..., text
    pieces: list[tuple[bool, str]] = []
    text = [split[0]]
    for i in range(1, len(split), 2):
        index = int(split[i])
        url = member.urls[index]
        if url is None:
            pieces.append((False, "".join(text)))
            target = member.targets[index]
            assert target is not None
            pieces.append((True, target))
            text = []
        else:
            text.append(url)
        text.append(split[i + 1])
    pieces.append((False, "".join(text)))
    return pieces


def _feed(hasher: blake3.blake3, logical: str, pieces: list[tuple[bool, str]]) -> None:
    """Hash a member's name and pieces, each with its kind and length, so that no two
    different members hash the same way."""
    for kind, text in [(b"N", logical), *((b"R" if is_ref else b"T", t) for is_ref, t in pieces)]:
        data = text.encode("utf-8")
        hasher.update(kind)
        hasher.update(_LENGTH.pack(len(data)))
        hasher.update(data)

"""CSS: find references (url(), @import, image-set(), sourceMappingURL) and minify.

The scanner is a small tokenizer: comments and strings are skipped as wholes, so URL-like
text inside them is never taken for a reference.
"""

from __future__ import annotations

import re
import string

import rcssmin

from assetbuild.charclass import ascii_except, ascii_or_any_beyond, match_end
from assetbuild.refs import LineIndex, Ref

# A repeat of a group that must not give back is an atomic group, (?>(?:...)*), never
# (?:...)*+: Python 3.11.0-3.11.4 (Debian 12's is 3.11.2) let a possessive repeat of a
# group backtrack (CPython gh-106052), and the skip patterns below then took 'url(' for a
# word. A possessive repeat of one character class ([^*]*+) was never affected.

# An identifier (escapes included): a letter, _, a non-ASCII character or an escape, then
# those, digits and hyphens.
_NAME = (r"(?:" + ascii_or_any_beyond(string.ascii_letters + "_") + r"|\\.)"
         r"(?>(?:" + ascii_or_any_beyond(string.ascii_letters + string.digits + "_-") + r"|\\.)*)")
_TOKEN = re.compile(r"""
    (?P<comment>/\*.*?(?:\*/|\Z))
  | (?P<string>"(?:[^"\\\n]|\\.|\\\n)*(?:"|$)|'(?:[^'\\\n]|\\.|\\\n)*(?:'|$))
  | (?P<func>-?""" + _NAME + r"""\()
  | (?P<word>-?""" + _NAME + r""")
  | (?P<at>@[\w-]+)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<end>[;{}])
  | (?P<escape>\\.)
""", re.S | re.X | re.M)

# Text that find_references would step over without a change of state, taken in one
# C-level match instead of one Python round per token. Each alternative takes exactly what
# one _TOKEN match (or one character that starts none) would, and only where that token
# changes nothing: words, and characters that start no token, change nothing ever...
_NO_OP = (
    ascii_except(string.ascii_letters + "_-/'\"@(){};\\") + r"""+   # starts no token
  | -?""" + _NAME + r"""(?!\()                                        # a word
  | -(?!""" + ascii_or_any_beyond(string.ascii_letters + "_\\") + r""") | /(?!\*) | @(?![\w-])  # starts no token
""")
# ... and strings, comments (but a source map), ends and other at-rules than @import change
# nothing while no function is open and no @import is pending.
_NO_OP_WHEN_IDLE = r"""
  | "(?:[^"\\\n]|\\.|\\\n)*(?:"|$) | '(?:[^'\\\n]|\\.|\\\n)*(?:'|$)
  | /\*[^*s]*+(?>(?:(?:\*(?!/)|s(?!ourceMappingURL))[^*s]*+)*)(?:\*/|\Z)
  | @(?!(?i:import)(?![\w-]))[\w-]+
  | [;{})]
"""
_SKIP = re.compile("(?>(?:" + _NO_OP + ")*)", re.S | re.X | re.M)
_SKIP_WHEN_IDLE = re.compile("(?>(?:" + _NO_OP + _NO_OP_WHEN_IDLE + ")*)", re.S | re.X | re.M)
_UNQUOTED_URL = re.compile(r"""[ \t\r\n\f]*((?:[^'"()\\\s]|\\.)+)[ \t\r\n\f]*\)""", re.S)
_SOURCEMAP = re.compile(r"/\*[#@][ \t]*sourceMappingURL=([^\s*]+)[ \t\r\n]*\*/\Z")
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(\n)|(.))", re.S)
_HINT_WORDS = ("url(", "@import", "image-set", "sourcemappingurl")
_HINTS = re.compile("|".join(re.escape(word) for word in _HINT_WORDS), re.I)
_IMAGE_SET = ("image-set", "-webkit-image-set")


def unescape(value: str) -> str:
    """Resolve CSS backslash escapes (``\\20``, ``\\(``) in a URL or string body."""
    if "\\" not in value:
        return value

    def sub(m: re.Match) -> str:
        if m.group(1):
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        if m.group(2):
            return ""
        return m.group(3)
    return _ESCAPE.sub(sub, value)


def _may_have_references(text: str) -> bool:
    """Whether *text* has a word that a reference needs (url(, @import...), in any case."""
    if text.isascii():  # then lower() compares as re.IGNORECASE would, and much faster
        lowered = text.lower()
        return any(hint in lowered for hint in _HINT_WORDS)
    return _HINTS.search(text) is not None


def find_references(text: str) -> list[Ref]:
    """Every reference in a stylesheet, in order; never raises."""
    if not _may_have_references(text):
        return []
    lines = LineIndex(text)
    refs: list[Ref] = []
    stack: list[str] = []  # names of open functions ('' for a plain parenthesis)
    importing = False
    pos, n = 0, len(text)

    def add(start: int, end: int, kind: str) -> None:
        raw = text[start:end]
        refs.append(Ref(start, end, unescape(raw), kind, lines.line(start)))

    while pos < n:
        pos = match_end(_SKIP if stack or importing else _SKIP_WHEN_IDLE, text, pos)
        m = _TOKEN.search(text, pos)
        if not m:
            break
        kind = m.lastgroup
        pos = m.end()
        if kind == "comment":
            sm = _SOURCEMAP.search(m.group())
            if sm:
                add(m.start() + sm.start(1), m.start() + sm.end(1), "sourcemap")
        elif kind == "string":
            body_end = m.end() - 1 if len(m.group()) > 1 and m.group()[-1] == m.group()[0] else m.end()
            inner = stack[-1] if stack else None
            if inner == "url":
                add(m.start() + 1, body_end, "import" if importing else "url")
            elif inner in _IMAGE_SET:
                add(m.start() + 1, body_end, "image-set")
            elif importing and not stack:
                add(m.start() + 1, body_end, "import")
                importing = False
        elif kind == "func":
            name = unescape(m.group()[:-1]).lower()
            if name == "url":
                um = _UNQUOTED_URL.match(text, pos)
                if um:
                    add(um.start(1), um.end(1), "import" if importing else "url")
                    pos = um.end()
                    importing = False
                    continue
            stack.append(name)
        elif kind == "at":
            importing = m.group().lower() == "@import"
        elif kind == "open":
            stack.append("")
        elif kind == "close":
            if stack:
                if stack.pop() == "url":
                    importing = False
        elif kind == "end":
            importing = False
            stack.clear()
    return refs


COMMENT_OR_STRING = re.compile(r"""/\*.*?(?:\*/|\Z)
  | "(?:[^"\\\n]|\\.|\\\n)*(?:"|$) | '(?:[^'\\\n]|\\.|\\\n)*(?:'|$)""", re.S | re.M | re.X)


def comment_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each comment of a stylesheet, in order."""
    return [m.span() for m in COMMENT_OR_STRING.finditer(text) if text.startswith("/*", m.start())]


class Unminifiable(ValueError):
    """A stylesheet whose minified form could not be proven to mean the same."""


def minify(text: str) -> str:
    """rcssmin with /*! license */ comments kept, proven to mean what *text* meant
    (cssproof), else Unminifiable."""
    from assetbuild import cssproof  # only here: scanning alone never needs it

    out = rcssmin.cssmin(text, keep_bang_comments=True)
    why = cssproof.disproof(text, out)
    if why is not None:
        raise Unminifiable(why)
    return out


_IMPORT_RULE = re.compile(
    r"""@import\s*(?:url\(\s*(?:"[^"]*"|'[^']*'|[^)]*)\s*\)|"[^"]*"|'[^']*')[^;{}]*;""", re.I)
_CHARSET_RULE = re.compile(r"""@charset\s*"[^"]*"\s*;""", re.I)


def hoist_imports(text: str) -> str:
    """Move @import rules to the top of a joined stylesheet (browsers ignore them elsewhere)
    and drop @charset rules after the first."""
    imports = _IMPORT_RULE.findall(text)
    if not imports:
        return text
    body = _IMPORT_RULE.sub("", text)
    charset = _CHARSET_RULE.search(body)
    head = charset.group() + "\n" if charset else ""
    body = _CHARSET_RULE.sub("", body)
    return head + "\n".join(imports) + "\n" + body

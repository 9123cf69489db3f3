"""Errors and warnings as values: file, line, message and hint, formatted only by the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the user's input."""

    level: str  # "error" or "warning"
    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    def format(self) -> str:
        """One line; control characters from file names or file content are escaped, so
        hostile input cannot break the line or send escape codes to a terminal."""
        where = self.file or "assetbuild"
        if self.line:
            where += f":{self.line}"
        text = f"{where}: {self.level}: {self.message}"
        if self.hint:
            text += f"; {self.hint}"
        return printable(text)

    def to_json(self) -> list:
        """``[level, message, file, line, hint]``, as the build cache stores it."""
        return [self.level, self.message, self.file, self.line, self.hint]

    @classmethod
    def from_json(cls, data: Any) -> Diagnostic:
        """The inverse of to_json(); ValueError when *data* is not one."""
        try:
            level, message, file, line, hint = data
        except (TypeError, ValueError):
            raise ValueError("not a diagnostic") from None
        if not (level in ("warning", "error") and isinstance(message, str)
                and all(v is None or isinstance(v, str) for v in (file, hint))
                and (line is None or type(line) is int)):
            raise ValueError("not a diagnostic")
        return cls(level, message, file, line, hint)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return ascii(ch)[1:-1]


def printable(text: str) -> str:
    """*text* with every non-printable character (controls, line separators, bidi
    overrides, undecodable bytes) written as a backslash escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def counted(number: int, noun: str) -> str:
    """'1 file', '2 files': *number* with *noun* (a regular English noun) in agreement."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class BuildError(Exception):
    """The build cannot go on; carries every error found so far."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = diagnostics
        super().__init__("; ".join(d.format() for d in diagnostics))


class UsageError(Exception):
    """The command line or the configuration is wrong (exit code 2)."""


def error(message: str, file: str | None = None, line: int | None = None,
          hint: str | None = None) -> Diagnostic:
    return Diagnostic("error", message, file, line, hint)


def warning(message: str, file: str | None = None, line: int | None = None,
            hint: str | None = None) -> Diagnostic:
    return Diagnostic("warning", message, file, line, hint)

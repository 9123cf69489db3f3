"""Errors and warnings as values: file, line, message and hint, formatted only by the CLI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the user's input."""

    level: str  # "error" or "warning"
    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    def format(self) -> str:
        where = self.file or "assetbuild"
        if self.line:
            where += f":{self.line}"
        text = f"{where}: {self.level}: {self.message}"
        if self.hint:
            text += f"; {self.hint}"
        return text


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

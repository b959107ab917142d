"""One error hierarchy for the library.

The library raises and never prints; the CLI turns these into one line on stderr and
exit code 2. Errors that concern a place in a file carry it, so the message can say
``path:line``.
"""

from __future__ import annotations

from pathlib import Path


class AnalyzerError(Exception):
    """Base class of every error the analyzer raises on purpose."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        return f"{where}{self.message}"


class InputError(AnalyzerError):
    """The user's input cannot be used: a missing or unreadable directory, a bad option."""


class CaseLockedError(AnalyzerError):
    """Another process holds the case database open for writing."""


class CaseError(AnalyzerError):
    """The case database is not usable (not a case, newer schema, corrupt)."""


class RuleError(AnalyzerError):
    """A rule file is broken: bad header, unknown table, SQL that does not parse."""


class ProfileError(AnalyzerError):
    """A source profile is broken: unknown key, wrong type, a regex that does not compile."""

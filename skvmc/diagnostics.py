"""Diagnostics at source locations, collected so that one run reports every problem.

A diagnostic renders the way C compilers do::

    examples/report/SKILL.md:3:1: error: frontmatter is missing 'description'
    name: report
    ^

Nothing here raises on a user error: producers call ``engine.error(...)`` and go on; the
driver looks at ``engine.has_errors`` at the end and picks the exit code.
"""

from __future__ import annotations

import os
import re
import sys
from array import array
from collections.abc import Iterable

import attrs

from skvmc.ir import Location

SEVERITIES = ("error", "warning", "note", "remark")


@attrs.frozen
class Diagnostic:
    severity: str
    message: str
    loc: Location | None = None
    notes: tuple[Diagnostic, ...] = ()
    code: str = ""  # a short stable id, e.g. "frontmatter-missing-key" (for -W flags, reports)

    def with_severity(self, severity: str) -> Diagnostic:
        return attrs.evolve(self, severity=severity)


class _Lines:
    """A text's lines, found on demand: the text and where each line starts (an array of
    ints, ~8 bytes a line, made on the first look-up) instead of a str per line (a 1 MB skill
    has ~10^5 lines, kept for the whole compile in case a diagnostic quotes one)."""

    __slots__ = ("text", "starts")

    def __init__(self, text: str):
        self.text = text
        self.starts: array | None = None

    def _starts(self) -> array:
        if self.starts is None:
            self.starts = array("q", [0])
            self.starts.extend(m.end() for m in re.finditer("\n", self.text))
        return self.starts

    def __len__(self) -> int:
        return len(self._starts())

    def __getitem__(self, i: int) -> str:
        """Line ``i`` (0 <= i < len): what ``text.split("\n")[i]`` is."""
        starts = self._starts()
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(self.text)
        return self.text[starts[i]:end]


class SourceManager:
    """Maps a location's file (as the IR names it) to the path shown to the user and its text."""

    def __init__(self):
        self._display: dict[str, str] = {}
        self._text: dict[str, _Lines | tuple] = {}

    def add(self, file: str, display_path: str, text: str | None = None) -> None:
        self._display[file] = display_path
        if text is not None:
            self._text[file] = _Lines(text)

    def display(self, file: str) -> str:
        return self._display.get(file, file)

    def line(self, file: str, line: int) -> str | None:
        lines = self._text.get(file)
        if lines is None:
            path = self._display.get(file, file)
            try:  # bounded: a diagnostic must never hang on a FIFO or read /dev/zero
                from skvmc.fsutil import read_limited

                data = read_limited(path, 64 << 20, "source").decode("utf-8", "replace")
                lines = _Lines(data.replace("\r\n", "\n").lstrip("\ufeff"))
            except (OSError, ValueError):
                lines = ()  # no lines to quote
            self._text[file] = lines
        if 1 <= line <= len(lines):
            return lines[line - 1]
        return None


class DiagnosticEngine:
    """Collects diagnostics; renders them with the source line and a caret."""

    def __init__(self, sources: SourceManager | None = None, werror: bool = False):
        self.sources = sources or SourceManager()
        self.werror = werror
        self.diagnostics: list[Diagnostic] = []

    def emit(self, diag: Diagnostic) -> Diagnostic:
        if self.werror and diag.severity == "warning":
            diag = diag.with_severity("error")
        self.diagnostics.append(diag)
        return diag

    def error(self, message: str, loc: Location | None = None, code: str = "", notes=()):
        return self.emit(Diagnostic("error", message, loc, tuple(notes), code))

    def warning(self, message: str, loc: Location | None = None, code: str = "", notes=()):
        return self.emit(Diagnostic("warning", message, loc, tuple(notes), code))

    def note(self, message: str, loc: Location | None = None, code: str = ""):
        return self.emit(Diagnostic("note", message, loc, (), code))

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            self.emit(d)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def count(self, severity: str) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def render(self, diag: Diagnostic) -> str:
        parts = [self._render_one(diag)]
        parts.extend(self._render_one(n) for n in diag.notes)
        return "\n".join(parts)

    def _render_one(self, diag: Diagnostic) -> str:
        if diag.loc is None or diag.loc.line <= 0:
            where = f"{self.sources.display(diag.loc.file)}: " if diag.loc else ""
            return f"{where}{diag.severity}: {diag.message}"
        path = self.sources.display(diag.loc.file)
        head = f"{path}:{diag.loc.line}:{max(diag.loc.col, 1)}: {diag.severity}: {diag.message}"
        source = self.sources.line(diag.loc.file, diag.loc.line)
        if source is None:
            return head
        # Keep tabs in the caret line so the caret sits under the right column.
        col = max(diag.loc.col, 1)
        pad = "".join(c if c == "\t" else " " for c in source[: col - 1])
        return f"{head}\n{source}\n{pad}^"

    def render_all(self) -> str:
        return "\n".join(self.render(d) for d in self.diagnostics)

    def print(self, stream=None) -> None:
        stream = stream or sys.stderr
        for d in self.diagnostics:
            print(self.render(d), file=stream)
        errors, warnings = self.count("error"), self.count("warning")
        if errors or warnings:
            summary = []
            if errors:
                summary.append(f"{errors} error{'s' if errors != 1 else ''}")
            if warnings:
                summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
            print(" and ".join(summary) + " generated.", file=stream)


def relpath_for_display(path: str) -> str:
    """Paths under the working directory are shown relative to it, like compilers do."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


class TargetLookupError(Exception):
    """A target, harness or profile that a pass asked its context for cannot be used; the
    message is meant for the user as is (``skvmc.targets.TargetError`` is one)."""


class CompileError(Exception):
    """Raised to unwind when a stage cannot go on; diagnostics are already in the engine."""

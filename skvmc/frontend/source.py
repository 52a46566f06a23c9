"""Reading a skill's SKILL.md: locating it, decoding bytes, normalising line ends."""

from __future__ import annotations

import os

import attrs

from skvmc.diagnostics import DiagnosticEngine
from skvmc.ir import Location


@attrs.frozen
class SkillSource:
    skill_dir: str  # the folder as the user gave it
    file: str  # "SKILL.md" (the name the IR uses in locations)
    path: str  # the real path, for diagnostics
    text: str  # decoded, BOM removed, CRLF -> LF, always ending in "\n" when non-empty
    line_ending: str  # "lf" or "crlf"
    bom: bool


class UsageError(Exception):
    """The command line names something that is not there (exit code 2)."""


def locate(path: str) -> tuple[str, str]:
    """(skill folder, SKILL.md path) for a folder or a SKILL.md path."""
    if not os.path.exists(path):
        raise UsageError(f"no such file or directory: {path}")
    if os.path.isdir(path):
        for name in ("SKILL.md", "skill.md", "Skill.md"):
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                return path, candidate
        raise UsageError(f"{path}: no SKILL.md in this folder")
    return os.path.dirname(path) or ".", path


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, col


def decode(data: bytes, file: str, diags: DiagnosticEngine) -> tuple[str, str, bool] | None:
    """Decode SKILL.md bytes; report NUL bytes and invalid UTF-8 at their position."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        diags.error("file contains a NUL byte; SKILL.md must be UTF-8 text",
                    Location(file, line, col), code="not-text")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line, col = _line_col(data, err.start)
        diags.error(f"invalid UTF-8 byte 0x{data[err.start]:02x}; SKILL.md must be UTF-8 text",
                    Location(file, line, col), code="not-utf8")
        return None
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    line_ending = "crlf" if "\r\n" in text else "lf"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    return text, line_ending, bom


def read_skill(path: str, diags: DiagnosticEngine) -> SkillSource | None:
    """Read and decode the skill at ``path``; None (with diagnostics) when it cannot be read."""
    skill_dir, md_path = locate(path)
    file = os.path.basename(md_path)
    diags.sources.add(file, md_path)
    try:
        with open(md_path, "rb") as fh:
            data = fh.read()
    except OSError as err:
        raise UsageError(f"cannot read {md_path}: {err.strerror}") from None
    decoded = decode(data, file, diags)
    if decoded is None:
        return None
    text, line_ending, bom = decoded
    diags.sources.add(file, md_path, text)
    return SkillSource(skill_dir, file, md_path, text, line_ending, bom)

"""Helpers for backend tests: compile a skill for a target through the library API."""

from __future__ import annotations

import functools
from pathlib import Path

from skvmc.diagnostics import DiagnosticEngine

HARNESSES = ("aider", "bare", "claude-code", "codex", "goose", "hermes", "openclaw", "opencode",
             "openhands")
ALL_L3 = Path(__file__).resolve().parent.parent / "fixtures" / "backends" / "all-l3.json"


def options_for(*extra):
    """CompileOptions as the command line would build them from ``extra`` flags."""
    from skvmc.driver import build_parser, options_from_args

    return options_from_args(build_parser().parse_args(["skill", *extra]))


@functools.cache
def parsed(skill: str):
    from skvmc.compile import parse

    return parse(skill, DiagnosticEngine())


@functools.cache
def compiled(skill: str, target: str, *flags: str):
    from skvmc.compile import compile

    return compile(parsed(skill), target, options_for(*flags), diags=DiagnosticEngine())

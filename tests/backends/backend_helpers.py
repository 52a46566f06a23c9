"""Helpers for backend tests: compile a skill for a target through the real driver code."""

from __future__ import annotations

import functools
from pathlib import Path

from skvmc.diagnostics import DiagnosticEngine

HARNESSES = ("aider", "bare", "claude-code", "codex", "goose", "hermes", "openclaw", "opencode",
             "openhands")
ALL_L3 = Path(__file__).resolve().parent.parent / "fixtures" / "backends" / "all-l3.json"


def args_for(skill, target, *extra):
    from skvmc.driver import build_parser

    return build_parser().parse_args([str(skill), f"--target={target}", *extra])


@functools.cache
def parsed(skill: str):
    from skvmc.compile import parse_all

    return parse_all([skill], DiagnosticEngine())[0]


@functools.cache
def compiled(skill: str, target: str):
    from skvmc.compile import compile_one
    from skvmc.targets import parse_target

    return compile_one(parsed(skill), target, parse_target(target), args_for(skill, target),
                       DiagnosticEngine())

"""Backends: a lowered module in, the files one target needs out.

Each backend is a function ``emit(inp: BackendInput) -> dict[str, bytes]`` (path relative to
the target's output folder -> content). They are pure: the driver (``skvmc.compile``) times
them, collects every file in memory and writes the folder atomically at the end.
Each backend declares the ops it accepts (``skvmc.legal.LegalOps``); any other op is a compile
error naming the op and the backend.

=========  =======================================================  ================
backend    files                                                    ``--emit`` kind
=========  =======================================================  ================
prompt     ``<harness skills dir>/<name>/SKILL.md`` + bundle files  prompt
env        ``env-setup.sh``                                         env
bytecode   ``skill.skbc``, ``skill.skasm``                          bytecode, asm
skir       ``skill.skir`` (the lowered IR)                          ir
dag        ``dag.dot``, ``dag.mmd``                                 dot, mermaid
report     ``report.json`` (runs last: reads the others' results)   report
=========  =======================================================  ================
"""

from __future__ import annotations

import importlib

import attrs

from skvmc.ir import Operation


@attrs.define
class BackendInput:
    """Everything a backend may read. ``shared`` lets later backends see earlier results
    (the report reads token counts from the prompt backend and sizes from the bytecode one)."""

    module: Operation  # the lowered module
    source: Operation  # the module as the frontend produced it
    target: object  # skvmc.targets.Target
    target_spec: str
    skill_dir: str  # the skill folder on disk (bundle files are copied from it)
    source_text: str  # SKILL.md as read
    report: dict = attrs.field(factory=dict)  # PassContext.report
    diagnostics: list = attrs.field(factory=list)  # rendered diagnostics of this compile
    timings: dict = attrs.field(factory=dict)
    pipeline: str = ""
    mode: str = "partial"
    shared: dict = attrs.field(factory=dict)
    diags: object = None  # the DiagnosticEngine: backends report illegal ops there
    bundle: object = None  # skvmc.frontend.bundle.BundleReader: safe, once-per-skill reads
    granularity: str = "auto"  # CompileOptions.granularity

    @property
    def harness(self):
        return self.target.harness

    @property
    def skill_name(self) -> str:
        from skvmc.dialects.skill import skill_name

        return skill_name(self.module)


# backend name -> "module:function", in the order they run (report last)
BACKENDS: dict[str, str] = {
    "prompt": "skvmc.targets.backends.prompt:emit",
    "env": "skvmc.targets.backends.env:emit",
    "bytecode": "skvmc.targets.backends.bytecode:emit",
    "skir": "skvmc.targets.backends.skir:emit",
    "dag": "skvmc.targets.backends.dag:emit",
    "report": "skvmc.targets.backends.report:emit",
}

# --emit kind -> (backend, which of its files; None = the prompt's SKILL.md)
EMIT_FILES: dict[str, tuple[str, str | None]] = {
    "ir": ("skir", "skill.skir"),
    "prompt": ("prompt", None),
    "env": ("env", "env-setup.sh"),
    "asm": ("bytecode", "skill.skasm"),
    "bytecode": ("bytecode", "skill.skbc"),
    "report": ("report", "report.json"),
    "dot": ("dag", "dag.dot"),
    "mermaid": ("dag", "dag.mmd"),
}


def backend(name: str):
    module_name, _, func = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module_name), func)

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


@attrs.frozen
class PromptOutput:
    """What the prompt backend made: the report counts its tokens and lists its edits."""

    skill_md: str
    skill_md_path: str  # where the harness finds it, relative to the output folder
    edits: list
    edits_refused: list
    binding: dict | None = None  # the harness binding route and why (skvmc.targets.binding)


@attrs.frozen
class BytecodeOutput:
    size: int  # bytes of skill.skbc
    instructions: int
    granularity: dict  # how the program is cut into model calls, and why
    solidified: list  # commands compiled ahead of time to EXEC
    solidify_refused: list  # commands left to the model, and why
    retries: dict  # how often a failed step is asked again, and why (backends/retries.py)


@attrs.define
class BackendInput:
    """Everything a backend may read: the module, the passes' typed results (``result``) and
    what backends before it made (``output``: each backend publishes one typed record; the
    report runs last and reads them)."""

    module: Operation  # the lowered module
    source: Operation  # the module as the frontend produced it
    target: object  # skvmc.targets.Target
    target_spec: str
    skill_dir: str  # the skill folder on disk (bundle files are copied from it)
    source_text: str  # SKILL.md as read
    results: dict = attrs.field(factory=dict)  # PassContext.results: pass name -> record
    diagnostics: list = attrs.field(factory=list)  # rendered diagnostics of this compile
    timings: dict = attrs.field(factory=dict)
    pipeline: str = ""
    mode: str = "partial"
    report_timings: bool = False  # the report lists wall-clock timings (not deterministic)
    diags: object = None  # the DiagnosticEngine: backends report illegal ops there
    bundle: object = None  # skvmc.frontend.bundle.BundleReader: safe, once-per-skill reads
    granularity: str = "auto"  # CompileOptions.granularity
    binding_route: str = "auto"  # CompileOptions.binding_route
    harness_output_check: bool = False  # CompileOptions.harness_output_check
    outputs: dict = attrs.field(factory=dict)  # output record type -> record

    def result(self, kind):
        """The pass result record of type ``kind`` (skvmc.passes.results), or None."""
        found = self.results.get(kind.pass_name)
        return found if isinstance(found, kind) else None

    def publish(self, record) -> None:
        self.outputs[type(record)] = record

    def output(self, kind):
        """What an earlier backend published (a ``PromptOutput`` ...), or None."""
        return self.outputs.get(kind)

    @property
    def report(self) -> dict[str, dict]:
        """The pass results as dicts, in the order the passes ran."""
        return {name: r.to_json() for name, r in self.results.items()}

    @property
    def harness(self):
        return self.target.harness

    @property
    def skill_name(self) -> str:
        from skvmc.dialects.skill import skill_name

        return skill_name(self.module)


# backend name -> "module:function", in the order they run (report last)
BACKENDS: dict[str, str] = {
    "prompt": "skvmc.backends.prompt:emit",
    "env": "skvmc.backends.env:emit",
    "bytecode": "skvmc.backends.bytecode:emit",
    "skir": "skvmc.backends.skir:emit",
    "dag": "skvmc.backends.dag:emit",
    "report": "skvmc.backends.report:emit",
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

"""The compiler as a library: ``compile(skill, target, options) -> Compiled``.

    from skvmc.compile import CompileOptions, compile
    result = compile("examples/csv-summary", "qwen-7b+openhands", CompileOptions(strict=True))
    result.files["skill.skbc"]

The command line (``skvmc.driver``), the bench (``skvmc.bench``) and adaptive recompilation
(``compile_skill``, called by ``skvmc run --recompile``) all go through ``compile``; nothing
builds an argparse namespace or edits pipeline text.

Stages of one compile:

1. ``parse(path)``: the frontend, once per skill.
2. ``target_passes(target, options)``: the pipeline as pass objects, ``default_pipeline(target)``
   (or ``options.pipeline``), with ``attrs.evolve`` applying ``strict`` (``mode=full``) and
   ``overlay`` (a dict option) to ``lower-capabilities``.
3. ``split_at_target(passes)``: the prefix before the first pass that reads the target
   (``Pass.reads_target``) runs once per skill (``prepare``); every target continues from the
   same immutable module (no copy).
4. The rest of the pipeline, then every backend of ``skvmc.backends.BACKENDS``
   (report last). Files are kept in memory; writing them is the caller's business.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

import attrs

from skvmc.diagnostics import CompileError, Diagnostic, DiagnosticEngine
from skvmc.ir import FrozenDict
from skvmc.memo import gc_paused
from skvmc.passmanager import (
    Instrumentation,
    Pass,
    PassContext,
    PassManager,
    parse_pipeline,
    reads_target,
)

__all__ = ["CompileOptions", "Compiled", "ParsedSkill", "Prepared", "compile", "compile_skill",
           "parse", "prepare", "split_at_target", "target_passes"]


def _overlay(value) -> FrozenDict | None:
    if not value:
        return None
    return FrozenDict(sorted((str(k), v) for k, v in dict(value).items()))


def _backends(value) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen
class CompileOptions:
    """Everything that changes what a compile produces (and -Werror). Frozen and hashable, so
    it can travel to worker processes and take part in cache keys."""

    pipeline: str | None = None  # pipeline text; None: default_pipeline(target)
    strict: bool = False  # lower-capabilities mode=full: a gap is an error
    overlay: FrozenDict | None = attrs.field(default=None, converter=_overlay)  # prim -> level
    explain: bool = False  # print requirement, level and evidence per step (stderr)
    # a compile verifies once per pipeline run, after its last pass (``verify_each=True``
    # finds the pass that broke a module)
    instrumentation: Instrumentation = attrs.field(
        factory=lambda: Instrumentation(verify_each=False))
    backends: tuple[str, ...] | None = attrs.field(default=None, converter=_backends)
    werror: bool = False
    report_timings: bool = False  # wall-clock timings in report.json (off: deterministic)
    max_bundle_file: int | None = None  # bytes; None: BundleLimits' default
    max_bundle_size: int | None = None
    # bytecode: one agent loop for the skill ("whole"), VM-sequenced steps ("split"), or the
    # choice the target's profile supports ("auto"; see skvmc/backends/granularity.py)
    granularity: str = attrs.field(default="auto", validator=attrs.validators.in_(
        ("auto", "whole", "split")))
    # prompt: how the skill reaches the model in its harness ("auto": from the measurements in
    # targets/bindings; a route name forces it, to measure that route)
    binding_route: str = attrs.field(default="auto", validator=attrs.validators.in_(
        ("auto", "skill-folder", "context-file", "context-pointer")))
    # prompt: with a context route, also the harness-side output check (pi's extension);
    # off by default: measured in pi with the 1.5B, its follow-ups recovered 0 of 3 runs
    harness_output_check: bool = False

    @property
    def bundle_limits(self):
        from skvmc.frontend.bundle import BundleLimits

        default = BundleLimits()
        return BundleLimits(self.max_bundle_file or default.max_file,
                            self.max_bundle_size or default.max_total)

    @property
    def mode(self) -> str:
        return "full" if self.strict else "partial"


@attrs.frozen
class ParsedSkill:
    path: str  # as given
    skill_dir: str  # the folder holding SKILL.md
    module: object
    text: str  # SKILL.md as read
    seconds: float
    # BundleReader, made on first use and shared by every target: a cache, not part of the
    # value (so it is left out of equality and set once through object.__setattr__)
    bundle: object = attrs.field(default=None, eq=False, hash=False, repr=False)

    @property
    def name(self) -> str:
        return self.module.attr("skill_dir") or "skill"


@attrs.frozen
class Prepared:
    """A skill after the target-independent prefix of a pipeline (see ``split_at_target``)."""

    skill: ParsedSkill
    key: tuple[str, ...]  # the prefix's pass specs: targets with the same key share it
    module: object
    results: dict  # pass name -> its PassResult record
    timings: tuple  # (pass name, seconds)
    diagnostics: tuple  # what the prefix reported


@attrs.define
class Compiled:
    skill: ParsedSkill
    target_spec: str
    target: object
    module: object  # lowered
    files: dict  # relative path -> bytes
    prompt_path: str  # where the prompt backend put SKILL.md
    timings: dict
    pipeline: str = ""
    diagnostics: tuple = ()  # of this compile (prefix and target part)


def _skill_dir(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else path


def parse(path, diags: DiagnosticEngine | None = None) -> ParsedSkill:
    """The frontend for one skill folder or SKILL.md. Raises CompileError after reporting."""
    from skvmc import frontend

    diags = diags if diags is not None else DiagnosticEngine()
    path = str(path)
    start = time.perf_counter()
    with gc_paused():
        module = frontend.parse_skill(path, diags)
    seconds = time.perf_counter() - start
    folder = _skill_dir(path)
    source = os.path.join(folder, module.attr("source") or "SKILL.md")
    with open(source, encoding="utf-8-sig", errors="replace", newline="") as fh:
        text = fh.read()
    return ParsedSkill(path, folder, module, text, seconds)


# ---------------------------------------------------------------------------------------------
# Pipelines as pass objects

_PARSED: dict[str, tuple[Pass, ...]] = {}  # pipeline text -> passes (immutable, so shared)


def _parse_text(text: str, diags: DiagnosticEngine) -> tuple[Pass, ...]:
    passes = _PARSED.get(text)
    if passes is None:
        passes = tuple(parse_pipeline(text, diags))  # raises CompileError after reporting
        _PARSED[text] = passes
    return passes


class Pipeline(list):
    """A list of passes that remembers the text it was parsed from (shown in reports)."""

    source: str = ""


def target_passes(target: str | None, options: CompileOptions,
                  diags: DiagnosticEngine | None = None) -> Pipeline:
    """The pipeline for one target spec as pass objects."""
    from skvmc.passes import default_pipeline

    diags = diags if diags is not None else DiagnosticEngine()
    text = options.pipeline or default_pipeline(target)
    passes = Pipeline(_parse_text(text, diags))
    passes.source = text
    for i, p in enumerate(passes):
        if p.name != "lower-capabilities":
            continue
        if options.strict:
            p = attrs.evolve(p, mode="full")
        if options.overlay:
            p = attrs.evolve(p, overlay=options.overlay)
        if p is not passes[i]:
            passes[i] = p
            passes.source = ""  # no longer what the text says
    return passes


def pipeline_text(passes) -> str:
    """The pipeline as text: as written when nothing was changed, else each pass's spec."""
    return getattr(passes, "source", "") or ",".join(p.spec() for p in passes)


def split_at_target(passes) -> tuple[list[Pass], list[Pass]]:
    """(prefix, rest): the prefix is every pass before the first one that reads the target."""
    passes = list(passes)
    for i, p in enumerate(passes):
        if reads_target(p):
            return passes[:i], passes[i:]
    return passes, []


def _context(options: CompileOptions, diags: DiagnosticEngine, results=None,
             skill_path: str | None = None, bundle=None) -> PassContext:
    ctx = PassContext(diags=diags)
    ctx.options["explain"] = options.explain
    if skill_path:
        ctx.options["skill_path"] = skill_path  # bind-env reads the bundled scripts' imports
    if bundle is not None:  # the skill's BundleReader: its folder listed once per skill
        ctx.options["bundle"] = bundle
    if results:  # the prefix's records (immutable: shared, not copied)
        ctx.results.update(results)
    return ctx


def prepare(skill: ParsedSkill, prefix, options: CompileOptions,
            diags: DiagnosticEngine) -> Prepared:
    """Run the target-independent prefix once. Raises CompileError after reporting."""
    first = len(diags.diagnostics)
    ctx = _context(options, diags, skill_path=skill.skill_dir)
    manager = PassManager(list(prefix), options.instrumentation)
    with gc_paused():
        module = manager.run(skill.module, ctx)
    return Prepared(skill, tuple(p.spec() for p in prefix), module, dict(ctx.results),
                    tuple(manager.timings), tuple(diags.diagnostics[first:]))


def short(diag: Diagnostic) -> str:
    where = f"{diag.loc}: " if diag.loc is not None else ""
    return f"{where}{diag.severity}: {diag.message}"


def _target(target, diags: DiagnosticEngine):
    from skvmc.targets import TargetError, parse_target

    if not isinstance(target, str):
        return target, str(target)
    try:
        return parse_target(target, diags), target
    except TargetError as err:
        diags.error(err.message, None, code="target")
        raise CompileError(err.message) from None


def compile(skill, target, options: CompileOptions | None = None, *,
            diags: DiagnosticEngine | None = None) -> Compiled:
    """Compile one skill for one target.

    ``skill``: a path (folder or SKILL.md), a ``ParsedSkill`` or a ``Prepared`` (its prefix
    is reused when it matches this target's); ``target``: a MODEL+HARNESS spec or a
    ``Target``. Diagnostics go to ``diags`` (a fresh engine when None). Raises CompileError,
    whose message is the rendered diagnostics, when anything failed."""
    from skvmc.backends import BACKENDS, BackendInput, PromptOutput, backend

    options = options or CompileOptions()
    diags = diags if diags is not None else DiagnosticEngine(werror=options.werror)
    first = len(diags.diagnostics)
    try:
        target_obj, spec = _target(target, diags)
        if not isinstance(skill, (ParsedSkill, Prepared)):
            skill = parse(skill, diags)
        passes = target_passes(spec, options, diags)
        prefix, rest = split_at_target(passes)
        key = tuple(p.spec() for p in prefix)
        prepared = skill if isinstance(skill, Prepared) and skill.key == key else None
        if prepared is None:
            parsed = skill.skill if isinstance(skill, Prepared) else skill
            prepared = prepare(parsed, prefix, options, diags)
        mark = len(diags.diagnostics)
        parsed = prepared.skill
        if parsed.bundle is None:  # read once per skill, whatever the number of targets
            from skvmc.frontend.bundle import BundleReader

            object.__setattr__(parsed, "bundle",
                               BundleReader(parsed.skill_dir, diags, options.bundle_limits))
        ctx = _context(options, diags, prepared.results, parsed.skill_dir, parsed.bundle)
        manager = PassManager(rest, options.instrumentation)
        with gc_paused():
            module = manager.run(prepared.module, ctx)
    except CompileError:
        raise CompileError(_rendered(diags, first) or "compile failed") from None
    if diags.count("error") > sum(d.severity == "error" for d in diags.diagnostics[:first]):
        raise CompileError(_rendered(diags, first))
    text = pipeline_text(passes)
    timings = {"frontend": round(parsed.seconds, 6),
               "passes": [{"name": n, "seconds": round(t, 6)}
                          for n, t in (*prepared.timings, *manager.timings)],
               "backends": {}}
    mine = prepared.diagnostics + tuple(diags.diagnostics[mark:])
    inp = BackendInput(module=module, source=parsed.module, target=target_obj, target_spec=spec,
                       skill_dir=parsed.skill_dir, source_text=parsed.text, results=ctx.results,
                       diagnostics=[short(d) for d in mine], timings=timings, pipeline=text,
                       mode=options.mode, diags=diags, bundle=parsed.bundle,
                       granularity=options.granularity, binding_route=options.binding_route,
                       harness_output_check=options.harness_output_check,
                       report_timings=options.report_timings)
    files: dict[str, bytes] = {}
    names = options.backends or tuple(BACKENDS)
    # The report reads the other backends' results and timings, so it runs last, once.
    for name in [n for n in names if n != "report"] + [n for n in names if n == "report"]:
        start = time.perf_counter()
        files.update(backend(name)(inp))
        timings["backends"][name] = round(time.perf_counter() - start, 6)
    prompt = inp.output(PromptOutput)
    return Compiled(parsed, spec, target_obj, module, files, prompt.skill_md_path if prompt else "",
                    timings, text, tuple(diags.diagnostics[first:]))


def _rendered(diags: DiagnosticEngine, first: int) -> str:
    return "\n".join(diags.render(d) for d in diags.diagnostics[first:])


def load_overlay(overlay) -> dict | None:
    """An overlay: a dict, or a JSON file of primitive -> level (or an overlay store file,
    ``{"overlay": {...}}``). Raises CompileError for an unreadable file."""
    if overlay is None or isinstance(overlay, Mapping):
        return dict(overlay) if overlay else None
    from skvmc import safejson
    from skvmc.fsutil import read_limited

    try:  # bounded: overlay=/dev/zero or a FIFO must not read forever
        data = safejson.loads(read_limited(str(overlay), 1 << 20, "the overlay").decode("utf-8"))
    except (OSError, ValueError) as err:
        raise CompileError(f"error: cannot read overlay: {err}") from None
    if isinstance(data, dict) and isinstance(data.get("overlay"), dict):
        data = data["overlay"]
    if not isinstance(data, dict):
        raise CompileError(f"error: overlay {overlay}: expected a JSON object primitive -> level")
    return data


def compile_skill(skill_path, target_spec: str, overlay=None, granularity: str = "auto"):
    """Compile one skill for one target and return its bytecode ``Program`` (what adaptive
    recompilation calls). ``overlay``: primitive -> level caps (a dict, or a JSON file path)
    applied on top of the target's profile. Raises CompileError with the rendered
    diagnostics when the skill does not compile."""
    from skvmc.bytecode import decode

    options = CompileOptions(overlay=load_overlay(overlay), backends=("prompt", "bytecode"),
                             granularity=granularity)
    return decode(compile(str(skill_path), target_spec, options).files["skill.skbc"])

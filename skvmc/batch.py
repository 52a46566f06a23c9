"""Many skills x many targets: the unit of work of ``-j N``, ``--cache-dir`` and
``skvmc compile-corpus``.

A unit is one skill and its targets (``Unit``): the skill is parsed once and the
target-independent prefix of the pipeline runs once (``skvmc.compile.prepare``); each target
continues from there. ``compile_unit`` returns plain data (``SkillResult``: files as bytes,
diagnostics already rendered), so a unit can run in a worker process or a Ray task and its
result be printed by the parent in input order, whatever order units finished in.
"""

from __future__ import annotations

import contextlib

import attrs

from skvmc import memo
from skvmc.compile import CompileOptions
from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.memo import last_compile


@attrs.frozen
class Unit:
    index: int  # position in the input (results are put back in this order)
    path: str
    targets: tuple[str, ...]
    options: CompileOptions = attrs.field(factory=CompileOptions)
    cache_dir: str | None = None


@attrs.frozen
class TargetResult:
    target_spec: str
    target_name: str  # str(Target): the output folder name
    ok: bool
    files: dict = attrs.field(factory=dict, eq=False)  # relative path -> bytes
    prompt_path: str = ""
    text: str = ""  # rendered diagnostics of this target's part of the compile
    errors: int = 0
    warnings: int = 0
    cached: bool = False


@attrs.frozen
class SkillResult:
    index: int
    path: str
    skill_name: str  # the skill folder's name (module attr skill_dir)
    ok: bool  # the frontend and the target-independent prefix succeeded
    text: str  # rendered diagnostics of the frontend and the prefix
    errors: int
    warnings: int
    targets: tuple[TargetResult, ...] = ()
    usage: str = ""  # a usage error (e.g. no such skill): exit 2

    @property
    def all_text(self) -> str:
        return "".join(t for t in [self.text, *(r.text for r in self.targets)] if t)

    @property
    def counts(self) -> tuple[int, int]:
        return (self.errors + sum(r.errors for r in self.targets),
                self.warnings + sum(r.warnings for r in self.targets))


def _segment(diags: DiagnosticEngine, start: int) -> tuple[str, int, int]:
    part = diags.diagnostics[start:]
    text = "".join(diags.render(d) + "\n" for d in part)
    return (text, sum(d.severity == "error" for d in part),
            sum(d.severity == "warning" for d in part))


def _keys(unit: Unit, diags: DiagnosticEngine):
    """Per target: (pipeline text, cache key), or None without a cache."""
    from skvmc import cache
    from skvmc.compile import pipeline_text, target_passes

    digest = cache.skill_digest(unit.path)
    out = []
    for spec in unit.targets:
        try:
            text = pipeline_text(target_passes(spec, unit.options, diags))
        except CompileError:
            return None  # a bad pipeline: compile for real, which reports it
        out.append(cache.key(digest, text, spec, unit.options.backends))
    return out


def compile_unit(unit: Unit, _model=None) -> SkillResult:
    """Compile one skill for each of its targets (the ``work`` of ``skvmc.matrix``)."""
    froze: list[bool] = []
    try:
        return _compile_unit(unit, froze)
    finally:
        if froze:
            memo.unfreeze()  # what _parse froze: collectable again once the unit is done


def _parse(api, path: str, diags: DiagnosticEngine, froze: list[bool]):
    """The frontend (which pauses the collector, see ``skvmc.memo.gc_paused``); its module
    lives as long as the unit, so it is frozen (``gc.freeze``): the collections during the
    backends walk only what was built after it, not the source module again and again. Not
    when something else froze objects already (a unit on another thread, or the caller)."""
    parsed = api.parse(path, diags)
    if memo.freeze():
        froze.append(True)
    return parsed


def _compile_unit(unit: Unit, froze: list[bool]) -> SkillResult:
    from skvmc import compile as api
    from skvmc.cache import Cache

    cache = Cache(unit.cache_dir) if unit.cache_dir else None
    diags = DiagnosticEngine(werror=unit.options.werror)
    keys = _keys(unit, DiagnosticEngine()) if cache else None
    hits = [cache.get(k) for k in keys] if keys else [None] * len(unit.targets)
    if keys and all(hits):  # warm: reading and hashing only
        first = hits[0]
        return SkillResult(unit.index, unit.path, first["skill_name"], True, first["pre_text"],
                           *first["pre_counts"], tuple(
                               TargetResult(spec, h["target_name"], True, h["files"],
                                            h["prompt_path"], h["text"], *h["counts"], True)
                               for spec, h in zip(unit.targets, hits)))
    from skvmc.frontend import UsageError

    try:
        parsed = _parse(api, unit.path, diags, froze)
    except CompileError:
        return SkillResult(unit.index, unit.path, "", False, *_segment(diags, 0))
    except UsageError as err:
        return SkillResult(unit.index, unit.path, "", False, *_segment(diags, 0),
                           usage=str(err))
    prepared: dict[tuple, object] = {}
    results, pre_end = [], len(diags.diagnostics)
    pre_failed = False
    for i, spec in enumerate(unit.targets):
        if hits[i]:
            h = hits[i]
            results.append(TargetResult(spec, h["target_name"], True, h["files"],
                                        h["prompt_path"], h["text"], *h["counts"], True))
            continue
        # the prefix is shared by every target with the same prefix specs
        passes = api.target_passes(spec, unit.options, diags)
        prefix, _ = api.split_at_target(passes)
        pkey = tuple(p.spec() for p in prefix)
        start = len(diags.diagnostics)
        if pkey not in prepared:
            try:
                prepared[pkey] = api.prepare(parsed, prefix, unit.options, diags)
            except CompileError:
                pre_failed = True
                break
            if len(prepared) == 1:  # the first prefix's diagnostics belong to the skill
                pre_end = start = len(diags.diagnostics)
        last = i == len(unit.targets) - 1  # no later compile meets these modules
        try:
            with last_compile() if last else contextlib.nullcontext():
                c = api.compile(prepared[pkey], spec, unit.options, diags=diags)
        except CompileError:
            text, errors, warnings = _segment(diags, start)
            results.append(TargetResult(spec, spec, False, {}, "", text, errors, warnings))
            continue
        text, errors, warnings = _segment(diags, start)
        results.append(TargetResult(spec, str(c.target), True, c.files, c.prompt_path, text,
                                    errors, warnings))
    pre_text, pre_errors, pre_warnings = _segment(diags, 0) if pre_failed else (
        "".join(diags.render(d) + "\n" for d in diags.diagnostics[:pre_end]),
        sum(d.severity == "error" for d in diags.diagnostics[:pre_end]),
        sum(d.severity == "warning" for d in diags.diagnostics[:pre_end]))
    if cache and keys:
        for k, r, h in zip(keys, results, hits):
            if r.ok and not h:
                cache.put(k, r.files, skill_name=parsed.name, target_name=r.target_name,
                          prompt_path=r.prompt_path, text=r.text,
                          counts=[r.errors, r.warnings], pre_text=pre_text,
                          pre_counts=[pre_errors, pre_warnings])
    return SkillResult(unit.index, unit.path, parsed.name, not pre_failed, pre_text, pre_errors,
                       pre_warnings, tuple(results))


def _size(unit: Unit) -> int:
    import os

    path = os.path.join(unit.path, "SKILL.md") if os.path.isdir(unit.path) else unit.path
    try:
        return os.path.getsize(path) * len(unit.targets)
    except OSError:
        return 0


def _warm_up(units) -> None:
    """Import what every unit needs (frontend, grammar, passes, backends) once, before fork."""
    from skvmc import frontend, grammar  # noqa: F401
    from skvmc.backends import BACKENDS, backend
    from skvmc.compile import target_passes
    from skvmc.diagnostics import CompileError

    grammar.load("skill", lexer="contextual")
    for unit in units[:1]:
        for spec in unit.targets:
            with contextlib.suppress(CompileError):  # the unit itself reports a bad pipeline
                target_passes(spec, unit.options)
    for name in BACKENDS:
        backend(name)


def _no_model():
    return None


def run_units(units, *, jobs: int = 1, executor: str = "local", ray_address: str | None = None,
              on_done=None) -> list[SkillResult]:
    """Compile every unit through ``skvmc.matrix`` (``-j N`` > 1 locally: worker processes);
    returns the results in input order. ``on_done(result)`` sees each as it arrives."""
    from skvmc import matrix

    units = list(units)
    results: list[SkillResult | None] = [None] * len(units)
    if executor == "local" and jobs > 1:
        executor = "process"
    position = {u.index: i for i, u in enumerate(units)}
    if executor != "local":  # biggest first, so no worker is left with a long one at the end
        units = sorted(units, key=_size, reverse=True)
    if executor == "process":
        _warm_up(units)  # forked workers inherit the imported compiler and built grammar

    def done(result: SkillResult) -> None:
        results[position[result.index]] = result
        if on_done is not None:
            on_done(result)

    with fewer_collections():  # forked workers inherit the setting
        matrix.run_matrix(units, compile_unit, _no_model, on_done=done, executor=executor,
                          concurrency=jobs, ray_address=ray_address)
    return results


@contextlib.contextmanager
def fewer_collections(young: int = 20000):
    """Run the cyclic garbage collector less often for the duration (restored after).

    Compiling allocates many short-lived IR objects that hold no cycles (reference counting
    frees them), while the memos keep a large heap alive: with the default threshold (700
    allocations) the collector ran thousands of times over a batch and took ~10% of its CPU
    time finding nothing. A collector switched off (threshold 0) stays off."""
    import gc

    old = gc.get_threshold()
    if 0 < old[0] < young:
        gc.set_threshold(young, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)

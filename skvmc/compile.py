"""``skvmc SKILL... --target=MODEL+HARNESS[,...]``: skills in, per-target artifacts out.

1. Parse every skill once (frontend), timing each.
2. For each skill and each target, run the pipeline (``default_pipeline(target)`` unless
   ``--pipeline`` is given; ``--strict`` makes ``lower-capabilities`` run in ``full`` mode) with
   the MLIR dump flags from the command line, then every backend in
   ``skvmc.targets.backends.BACKENDS`` order. All files are kept in memory.
3. If nothing failed: ``--emit=KIND`` prints one artifact per (skill, target) to stdout;
   otherwise the output folder is written atomically (``AtomicDir``): it appears complete or
   not at all, and a failed compile leaves an existing folder untouched.

Layout of the output folder (default ``./out``, see docs/backends.md): one skill and one target
-> the artifacts directly in OUT; several -> ``OUT/<skill>/<model>+<harness>/``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

import attrs

from skvmc.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, instrumentation
from skvmc.diagnostics import CompileError, DiagnosticEngine

DEFAULT_OUT = "out"


@attrs.define
class ParsedSkill:
    path: str  # as given
    skill_dir: str  # the folder holding SKILL.md
    module: object
    text: str  # SKILL.md as read
    seconds: float
    bundle: object = None  # BundleReader, made on first use and shared by every target


@attrs.define
class Compiled:
    skill: ParsedSkill
    target_spec: str
    target: object
    module: object  # lowered
    files: dict  # relative path -> bytes
    prompt_path: str  # where the prompt backend put SKILL.md
    timings: dict


def _skill_dir(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else path


def parse_all(paths, diags: DiagnosticEngine) -> list[ParsedSkill]:
    """Parse each skill exactly once; report every failing skill before giving up."""
    from skvmc import frontend

    out, failed = [], False
    for path in paths:
        start = time.perf_counter()
        try:
            module = frontend.parse_skill(path, diags)
        except CompileError:
            failed = True
            continue
        seconds = time.perf_counter() - start
        folder = _skill_dir(path)
        source = os.path.join(folder, module.attr("source") or "SKILL.md")
        with open(source, encoding="utf-8-sig", errors="replace", newline="") as fh:
            text = fh.read()
        out.append(ParsedSkill(path, folder, module, text, seconds))
    if failed:
        raise CompileError("frontend failed")
    return out


def pipeline_for(spec: str, strict: bool, explicit: str | None = None,
                 overlay: str | None = None) -> str:
    """The pipeline text for one target (target names are quoted: they may be file paths).
    ``overlay`` (a JSON file primitive -> level) is given to ``lower-capabilities``."""
    from skvmc.passes import default_pipeline

    text = explicit or default_pipeline(spec)  # default_pipeline quotes the values
    if strict:
        text = re.sub(r"lower-capabilities\{([^}]*)\}",
                      lambda m: "lower-capabilities{" + re.sub(r"\s*mode=\w+", "", m.group(1))
                      + " mode=full}", text)
    if overlay:
        text = re.sub(r"lower-capabilities\{([^}]*)\}",
                      lambda m: "lower-capabilities{" + m.group(1)
                      + " overlay=" + json.dumps(overlay) + "}", text)
    return text


def _short(diag) -> str:
    where = f"{diag.loc}: " if diag.loc is not None else ""
    return f"{where}{diag.severity}: {diag.message}"


def bundle_limits(args):
    """Per-file and total size limits of bundle copying (``--max-bundle-file-size``,
    ``--max-bundle-size``)."""
    from skvmc.frontend.bundle import BundleLimits

    default = BundleLimits()
    return BundleLimits(getattr(args, "max_bundle_file_size", None) or default.max_file,
                        getattr(args, "max_bundle_size", None) or default.max_total)


def compile_one(skill: ParsedSkill, spec: str, target, args, diags: DiagnosticEngine,
                backends=None) -> Compiled:
    """Pipeline + backends for one (skill, target). Raises CompileError after reporting."""
    from skvmc.passmanager import PassContext, PassManager, parse_pipeline
    from skvmc.targets.backends import BACKENDS, BackendInput, backend

    strict = bool(getattr(args, "strict", False))
    text = pipeline_for(spec, strict, getattr(args, "pipeline", None),
                        getattr(args, "overlay", None))
    first = len(diags.diagnostics)
    passes = parse_pipeline(text, diags)
    ctx = PassContext(diags=diags)
    ctx.options.setdefault("explain", getattr(args, "explain", False))
    manager = PassManager(passes, instrumentation(args))
    module = manager.run(skill.module, ctx)
    timings = {"frontend": round(skill.seconds, 6),
               "passes": [{"name": n, "seconds": round(t, 6)} for n, t in manager.timings],
               "backends": {}}
    if skill.bundle is None:
        from skvmc.frontend.bundle import BundleReader

        skill.bundle = BundleReader(skill.skill_dir, diags, bundle_limits(args))
    inp = BackendInput(module=module, source=skill.module, target=target, target_spec=spec,
                       skill_dir=skill.skill_dir, source_text=skill.text, report=ctx.report,
                       diagnostics=[_short(d) for d in diags.diagnostics[first:]],
                       timings=timings, pipeline=text, mode="full" if strict else "partial",
                       bundle=skill.bundle)
    inp.shared["report_timings"] = bool(getattr(args, "report_timings", False))
    files: dict[str, bytes] = {}
    for name in backends or BACKENDS:
        start = time.perf_counter()
        files.update(backend(name)(inp))
        timings["backends"][name] = round(time.perf_counter() - start, 6)
    if "report" in (backends or BACKENDS):  # the report is built last; refresh its timings
        files.update(backend("report")(inp))
    return Compiled(skill, spec, target, module, files, inp.shared.get("skill_md_path", ""),
                    timings)


def compile_skill(skill_path, target_spec: str, overlay=None):
    """Compile one skill for one target and return its bytecode ``Program`` (what adaptive
    recompilation calls). ``overlay``: primitive -> level caps (a dict, or a JSON file path)
    applied on top of the target's profile. Raises CompileError with the rendered
    diagnostics when the skill does not compile."""
    import tempfile

    from skvmc.bytecode import decode
    from skvmc.driver import build_parser
    from skvmc.targets import TargetError, parse_target

    diags = DiagnosticEngine()
    args = build_parser().parse_args([str(skill_path), f"--target={target_spec}"])
    with tempfile.TemporaryDirectory(prefix="skvmc-overlay-") as tmp:
        if isinstance(overlay, dict):
            path = os.path.join(tmp, "overlay.json")
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(overlay, fh)
            overlay = path
        args.overlay = str(overlay) if overlay else None
        try:
            target = parse_target(target_spec, diags)
            skill = parse_all([str(skill_path)], diags)[0]
            result = compile_one(skill, target_spec, target, args, diags,
                                 backends=("prompt", "bytecode"))
        except TargetError as err:
            raise CompileError(err.message) from None
        except CompileError:
            raise CompileError(diags.render_all() or "compile failed") from None
    if diags.has_errors:
        raise CompileError(diags.render_all())
    return decode(result.files["skill.skbc"])


def _safe(name: str) -> str:
    return re.sub(r"[^\w.+@-]", "_", name) or "_"


def layout(results: list[Compiled], nested: bool) -> dict[str, tuple[bytes, Compiled]]:
    """All files under the output folder, each with the compile that produced it."""
    out: dict[str, tuple[bytes, Compiled]] = {}
    for r in results:
        prefix = ""
        if nested:
            skill = _safe(r.skill.module.attr("skill_dir") or "skill")
            prefix = f"{skill}/{_safe(str(r.target))}/"
        for rel, data in r.files.items():
            out[prefix + rel] = (data, r)
    return out


def _origin(result: Compiled | None):
    """Where a bad output path comes from: the frontmatter (its name) of the skill."""
    from skvmc.ir import Location

    if result is None:
        return None
    for op in result.skill.module.body:
        if op.name == "skill.frontmatter":
            return op.loc
    return result.skill.module.loc if result.skill.module.loc.line else Location(
        result.skill.module.attr("source") or "SKILL.md", 1, 1)


def write_tree(out_dir: str, files: dict, diags: DiagnosticEngine | None = None) -> bool:
    """Write the output folder atomically. Every path must stay inside ``out_dir``: a path that
    would leave it (or that no file system takes) is a located error and nothing is written.
    ``files``: relative POSIX path -> bytes, or -> (bytes, Compiled) as :func:`layout` gives.
    Returns False (after reporting to ``diags``) when nothing was written."""
    from skvmc.fsutil import AtomicDir, UnsafePath, check_tree
    from skvmc.ir import Location

    diags = diags if diags is not None else DiagnosticEngine()
    entries = {rel: (v if isinstance(v, tuple) else (v, None)) for rel, v in files.items()}
    problems = check_tree(entries)
    for rel, problem in problems:
        diags.error(f"{problem}; nothing was written to '{out_dir}'",
                    _origin(entries[rel][1]), code="output-path")
    if problems:
        return False
    folder = AtomicDir(out_dir)
    try:
        with folder:
            for rel, (data, result) in entries.items():
                try:
                    folder.write(rel, data, 0o755 if rel.endswith("env-setup.sh") else None)
                except UnsafePath as err:
                    diags.error(f"{err}; nothing was written to '{out_dir}'", _origin(result),
                                code="output-path")
                    raise
    except UnsafePath:
        return False
    except OSError as err:
        diags.error(f"cannot write the output folder: {err.strerror or err}",
                    Location(out_dir), code="output-write")
        return False
    return True


def artifact(result: Compiled, kind: str) -> bytes:
    from skvmc.targets.backends import EMIT_FILES

    _, name = EMIT_FILES[kind]
    return result.files[result.prompt_path if name is None else name]


def compile_targets(args, diags: DiagnosticEngine) -> int:
    from skvmc.targets import TargetError, parse_target

    specs = [s.strip() for s in args.target.split(",") if s.strip()]
    targets = []
    for spec in specs:
        try:
            targets.append((spec, parse_target(spec, diags)))
        except TargetError as err:
            print(f"skvmc: error: {err.message}", file=sys.stderr)
            return EXIT_USAGE
    if not targets:
        print("skvmc: error: --target needs at least one MODEL+HARNESS", file=sys.stderr)
        return EXIT_USAGE
    emit = getattr(args, "emit", None)
    if emit == "bytecode" and len(targets) * len(args.skills) > 1:
        print("skvmc: error: --emit=bytecode prints one program; give one skill and one target",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        skills = parse_all(args.skills, diags)
    except CompileError:
        return EXIT_ERROR
    results, failed = [], False
    for skill in skills:
        for spec, target in targets:
            try:
                results.append(compile_one(skill, spec, target, args, diags))
            except CompileError:
                failed = True
    if failed or diags.has_errors:
        return EXIT_ERROR
    if emit:
        if emit == "bytecode":
            sys.stdout.flush()
            sys.stdout.buffer.write(artifact(results[0], emit))
            sys.stdout.buffer.flush()
        else:
            many = len(results) > 1
            for r in results:
                if many:
                    print(f"// ----- {r.skill.module.attr('skill_dir')} for {r.target} ----- //")
                sys.stdout.write(artifact(r, emit).decode("utf-8"))
        return EXIT_OK
    out_dir = getattr(args, "output", None) or DEFAULT_OUT
    if not _output_spares_inputs(out_dir, skills, diags):
        return EXIT_ERROR
    if not write_tree(out_dir, layout(results, nested=len(results) > 1), diags):
        return EXIT_ERROR
    return EXIT_OK


def _output_spares_inputs(out_dir: str, skills, diags: DiagnosticEngine) -> bool:
    """The output folder is replaced as a whole, so it must not hold a skill being compiled
    (``-o myskill`` or ``-o .`` would delete the sources) nor the working directory."""
    from skvmc.ir import Location

    out = os.path.realpath(out_dir)
    inside = [os.path.realpath(s.skill_dir) for s in skills] + [os.path.realpath(os.getcwd())]
    for path in inside:
        if os.path.commonpath([out, path]) == out:
            what = "the working directory" if path == inside[-1] else f"the skill '{path}'"
            diags.error(f"output folder '{out_dir}' holds {what}; it would be replaced as a "
                        "whole: choose another -o", Location(out_dir), code="output-path")
            return False
    return True

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
    ctx.options["skill_path"] = skill.skill_dir  # bind-env reads the bundled scripts' imports
    manager = PassManager(passes, instrumentation(args))
    module = manager.run(skill.module, ctx)
    timings = {"frontend": round(skill.seconds, 6),
               "passes": [{"name": n, "seconds": round(t, 6)} for n, t in manager.timings],
               "backends": {}}
    inp = BackendInput(module=module, source=skill.module, target=target, target_spec=spec,
                       skill_dir=skill.skill_dir, source_text=skill.text, report=ctx.report,
                       diagnostics=[_short(d) for d in diags.diagnostics[first:]],
                       timings=timings, pipeline=text, mode="full" if strict else "partial",
                       diags=diags)
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


def layout(results: list[Compiled], nested: bool) -> dict[str, bytes]:
    """All files under the output folder."""
    out: dict[str, bytes] = {}
    for r in results:
        prefix = ""
        if nested:
            skill = _safe(r.skill.module.attr("skill_dir") or "skill")
            prefix = f"{skill}/{_safe(str(r.target))}/"
        for rel, data in r.files.items():
            out[prefix + rel] = data
    return out


def write_tree(out_dir: str, files: dict[str, bytes]) -> None:
    from skvmc.fsutil import AtomicDir

    with AtomicDir(out_dir) as tmp:
        for rel, data in files.items():
            path = os.path.join(tmp, *rel.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
            if rel.endswith("env-setup.sh"):
                os.chmod(path, 0o755)


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
    write_tree(out_dir, layout(results, nested=len(results) > 1))
    return EXIT_OK
